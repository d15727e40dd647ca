==> postgres/00003_tenant_create_table.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "refunds" (
    "tenant_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    PRIMARY KEY ("tenant_id", "id")
);
CREATE INDEX "refunds_order_id_idx" ON "refunds" ("tenant_id", "order_id");

-- +goose Down
DROP TABLE "refunds";

==> mysql/00003_tenant_create_table.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE `refunds` (
    `tenant_id` VARCHAR(64) NOT NULL,
    `id` VARCHAR(64) NOT NULL,
    `order_id` VARCHAR(255) NOT NULL,
    PRIMARY KEY (`tenant_id`, `id`)
);
CREATE INDEX `refunds_order_id_idx` ON `refunds` (`tenant_id`, `order_id`);

-- +goose Down
DROP TABLE `refunds`;

==> sqlite/00003_tenant_create_table.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "refunds" (
    "tenant_id" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "order_id" TEXT NOT NULL,
    PRIMARY KEY ("tenant_id", "id")
);
CREATE INDEX "refunds_order_id_idx" ON "refunds" ("tenant_id", "order_id");

-- +goose Down
DROP TABLE "refunds";

