==> postgres/00003_tenant_create_platform.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE snapshots (
    "tenant_id" TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    state BYTEA NOT NULL,
    taken_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("tenant_id", aggregate_id)
);
CREATE TABLE projection_checkpoints (
    name TEXT NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE sagas (
    "tenant_id" TEXT NOT NULL,
    id TEXT NOT NULL,
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
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY ("tenant_id", id)
);
CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);
CREATE INDEX sagas_subject_idx ON sagas ("tenant_id", subject);
CREATE TABLE saga_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "tenant_id" TEXT NOT NULL,
    saga_id TEXT NOT NULL,
    step TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    last_error TEXT NULL,
    logged_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX saga_log_saga_idx ON saga_log ("tenant_id", saga_id, seq);

-- +goose Down
DROP TABLE saga_log;
DROP TABLE sagas;
DROP TABLE projection_checkpoints;
DROP TABLE snapshots;

==> mysql/00003_tenant_create_platform.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE snapshots (
    `tenant_id` VARCHAR(64) NOT NULL,
    aggregate_id VARCHAR(255) NOT NULL,
    version BIGINT NOT NULL,
    state LONGBLOB NOT NULL,
    taken_at DATETIME(6) NOT NULL,
    PRIMARY KEY (`tenant_id`, aggregate_id)
);
CREATE TABLE projection_checkpoints (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    last_seq BIGINT NOT NULL,
    updated_at DATETIME(6) NOT NULL
);
CREATE TABLE sagas (
    `tenant_id` VARCHAR(64) NOT NULL,
    id VARCHAR(64) NOT NULL,
    name VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    status VARCHAR(64) NOT NULL,
    step INT NOT NULL,
    failed_step VARCHAR(255) NULL,
    last_error MEDIUMTEXT NULL,
    attempts INT NOT NULL,
    next_attempt_at DATETIME(6) NOT NULL,
    trigger_payload LONGBLOB NOT NULL,
    trace_parent VARCHAR(64) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (`tenant_id`, id)
);
CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);
CREATE INDEX sagas_subject_idx ON sagas (`tenant_id`, subject);
CREATE TABLE saga_log (
    seq BIGINT AUTO_INCREMENT PRIMARY KEY,
    `tenant_id` VARCHAR(64) NOT NULL,
    saga_id VARCHAR(64) NOT NULL,
    step VARCHAR(255) NOT NULL,
    action VARCHAR(64) NOT NULL,
    outcome VARCHAR(64) NOT NULL,
    last_error MEDIUMTEXT NULL,
    logged_at DATETIME(6) NOT NULL
);
CREATE INDEX saga_log_saga_idx ON saga_log (`tenant_id`, saga_id, seq);

-- +goose Down
DROP TABLE saga_log;
DROP TABLE sagas;
DROP TABLE projection_checkpoints;
DROP TABLE snapshots;

==> sqlite/00003_tenant_create_platform.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
CREATE TABLE snapshots (
    "tenant_id" TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    state BLOB NOT NULL,
    taken_at TIMESTAMP NOT NULL,
    PRIMARY KEY ("tenant_id", aggregate_id)
);
CREATE TABLE projection_checkpoints (
    name TEXT NOT NULL PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE sagas (
    "tenant_id" TEXT NOT NULL,
    id TEXT NOT NULL,
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
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY ("tenant_id", id)
);
CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);
CREATE INDEX sagas_subject_idx ON sagas ("tenant_id", subject);
CREATE TABLE saga_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    "tenant_id" TEXT NOT NULL,
    saga_id TEXT NOT NULL,
    step TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    last_error TEXT NULL,
    logged_at TIMESTAMP NOT NULL
);
CREATE INDEX saga_log_saga_idx ON saga_log ("tenant_id", saga_id, seq);

-- +goose Down
DROP TABLE saga_log;
DROP TABLE sagas;
DROP TABLE projection_checkpoints;
DROP TABLE snapshots;

