package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/microforge/microforge/internal/files"
	"github.com/microforge/microforge/internal/model"
	"github.com/microforge/microforge/templates"
)

// SchemaPath is where a repository keeps its database history
// (model.SchemaLock): every migration generated so far and the schema they
// build. Commit it: it is what keeps applied migrations unchanged and turns
// a change of the blueprint into a new migration.
const SchemaPath = ".microforge/schema.json"

// MigrationsDir is the folder of a service's migrations in a dialect,
// "internal/orders/migrations/postgres".
func MigrationsDir(svc *model.Service, dialect string) string {
	return fmt.Sprintf("internal/%s/migrations/%s", svc.Name, dialect)
}

// Dialects are the migration folders of a service: its declared store,
// then sqlite (every service runs locally on SQLite).
func Dialects(svc *model.Service) []string {
	store := string(svc.Store)
	if store == "" || store == dialectSQLite {
		return []string{dialectSQLite}
	}
	return []string{store, dialectSQLite}
}

// MigrationFile is one migration rendered in one dialect.
type MigrationFile struct {
	Service   *model.Service
	Dialect   string
	Migration *model.Migration
	Path      string // "internal/orders/migrations/postgres/00003_add_orders_note.sql"
	SQL       []byte // the file's content
}

// NewMigrations returns the migrations this generation adds (model.Migration.New),
// rendered in every dialect of their service: what microforge plan shows.
func NewMigrations(sys *model.System) ([]MigrationFile, error) {
	var out []MigrationFile
	for _, svc := range sys.Services {
		for _, m := range svc.NewMigrations() {
			for _, dialect := range Dialects(svc) {
				data, err := newMigrationData(svc, dialect, m)
				if err != nil {
					return nil, err
				}
				src, err := templates.Render("service/"+migrationTemplate, data)
				if err != nil {
					return nil, err
				}
				out = append(out, MigrationFile{Service: svc, Dialect: dialect, Migration: m, Path: migrationPath(svc, dialect, m), SQL: src})
			}
		}
	}
	return out, nil
}

func migrationPath(svc *model.Service, dialect string, m *model.Migration) string {
	return MigrationsDir(svc, dialect) + "/" + m.File()
}

// schemaFile is .microforge/schema.json.
func schemaFile(sys *model.System) (files.File, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sys.Schema); err != nil {
		return files.File{}, fmt.Errorf("internal error: encode the schema history: %w", err)
	}
	f, err := files.New(SchemaPath, b.Bytes(), files.Owned)
	f.Generator = Name
	return f, err
}

// migrationData is the data of the migration template.
type migrationData struct {
	ddl
	Service string
	Dialect string
}

func newMigrationData(svc *model.Service, dialect string, m *model.Migration) (migrationData, error) {
	d, err := renderMigration(dialect, m)
	if err != nil {
		return migrationData{}, fmt.Errorf("internal error: migration %s of service %s: %w", m.File(), svc.Name, err)
	}
	return migrationData{ddl: d, Service: svc.Name, Dialect: dialect}, nil
}

// ddl is one migration file's statements.
type ddl struct {
	Version string   // "00002"
	Summary []string // what it changes, for migrations that change existing tables
	Up      []string
	Down    []string
}

// renderMigration renders a migration's operations in a dialect: each
// operation's Up statements in order, their Down statements in reverse.
// What it prints depends on the migration's record alone, so that a
// migration renders byte for byte the same in every later generation.
func renderMigration(dialect string, m *model.Migration) (ddl, error) {
	d := ddl{Version: fmt.Sprintf("%05d", m.Version)}
	states := []*model.Schema{m.Before}
	for _, op := range m.Ops {
		next, err := states[len(states)-1].Apply(op)
		if err != nil {
			return d, err
		}
		states = append(states, next)
	}
	var downs [][]string
	createOnly := true
	for i, op := range m.Ops {
		r := opRenderer{dialect: dialect, op: op, before: states[i], after: states[i+1]}
		up, down := r.render()
		d.Up = append(d.Up, up...)
		downs = append(downs, down)
		d.Summary = append(d.Summary, r.summary())
		createOnly = createOnly && (op.Op == model.OpCreatePlatform || op.Op == model.OpCreateTable)
	}
	for i := len(downs) - 1; i >= 0; i-- {
		d.Down = append(d.Down, downs[i]...)
	}
	if createOnly {
		d.Summary = nil // the statements say it all (and first migrations have always read so)
	}
	nothing := "-- Nothing to change in " + dialect + ": its column types already hold the new values."
	if len(d.Up) == 0 {
		d.Up = []string{nothing}
	}
	if len(d.Down) == 0 {
		d.Down = []string{nothing}
	}
	return d, nil
}

