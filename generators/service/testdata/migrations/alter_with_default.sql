==> postgres/00003_alter_with_default.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column note of table orders from string to int64.

-- +goose Up
ALTER TABLE "orders" ALTER COLUMN "note" DROP DEFAULT, ALTER COLUMN "note" TYPE BIGINT USING "note"::BIGINT, ALTER COLUMN "note" SET DEFAULT 0;

-- +goose Down
ALTER TABLE "orders" ALTER COLUMN "note" DROP DEFAULT, ALTER COLUMN "note" TYPE TEXT USING "note"::TEXT, ALTER COLUMN "note" SET DEFAULT '';

==> mysql/00003_alter_with_default.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column note of table orders from string to int64.

-- +goose Up
ALTER TABLE `orders` MODIFY COLUMN `note` BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE `orders` MODIFY COLUMN `note` TEXT NOT NULL DEFAULT ('');

==> sqlite/00003_alter_with_default.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column note of table orders from string to int64.

-- +goose Up
CREATE TABLE "_new_orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "note" INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "_new_orders" ("id", "customer_id", "total_cents", "status", "items", "note") SELECT "id", "customer_id", "total_cents", "status", "items", CAST("note" AS INTEGER) FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_new_orders" RENAME TO "orders";
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

-- +goose Down
CREATE TABLE "_new_orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "note" TEXT NOT NULL DEFAULT ''
);
INSERT INTO "_new_orders" ("id", "customer_id", "total_cents", "status", "items", "note") SELECT "id", "customer_id", "total_cents", "status", "items", CAST("note" AS TEXT) FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_new_orders" RENAME TO "orders";
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

