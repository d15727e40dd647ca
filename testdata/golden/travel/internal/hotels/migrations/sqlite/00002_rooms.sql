-- Migration 00002 of the hotels service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "rooms" (
    "id" TEXT PRIMARY KEY,
    "trip_id" TEXT NOT NULL,
    "nights" INTEGER NOT NULL,
    "amount_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL
);
CREATE INDEX "rooms_trip_id_idx" ON "rooms" ("trip_id");

-- +goose Down
DROP TABLE "rooms";
