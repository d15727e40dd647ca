-- Migration 00002 of the payments service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "payments" (
    "id" TEXT PRIMARY KEY,
    "order_id" TEXT NOT NULL,
    "amount_cents" BIGINT NOT NULL,
    "status" TEXT NOT NULL
);
CREATE INDEX "payments_order_id_idx" ON "payments" ("order_id");

-- +goose Down
DROP TABLE "payments";