// opRenderer renders one operation, knowing the schema before and after
// it.
type opRenderer struct {
	dialect       string
	op            model.SchemaOp
	before, after *model.Schema
}

func (r opRenderer) q(ident string) string { return quoteIdent(r.dialect, ident) }

// render returns the operation's Up and Down statements.
func (r opRenderer) render() (up, down []string) {
	op := r.op
	switch op.Op {
	case model.OpCreatePlatform:
		return platformDDL(r.dialect, op.Group, op.Tenant)
	case model.OpCreateTable:
		return createTable(r.dialect, op.Create), []string{"DROP TABLE " + r.q(op.Table) + ";"}
	case model.OpDropTable:
		return []string{"DROP TABLE " + r.q(op.Table) + ";"}, createTable(r.dialect, r.before.Table(op.Table))
	case model.OpAddColumn:
		t := r.after.Table(op.Table)
		return r.addColumn(t, op.Def.Name), r.dropColumn(t, op.Def.Name)
	case model.OpDropColumn:
		t := r.before.Table(op.Table)
		return r.dropColumn(t, op.Column), r.addColumn(t, op.Column)
	case model.OpRenameColumn:
		rename := func(from, to string) []string {
			return []string{"ALTER TABLE " + r.q(op.Table) + " RENAME COLUMN " + r.q(from) + " TO " + r.q(to) + ";"}
		}
		return rename(op.From, op.Column), rename(op.Column, op.From)
	case model.OpAlterColumn:
		from, to := r.before.Table(op.Table), r.after.Table(op.Table)
		return r.alterColumn(from, to, op.Column), r.alterColumn(to, from, op.Column)
	case model.OpAddIndex:
		from, to := r.before.Table(op.Table), r.after.Table(op.Table)
		return r.createIndex(from, to, to.Index(op.Index)), r.dropIndex(to, from, to.Index(op.Index))
	case model.OpDropIndex:
		from, to := r.before.Table(op.Table), r.after.Table(op.Table)
		return r.dropIndex(from, to, from.Index(op.Index)), r.createIndex(to, from, from.Index(op.Index))
	}
	panic("internal error: unknown schema operation " + string(op.Op))
}

// addColumn adds column name of t (as t defines it) to a table holding
// rows, and its indexes. A NOT NULL column without a default gets the
// zero value's (Down of a dropped column): the rows need a value.
func (r opRenderer) addColumn(t *model.Table, name string) []string {
	c := t.Column(name).Clone()
	if c.NotNull && c.Default == nil {
		c.Default = model.ZeroDefault(c.Type, nil)
	}
	out := []string{"ALTER TABLE " + r.q(t.Name) + " ADD COLUMN " + r.q(c.Name) + " " + columnDef(r.dialect, c, t.IndexOn(name) != nil) + ";"}
	for _, ix := range t.Indexes {
		if ix.Column == name {
			out = append(out, createIndexStmt(r.dialect, t, ix))
		}
	}
	return out
}

// dropColumn drops column name of t. SQLite refuses to drop an indexed
// column: its indexes go first.
func (r opRenderer) dropColumn(t *model.Table, name string) []string {
	var out []string
	if r.dialect == dialectSQLite {
		for _, ix := range t.Indexes {
			if ix.Column == name {
				out = append(out, dropIndexStmt(r.dialect, t.Name, ix))
			}
		}
	}
	return append(out, "ALTER TABLE "+r.q(t.Name)+" DROP COLUMN "+r.q(name)+";")
}

