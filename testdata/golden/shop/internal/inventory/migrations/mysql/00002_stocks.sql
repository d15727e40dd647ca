-- Migration 00002 of the inventory service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE `stocks` (
    `id` VARCHAR(64) PRIMARY KEY,
    `sku` VARCHAR(255) NOT NULL,
    `available` INT NOT NULL
);
CREATE INDEX `stocks_sku_idx` ON `stocks` (`sku`);

-- +goose Down
DROP TABLE `stocks`;
