==> postgres/00003_alter_indexed_to_enum.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column customer_id of table orders from string to enum.

-- +goose Up
-- Nothing to change in postgres: its column types already hold the new values.

-- +goose Down
-- Nothing to change in postgres: its column types already hold the new values.

==> mysql/00003_alter_indexed_to_enum.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column customer_id of table orders from string to enum.

-- +goose Up
ALTER TABLE `orders` MODIFY COLUMN `customer_id` VARCHAR(64) NOT NULL;

-- +goose Down
ALTER TABLE `orders` MODIFY COLUMN `customer_id` VARCHAR(255) NOT NULL;

==> sqlite/00003_alter_indexed_to_enum.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column customer_id of table orders from string to enum.

-- +goose Up
-- Nothing to change in sqlite: its column types already hold the new values.

-- +goose Down
-- Nothing to change in sqlite: its column types already hold the new values.