// alterColumn changes column name from its definition in table from to
// its definition in to: PostgreSQL converts in place (ALTER COLUMN TYPE
// ... USING), MySQL redefines the column (MODIFY COLUMN), and SQLite,
// whose ALTER TABLE cannot change a column, rebuilds the table. Nothing
// when the dialect spells both the same.
func (r opRenderer) alterColumn(from, to *model.Table, name string) []string {
	fc, tc := from.Column(name), to.Column(name)
	fi, ti := from.IndexOn(name) != nil, to.IndexOn(name) != nil
	if columnDef(r.dialect, fc, fi) == columnDef(r.dialect, tc, ti) {
		return nil
	}
	col := r.q(name)
	switch r.dialect {
	case dialectPostgres:
		ft, tt := columnType(r.dialect, fc, fi), columnType(r.dialect, tc, ti)
		literal := func(c *model.Column, t string) string {
			if c.Default == nil {
				return ""
			}
			return defaultLiteral(r.dialect, c, t)
		}
		var parts []string
		switch {
		case ft != tt:
			// The old default may not convert: set the new one after.
			if fc.Default != nil {
				parts = append(parts, "ALTER COLUMN "+col+" DROP DEFAULT")
			}
			parts = append(parts, "ALTER COLUMN "+col+" TYPE "+tt+" USING "+col+"::"+tt)
			if tc.Default != nil {
				parts = append(parts, "ALTER COLUMN "+col+" SET DEFAULT "+literal(tc, tt))
			}
		case literal(fc, ft) != literal(tc, tt) && tc.Default != nil:
			parts = append(parts, "ALTER COLUMN "+col+" SET DEFAULT "+literal(tc, tt))
		case literal(fc, ft) != literal(tc, tt):
			parts = append(parts, "ALTER COLUMN "+col+" DROP DEFAULT")
		}
		if fc.NotNull != tc.NotNull {
			parts = append(parts, "ALTER COLUMN "+col+map[bool]string{true: " SET NOT NULL", false: " DROP NOT NULL"}[tc.NotNull])
		}
		return []string{"ALTER TABLE " + r.q(to.Name) + " " + strings.Join(parts, ", ") + ";"}
	case dialectMySQL:
		return []string{"ALTER TABLE " + r.q(to.Name) + " MODIFY COLUMN " + col + " " + columnDef(r.dialect, tc, ti) + ";"}
	}
	return r.rebuild(from, to)
}

// rebuild changes an SQLite table the way SQLite documents for what its
// ALTER TABLE cannot do (https://www.sqlite.org/lang_altertable.html#otheralter):
// create the new table, copy the rows (converting the columns whose type
// changes), drop the old table, rename the new one, create its indexes —
// all in the migration's transaction.
func (r opRenderer) rebuild(from, to *model.Table) []string {
	tmp := "_new_" + to.Name
	create := createTable(r.dialect, &model.Table{Name: tmp, Tenant: to.Tenant, Columns: to.Columns})
	var cols, exprs []string
	if to.Tenant != "" {
		cols, exprs = append(cols, r.q(to.Tenant)), append(exprs, r.q(to.Tenant))
	}
	for _, tc := range to.Columns {
		fc := from.Column(tc.Name)
		if fc == nil {
			continue // a new column: its default
		}
		cols = append(cols, r.q(tc.Name))
		expr := r.q(tc.Name)
		if t := columnType(r.dialect, tc, false); t != columnType(r.dialect, fc, false) {
			expr = "CAST(" + expr + " AS " + t + ")"
		}
		exprs = append(exprs, expr)
	}
	out := append(create,
		"INSERT INTO "+r.q(tmp)+" ("+strings.Join(cols, ", ")+") SELECT "+strings.Join(exprs, ", ")+" FROM "+r.q(from.Name)+";",
		"DROP TABLE "+r.q(from.Name)+";",
		"ALTER TABLE "+r.q(tmp)+" RENAME TO "+r.q(to.Name)+";",
	)
	for _, ix := range to.Indexes {
		out = append(out, createIndexStmt(r.dialect, to, ix))
	}
	return out
}

// createIndex indexes a column of a table whose definition goes from
// table from to table to (in MySQL, an indexed text column becomes a
// VARCHAR first).
func (r opRenderer) createIndex(from, to *model.Table, ix *model.Index) []string {
	return append(r.alterColumn(from, to, ix.Column), createIndexStmt(r.dialect, to, ix))
}

// dropIndex drops an index, then changes its column from its definition in
// from to the one in to (in MySQL, back to TEXT).
func (r opRenderer) dropIndex(from, to *model.Table, ix *model.Index) []string {
	return append([]string{dropIndexStmt(r.dialect, from.Name, ix)}, r.alterColumn(from, to, ix.Column)...)
}

