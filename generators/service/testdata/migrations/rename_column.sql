==> postgres/00003_rename_column.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Renames column note of table orders to memo.

-- +goose Up
ALTER TABLE "orders" RENAME COLUMN "note" TO "memo";

-- +goose Down
ALTER TABLE "orders" RENAME COLUMN "memo" TO "note";

==> mysql/00003_rename_column.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Renames column note of table orders to memo.

-- +goose Up
ALTER TABLE `orders` RENAME COLUMN `note` TO `memo`;

-- +goose Down
ALTER TABLE `orders` RENAME COLUMN `memo` TO `note`;

==> sqlite/00003_rename_column.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Renames column note of table orders to memo.

-- +goose Up
ALTER TABLE "orders" RENAME COLUMN "note" TO "memo";

-- +goose Down
ALTER TABLE "orders" RENAME COLUMN "memo" TO "note";

