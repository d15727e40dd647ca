==> postgres/00003_add_column.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column memo (string) to table orders; rows already there get ''.

-- +goose Up
ALTER TABLE "orders" ADD COLUMN "memo" TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE "orders" DROP COLUMN "memo";

==> mysql/00003_add_column.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column memo (string) to table orders; rows already there get ''.

-- +goose Up
ALTER TABLE `orders` ADD COLUMN `memo` TEXT NOT NULL DEFAULT ('');

-- +goose Down
ALTER TABLE `orders` DROP COLUMN `memo`;

==> sqlite/00003_add_column.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column memo (string) to table orders; rows already there get ''.

-- +goose Up
ALTER TABLE "orders" ADD COLUMN "memo" TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE "orders" DROP COLUMN "memo";

