// Package database opens a service's SQL database from a URL, applies its
// migrations and helps write SQL that runs on PostgreSQL, MySQL and SQLite.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver (pure Go, no cgo)
)

// DefaultMaxConns is how many connections to a PostgreSQL or MySQL server
// one process opens at most, unless SetMaxConns changes it. Every replica
// of every service sharing a server counts: 3 replicas of 2 services at 10
// stay well below PostgreSQL's default max_connections of 100. Work beyond
// it waits for a connection instead of failing with "too many clients".
const DefaultMaxConns = 10

// Dialect is the SQL flavour of a database.
type Dialect string

// Supported dialects. Their values name the migration folders.
const (
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
	SQLite   Dialect = "sqlite"
)

// DB is an open database and its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	// group commits InTx's transactions of a SQLite database opened by
	// Open together (txGroup); nil runs each on its own.
	group *txGroup
}

// Querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Open opens and pings the database at url:
//
//   - "" opens the SQLite file <dataDir>/<name>.db, creating dataDir;
//   - "postgres://user:pass@host:5432/db?sslmode=disable" uses pgx;
//   - "mysql://user:pass@tcp(host:3306)/db" uses go-sql-driver/mysql;
//   - "sqlite:path/to/file.db" or "file:path/to/file.db" uses SQLite.
func Open(ctx context.Context, url, dataDir, name string) (*DB, error) {
	var (
		db      *sql.DB
		dialect Dialect
		err     error
	)
	switch {
	case url == "":
		if dataDir == "" {
			dataDir = "data"
		}
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		dialect = SQLite
		db, err = openSQLite(filepath.Join(dataDir, name+".db"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		dialect = Postgres
		db, err = sql.Open("pgx", url)
	case strings.HasPrefix(url, "mysql://"):
		dialect = MySQL
		db, err = openMySQL(strings.TrimPrefix(url, "mysql://"))
	case strings.HasPrefix(url, "sqlite:"):
		dialect = SQLite
		db, err = openSQLite(strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//"))
	case strings.HasPrefix(url, "file:"):
		dialect = SQLite
		db, err = openSQLite(url)
	default:
		return nil, fmt.Errorf("database URL %q: want postgres://, mysql://, sqlite: or file:", Redact(url))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	out := &DB{DB: db, Dialect: dialect}
	if dialect == SQLite {
		out.group = &txGroup{db: db}
	}
	if dialect != SQLite {
		// database/sql keeps 2 idle connections by default: a burst of
		// concurrent work (the saga runner's workers, concurrent requests)
		// would open and close server connections, each costing a backend
		// process on PostgreSQL, over and over. And it opens as many as
		// the work asks for, without a bound.
		out.SetMaxConns(DefaultMaxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database %s: %w (start the server and create the database, or correct the URL)", dialect, Redact(url), err)
	}
	return out, nil
}

// SetMaxConns bounds the connections to a PostgreSQL or MySQL server at n
// (DefaultMaxConns when n <= 0), all of which stay open while idle. SQLite
// databases keep their own setting.
func (db *DB) SetMaxConns(n int) {
	if db.Dialect == SQLite {
		return
	}
	if n <= 0 {
		n = DefaultMaxConns
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
}

func openMySQL(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Report rows matched, not rows changed, so that an UPDATE that changes
	// nothing is not mistaken for a missing row.
	cfg.ClientFoundRows = true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

// Redact hides the password of a database URL in messages.
func Redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return url
}

// Quote quotes an SQL identifier such as a table or column name.
func (d Dialect) Quote(ident string) string {
	if d == MySQL {
		return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// Rebind turns the ? placeholders of query into the dialect's: $1, $2, ...
// for PostgreSQL; unchanged for MySQL and SQLite. Question marks inside
// quoted strings and identifiers are left alone.
func (d Dialect) Rebind(query string) string {
	if d != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (d Dialect) columnList(cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.Quote(c)
	}
	return strings.Join(quoted, ", ")
}

// where is " WHERE a = ? AND b = ?" for cols, "" for none.
func (d Dialect) where(cols []string) string {
	q := ""
	for i, c := range cols {
		if i == 0 {
			q += " WHERE "
		} else {
			q += " AND "
		}
		q += d.Quote(c) + " = ?"
	}
	return q
}

// The statements below read and write the rows of t's scope (see Table):
// their arguments start with the scope's values, the tenant in a
// multi-tenant system, except an Update's, which start with its SET values.

// Insert returns an INSERT of every column of t; its arguments are the
// scope, then the columns in order.
func (d Dialect) Insert(t Table) string {
	cols := t.scoped(t.Columns...)
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return d.Rebind("INSERT INTO " + d.Quote(t.Name) + " (" + d.columnList(cols) + ") VALUES (" + marks + ")")
}

// Update returns an UPDATE of every column of t but the key, by key; its
// arguments are the other columns in order, then the scope and the key.
func (d Dialect) Update(t Table) string {
	sets := make([]string, 0, len(t.Columns)-1)
	for _, c := range t.Columns[1:] {
		sets = append(sets, d.Quote(c)+" = ?")
	}
	return d.Rebind("UPDATE " + d.Quote(t.Name) + " SET " + strings.Join(sets, ", ") + d.where(t.scoped(t.Columns[0])))
}

// Select returns a SELECT of every column of t, of the scope's rows where
// each column of where equals its argument, ordered by key.
func (d Dialect) Select(t Table, where ...string) string {
	q := "SELECT " + d.columnList(t.Columns) + " FROM " + d.Quote(t.Name) + d.where(t.scoped(where...))
	return d.Rebind(q + " ORDER BY " + d.Quote(t.Columns[0]))
}

// Delete returns a DELETE by key: the scope, then the key.
func (d Dialect) Delete(t Table) string {
	return d.Rebind("DELETE FROM " + d.Quote(t.Name) + d.where(t.scoped(t.Columns[0])))
}

// IsUniqueViolation reports whether err is a unique constraint violation of
// any supported database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLSTATE 23505") || // PostgreSQL
		strings.Contains(msg, "Error 1062") || // MySQL, MariaDB: duplicate entry
		strings.Contains(msg, "UNIQUE constraint failed") // SQLite
}

// txKey is the context key of the transaction WithTx carries.
type txKey struct{}

// WithTx returns a copy of ctx carrying tx: InTx called with it runs its
// function in tx instead of a new transaction. Event handlers use it so that
// the commands they call change state in the same transaction that records
// the event as processed.
func WithTx(ctx context.Context, tx *sql.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. When ctx carries a transaction (WithTx), fn runs in it and
// the caller that started it commits or rolls back.
//
// On a SQLite database, concurrent callers' transactions commit together
// (group commit, see txGroup): fn runs in a savepoint of a transaction it
// may share, and InTx returns once that commits. fn's outcome is its own
// all the same.
func (db *DB) InTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return fn(tx)
	}
	if db.group != nil {
		return db.group.do(ctx, fn)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	hooks := &commitHooks{}
	pendingCommits.Store(tx, hooks)
	defer pendingCommits.Delete(tx)
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	hooks.run()
	return nil
}

// pendingCommits holds the functions to run once each transaction InTx
// began commits (AfterCommit), by transaction.
var pendingCommits sync.Map // *sql.Tx → *commitHooks

type commitHooks struct {
	mu        sync.Mutex
	fns       []func()
	committed bool
}

func (h *commitHooks) run() {
	h.mu.Lock()
	fns := h.fns
	h.fns, h.committed = nil, true
	h.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// AfterCommit runs fn once the transaction ctx carries (WithTx) has
// committed, and never when it rolls back; without a transaction begun by
// InTx in ctx, it runs fn at once. Code that joins a caller's transaction
// uses it to announce what it wrote only when others can read it (the saga
// runner wakes up for a saga started in an event handler's transaction).
func AfterCommit(ctx context.Context, fn func()) {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		if h, ok := pendingCommits.Load(tx); ok {
			hooks := h.(*commitHooks)
			hooks.mu.Lock()
			committed := hooks.committed
			if !committed {
				hooks.fns = append(hooks.fns, fn)
			}
			hooks.mu.Unlock()
			if !committed {
				return
			}
		}
	}
	fn()
}
