==> postgres/00003_combined.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops index orders_customer_id_idx of table orders (no query filters on its column any more).
-- Renames column note of table orders to memo.
-- Changes column total_cents of table orders from int64 to double.
-- Drops column items of table orders and its values.
-- Adds column region (string) to table orders; rows already there get ''; indexed.
-- Indexes column status of table orders (a query filters on it).

-- +goose Up
DROP INDEX "orders_customer_id_idx";
ALTER TABLE "orders" RENAME COLUMN "note" TO "memo";
ALTER TABLE "orders" ALTER COLUMN "total_cents" TYPE DOUBLE PRECISION USING "total_cents"::DOUBLE PRECISION;
ALTER TABLE "orders" DROP COLUMN "items";
ALTER TABLE "orders" ADD COLUMN "region" TEXT NOT NULL DEFAULT '';
CREATE INDEX "orders_region_idx" ON "orders" ("region");
CREATE INDEX "orders_status_idx" ON "orders" ("status");

-- +goose Down
DROP INDEX "orders_status_idx";
ALTER TABLE "orders" DROP COLUMN "region";
ALTER TABLE "orders" ADD COLUMN "items" JSONB;
ALTER TABLE "orders" ALTER COLUMN "total_cents" TYPE BIGINT USING "total_cents"::BIGINT;
ALTER TABLE "orders" RENAME COLUMN "memo" TO "note";
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

==> mysql/00003_combined.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops index orders_customer_id_idx of table orders (no query filters on its column any more).
-- Renames column note of table orders to memo.
-- Changes column total_cents of table orders from int64 to double.
-- Drops column items of table orders and its values.
-- Adds column region (string) to table orders; rows already there get ''; indexed.
-- Indexes column status of table orders (a query filters on it).

-- +goose Up
DROP INDEX `orders_customer_id_idx` ON `orders`;
ALTER TABLE `orders` MODIFY COLUMN `customer_id` TEXT NOT NULL;
ALTER TABLE `orders` RENAME COLUMN `note` TO `memo`;
ALTER TABLE `orders` MODIFY COLUMN `total_cents` DOUBLE NOT NULL;
ALTER TABLE `orders` DROP COLUMN `items`;
ALTER TABLE `orders` ADD COLUMN `region` VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX `orders_region_idx` ON `orders` (`region`);
CREATE INDEX `orders_status_idx` ON `orders` (`status`);

-- +goose Down
DROP INDEX `orders_status_idx` ON `orders`;
ALTER TABLE `orders` DROP COLUMN `region`;
ALTER TABLE `orders` ADD COLUMN `items` JSON;
ALTER TABLE `orders` MODIFY COLUMN `total_cents` BIGINT NOT NULL;
ALTER TABLE `orders` RENAME COLUMN `memo` TO `note`;
ALTER TABLE `orders` MODIFY COLUMN `customer_id` VARCHAR(255) NOT NULL;
CREATE INDEX `orders_customer_id_idx` ON `orders` (`customer_id`);

==> sqlite/00003_combined.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops index orders_customer_id_idx of table orders (no query filters on its column any more).
-- Renames column note of table orders to memo.
-- Changes column total_cents of table orders from int64 to double.
-- Drops column items of table orders and its values.
-- Adds column region (string) to table orders; rows already there get ''; indexed.
-- Indexes column status of table orders (a query filters on it).

-- +goose Up
DROP INDEX "orders_customer_id_idx";
ALTER TABLE "orders" RENAME COLUMN "note" TO "memo";
CREATE TABLE "_new_orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "total_cents" REAL NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "memo" TEXT NOT NULL DEFAULT ''
);
INSERT INTO "_new_orders" ("id", "customer_id", "total_cents", "status", "items", "memo") SELECT "id", "customer_id", CAST("total_cents" AS REAL), "status", "items", "memo" FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_new_orders" RENAME TO "orders";
ALTER TABLE "orders" DROP COLUMN "items";
ALTER TABLE "orders" ADD COLUMN "region" TEXT NOT NULL DEFAULT '';
CREATE INDEX "orders_region_idx" ON "orders" ("region");
CREATE INDEX "orders_status_idx" ON "orders" ("status");

-- +goose Down
DROP INDEX "orders_status_idx";
DROP INDEX "orders_region_idx";
ALTER TABLE "orders" DROP COLUMN "region";
ALTER TABLE "orders" ADD COLUMN "items" TEXT;
CREATE TABLE "_new_orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "memo" TEXT NOT NULL DEFAULT ''
);
INSERT INTO "_new_orders" ("id", "customer_id", "total_cents", "status", "items", "memo") SELECT "id", "customer_id", CAST("total_cents" AS INTEGER), "status", "items", "memo" FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_new_orders" RENAME TO "orders";
ALTER TABLE "orders" RENAME COLUMN "memo" TO "note";
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

