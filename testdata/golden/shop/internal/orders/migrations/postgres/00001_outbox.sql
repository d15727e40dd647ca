-- Migration 00001 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    aggregate_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    payload BYTEA NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ NULL,
    trace_parent TEXT NULL,
    saga_context TEXT NULL,
    aggregate_version BIGINT NULL
);
CREATE INDEX outbox_unpublished_idx ON outbox (published_at, seq);
CREATE UNIQUE INDEX outbox_aggregate_version_idx ON outbox (aggregate_id, aggregate_version);
CREATE TABLE processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE idempotency_keys (
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    response BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (idem_key, method)
);
CREATE TABLE snapshots (
    aggregate_id TEXT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL,
    state BYTEA NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE projection_checkpoints (
    name TEXT NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
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
    next_attempt_at TIMESTAMPTZ NOT NULL,
    trigger_payload BYTEA NOT NULL,
    trace_parent TEXT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);
CREATE INDEX sagas_subject_idx ON sagas (subject);
CREATE TABLE saga_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    saga_id TEXT NOT NULL,
    step TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    last_error TEXT NULL,
    logged_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saga_log_saga_idx ON saga_log (saga_id, seq);
ALTER TABLE sagas ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sagas ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE sagas ADD COLUMN lease_until TIMESTAMPTZ NULL;
CREATE TABLE leases (
    name TEXT NOT NULL PRIMARY KEY,
    owner TEXT NOT NULL,
    token BIGINT NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE leases;
ALTER TABLE sagas DROP COLUMN lease_until;
ALTER TABLE sagas DROP COLUMN lease_owner;
ALTER TABLE sagas DROP COLUMN version;
DROP TABLE saga_log;
DROP TABLE sagas;
DROP TABLE projection_checkpoints;
DROP TABLE snapshots;
DROP TABLE idempotency_keys;
DROP TABLE processed_events;
DROP TABLE outbox;
