==> postgres/00003_create_table.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "refunds" (
    "id" TEXT PRIMARY KEY,
    "order_id" TEXT NOT NULL,
    "amount_cents" BIGINT NOT NULL
);
CREATE INDEX "refunds_order_id_idx" ON "refunds" ("order_id");

-- +goose Down
DROP TABLE "refunds";

==> mysql/00003_create_table.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE `refunds` (
    `id` VARCHAR(64) PRIMARY KEY,
    `order_id` VARCHAR(255) NOT NULL,
    `amount_cents` BIGINT NOT NULL
);
CREATE INDEX `refunds_order_id_idx` ON `refunds` (`order_id`);

-- +goose Down
DROP TABLE `refunds`;

==> sqlite/00003_create_table.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "refunds" (
    "id" TEXT PRIMARY KEY,
    "order_id" TEXT NOT NULL,
    "amount_cents" INTEGER NOT NULL
);
CREATE INDEX "refunds_order_id_idx" ON "refunds" ("order_id");

-- +goose Down
DROP TABLE "refunds";

