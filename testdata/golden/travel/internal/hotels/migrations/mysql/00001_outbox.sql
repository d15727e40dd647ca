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
    published_at DATETIME(6) NULL,
    trace_parent VARCHAR(64) NULL,
    saga_context MEDIUMTEXT NULL,
    aggregate_version BIGINT NULL
);
CREATE INDEX outbox_unpublished_idx ON outbox (published_at, seq);
CREATE UNIQUE INDEX outbox_aggregate_version_idx ON outbox (aggregate_id, aggregate_version);
CREATE TABLE processed_events (
    consumer VARCHAR(255) NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    processed_at DATETIME(6) NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE TABLE idempotency_keys (
    idem_key VARCHAR(255) NOT NULL,
    method VARCHAR(255) NOT NULL,
    response LONGBLOB NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (idem_key, method)
);
CREATE TABLE leases (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    owner VARCHAR(255) NOT NULL,
    token BIGINT NOT NULL,
    acquired_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE idempotency_keys;
DROP TABLE processed_events;
DROP TABLE outbox;
