==> postgres/00003_tenant_alter_rebuild.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column total_cents of table orders from int64 to double.

-- +goose Up
ALTER TABLE "orders" ALTER COLUMN "total_cents" TYPE DOUBLE PRECISION USING "total_cents"::DOUBLE PRECISION;

-- +goose Down
ALTER TABLE "orders" ALTER COLUMN "total_cents" TYPE BIGINT USING "total_cents"::BIGINT;

==> mysql/00003_tenant_alter_rebuild.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column total_cents of table orders from int64 to double.

-- +goose Up
ALTER TABLE `orders` MODIFY COLUMN `total_cents` DOUBLE NOT NULL;

-- +goose Down
ALTER TABLE `orders` MODIFY COLUMN `total_cents` BIGINT NOT NULL;

==> sqlite/00003_tenant_alter_rebuild.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column total_cents of table orders from int64 to double.

-- +goose Up
CREATE TABLE "_new_orders" (
    "tenant_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "total_cents" REAL NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "note" TEXT NOT NULL DEFAULT '',
    PRIMARY KEY ("tenant_id", "id")
);
INSERT INTO "_new_orders" ("tenant_id", "id", "customer_id", "total_cents", "status", "items", "note") SELECT "tenant_id", "id", "customer_id", CAST("total_cents" AS REAL), "status", "items", "note" FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_new_orders" RENAME TO "orders";
CREATE INDEX "orders_customer_id_idx" ON "orders" ("tenant_id", "customer_id");

-- +goose Down
CREATE TABLE "_new_orders" (
    "tenant_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "note" TEXT NOT NULL DEFAULT '',
    PRIMARY KEY ("tenant_id", "id")
);
INSERT INTO "_new_orders" ("tenant_id", "id", "customer_id", "total_cents", "status", "items", "note") SELECT "tenant_id", "id", "customer_id", CAST("total_cents" AS INTEGER), "status", "items", "note" FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_new_orders" RENAME TO "orders";
CREATE INDEX "orders_customer_id_idx" ON "orders" ("tenant_id", "customer_id");

