==> postgres/00003_tenant_add_column_indexed.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column region (string) to table orders; rows already there get ''; indexed.

-- +goose Up
ALTER TABLE "orders" ADD COLUMN "region" TEXT NOT NULL DEFAULT '';
CREATE INDEX "orders_region_idx" ON "orders" ("tenant_id", "region");

-- +goose Down
ALTER TABLE "orders" DROP COLUMN "region";

==> mysql/00003_tenant_add_column_indexed.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column region (string) to table orders; rows already there get ''; indexed.

-- +goose Up
ALTER TABLE `orders` ADD COLUMN `region` VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX `orders_region_idx` ON `orders` (`tenant_id`, `region`);

-- +goose Down
ALTER TABLE `orders` DROP COLUMN `region`;

==> sqlite/00003_tenant_add_column_indexed.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column region (string) to table orders; rows already there get ''; indexed.

-- +goose Up
ALTER TABLE "orders" ADD COLUMN "region" TEXT NOT NULL DEFAULT '';
CREATE INDEX "orders_region_idx" ON "orders" ("tenant_id", "region");

-- +goose Down
DROP INDEX "orders_region_idx";
ALTER TABLE "orders" DROP COLUMN "region";

