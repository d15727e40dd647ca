-- Migration 00002 of the hotels service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE `rooms` (
    `id` VARCHAR(64) PRIMARY KEY,
    `trip_id` VARCHAR(255) NOT NULL,
    `nights` INT NOT NULL,
    `amount_cents` BIGINT NOT NULL,
    `status` VARCHAR(64) NOT NULL
);
CREATE INDEX `rooms_trip_id_idx` ON `rooms` (`trip_id`);

-- +goose Down
DROP TABLE `rooms`;
