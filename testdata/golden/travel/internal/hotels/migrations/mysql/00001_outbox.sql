-- Migration 00001 of the hotels service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE outbox (
    seq BIGINT AUTO_INCREMENT PRIMARY KEY,
    id VARCHAR(64) NOT NULL UNIQUE,
    aggregate_id VARCHAR(255) NOT NULL,
    event_type VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    payload LONGBLOB NOT NULL,
    occurred_at DATETIME(6) NOT NULL,
    published_at DATETIME(6) NULL
);
CREATE INDEX outbox_unpublished_idx ON outbox (published_at, seq);

-- +goose Down
DROP TABLE outbox;
