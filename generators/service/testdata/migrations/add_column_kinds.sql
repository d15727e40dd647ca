==> postgres/00003_add_column_kinds.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column paid (bool) to table orders; rows already there get false.
-- Adds column kind (enum) to table orders; rows already there get 'retail'.
-- Adds column shipped_at (timestamp) to table orders; rows already there hold NULL.
-- Adds column weight (double) to table orders; rows already there get 0.

-- +goose Up
ALTER TABLE "orders" ADD COLUMN "paid" BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE "orders" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'retail';
ALTER TABLE "orders" ADD COLUMN "shipped_at" TIMESTAMPTZ;
ALTER TABLE "orders" ADD COLUMN "weight" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE "orders" DROP COLUMN "weight";
ALTER TABLE "orders" DROP COLUMN "shipped_at";
ALTER TABLE "orders" DROP COLUMN "kind";
ALTER TABLE "orders" DROP COLUMN "paid";

==> mysql/00003_add_column_kinds.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column paid (bool) to table orders; rows already there get false.
-- Adds column kind (enum) to table orders; rows already there get 'retail'.
-- Adds column shipped_at (timestamp) to table orders; rows already there hold NULL.
-- Adds column weight (double) to table orders; rows already there get 0.

-- +goose Up
ALTER TABLE `orders` ADD COLUMN `paid` BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE `orders` ADD COLUMN `kind` VARCHAR(64) NOT NULL DEFAULT 'retail';
ALTER TABLE `orders` ADD COLUMN `shipped_at` DATETIME(6);
ALTER TABLE `orders` ADD COLUMN `weight` DOUBLE NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE `orders` DROP COLUMN `weight`;
ALTER TABLE `orders` DROP COLUMN `shipped_at`;
ALTER TABLE `orders` DROP COLUMN `kind`;
ALTER TABLE `orders` DROP COLUMN `paid`;

==> sqlite/00003_add_column_kinds.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Adds column paid (bool) to table orders; rows already there get false.
-- Adds column kind (enum) to table orders; rows already there get 'retail'.
-- Adds column shipped_at (timestamp) to table orders; rows already there hold NULL.
-- Adds column weight (double) to table orders; rows already there get 0.

-- +goose Up
ALTER TABLE "orders" ADD COLUMN "paid" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "orders" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'retail';
ALTER TABLE "orders" ADD COLUMN "shipped_at" TIMESTAMP;
ALTER TABLE "orders" ADD COLUMN "weight" REAL NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE "orders" DROP COLUMN "weight";
ALTER TABLE "orders" DROP COLUMN "shipped_at";
ALTER TABLE "orders" DROP COLUMN "kind";
ALTER TABLE "orders" DROP COLUMN "paid";

