-- Migration 00001 of the bookings service (sqlite).
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
CREATE TABLE sagas (
    id TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    step INTEGER NOT NULL,
    failed_step TEXT NULL,
    last_error TEXT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    trigger_payload BLOB NOT NULL,
    trace_parent TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);
CREATE INDEX sagas_subject_idx ON sagas (subject);
CREATE TABLE saga_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    saga_id TEXT NOT NULL,
    step TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    last_error TEXT NULL,
    logged_at TIMESTAMP NOT NULL
);
CREATE INDEX saga_log_saga_idx ON saga_log (saga_id, seq);
ALTER TABLE sagas ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sagas ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE sagas ADD COLUMN lease_until TIMESTAMP NULL;
CREATE TABLE leases (
    name TEXT NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    token INTEGER NOT NULL,
    acquired_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE leases;
ALTER TABLE sagas DROP COLUMN lease_until;
ALTER TABLE sagas DROP COLUMN lease_owner;
ALTER TABLE sagas DROP COLUMN version;
DROP TABLE saga_log;
DROP TABLE sagas;
DROP TABLE idempotency_keys;
DROP TABLE processed_events;
DROP TABLE outbox;
