==> postgres/00003_tenant_saga_leases.sql <==
-- Migration 00003 of the orders service (postgres).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
ALTER TABLE sagas ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sagas ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE sagas ADD COLUMN lease_until TIMESTAMPTZ NULL;

-- +goose Down
ALTER TABLE sagas DROP COLUMN lease_until;
ALTER TABLE sagas DROP COLUMN lease_owner;
ALTER TABLE sagas DROP COLUMN version;

==> mysql/00003_tenant_saga_leases.sql <==
-- Migration 00003 of the orders service (mysql).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
ALTER TABLE sagas ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sagas ADD COLUMN lease_owner VARCHAR(255) NULL;
ALTER TABLE sagas ADD COLUMN lease_until DATETIME(6) NULL;

-- +goose Down
ALTER TABLE sagas DROP COLUMN lease_until;
ALTER TABLE sagas DROP COLUMN lease_owner;
ALTER TABLE sagas DROP COLUMN version;

==> sqlite/00003_tenant_saga_leases.sql <==
-- Migration 00003 of the orders service (sqlite).
-- This file is yours: microforge wrote it from the blueprint. Once it has
-- run against a database you keep, add new migrations instead of editing it.

-- +goose Up
ALTER TABLE sagas ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sagas ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE sagas ADD COLUMN lease_until TIMESTAMP NULL;

-- +goose Down
ALTER TABLE sagas DROP COLUMN lease_until;
ALTER TABLE sagas DROP COLUMN lease_owner;
ALTER TABLE sagas DROP COLUMN version;

