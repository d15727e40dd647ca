==> postgres/00003_tenant_drop_column_indexed.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops column customer_id of table orders and its values.

-- +goose Up
ALTER TABLE "orders" DROP COLUMN "customer_id";

-- +goose Down
ALTER TABLE "orders" ADD COLUMN "customer_id" TEXT NOT NULL DEFAULT '';
CREATE INDEX "orders_customer_id_idx" ON "orders" ("tenant_id", "customer_id");

==> mysql/00003_tenant_drop_column_indexed.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops column customer_id of table orders and its values.

-- +goose Up
ALTER TABLE `orders` DROP COLUMN `customer_id`;

-- +goose Down
ALTER TABLE `orders` ADD COLUMN `customer_id` VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX `orders_customer_id_idx` ON `orders` (`tenant_id`, `customer_id`);

==> sqlite/00003_tenant_drop_column_indexed.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops column customer_id of table orders and its values.

-- +goose Up
DROP INDEX "orders_customer_id_idx";
ALTER TABLE "orders" DROP COLUMN "customer_id";

-- +goose Down
ALTER TABLE "orders" ADD COLUMN "customer_id" TEXT NOT NULL DEFAULT '';
CREATE INDEX "orders_customer_id_idx" ON "orders" ("tenant_id", "customer_id");

