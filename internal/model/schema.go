package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// SchemaLock is the database history of a repository: per service, every
// migration generated so far, as the operations it consists of (from which
// it is rendered again byte for byte), and the schema they build. An
// applied migration is history: a change of the blueprint becomes the next
// migration, never an edit of an earlier one. It is committed with the
// repository as .microforge/schema.json.
type SchemaLock struct {
	Version  int                       `json:"version"`
	Services map[string]*ServiceRecord `json:"services"` // by service name
}

// SchemaLockVersion is the format version of SchemaLock.
const SchemaLockVersion = 1

// ServiceRecord is one service's migrations and the schema they build.
type ServiceRecord struct {
	Schema     *Schema            `json:"schema"`
	Migrations []*MigrationRecord `json:"migrations"`
}

// MigrationRecord is one generated migration: its version (the same in
// every dialect), the name in its file name, and its operations in order.
type MigrationRecord struct {
	Version int        `json:"version"`
	Name    string     `json:"name"`
	Ops     []SchemaOp `json:"ops"`
}

// Schema is a service's database as its migrations leave it: the platform
// table groups it has and its entity tables, columns in the order the
// database holds them.
type Schema struct {
	Platform []string `json:"platform"` // PlatformOutbox, PlatformSnapshots, PlatformSagas, PlatformSagaLeases, PlatformLeases, in the order created
	// Tenant is the tenant column of the platform tables (tenancy), ""
	// without tenancy: their create_platform operations say it.
	Tenant string   `json:"tenant,omitempty"`
	Tables []*Table `json:"tables"`
}

// Platform table groups: tables the platform packages read and write, which
// a service gets from its first migration on or when it starts needing
// them.
const (
	PlatformOutbox    = "outbox"    // outbox, processed_events, idempotency_keys: every service
	PlatformSnapshots = "snapshots" // snapshots, projection_checkpoints: event-sourced services
	PlatformSagas     = "sagas"     // sagas, saga_log: services keeping saga state
	// PlatformSagaLeases adds to table sagas the version every transition
	// is saved over and the lease (owner, expiry) a runner holds a saga by,
	// so that replicas on one database advance each saga once: services
	// keeping saga state, after PlatformSagas.
	PlatformSagaLeases = "saga_leases"
	// PlatformLeases: leases, every service. Its background workers that
	// run on one replica at a time (outbox relay, projectors, pruning) hold
	// them. Added after the others: repositories generated before get it
	// in a migration of its own.
	PlatformLeases = "leases"
)

// platformGroups are the known platform table groups.
var platformGroups = []string{PlatformOutbox, PlatformSnapshots, PlatformSagas, PlatformSagaLeases, PlatformLeases}

// Table is an entity's table.
type Table struct {
	Name   string `json:"name"`
	Entity string `json:"entity"` // the entity it stores, "Order"
	// Tenant is the column holding the tenant (tenancy), "" without: it
	// comes first, before Columns, in the primary key (tenant, id) and in
	// every index.
	Tenant  string    `json:"tenant,omitempty"`
	Columns []*Column `json:"columns"`
	Indexes []*Index  `json:"indexes,omitempty"`
}

// Column is one column, by logical type: the generator spells the type in
// each dialect.
type Column struct {
	Name    string     `json:"name"`
	Type    ColumnType `json:"type"`
	Key     bool       `json:"key,omitempty"`      // the primary key, the entity's id
	NotNull bool       `json:"not_null,omitempty"` // NOT NULL
	// Default is the value rows get when an insert leaves the column out
	// (columns added to a table holding rows have one): "" for text, "0",
	// "false", an enum value's text. nil for none.
	Default *string `json:"default,omitempty"`
}

// Index is a single-column index.
type Index struct {
	Name   string `json:"name"`
	Column string `json:"column"`
}

// ColumnType is how a column stores an entity field, independently of the
// dialect.
type ColumnType string

