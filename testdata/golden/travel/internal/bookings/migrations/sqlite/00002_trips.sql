-- Migration 00002 of the bookings service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "trips" (
    "id" TEXT PRIMARY KEY,
    "traveller" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "nights" INTEGER NOT NULL,
    "room_price_cents" INTEGER NOT NULL,
    "status" TEXT NOT NULL
);

-- +goose Down
DROP TABLE "trips";