// summary says what the operation changes, in the migration's header.
func (r opRenderer) summary() string {
	op := r.op
	switch op.Op {
	case model.OpCreatePlatform:
		if op.Group == model.PlatformSagaLeases {
			return "Adds columns version, lease_owner and lease_until to table sagas: replicas claim sagas."
		}
		return "Creates the " + map[string]string{
			model.PlatformOutbox:    "outbox, processed_events and idempotency_keys tables.",
			model.PlatformSnapshots: "snapshots and projection_checkpoints tables (event sourcing).",
			model.PlatformSagas:     "sagas and saga_log tables (saga state).",
			model.PlatformLeases:    "leases table (workers that run on one replica at a time).",
		}[op.Group]
	case model.OpCreateTable:
		return "Creates table " + op.Table + "."
	case model.OpDropTable:
		return "Drops table " + op.Table + " and every row in it."
	case model.OpAddColumn:
		s := "Adds column " + op.Def.Name + " (" + string(op.Def.Type) + ") to table " + op.Table
		if op.Def.Default != nil {
			s += "; rows already there get " + describeDefault(op.Def)
		} else {
			s += "; rows already there hold NULL"
		}
		if op.Index != "" {
			s += "; indexed"
		}
		return s + "."
	case model.OpDropColumn:
		return "Drops column " + op.Column + " of table " + op.Table + " and its values."
	case model.OpRenameColumn:
		return "Renames column " + op.From + " of table " + op.Table + " to " + op.Column + "."
	case model.OpAlterColumn:
		from := r.before.Table(op.Table).Column(op.Column)
		return fmt.Sprintf("Changes column %s of table %s from %s to %s.", op.Column, op.Table, from.Type, op.Def.Type)
	case model.OpAddIndex:
		return "Indexes column " + op.Column + " of table " + op.Table + " (a query filters on it)."
	case model.OpDropIndex:
		return "Drops index " + op.Index + " of table " + op.Table + " (no query filters on its column any more)."
	}
	return ""
}

func describeDefault(c *model.Column) string {
	switch c.Type {
	case model.ColString, model.ColEnum:
		return "'" + *c.Default + "'"
	}
	return *c.Default
}

// createTable creates a table and its indexes. With tenancy the tenant
// column comes first and the primary key is (tenant, id): the same id may
// exist in every tenant.
func createTable(dialect string, t *model.Table) []string {
	var cols []string
	if t.Tenant != "" {
		cols = append(cols, "    "+quoteIdent(dialect, t.Tenant)+" "+tenantType(dialect)+" NOT NULL")
	}
	var key string
	for _, c := range t.Columns {
		def := columnDef(dialect, c, t.IndexOn(c.Name) != nil)
		if c.Key && t.Tenant != "" {
			def, key = columnType(dialect, c, false)+" NOT NULL", c.Name
		}
		cols = append(cols, "    "+quoteIdent(dialect, c.Name)+" "+def)
	}
	if key != "" {
		cols = append(cols, "    PRIMARY KEY ("+quoteIdent(dialect, t.Tenant)+", "+quoteIdent(dialect, key)+")")
	}
	out := []string{"CREATE TABLE " + quoteIdent(dialect, t.Name) + " (\n" + strings.Join(cols, ",\n") + "\n);"}
	for _, ix := range t.Indexes {
		out = append(out, createIndexStmt(dialect, t, ix))
	}
	return out
}

// createIndexStmt creates an index of table t; with tenancy it starts with
// the tenant column, as every query filters on it first.
func createIndexStmt(dialect string, t *model.Table, ix *model.Index) string {
	cols := quoteIdent(dialect, ix.Column)
	if t.Tenant != "" {
		cols = quoteIdent(dialect, t.Tenant) + ", " + cols
	}
	return "CREATE INDEX " + quoteIdent(dialect, ix.Name) + " ON " + quoteIdent(dialect, t.Name) + " (" + cols + ");"
}

// tenantType is the type of tenant columns: tenants are at most 64 bytes
// (the gateway refuses longer ones), which MySQL can index.
func tenantType(dialect string) string {
	if dialect == dialectMySQL {
		return "VARCHAR(64)"
	}
	return "TEXT"
}

func dropIndexStmt(dialect, table string, ix *model.Index) string {
	if dialect == dialectMySQL {
		return "DROP INDEX " + quoteIdent(dialect, ix.Name) + " ON " + quoteIdent(dialect, table) + ";"
	}
	return "DROP INDEX " + quoteIdent(dialect, ix.Name) + ";"
}

