-- Migration 00002 of the inventory service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "stocks" (
    "id" TEXT PRIMARY KEY,
    "sku" TEXT NOT NULL,
    "available" INTEGER NOT NULL
);
CREATE INDEX "stocks_sku_idx" ON "stocks" ("sku");

-- +goose Down
DROP TABLE "stocks";