// Column types.
const (
	ColString    ColumnType = "string"
	ColBool      ColumnType = "bool"
	ColInt32     ColumnType = "int32"
	ColInt64     ColumnType = "int64"
	ColDouble    ColumnType = "double"
	ColBytes     ColumnType = "bytes"
	ColTimestamp ColumnType = "timestamp"
	ColEnum      ColumnType = "enum" // the value's text
	ColJSON      ColumnType = "json" // messages and lists
)

// ColumnTypeOf returns the column type storing a field of type t.
func ColumnTypeOf(t *Type) ColumnType {
	switch t.Kind {
	case EnumType:
		return ColEnum
	case MessageType, ListType:
		return ColJSON
	}
	return ColumnType(t.Scalar)
}

// Nullable reports whether columns of the type hold NULL for "no value".
func (c ColumnType) Nullable() bool {
	return c == ColBytes || c == ColTimestamp || c == ColJSON
}

// OpKind names a schema operation.
type OpKind string

// Schema operations.
const (
	OpCreatePlatform OpKind = "create_platform" // Group
	OpCreateTable    OpKind = "create_table"    // Create (Table is its name)
	OpDropTable      OpKind = "drop_table"      // Table
	OpAddColumn      OpKind = "add_column"      // Table, Def, and Index when it is indexed
	OpDropColumn     OpKind = "drop_column"     // Table, Column (its indexes go with it)
	OpRenameColumn   OpKind = "rename_column"   // Table, From, Column (the new name)
	OpAlterColumn    OpKind = "alter_column"    // Table, Column, Def (its new definition, another type)
	OpAddIndex       OpKind = "add_index"       // Table, Column, Index
	OpDropIndex      OpKind = "drop_index"      // Table, Index
)

// SchemaOp is one step of a migration.
type SchemaOp struct {
	Op     OpKind  `json:"op"`
	Group  string  `json:"group,omitempty"`
	Tenant string  `json:"tenant,omitempty"` // create_platform: the tenant column of its tables (tenancy)
	Table  string  `json:"table,omitempty"`
	Create *Table  `json:"create,omitempty"`
	Column string  `json:"column,omitempty"`
	From   string  `json:"from,omitempty"`
	Def    *Column `json:"def,omitempty"`
	Index  string  `json:"index,omitempty"`
}

// Migration is one migration of a service as Compile decided it: one the
// history records, or the one this generation adds.
type Migration struct {
	Version int // the same in every dialect
	Name    string
	Ops     []SchemaOp
	// New: decided by this generation (every migration of a service
	// generated for the first time; otherwise at most one).
	New bool
	// Before is the schema the migration starts from.
	Before *Schema
}

// File is the migration's file name, "00003_add_orders_note.sql".
func (m *Migration) File() string { return fmt.Sprintf("%05d_%s.sql", m.Version, m.Name) }

// DataLoss is a destructive step of a new migration: it needs the same
// acknowledgement as a breaking API change.
type DataLoss struct {
	Service string
	Version int
	Path    string // what allow_breaking lists to accept it: "orders.Order.note", "orders.Order"
	Message string // "drops column note of table orders: every order's note is lost"
	Undo    string // how to keep the data instead: "keep the field"
	Entity  *Entity
	Field   *Field // the field, when it still exists (type changes)
}

