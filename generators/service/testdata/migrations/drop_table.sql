==> postgres/00003_drop_table.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops table orders and every row in it.

-- +goose Up
DROP TABLE "orders";

-- +goose Down
CREATE TABLE "orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "total_cents" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "items" JSONB,
    "note" TEXT NOT NULL DEFAULT ''
);
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

==> mysql/00003_drop_table.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops table orders and every row in it.

-- +goose Up
DROP TABLE `orders`;

-- +goose Down
CREATE TABLE `orders` (
    `id` VARCHAR(64) PRIMARY KEY,
    `customer_id` VARCHAR(255) NOT NULL,
    `total_cents` BIGINT NOT NULL,
    `status` VARCHAR(64) NOT NULL,
    `items` JSON,
    `note` TEXT NOT NULL DEFAULT ('')
);
CREATE INDEX `orders_customer_id_idx` ON `orders` (`customer_id`);

==> sqlite/00003_drop_table.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.
--
-- Drops table orders and every row in it.

-- +goose Up
DROP TABLE "orders";

-- +goose Down
CREATE TABLE "orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "items" TEXT,
    "note" TEXT NOT NULL DEFAULT ''
);
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

