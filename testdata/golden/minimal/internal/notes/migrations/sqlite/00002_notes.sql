-- Migration 00002 of the notes service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE "notes" (
    "id" TEXT PRIMARY KEY,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "pinned" INTEGER NOT NULL,
    "rating" REAL NOT NULL,
    "attachment" BLOB,
    "written_at" TIMESTAMP,
    "visibility" TEXT NOT NULL
);
CREATE INDEX "notes_pinned_idx" ON "notes" ("pinned");

-- +goose Down
DROP TABLE "notes";