// Table returns the table named name, or nil.
func (s *Schema) Table(name string) *Table {
	for _, t := range s.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Column returns the column named name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// IndexOn returns the first index on the column, or nil.
func (t *Table) IndexOn(column string) *Index {
	for _, ix := range t.Indexes {
		if ix.Column == column {
			return ix
		}
	}
	return nil
}

// Index returns the index named name, or nil.
func (t *Table) Index(name string) *Index {
	for _, ix := range t.Indexes {
		if ix.Name == name {
			return ix
		}
	}
	return nil
}

// Clone returns a deep copy.
func (s *Schema) Clone() *Schema {
	out := &Schema{Platform: slices.Clone(s.Platform), Tenant: s.Tenant}
	for _, t := range s.Tables {
		out.Tables = append(out.Tables, t.Clone())
	}
	return out
}

// Clone returns a deep copy.
func (t *Table) Clone() *Table {
	out := &Table{Name: t.Name, Entity: t.Entity, Tenant: t.Tenant}
	for _, c := range t.Columns {
		out.Columns = append(out.Columns, c.Clone())
	}
	for _, ix := range t.Indexes {
		cp := *ix
		out.Indexes = append(out.Indexes, &cp)
	}
	return out
}

// Clone returns a copy.
func (c *Column) Clone() *Column {
	cp := *c
	if c.Default != nil {
		d := *c.Default
		cp.Default = &d
	}
	return &cp
}

// Apply returns the schema after op, leaving s as it is. It fails when op
// does not apply to s (a table or column that is not there, or already is).
func (s *Schema) Apply(op SchemaOp) (*Schema, error) {
	out := s.Clone()
	var t *Table
	if op.Op != OpCreatePlatform && op.Op != OpCreateTable {
		if t = out.Table(op.Table); t == nil {
			return nil, fmt.Errorf("%s: no table %q", op.Op, op.Table)
		}
	}
	switch op.Op {
	case OpCreatePlatform:
		if !slices.Contains(platformGroups, op.Group) {
			return nil, fmt.Errorf("%s: unknown group %q", op.Op, op.Group)
		}
		if op.Group == PlatformSagaLeases && !slices.Contains(out.Platform, PlatformSagas) {
			return nil, fmt.Errorf("%s %s: no saga tables to add the leases to", op.Op, op.Group)
		}
		if slices.Contains(out.Platform, op.Group) {
			return nil, fmt.Errorf("%s: group %q exists", op.Op, op.Group)
		}
		if len(out.Platform) > 0 && op.Tenant != out.Tenant {
			return nil, fmt.Errorf("%s %s: tenant column %q, but the platform tables have %q", op.Op, op.Group, op.Tenant, out.Tenant)
		}
		out.Platform = append(out.Platform, op.Group)
		out.Tenant = op.Tenant
	case OpCreateTable:
		if op.Create == nil || op.Create.Name != op.Table || out.Table(op.Table) != nil || len(op.Create.Columns) == 0 {
			return nil, fmt.Errorf("%s %q: no table definition, or the table exists", op.Op, op.Table)
		}
		if len(out.Platform) > 0 && op.Create.Tenant != out.Tenant {
			return nil, fmt.Errorf("%s %q: tenant column %q, but the platform tables have %q", op.Op, op.Table, op.Create.Tenant, out.Tenant)
		}
		out.Tables = append(out.Tables, op.Create.Clone())
	case OpDropTable:
		out.Tables = slices.DeleteFunc(out.Tables, func(x *Table) bool { return x == t })
	case OpAddColumn:
		if op.Def == nil || t.Column(op.Def.Name) != nil || op.Def.Key {
			return nil, fmt.Errorf("%s %s: no column definition, or the column exists", op.Op, op.Table)
		}
		if op.Def.NotNull && op.Def.Default == nil {
			return nil, fmt.Errorf("%s %s.%s: NOT NULL without a default", op.Op, op.Table, op.Def.Name)
		}
		t.Columns = append(t.Columns, op.Def.Clone())
		if op.Index != "" {
			t.Indexes = append(t.Indexes, &Index{Name: op.Index, Column: op.Def.Name})
		}
	case OpDropColumn:
		c := t.Column(op.Column)
		if c == nil || c.Key {
			return nil, fmt.Errorf("%s %s.%s: no such column, or it is the key", op.Op, op.Table, op.Column)
		}
		t.Columns = slices.DeleteFunc(t.Columns, func(x *Column) bool { return x == c })
		t.Indexes = slices.DeleteFunc(t.Indexes, func(ix *Index) bool { return ix.Column == op.Column })
	case OpRenameColumn:
		c := t.Column(op.From)
		if c == nil || t.Column(op.Column) != nil || op.Column == "" {
			return nil, fmt.Errorf("%s %s.%s: no such column, or %q exists", op.Op, op.Table, op.From, op.Column)
		}
		c.Name = op.Column
		for _, ix := range t.Indexes {
			if ix.Column == op.From {
				ix.Column = op.Column
			}
		}
	case OpAlterColumn:
		c := t.Column(op.Column)
		if c == nil || c.Key || op.Def == nil || op.Def.Name != op.Column {
			return nil, fmt.Errorf("%s %s.%s: no such column, or no definition", op.Op, op.Table, op.Column)
		}
		*c = *op.Def.Clone()
	case OpAddIndex:
		if t.Column(op.Column) == nil || op.Index == "" || t.Index(op.Index) != nil {
			return nil, fmt.Errorf("%s %s.%s: no such column, or index %q exists", op.Op, op.Table, op.Column, op.Index)
		}
		t.Indexes = append(t.Indexes, &Index{Name: op.Index, Column: op.Column})
	case OpDropIndex:
		ix := t.Index(op.Index)
		if ix == nil {
			return nil, fmt.Errorf("%s %s: no index %q", op.Op, op.Table, op.Index)
		}
		t.Indexes = slices.DeleteFunc(t.Indexes, func(x *Index) bool { return x == ix })
	default:
		return nil, fmt.Errorf("unknown operation %q", op.Op)
	}
	return out, nil
}

// Replay returns the schema the migrations build from an empty database,
// and the schema each starts from.
func Replay(ms []*MigrationRecord) (schema *Schema, before []*Schema, err error) {
	schema = &Schema{}
	for _, m := range ms {
		before = append(before, schema)
		for _, op := range m.Ops {
			if schema, err = schema.Apply(op); err != nil {
				return nil, nil, fmt.Errorf("migration %05d_%s: %w", m.Version, m.Name, err)
			}
		}
	}
	return schema, before, nil
}

// Check reports a lock whose migrations do not build the schema it
// records, or are not numbered in ascending order: a lock edited by hand
// or damaged.
func (l *SchemaLock) Check() error {
	for _, name := range sortedKeys(l.Services) {
		rec := l.Services[name]
		if rec == nil || rec.Schema == nil {
			return fmt.Errorf("service %s: no schema", name)
		}
		last := 0
		for _, m := range rec.Migrations {
			if m.Version <= last || !validMigrationName(m.Name) {
				return fmt.Errorf("service %s: migration %d %q is out of order or misnamed", name, m.Version, m.Name)
			}
			last = m.Version
		}
		got, _, err := Replay(rec.Migrations)
		if err != nil {
			return fmt.Errorf("service %s: %w", name, err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(rec.Schema)
		if string(a) != string(b) {
			return fmt.Errorf("service %s: its migrations do not build the schema it records", name)
		}
	}
	return nil
}

func validMigrationName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decideMigrations decides every service's migrations from the history
// (sys.History.Schema): the recorded ones, then — when the blueprint's
// schema differs from the one they build — one new migration, numbered
// after every version recorded or present in the service's migration
// folders. A service without a record gets its first migrations: the
// platform tables, then one per entity in blueprint order. It records the
// new lock in sys.Schema and the destructive steps in sys.DataLoss.
func decideMigrations(sys *System) {
	var prev *SchemaLock
	var onDisk map[string][]int
	if sys.History != nil {
		prev, onDisk = sys.History.Schema, sys.History.MigrationFiles
	}
	next := &SchemaLock{Version: SchemaLockVersion, Services: map[string]*ServiceRecord{}}
	sys.DataLoss = nil
	sys.TenancyChanges = nil
	for _, svc := range sys.Services {
		want := wantedSchema(svc, sys.TenantColumn())
		var rec *ServiceRecord
		if prev != nil {
			rec = prev.Services[svc.Name]
		}
		var records []*MigrationRecord
		if rec == nil {
			records = firstMigrations(want)
		} else {
			records = slices.Clone(rec.Migrations)
		}
		schema, before, err := Replay(records)
		if err != nil {
			panic("internal error: " + err.Error()) // ReadHistory checked the lock
		}
		svc.Migrations = nil
		for i, r := range records {
			svc.Migrations = append(svc.Migrations, &Migration{Version: r.Version, Name: r.Name, Ops: r.Ops, New: rec == nil, Before: before[i]})
		}
		if rec != nil && schema.Tenant != want.Tenant {
			// Rows already stored belong to no tenant (or to tenants
			// about to be merged): refused (see TenancyChange); the rest
			// of the blueprint is compared as if tenancy had not changed.
			sys.TenancyChanges = append(sys.TenancyChanges, TenancyChange{Service: svc.Name, From: schema.Tenant, To: want.Tenant, Migrations: len(records)})
			want = want.withTenant(schema.Tenant)
		}
		if rec != nil {
			ops, losses := diffSchema(svc, schema, want)
			if len(ops) > 0 {
				last := 0
				for _, r := range records {
					last = max(last, r.Version)
				}
				for _, v := range onDisk[svc.Name] {
					last = max(last, v)
				}
				r := &MigrationRecord{Version: last + 1, Name: migrationName(ops), Ops: ops}
				m := &Migration{Version: r.Version, Name: r.Name, Ops: ops, New: true, Before: schema}
				for _, op := range ops {
					if schema, err = schema.Apply(op); err != nil {
						panic(fmt.Sprintf("internal error: service %s: %v", svc.Name, err))
					}
				}
				for i := range losses {
					losses[i].Service, losses[i].Version = svc.Name, r.Version
				}
				sys.DataLoss = append(sys.DataLoss, losses...)
				records = append(records, r)
				svc.Migrations = append(svc.Migrations, m)
			}
		}
		svc.Schema = schema
		next.Services[svc.Name] = &ServiceRecord{Schema: schema, Migrations: records}
	}
	// A service removed from the blueprint keeps its record: declared
	// again, it carries on from the database it left.
	if prev != nil {
		for name, rec := range prev.Services {
			if next.Services[name] == nil {
				next.Services[name] = rec
			}
		}
	}
	sys.Schema = next
}

// wantedSchema is the schema the blueprint asks for: the platform groups
// the service needs and one table per entity, with an index on every
// column a query filters on or an upsert looks entities up by; with
// tenancy, every table holds the tenant column.
func wantedSchema(svc *Service, tenant string) *Schema {
	s := &Schema{Platform: []string{PlatformOutbox}, Tenant: tenant}
	if svc.EventSourced {
		s.Platform = append(s.Platform, PlatformSnapshots)
	}
	if len(svc.Orchestrates) > 0 || len(svc.Tracks) > 0 {
		s.Platform = append(s.Platform, PlatformSagas, PlatformSagaLeases)
	}
	s.Platform = append(s.Platform, PlatformLeases)
	for _, e := range svc.Entities {
		t := &Table{Name: e.Table, Entity: e.Name(), Tenant: tenant}
		for i, f := range e.Message.Fields {
			c := &Column{Name: f.Column, Type: ColumnTypeOf(f.Type), Key: i == 0}
			c.NotNull = !c.Key && !c.Type.Nullable()
			t.Columns = append(t.Columns, c)
			if i > 0 && f.Indexed {
				t.Indexes = append(t.Indexes, &Index{Name: e.Table + "_" + f.Column + "_idx", Column: f.Column})
			}
		}
		s.Tables = append(s.Tables, t)
	}
	return s
}

// withTenant returns a copy of s whose tables (and platform tables) hold
// the tenant column tenant.
func (s *Schema) withTenant(tenant string) *Schema {
	out := s.Clone()
	out.Tenant = tenant
	for _, t := range out.Tables {
		t.Tenant = tenant
	}
	return out
}

// TenancyChange is a service whose recorded migrations scope its tables
// to tenants otherwise than the blueprint does (tenancy added, removed or
// its column renamed): generation refuses it, as no migration can say
// which tenant the rows already stored belong to.
type TenancyChange struct {
	Service    string
	From, To   string // tenant columns, "" without tenancy
	Migrations int    // how many migrations the history records
}

// firstMigrations are the migrations of a service generated for the first
// time: 00001 the platform tables, then one per entity in blueprint order.
func firstMigrations(want *Schema) []*MigrationRecord {
	first := &MigrationRecord{Version: 1, Name: "outbox"}
	for _, g := range want.Platform {
		first.Ops = append(first.Ops, SchemaOp{Op: OpCreatePlatform, Group: g, Tenant: want.Tenant})
	}
	out := []*MigrationRecord{first}
	for i, t := range want.Tables {
		out = append(out, &MigrationRecord{Version: i + 2, Name: t.Name, Ops: []SchemaOp{{Op: OpCreateTable, Table: t.Name, Create: t.Clone()}}})
	}
	return out
}

// decideIndexes marks the entity fields a query filters on in SQL or an
// upsert command looks its entity up by: their columns are indexed.
func decideIndexes(svc *Service) {
	for _, e := range svc.Entities {
		for _, f := range e.Message.Fields {
			f.Indexed = false
		}
	}
	for _, q := range svc.Queries {
		if q.Entity == nil {
			continue
		}
		for _, f := range q.Filters {
			if SQLComparable(f.Column) {
				f.Column.Indexed = true
			}
		}
	}
	for _, c := range svc.Commands {
		if c.Mode != ModeUpsert {
			continue
		}
		if f := c.LookupColumn(); f != nil {
			f.Indexed = true
		}
	}
	// Lists of an owned entity select the caller's rows.
	for _, e := range svc.Owned() {
		e.Owner.Field.Indexed = true
	}
}

// SQLComparable reports whether SQL equality on the field's column matches
// Go equality, so that queries may filter on it in SQL.
func SQLComparable(f *Field) bool {
	switch f.Type.Kind {
	case EnumType:
		return true
	case ScalarType:
		return f.Type.Scalar != Bytes
	}
	return false
}

// LookupColumn is the entity field an upsert command looks its entity up
// by: the one its lookup input is assigned to, else the entity field of the
// same name.
func (c *Command) LookupColumn() *Field {
	for _, a := range c.Assign {
		if a.Source == c.Lookup {
			return a.Target
		}
	}
	return c.Entity.Message.Field(c.Lookup.Name)
}

// diffSchema returns the operations turning have into want, and the data
// they lose. Platform groups are only ever added (a service that stops
// needing one keeps its tables); columns of a field with renamed_from are
// renamed; a column whose type changes is converted when the dialects can,
// otherwise dropped and added again.
func diffSchema(svc *Service, have, want *Schema) ([]SchemaOp, []DataLoss) {
	var ops []SchemaOp
	var losses []DataLoss
	taken := map[string]bool{} // index names in use
	for _, t := range have.Tables {
		for _, ix := range t.Indexes {
			taken[ix.Name] = true
		}
	}
	for _, g := range want.Platform {
		if !slices.Contains(have.Platform, g) {
			ops = append(ops, SchemaOp{Op: OpCreatePlatform, Group: g, Tenant: want.Tenant})
		}
	}
	for _, wt := range want.Tables {
		if have.Table(wt.Name) == nil {
			t := wt.Clone()
			for _, ix := range t.Indexes {
				ix.Name = uniqueIndex(taken, ix.Name)
			}
			ops = append(ops, SchemaOp{Op: OpCreateTable, Table: t.Name, Create: t})
		}
	}
	for _, wt := range want.Tables {
		if ht := have.Table(wt.Name); ht != nil {
			tops, tlosses := diffTable(svc, svc.Entity(wt.Entity), ht, wt, taken)
			ops, losses = append(ops, tops...), append(losses, tlosses...)
		}
	}
	for _, ht := range have.Tables {
		if want.Table(ht.Name) == nil {
			ops = append(ops, SchemaOp{Op: OpDropTable, Table: ht.Name})
			losses = append(losses, DataLoss{
				Path:    svc.Name + "." + ht.Entity,
				Message: fmt.Sprintf("drops table %s: every %s is lost", ht.Name, noun(ht.Entity)),
				Undo:    "keep the entity",
				Entity:  svc.Entity(ht.Entity),
			})
		}
	}
	return ops, losses
}

// diffTable returns the operations turning table have into want, in an
// order every dialect can run: indexes that go, dropped columns (before an
// SQLite rebuild copies them), renames, type changes, added columns, new
// indexes.
func diffTable(svc *Service, e *Entity, have, want *Table, taken map[string]bool) ([]SchemaOp, []DataLoss) {
	renamedFrom := map[string]string{}
	if e != nil {
		for _, f := range e.Message.Fields {
			if f.RenamedFrom != "" {
				renamedFrom[f.Column] = f.RenamedFrom
			}
		}
	}
	field := func(col string) *Field {
		if e == nil {
			return nil
		}
		return e.Message.Field(col)
	}
	// source pairs each wanted column with the column it was.
	source := map[string]string{}
	used := map[string]bool{}
	for _, c := range want.Columns {
		if have.Column(c.Name) != nil {
			source[c.Name], used[c.Name] = c.Name, true
		}
	}
	for _, c := range want.Columns {
		old := renamedFrom[c.Name]
		if _, ok := source[c.Name]; ok || old == "" || have.Column(old) == nil || used[old] || want.Column(old) != nil {
			continue
		}
		source[c.Name], used[old] = old, true
	}
	path := svc.Name + "." + want.Entity
	var losses []DataLoss
	replaced := map[string]bool{}
	for _, c := range want.Columns {
		old, ok := source[c.Name]
		if !ok {
			continue
		}
		hc := have.Column(old)
		if hc.Type == c.Type {
			continue
		}
		convertible, narrowing := Convertible(hc.Type, c.Type)
		switch {
		case !convertible:
			replaced[c.Name] = true
			losses = append(losses, DataLoss{
				Path:    path + "." + c.Name,
				Message: fmt.Sprintf("replaces column %s of table %s (%s values cannot become %s): every %s's %s is lost", c.Name, want.Name, hc.Type, c.Type, noun(want.Entity), c.Name),
				Undo:    "add a field with a new name instead",
				Entity:  e, Field: field(c.Name),
			})
		case narrowing:
			losses = append(losses, DataLoss{
				Path:    path + "." + c.Name,
				Message: fmt.Sprintf("changes column %s of table %s from %s to %s: values that do not convert are lost or stop the migration", c.Name, want.Name, hc.Type, c.Type),
				Undo:    "keep the type",
				Entity:  e, Field: field(c.Name),
			})
		}
	}
	var dropIndexes, renames, alters, drops, adds, addIndexes []SchemaOp
	wantedAs := map[string]string{} // have column -> wanted column
	for w, h := range source {
		wantedAs[h] = w
	}
	for _, ix := range have.Indexes {
		w, ok := wantedAs[ix.Column]
		if ok && !replaced[w] && want.IndexOn(w) == nil {
			dropIndexes = append(dropIndexes, SchemaOp{Op: OpDropIndex, Table: have.Name, Index: ix.Name})
		}
	}
	for _, c := range want.Columns {
		old, ok := source[c.Name]
		if !ok {
			adds = append(adds, addColumn(want, c, field(c.Name), taken))
			continue
		}
		if replaced[c.Name] {
			drops = append(drops, SchemaOp{Op: OpDropColumn, Table: have.Name, Column: old})
			adds = append(adds, addColumn(want, c, field(c.Name), taken))
			continue
		}
		if old != c.Name {
			renames = append(renames, SchemaOp{Op: OpRenameColumn, Table: have.Name, From: old, Column: c.Name})
		}
		hc := have.Column(old)
		if hc.Type != c.Type {
			def := &Column{Name: c.Name, Type: c.Type, NotNull: hc.NotNull}
			if hc.Default != nil {
				def.Default = ZeroDefault(c.Type, field(c.Name))
			}
			alters = append(alters, SchemaOp{Op: OpAlterColumn, Table: have.Name, Column: c.Name, Def: def})
		}
		if want.IndexOn(c.Name) != nil && have.IndexOn(old) == nil {
			addIndexes = append(addIndexes, SchemaOp{Op: OpAddIndex, Table: have.Name, Column: c.Name, Index: uniqueIndex(taken, want.Name+"_"+c.Name+"_idx")})
		}
	}
	for _, hc := range have.Columns {
		if !used[hc.Name] {
			drops = append(drops, SchemaOp{Op: OpDropColumn, Table: have.Name, Column: hc.Name})
			losses = append(losses, DataLoss{
				Path:    path + "." + hc.Name,
				Message: fmt.Sprintf("drops column %s of table %s: every %s's %s is lost", hc.Name, have.Name, noun(want.Entity), hc.Name),
				Undo:    "keep the field",
				Entity:  e,
			})
		}
	}
	var ops []SchemaOp
	for _, group := range [][]SchemaOp{dropIndexes, drops, renames, alters, adds, addIndexes} {
		ops = append(ops, group...)
	}
	return ops, losses
}

// addColumn is the operation adding column c to a table holding rows: a
// column that cannot hold NULL gets a default for them.
func addColumn(t *Table, c *Column, f *Field, taken map[string]bool) SchemaOp {
	def := &Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull}
	if def.NotNull {
		def.Default = ZeroDefault(c.Type, f)
	}
	op := SchemaOp{Op: OpAddColumn, Table: t.Name, Def: def}
	if t.IndexOn(c.Name) != nil {
		op.Index = uniqueIndex(taken, t.Name+"_"+c.Name+"_idx")
	}
	return op
}

// ZeroDefault is the default of a NOT NULL column of type t: the value an
// unset field of f has ("" for text, "0", "false"), for an enum its first
// value ("" without f).
func ZeroDefault(t ColumnType, f *Field) *string {
	var v string
	switch t {
	case ColBool:
		v = "false"
	case ColInt32, ColInt64, ColDouble:
		v = "0"
	case ColEnum:
		if f != nil && f.Type.Kind == EnumType && len(f.Type.Enum.Values) > 0 {
			v = f.Type.Enum.Values[0].Name
		}
	}
	return &v
}

// Convertible reports whether the dialects convert a column of type from
// to type to in place, and whether the conversion narrows (values may not
// fit: it loses data or fails). Other changes replace the column.
func Convertible(from, to ColumnType) (ok, narrowing bool) {
	rank := map[ColumnType]int{ColInt32: 1, ColInt64: 2, ColDouble: 3}
	switch {
	case from == to:
		return true, false
	case rank[from] > 0 && rank[to] > 0:
		return true, rank[to] < rank[from]
	case to == ColString && (rank[from] > 0 || from == ColEnum):
		return true, false
	case from == ColString && (rank[to] > 0 || to == ColEnum):
		return true, true
	}
	return false, false
}

// uniqueIndex returns base, or base with a number when another index has
// that name, and takes it.
func uniqueIndex(taken map[string]bool, base string) string {
	name := base
	for n := 2; taken[name]; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	taken[name] = true
	return name
}

// noun is how messages name an entity's rows: "order", "line item".
func noun(entity string) string { return strings.ReplaceAll(Snake(entity), "_", " ") }

// migrationName names a new migration after what it does:
// "add_orders_note", "create_shipments", "alter_orders" (several changes to
// one table), "schema" (changes to several).
func migrationName(ops []SchemaOp) string {
	if len(ops) == 1 {
		op := ops[0]
		switch op.Op {
		case OpCreatePlatform:
			return op.Group
		case OpCreateTable:
			return "create_" + op.Table
		case OpDropTable:
			return "drop_" + op.Table
		case OpAddColumn:
			return "add_" + op.Table + "_" + op.Def.Name
		case OpDropColumn:
			return "drop_" + op.Table + "_" + op.Column
		case OpRenameColumn:
			return "rename_" + op.Table + "_" + op.From
		case OpAlterColumn:
			return "alter_" + op.Table + "_" + op.Column
		case OpAddIndex:
			return "index_" + op.Table + "_" + op.Column
		case OpDropIndex:
			return "drop_" + op.Index
		}
	}
	// Platform groups created together are named after the first: the
	// saga tables and their leases make "sagas".
	if !slices.ContainsFunc(ops, func(op SchemaOp) bool { return op.Op != OpCreatePlatform }) {
		return ops[0].Group
	}
	table := ops[0].Table
	for _, op := range ops {
		if op.Table == "" || op.Table != table {
			return "schema"
		}
	}
	return "alter_" + table
}
