==> postgres/00003_add_index.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Indexes column note of table orders (a query filters on it).

-- +goose Up
CREATE INDEX "orders_note_idx" ON "orders" ("note");

-- +goose Down
DROP INDEX "orders_note_idx";

==> mysql/00003_add_index.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Indexes column note of table orders (a query filters on it).

-- +goose Up
ALTER TABLE `orders` MODIFY COLUMN `note` VARCHAR(255) NOT NULL DEFAULT '';
CREATE INDEX `orders_note_idx` ON `orders` (`note`);

-- +goose Down
DROP INDEX `orders_note_idx` ON `orders`;
ALTER TABLE `orders` MODIFY COLUMN `note` TEXT NOT NULL DEFAULT ('');

==> sqlite/00003_add_index.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Indexes column note of table orders (a query filters on it).

-- +goose Up
CREATE INDEX "orders_note_idx" ON "orders" ("note");

-- +goose Down
DROP INDEX "orders_note_idx";

