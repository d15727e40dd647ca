package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"
)

// SQLite settings. A service's SQLite file is in WAL mode, so readers do
// not wait for the writer nor it for them; SQLite still allows one writer
// at a time. A database keeps up to sqliteConns connections: reads (a
// SELECT outside a transaction) run on any of them at once, while
// transactions and other statements take the database's single write
// turn first, in the process, so they queue in Go instead of failing
// with "database is locked" or polling under busy_timeout. Each
// connection keeps its last sqliteStatements statements prepared.
const (
	sqliteStatements = 128
	// sqlitePragmas apply to every connection. busy_timeout covers other
	// processes using the file; _txlock=immediate takes the write lock
	// at BEGIN, so a transaction never fails upgrading a read lock;
	// _dqs=0 turns off SQLite's double-quoted string literals: by default
	// SQLite reads a double-quoted identifier it cannot resolve as a
	// string, so `SELECT "note"` on a table without that column returns
	// the text "note" instead of failing. Without the quirk a missing
	// column is an error, as on PostgreSQL and MySQL.
	sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate&_time_format=sqlite&_dqs=0"
	// sqliteSynchronous applies unless the URL sets synchronous itself.
	// In WAL mode, NORMAL syncs the log at checkpoints rather than on
	// every commit: a crash of the process loses nothing and nothing can
	// corrupt the file, but a power loss may undo the last commits. A
	// commit then costs about a sixth (BenchmarkSQLiteCommit: 67µs against
	// 388µs here), and SQLite has one writer. Ask for _pragma=synchronous(FULL) in the URL when
	// every commit must survive a power loss.
	sqliteSynchronous = "_pragma=synchronous(NORMAL)"
)

// sqliteConns is how many connections a SQLite database keeps: the
// writer's and concurrent readers'.
func sqliteConns() int { return max(4, runtime.GOMAXPROCS(0)+2) }

func openSQLite(path string) (*sql.DB, error) {
	dsn := path
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + sqlitePragmas
	if !strings.Contains(dsn, "_pragma=synchronous") {
		dsn += "&" + sqliteSynchronous
	}
	// The driver registered as "sqlite", wrapped.
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	db := sql.OpenDB(&sqliteConnector{dsn: dsn, driver: drv, writer: make(chan struct{}, 1)})
	conns := sqliteConns()
	if strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory") {
		// Every connection to an in-memory database has a database of
		// its own.
		conns = 1
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns) // keep their prepared statements
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// sqliteConnector opens connections to one SQLite file that share its
// write turn.
type sqliteConnector struct {
	dsn    string
	driver driver.Driver
	// writer holds a token while a connection writes.
	writer chan struct{}
}

// sqliteDriverConn is what the SQLite driver's connections implement and
// database/sql uses.
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	raw, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("internal error: SQLite connection %T lacks methods", conn)
	}
	return &sqliteConn{raw: raw, writer: c.writer, stmts: map[string]*cachedStmt{}}, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.driver }

// sqliteConn is a connection that takes the write turn for transactions
// and statements other than reads, and keeps statements prepared.
// database/sql uses a connection from one goroutine at a time.
type sqliteConn struct {
	raw    sqliteDriverConn
	writer chan struct{}
	inTx   bool
	stmts  map[string]*cachedStmt
}

type cachedStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // its rows are open
}

var (
	_ driver.Conn               = (*sqliteConn)(nil)
	_ driver.ConnBeginTx        = (*sqliteConn)(nil)
	_ driver.ConnPrepareContext = (*sqliteConn)(nil)
	_ driver.ExecerContext      = (*sqliteConn)(nil)
	_ driver.QueryerContext     = (*sqliteConn)(nil)
	_ driver.Pinger             = (*sqliteConn)(nil)
	_ driver.SessionResetter    = (*sqliteConn)(nil)
	_ driver.Validator          = (*sqliteConn)(nil)
)

