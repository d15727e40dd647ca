-- Migration 00002 of the flights service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "seats" (
    "id" TEXT PRIMARY KEY,
    "trip_id" TEXT NOT NULL,
    "destination" TEXT NOT NULL,
    "status" TEXT NOT NULL
);
CREATE INDEX "seats_trip_id_idx" ON "seats" ("trip_id");

-- +goose Down
DROP TABLE "seats";
