-- Migration 00002 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "orders" (
    "id" TEXT PRIMARY KEY,
    "customer_id" TEXT NOT NULL,
    "items" TEXT,
    "total_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL
);
CREATE INDEX "orders_customer_id_idx" ON "orders" ("customer_id");

-- +goose Down
DROP TABLE "orders";
