==> postgres/00003_drop_column.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops column total_cents of table orders and its values.

-- +goose Up
ALTER TABLE "orders" DROP COLUMN "total_cents";

-- +goose Down
ALTER TABLE "orders" ADD COLUMN "total_cents" BIGINT NOT NULL DEFAULT 0;

==> mysql/00003_drop_column.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops column total_cents of table orders and its values.

-- +goose Up
ALTER TABLE `orders` DROP COLUMN `total_cents`;

-- +goose Down
ALTER TABLE `orders` ADD COLUMN `total_cents` BIGINT NOT NULL DEFAULT 0;

==> sqlite/00003_drop_column.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops column total_cents of table orders and its values.

-- +goose Up
ALTER TABLE "orders" DROP COLUMN "total_cents";

-- +goose Down
ALTER TABLE "orders" ADD COLUMN "total_cents" INTEGER NOT NULL DEFAULT 0;