// columnType spells a column's type in a dialect; indexed text columns
// get a type MySQL can index.
func columnType(dialect string, c *model.Column, indexed bool) string {
	pick := func(postgres, mysql, sqlite string) string {
		return map[string]string{dialectPostgres: postgres, dialectMySQL: mysql, dialectSQLite: sqlite}[dialect]
	}
	if c.Key {
		return pick("TEXT", "VARCHAR(64)", "TEXT")
	}
	switch c.Type {
	case model.ColEnum:
		return pick("TEXT", "VARCHAR(64)", "TEXT")
	case model.ColJSON:
		return pick("JSONB", "JSON", "TEXT")
	case model.ColString:
		if indexed {
			return pick("TEXT", "VARCHAR(255)", "TEXT")
		}
		return "TEXT"
	case model.ColBool:
		return pick("BOOLEAN", "BOOLEAN", "INTEGER")
	case model.ColInt32:
		return pick("INTEGER", "INT", "INTEGER")
	case model.ColInt64:
		return pick("BIGINT", "BIGINT", "INTEGER")
	case model.ColDouble:
		return pick("DOUBLE PRECISION", "DOUBLE", "REAL")
	case model.ColBytes:
		return pick("BYTEA", "LONGBLOB", "BLOB")
	case model.ColTimestamp:
		return pick("TIMESTAMPTZ", "DATETIME(6)", "TIMESTAMP")
	}
	panic(fmt.Sprintf("internal error: no SQL type for column %s of type %q", c.Name, c.Type))
}

// columnDef is a column's definition after its name: type, key, NOT NULL,
// default.
func columnDef(dialect string, c *model.Column, indexed bool) string {
	t := columnType(dialect, c, indexed)
	if c.Key {
		return t + " PRIMARY KEY"
	}
	def := t
	if c.NotNull {
		def += " NOT NULL"
	}
	if c.Default != nil {
		def += " DEFAULT " + defaultLiteral(dialect, c, t)
	}
	return def
}

// defaultLiteral spells a column's default in a dialect. MySQL takes a
// TEXT column's default only as an expression, in parentheses.
func defaultLiteral(dialect string, c *model.Column, sqlType string) string {
	v := *c.Default
	switch c.Type {
	case model.ColBool:
		if dialect == dialectSQLite {
			return map[bool]string{true: "1", false: "0"}[v == "true"]
		}
		return strings.ToUpper(v)
	case model.ColInt32, model.ColInt64, model.ColDouble:
		return v
	}
	lit := "'" + strings.ReplaceAll(v, "'", "''") + "'"
	if dialect == dialectMySQL && sqlType == "TEXT" {
		return "(" + lit + ")"
	}
	return lit
}

