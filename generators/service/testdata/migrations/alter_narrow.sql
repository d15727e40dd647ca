==> postgres/00003_alter_narrow.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column total_cents of table orders from int64 to int32.

-- +goose Up
ALTER TABLE "orders" ALTER COLUMN "total_cents" TYPE INTEGER USING "total_cents"::INTEGER;

-- +goose Down
ALTER TABLE "orders" ALTER COLUMN "total_cents" TYPE BIGINT USING "total_cents"::BIGINT;

==> mysql/00003_alter_narrow.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column total_cents of table orders from int64 to int32.

-- +goose Up
ALTER TABLE `orders` MODIFY COLUMN `total_cents` INT NOT NULL;

-- +goose Down
ALTER TABLE `orders` MODIFY COLUMN `total_cents` BIGINT NOT NULL;

==> sqlite/00003_alter_narrow.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Changes column total_cents of table orders from int64 to int32.

-- +goose Up
-- Nothing to change in sqlite: its column types already hold the new values.

-- +goose Down
-- Nothing to change in sqlite: its column types already hold the new values.

