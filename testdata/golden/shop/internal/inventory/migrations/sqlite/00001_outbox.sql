-- Migration 00001 of the inventory service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    aggregate_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload BLOB NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP NULL,
    trace_parent TEXT NULL,
    saga_context TEXT NULL,
    aggregate_version INTEGER NULL
);
CREATE INDEX outbox_unpublished_idx ON outbox (published_at, seq);
CREATE UNIQUE INDEX outbox_aggregate_version_idx ON outbox (aggregate_id, aggregate_version);
CREATE TABLE processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE idempotency_keys (
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    response BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (idem_key, method)
);
CREATE TABLE leases (
    name TEXT NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    token INTEGER NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE idempotency_keys;
DROP TABLE processed_events;
DROP TABLE outbox;