// platformDDL creates a platform table group: the outbox its commands
// record events in, the processed_events table its event consumers
// deduplicate deliveries with and the idempotency_keys its commands answer
// repeated calls from (every service); the snapshots of event-sourced
// aggregates and the checkpoints of their projections; the saga state, and
// its version and leases.
// With a tenant column, their rows belong to tenants: see tenantPlatformDDL.
func platformDDL(dialect, group, tenant string) (up, down []string) {
	if group == model.PlatformSagaLeases {
		return sagaLeasesDDL(dialect)
	}
	if tenant != "" {
		return tenantPlatformDDL(dialect, group, tenant)
	}
	types := map[string][]string{
		dialectPostgres: {"BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "TEXT", "TEXT", "TEXT", "BYTEA", "TIMESTAMPTZ"},
		dialectMySQL:    {"BIGINT AUTO_INCREMENT PRIMARY KEY", "VARCHAR(64)", "VARCHAR(255)", "VARCHAR(255)", "LONGBLOB", "DATETIME(6)"},
		dialectSQLite:   {"INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "TEXT", "TEXT", "BLOB", "TIMESTAMP"},
	}[dialect]
	seq, id, text, subject, blob, ts := types[0], types[1], types[2], types[3], types[4], types[5]
	long := map[string]string{dialectPostgres: "TEXT", dialectMySQL: "MEDIUMTEXT", dialectSQLite: "TEXT"}[dialect]
	version := map[string]string{dialectPostgres: "BIGINT", dialectMySQL: "BIGINT", dialectSQLite: "INTEGER"}[dialect]
	switch group {
	case model.PlatformOutbox:
		return []string{
				"CREATE TABLE outbox (\n" +
					"    seq " + seq + ",\n" +
					"    id " + id + " NOT NULL UNIQUE,\n" +
					"    aggregate_id " + subject + " NOT NULL,\n" +
					"    event_type " + text + " NOT NULL,\n" +
					"    subject " + subject + " NOT NULL,\n" +
					"    payload " + blob + " NOT NULL,\n" +
					"    occurred_at " + ts + " NOT NULL,\n" +
					"    published_at " + ts + " NULL,\n" +
					"    trace_parent " + id + " NULL,\n" +
					"    saga_context " + long + " NULL,\n" +
					"    aggregate_version " + version + " NULL\n" +
					");",
				"CREATE INDEX outbox_unpublished_idx ON outbox (published_at, seq);",
				"CREATE UNIQUE INDEX outbox_aggregate_version_idx ON outbox (aggregate_id, aggregate_version);",
				"CREATE TABLE processed_events (\n" +
					"    consumer " + subject + " NOT NULL,\n" +
					"    event_id " + id + " NOT NULL,\n" +
					"    processed_at " + ts + " NOT NULL,\n" +
					"    PRIMARY KEY (consumer, event_id)\n" +
					");",
				"CREATE TABLE idempotency_keys (\n" +
					"    idem_key " + subject + " NOT NULL,\n" +
					"    method " + subject + " NOT NULL,\n" +
					"    response " + blob + " NOT NULL,\n" +
					"    created_at " + ts + " NOT NULL,\n" +
					"    PRIMARY KEY (idem_key, method)\n" +
					");",
			},
			[]string{"DROP TABLE idempotency_keys;", "DROP TABLE processed_events;", "DROP TABLE outbox;"}
	case model.PlatformSnapshots:
		return []string{
				"CREATE TABLE snapshots (\n" +
					"    aggregate_id " + subject + " NOT NULL PRIMARY KEY,\n" +
					"    version " + version + " NOT NULL,\n" +
					"    state " + blob + " NOT NULL,\n" +
					"    taken_at " + ts + " NOT NULL\n" +
					");",
				"CREATE TABLE projection_checkpoints (\n" +
					"    name " + subject + " NOT NULL PRIMARY KEY,\n" +
					"    last_seq " + version + " NOT NULL,\n" +
					"    updated_at " + ts + " NOT NULL\n" +
					");",
			},
			[]string{"DROP TABLE projection_checkpoints;", "DROP TABLE snapshots;"}
	case model.PlatformSagas:
		intType := map[string]string{dialectPostgres: "INTEGER", dialectMySQL: "INT", dialectSQLite: "INTEGER"}[dialect]
		return []string{
				"CREATE TABLE sagas (\n" +
					"    id " + id + " NOT NULL PRIMARY KEY,\n" +
					"    name " + subject + " NOT NULL,\n" +
					"    subject " + subject + " NOT NULL,\n" +
					"    status " + id + " NOT NULL,\n" +
					"    step " + intType + " NOT NULL,\n" +
					"    failed_step " + subject + " NULL,\n" +
					"    last_error " + long + " NULL,\n" +
					"    attempts " + intType + " NOT NULL,\n" +
					"    next_attempt_at " + ts + " NOT NULL,\n" +
					"    trigger_payload " + blob + " NOT NULL,\n" +
					"    trace_parent " + id + " NULL,\n" +
					"    created_at " + ts + " NOT NULL,\n" +
					"    updated_at " + ts + " NOT NULL\n" +
					");",
				"CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);",
				"CREATE INDEX sagas_subject_idx ON sagas (subject);",
				"CREATE TABLE saga_log (\n" +
					"    seq " + seq + ",\n" +
					"    saga_id " + id + " NOT NULL,\n" +
					"    step " + subject + " NOT NULL,\n" +
					"    action " + id + " NOT NULL,\n" +
					"    outcome " + id + " NOT NULL,\n" +
					"    last_error " + long + " NULL,\n" +
					"    logged_at " + ts + " NOT NULL\n" +
					");",
				"CREATE INDEX saga_log_saga_idx ON saga_log (saga_id, seq);",
			},
			[]string{"DROP TABLE saga_log;", "DROP TABLE sagas;"}
	case model.PlatformLeases:
		return leasesDDL(dialect)
	}
	panic("internal error: unknown platform table group " + group)
}

// sagaLeasesDDL adds to table sagas, with or without tenancy, the version
// each transition is saved over (0 for the sagas already there) and the
// lease a saga runner holds a saga by: its owner and until when, NULL for
// none, so that every saga already there is free to take. The saga
// runner's due index (status, next_attempt_at) still narrows its look for
// due sagas; the lease columns filter what it finds.
func sagaLeasesDDL(dialect string) (up, down []string) {
	owner := map[string]string{dialectPostgres: "TEXT", dialectMySQL: "VARCHAR(255)", dialectSQLite: "TEXT"}[dialect]
	version := map[string]string{dialectPostgres: "BIGINT", dialectMySQL: "BIGINT", dialectSQLite: "INTEGER"}[dialect]
	ts := map[string]string{dialectPostgres: "TIMESTAMPTZ", dialectMySQL: "DATETIME(6)", dialectSQLite: "TIMESTAMP"}[dialect]
	return []string{
			"ALTER TABLE sagas ADD COLUMN version " + version + " NOT NULL DEFAULT 0;",
			"ALTER TABLE sagas ADD COLUMN lease_owner " + owner + " NULL;",
			"ALTER TABLE sagas ADD COLUMN lease_until " + ts + " NULL;",
		},
		[]string{
			"ALTER TABLE sagas DROP COLUMN lease_until;",
			"ALTER TABLE sagas DROP COLUMN lease_owner;",
			"ALTER TABLE sagas DROP COLUMN version;",
		}
}

// leasesDDL creates the leases of the service's background workers that
// run on one replica at a time (package lease): a row per worker, its
// holder, fencing token and expiry. Leases are the service's, not a
// tenant's, with tenancy too: those workers follow every tenant's rows.
func leasesDDL(dialect string) (up, down []string) {
	name := map[string]string{dialectPostgres: "TEXT", dialectMySQL: "VARCHAR(255)", dialectSQLite: "TEXT"}[dialect]
	token := map[string]string{dialectPostgres: "BIGINT", dialectMySQL: "BIGINT", dialectSQLite: "INTEGER"}[dialect]
	ts := map[string]string{dialectPostgres: "TIMESTAMPTZ", dialectMySQL: "DATETIME(6)", dialectSQLite: "TIMESTAMP"}[dialect]
	return []string{
			"CREATE TABLE leases (\n" +
				"    name " + name + " NOT NULL PRIMARY KEY,\n" +
				"    owner " + name + " NOT NULL,\n" +
				"    token " + token + " NOT NULL,\n" +
				"    acquired_at " + ts + " NOT NULL,\n" +
				"    expires_at " + ts + " NOT NULL\n" +
				");",
		},
		[]string{"DROP TABLE leases;"}
}

// tenantPlatformDDL is platformDDL with tenancy: every row of the outbox
// (the event store of event-sourced services), processed_events,
// idempotency_keys, snapshots, sagas and saga_log holds its tenant, which
// starts their keys and the indexes queries look rows up by, so the same
// aggregate id, event id, idempotency key or saga id in two tenants are two
// rows. Two indexes do not start with it: the relay's (unpublished events)
// and the saga runner's (due sagas), which the service's own background
// workers scan across tenants, each row then handled in its tenant. The
// projection checkpoints and the leases are the service's, not a
// tenant's: a projector follows the whole event store, and the workers
// holding leases every tenant's rows.
func tenantPlatformDDL(dialect, group, tenant string) (up, down []string) {
	types := map[string][]string{
		dialectPostgres: {"BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "TEXT", "TEXT", "TEXT", "BYTEA", "TIMESTAMPTZ"},
		dialectMySQL:    {"BIGINT AUTO_INCREMENT PRIMARY KEY", "VARCHAR(64)", "VARCHAR(255)", "VARCHAR(255)", "LONGBLOB", "DATETIME(6)"},
		dialectSQLite:   {"INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "TEXT", "TEXT", "BLOB", "TIMESTAMP"},
	}[dialect]
	seq, id, text, subject, blob, ts := types[0], types[1], types[2], types[3], types[4], types[5]
	long := map[string]string{dialectPostgres: "TEXT", dialectMySQL: "MEDIUMTEXT", dialectSQLite: "TEXT"}[dialect]
	version := map[string]string{dialectPostgres: "BIGINT", dialectMySQL: "BIGINT", dialectSQLite: "INTEGER"}[dialect]
	tc := quoteIdent(dialect, tenant)
	tenantCol := "    " + tc + " " + tenantType(dialect) + " NOT NULL,\n"
	switch group {
	case model.PlatformOutbox:
		return []string{
				"CREATE TABLE outbox (\n" +
					"    seq " + seq + ",\n" +
					tenantCol +
					"    id " + id + " NOT NULL UNIQUE,\n" +
					"    aggregate_id " + subject + " NOT NULL,\n" +
					"    event_type " + text + " NOT NULL,\n" +
					"    subject " + subject + " NOT NULL,\n" +
					"    payload " + blob + " NOT NULL,\n" +
					"    occurred_at " + ts + " NOT NULL,\n" +
					"    published_at " + ts + " NULL,\n" +
					"    trace_parent " + id + " NULL,\n" +
					"    saga_context " + long + " NULL,\n" +
					"    aggregate_version " + version + " NULL\n" +
					");",
				"CREATE INDEX outbox_unpublished_idx ON outbox (published_at, seq);",
				"CREATE UNIQUE INDEX outbox_aggregate_version_idx ON outbox (" + tc + ", aggregate_id, aggregate_version);",
				"CREATE TABLE processed_events (\n" +
					tenantCol +
					"    consumer " + subject + " NOT NULL,\n" +
					"    event_id " + id + " NOT NULL,\n" +
					"    processed_at " + ts + " NOT NULL,\n" +
					"    PRIMARY KEY (" + tc + ", consumer, event_id)\n" +
					");",
				"CREATE TABLE idempotency_keys (\n" +
					tenantCol +
					"    idem_key " + subject + " NOT NULL,\n" +
					"    method " + subject + " NOT NULL,\n" +
					"    response " + blob + " NOT NULL,\n" +
					"    created_at " + ts + " NOT NULL,\n" +
					"    PRIMARY KEY (" + tc + ", idem_key, method)\n" +
					");",
			},
			[]string{"DROP TABLE idempotency_keys;", "DROP TABLE processed_events;", "DROP TABLE outbox;"}
	case model.PlatformSnapshots:
		return []string{
				"CREATE TABLE snapshots (\n" +
					tenantCol +
					"    aggregate_id " + subject + " NOT NULL,\n" +
					"    version " + version + " NOT NULL,\n" +
					"    state " + blob + " NOT NULL,\n" +
					"    taken_at " + ts + " NOT NULL,\n" +
					"    PRIMARY KEY (" + tc + ", aggregate_id)\n" +
					");",
				"CREATE TABLE projection_checkpoints (\n" +
					"    name " + subject + " NOT NULL PRIMARY KEY,\n" +
					"    last_seq " + version + " NOT NULL,\n" +
					"    updated_at " + ts + " NOT NULL\n" +
					");",
			},
			[]string{"DROP TABLE projection_checkpoints;", "DROP TABLE snapshots;"}
	case model.PlatformSagas:
		intType := map[string]string{dialectPostgres: "INTEGER", dialectMySQL: "INT", dialectSQLite: "INTEGER"}[dialect]
		return []string{
				"CREATE TABLE sagas (\n" +
					tenantCol +
					"    id " + id + " NOT NULL,\n" +
					"    name " + subject + " NOT NULL,\n" +
					"    subject " + subject + " NOT NULL,\n" +
					"    status " + id + " NOT NULL,\n" +
					"    step " + intType + " NOT NULL,\n" +
					"    failed_step " + subject + " NULL,\n" +
					"    last_error " + long + " NULL,\n" +
					"    attempts " + intType + " NOT NULL,\n" +
					"    next_attempt_at " + ts + " NOT NULL,\n" +
					"    trigger_payload " + blob + " NOT NULL,\n" +
					"    trace_parent " + id + " NULL,\n" +
					"    created_at " + ts + " NOT NULL,\n" +
					"    updated_at " + ts + " NOT NULL,\n" +
					"    PRIMARY KEY (" + tc + ", id)\n" +
					");",
				"CREATE INDEX sagas_due_idx ON sagas (status, next_attempt_at);",
				"CREATE INDEX sagas_subject_idx ON sagas (" + tc + ", subject);",
				"CREATE TABLE saga_log (\n" +
					"    seq " + seq + ",\n" +
					tenantCol +
					"    saga_id " + id + " NOT NULL,\n" +
					"    step " + subject + " NOT NULL,\n" +
					"    action " + id + " NOT NULL,\n" +
					"    outcome " + id + " NOT NULL,\n" +
					"    last_error " + long + " NULL,\n" +
					"    logged_at " + ts + " NOT NULL\n" +
					");",
				"CREATE INDEX saga_log_saga_idx ON saga_log (" + tc + ", saga_id, seq);",
			},
			[]string{"DROP TABLE saga_log;", "DROP TABLE sagas;"}
	case model.PlatformLeases:
		return leasesDDL(dialect)
	}
	panic("internal error: unknown platform table group " + group)
}
