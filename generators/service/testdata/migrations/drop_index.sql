==> postgres/00003_drop_index.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops index orders_customer_id_idx of table orders (no query filters on its column any more).

-- +goose Up
DROP INDEX "orders_customer_id_idx";

-- +goose Down
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

==> mysql/00003_drop_index.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops index orders_customer_id_idx of table orders (no query filters on its column any more).

-- +goose Up
DROP INDEX `orders_customer_id_idx` ON `orders`;
ALTER TABLE `orders` MODIFY COLUMN `customer_id` TEXT NOT NULL;

-- +goose Down
ALTER TABLE `orders` MODIFY COLUMN `customer_id` VARCHAR(255) NOT NULL;
CREATE INDEX `orders_customer_id_idx` ON `orders` (`customer_id`);

==> sqlite/00003_drop_index.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops index orders_customer_id_idx of table orders (no query filters on its column any more).

-- +goose Up
DROP INDEX "orders_customer_id_idx";

-- +goose Down
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

