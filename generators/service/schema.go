package service

import (
	"strconv"
	"strings"

	"github.com/microforge/microforge/internal/model"
)

// schemaTable is a table the service's SQL uses and the columns it reads
// and writes: the generated store lists them, and at start
// database.CheckSchema refuses a database that lacks one.
type schemaTable struct {
	Name    string
	Columns []string
	// Var is the database.Table variable an entity's statements are built
	// from ("orderTable"); "" for the platform tables.
	Var string
}

// ColumnList is Columns as Go string literals.
func (t *schemaTable) ColumnList() string {
	quoted := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		quoted[i] = strconv.Quote(c)
	}
	return strings.Join(quoted, ", ")
}

// schemaTest is the column the generated schema test drops to make a
// database that lacks what the code uses.
type schemaTest struct {
	Table, Column string
	// Entity is the entity stored in Table, whose reads must then fail;
	// nil when Table is a platform table.
	Entity *entityView
}

// platformTables are the tables the platform packages' SQL uses in every
// service (outbox, processed_events, idempotency_keys, leases), in
// event-sourced ones (snapshots, projection_checkpoints) and in those that
// keep saga state (sagas, saga_log, with the saga_leases group's columns):
// the tables platformDDL creates.
// With a tenant column, each but projection_checkpoints and leases holds
// it too.
func platformTables(sagas, sourced bool, tenant string) []*schemaTable {
	out := []*schemaTable{
		{Name: "outbox", Columns: []string{"seq", "id", "aggregate_id", "event_type", "subject", "payload", "occurred_at", "published_at", "trace_parent", "saga_context", "aggregate_version"}},
		{Name: "processed_events", Columns: []string{"consumer", "event_id", "processed_at"}},
		{Name: "idempotency_keys", Columns: []string{"idem_key", "method", "response", "created_at"}},
	}
	if sourced {
		out = append(out,
			&schemaTable{Name: "snapshots", Columns: []string{"aggregate_id", "version", "state", "taken_at"}},
			&schemaTable{Name: "projection_checkpoints", Columns: []string{"name", "last_seq", "updated_at"}},
		)
	}
	if sagas {
		out = append(out,
			&schemaTable{Name: "sagas", Columns: []string{"id", "name", "subject", "status", "step", "failed_step", "last_error", "attempts", "next_attempt_at", "trigger_payload", "trace_parent", "created_at", "updated_at", "version", "lease_owner", "lease_until"}},
			&schemaTable{Name: "saga_log", Columns: []string{"seq", "saga_id", "step", "action", "outcome", "last_error", "logged_at"}},
		)
	}
	if tenant != "" {
		for _, t := range out {
			if t.Name != "projection_checkpoints" {
				t.Columns = append(t.Columns, tenant)
			}
		}
	}
	return append(out, &schemaTable{Name: "leases", Columns: []string{"name", "owner", "token", "acquired_at", "expires_at"}})
}

// newSchemaViews decides the service's schema, the platform tables then
// one table per entity, and the column its schema test drops.
func newSchemaViews(v *serviceView) {
	v.Schema = platformTables(v.SagaState, v.EventSourced, v.Sys.model.TenantColumn())
	for _, e := range v.Entities {
		t := &schemaTable{Name: e.Table, Var: e.TableVar}
		for _, c := range e.Columns {
			t.Columns = append(t.Columns, c.Name)
		}
		v.Schema = append(v.Schema, t)
	}
	v.SchemaTest = newSchemaTest(v.Entities)
}

// newSchemaTest picks an entity column SQLite can drop (neither the key
// nor indexed), preferring a string: SQLite's double-quoted string quirk
// would read a missing string column back as its name without any error,
// which is what the test must show does not happen. Without entities it
// drops a platform column.
func newSchemaTest(entities []*entityView) *schemaTest {
	var fallback *schemaTest
	for _, e := range entities {
		for _, c := range e.Columns[1:] {
			if c.field.Indexed {
				continue
			}
			if t := c.field.Type; t.Kind == model.ScalarType && t.Scalar == model.String {
				return &schemaTest{Table: e.Table, Column: c.Name, Entity: e}
			}
			if fallback == nil {
				fallback = &schemaTest{Table: e.Table, Column: c.Name, Entity: e}
			}
		}
	}
	if fallback == nil {
		fallback = &schemaTest{Table: "outbox", Column: "saga_context"}
	}
	return fallback
}