// lock waits for the write turn; it returns a function giving it back,
// which does nothing inside a transaction (the transaction holds it).
func (c *sqliteConn) lock(ctx context.Context) (unlock func(), err error) {
	if c.inTx {
		return func() {}, nil
	}
	select {
	case c.writer <- struct{}{}:
		return func() { <-c.writer }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// prepared returns query's statement prepared on c, preparing it when it
// is not yet; nil, without an error, when the statement is in use (its
// rows are open).
func (c *sqliteConn) prepared(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	stmt, err := c.raw.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s, ok := stmt.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		stmt.Close()
		return nil, fmt.Errorf("internal error: SQLite statement %T lacks methods", stmt)
	}
	if len(c.stmts) >= sqliteStatements {
		for q, old := range c.stmts { // evict one in Go's random map order
			if !old.busy {
				old.stmt.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	cs := &cachedStmt{stmt: s}
	c.stmts[query] = cs
	return cs, nil
}

func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	unlock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := c.prepared(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case s == nil:
		return c.raw.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	unlock := func() {}
	if !isRead(query) {
		var err error
		if unlock, err = c.lock(ctx); err != nil {
			return nil, err
		}
	}
	s, err := c.prepared(ctx, query)
	if err != nil {
		unlock()
		return nil, err
	}
	var rows driver.Rows
	if s == nil {
		rows, err = c.raw.QueryContext(ctx, query, args)
	} else {
		rows, err = s.stmt.QueryContext(ctx, args)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	if s != nil {
		s.busy = true
	}
	return &sqliteRows{Rows: rows, release: func() {
		if s != nil {
			s.busy = false
		}
		unlock()
	}}, nil
}

func (c *sqliteConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext prepares a statement for database/sql's Stmt, which
// closes it; it takes the write turn when run, as the connection's own
// statements do.
func (c *sqliteConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	stmt, err := c.raw.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s, ok := stmt.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		stmt.Close()
		return nil, fmt.Errorf("internal error: SQLite statement %T lacks methods", stmt)
	}
	return &sqliteStmt{stmt: s, conn: c, read: isRead(query)}, nil
}

func (c *sqliteConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *sqliteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.inTx {
		return nil, errors.New("internal error: nested SQLite transaction")
	}
	unlock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.raw.BeginTx(ctx, opts)
	if err != nil {
		unlock()
		return nil, err
	}
	c.inTx = true
	return &sqliteTx{tx: tx, end: func() { c.inTx = false; unlock() }}, nil
}

func (c *sqliteConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.raw.Close())
	return errors.Join(errs...)
}

func (c *sqliteConn) Ping(ctx context.Context) error { return c.raw.Ping(ctx) }

func (c *sqliteConn) ResetSession(ctx context.Context) error { return c.raw.ResetSession(ctx) }

func (c *sqliteConn) IsValid() bool { return c.raw.IsValid() }

// sqliteTx gives the write turn back when it ends.
type sqliteTx struct {
	tx  driver.Tx
	end func()
}

func (t *sqliteTx) Commit() error {
	defer t.end()
	return t.tx.Commit()
}

func (t *sqliteTx) Rollback() error {
	defer t.end()
	return t.tx.Rollback()
}

// sqliteStmt is a statement database/sql prepared.
type sqliteStmt struct {
	stmt interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	conn *sqliteConn
	read bool
}

func (s *sqliteStmt) Close() error  { return s.stmt.Close() }
func (s *sqliteStmt) NumInput() int { return s.stmt.NumInput() }

func (s *sqliteStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *sqliteStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

func (s *sqliteStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	unlock, err := s.conn.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return s.stmt.ExecContext(ctx, args)
}

func (s *sqliteStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	unlock := func() {}
	if !s.read {
		var err error
		if unlock, err = s.conn.lock(ctx); err != nil {
			return nil, err
		}
	}
	rows, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		unlock()
		return nil, err
	}
	return &sqliteRows{Rows: rows, release: unlock}, nil
}

func namedValues(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// sqliteRows releases what its query holds when closed.
type sqliteRows struct {
	driver.Rows
	release func()
}

func (r *sqliteRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		r.release()
		r.release = nil
	}
	return err
}

func (r *sqliteRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *sqliteRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *sqliteRows) ColumnTypeLength(i int) (length int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *sqliteRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *sqliteRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

// isRead reports whether query is a SELECT, which SQLite runs without
// writing: a query starting otherwise (WITH ... INSERT, INSERT ...
// RETURNING, PRAGMA) takes the write turn.
func isRead(query string) bool {
	for {
		query = strings.TrimLeft(query, " \t\r\n")
		switch {
		case strings.HasPrefix(query, "--"):
			_, query, _ = strings.Cut(query, "\n")
		case strings.HasPrefix(query, "/*"):
			_, query, _ = strings.Cut(query, "*/")
		default:
			return len(query) >= 6 && strings.EqualFold(query[:6], "SELECT")
		}
	}
}
