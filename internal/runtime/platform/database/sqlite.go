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
	"sync"
	"time"
)

// SQLite settings. A service's SQLite file is in WAL mode, so readers do
// not wait for the writer nor it for them; SQLite allows one writer at a
// time. A database keeps one connection that writes and up to
// sqliteConns that read:
//
//   - transactions, and statements other than reads, take the database's
//     write turn, in the process, and run on the writing connection, so
//     they queue in Go instead of failing with "database is locked" or
//     polling under busy_timeout;
//   - reads (a SELECT outside a transaction) run on the reading
//     connections, at once.
//
// One connection writes because SQLite drops a connection's whole page
// cache when it starts a transaction and finds the file changed by
// another connection: writes taking turns on several connections each
// read their pages again from the file, while the single writer keeps
// its cache warm (BenchmarkSQLiteConcurrentTx). Each connection keeps its
// last sqliteStatements statements prepared.
const (
	sqliteStatements = 128
	// sqlitePragmas apply to every connection. busy_timeout covers other
	// processes using the file; _txlock=immediate takes the write lock
	// at BEGIN, so a transaction never fails upgrading a read lock;
	// _dqs=0 turns off SQLite's double-quoted string literals: by default
	// SQLite reads a double-quoted identifier it cannot resolve as a
	// string, so `SELECT "note"` on a table without that column returns
	// the text "note" instead of failing. Without the quirk a missing
	// column is an error, as on PostgreSQL and MySQL. temp_store(MEMORY)
	// keeps temporary files in memory, among them the sub-journal of the
	// savepoints group commit runs each transaction in (txGroup): on a
	// file it cost a write per page a savepoint changed.
	sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_txlock=immediate&_time_format=sqlite&_dqs=0"
	// sqliteSynchronous applies unless the URL sets synchronous itself.
	// In WAL mode, NORMAL syncs the log at checkpoints rather than on
	// every commit: a crash of the process loses nothing and nothing can
	// corrupt the file, but a power loss may undo the last commits. A
	// commit then costs about a sixth (BenchmarkSQLiteCommit: 67µs against
	// 388µs here), and SQLite has one writer. Ask for _pragma=synchronous(FULL) in the URL when
	// every commit must survive a power loss.
	sqliteSynchronous = "_pragma=synchronous(NORMAL)"
)

// sqliteConns is how many reading connections a SQLite database keeps,
// besides the writing one.
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
	if !strings.Contains(dsn, "_pragma=wal_autocheckpoint") {
		dsn += "&" + sqliteAutoCheckpoint
	}
	// The driver registered as "sqlite", wrapped.
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	conns := sqliteConns()
	connector := &sqliteConnector{dsn: dsn, driver: drv, turn: make(chan struct{}, 1)}
	if strings.Contains(dsn, ":memory:") || strings.Contains(dsn, "mode=memory") {
		// Every connection to an in-memory database has a database of
		// its own: the writing one serves every statement.
		conns, connector.memory = 1, true
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns) // keep their prepared statements
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// sqliteConnector opens reading connections to one SQLite file, which
// share its writing connection.
type sqliteConnector struct {
	dsn    string
	driver driver.Driver
	memory bool // an in-memory database: the writing connection reads too
	// turn holds a token while a connection writes: one at a time uses
	// writer.
	turn chan struct{}

	mu     sync.Mutex
	writer *sqliteSide // opened with the first connection
	conns  int         // connections not closed yet, which use writer
	closed bool        // Close was called: the last connection closes writer
	// checkpoints runs while writer is open, but for an in-memory
	// database (checkpoint.go).
	checkpoints *checkpointer
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

func (c *sqliteConnector) open() (*sqliteSide, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	raw, ok := conn.(sqliteDriverConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("internal error: SQLite connection %T lacks methods", conn)
	}
	return &sqliteSide{raw: raw, stmts: map[string]*cachedStmt{}}, nil
}

func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writer == nil {
		w, err := c.open()
		if err != nil {
			return nil, err
		}
		c.writer = w
		if !c.memory {
			c.startCheckpointer()
		}
	}
	conn := &sqliteConn{writer: c.writer, turn: c.turn, connector: c}
	if !c.memory {
		own, err := c.open()
		if err != nil {
			return nil, err
		}
		conn.reader = own
	}
	c.conns++
	return conn, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.driver }

// Close closes the writing connection once no connection uses it:
// database/sql calls it when the database is closed, which may be before
// a connection still in use (a transaction rolling back as its context
// ends) is closed.
func (c *sqliteConnector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return c.closeWriter()
}

// release is called as a connection closes.
func (c *sqliteConnector) release() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conns--
	return c.closeWriter()
}

// closeWriter closes writer once the connector is closed and no
// connection uses it; c.mu is held.
func (c *sqliteConnector) closeWriter() error {
	if !c.closed || c.conns > 0 || c.writer == nil {
		return nil
	}
	c.checkpoints.close()
	c.checkpoints = nil
	err := c.writer.close()
	c.writer = nil
	return err
}

// sqliteSide is a connection of the SQLite driver with its prepared
// statements.
type sqliteSide struct {
	raw   sqliteDriverConn
	stmts map[string]*cachedStmt
}

func (s *sqliteSide) close() error {
	var errs []error
	for q, st := range s.stmts {
		errs = append(errs, st.stmt.Close())
		delete(s.stmts, q)
	}
	errs = append(errs, s.raw.Close())
	return errors.Join(errs...)
}

// sqliteConn is what database/sql holds as a connection: a reading
// connection of its own, used for reads outside a transaction, and the
// database's writing connection, used for everything else while it holds
// the write turn. database/sql uses a connection from one goroutine at a
// time.
type sqliteConn struct {
	reader *sqliteSide // nil in memory: writer reads too
	writer *sqliteSide
	turn   chan struct{}
	inTx   bool
	// detached: the transaction is a group's (txGroup), whose statements
	// run to their end whatever their caller's context: SQLite rolls the
	// whole transaction back when it interrupts a write in it.
	detached  bool
	connector *sqliteConnector
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

// write waits for the write turn and returns the writing connection, and
// a function giving the turn back, which does nothing inside a
// transaction (the transaction holds it).
func (c *sqliteConn) write(ctx context.Context) (side *sqliteSide, unlock func(), err error) {
	if c.inTx {
		return c.writer, func() {}, nil
	}
	select {
	case c.turn <- struct{}{}:
		return c.writer, func() { <-c.turn; c.connector.checkpoints.wrote() }, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// side returns the connection query runs on: the reading one for a read
// outside a transaction, else the writing one, with the write turn.
func (c *sqliteConn) side(ctx context.Context, query string) (side *sqliteSide, unlock func(), err error) {
	if c.inTx || c.reader == nil || !isRead(query) {
		return c.write(ctx)
	}
	return c.reader, func() {}, nil
}

// prepared returns query's statement prepared on s, preparing it when it
// is not yet; nil, without an error, when the statement is in use (its
// rows are open).
func (s *sqliteSide) prepared(ctx context.Context, query string) (*cachedStmt, error) {
	if st, ok := s.stmts[query]; ok {
		if st.busy {
			return nil, nil
		}
		return st, nil
	}
	stmt, err := s.raw.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := stmt.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		stmt.Close()
		return nil, fmt.Errorf("internal error: SQLite statement %T lacks methods", stmt)
	}
	if len(s.stmts) >= sqliteStatements {
		for q, old := range s.stmts { // evict one in Go's random map order
			if !old.busy {
				old.stmt.Close()
				delete(s.stmts, q)
				break
			}
		}
	}
	cs := &cachedStmt{stmt: st}
	s.stmts[query] = cs
	return cs, nil
}

func (c *sqliteConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.detached {
		ctx = context.WithoutCancel(ctx)
	}
	side, unlock, err := c.side(ctx, query)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s, err := side.prepared(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case s == nil:
		return side.raw.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

func (c *sqliteConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.detached {
		ctx = context.WithoutCancel(ctx)
	}
	side, unlock, err := c.side(ctx, query)
	if err != nil {
		return nil, err
	}
	s, err := side.prepared(ctx, query)
	if err != nil {
		unlock()
		return nil, err
	}
	var rows driver.Rows
	if s == nil {
		rows, err = side.raw.QueryContext(ctx, query, args)
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

// PrepareContext returns a statement for database/sql's Stmt: it runs the
// query as the connection runs any (on the side it belongs to, prepared
// once there).
func (c *sqliteConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return &sqliteStmt{conn: c, query: query}, nil
}

func (c *sqliteConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *sqliteConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.inTx {
		return nil, errors.New("internal error: nested SQLite transaction")
	}
	side, unlock, err := c.write(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := side.raw.BeginTx(ctx, opts)
	if err != nil {
		unlock()
		return nil, err
	}
	c.inTx, c.detached = true, ctx.Value(groupTxKey{}) != nil
	return &sqliteTx{tx: tx, end: func() { c.inTx, c.detached = false, false; unlock() }}, nil
}

// Close closes the reading connection; the writing one is the database's,
// closed with the last connection once the database is closed.
func (c *sqliteConn) Close() error {
	var err error
	if c.reader != nil {
		err = c.reader.close()
	}
	return errors.Join(err, c.connector.release())
}

// own is the connection that answers for the state of c.
func (c *sqliteConn) own() sqliteDriverConn {
	if c.reader == nil {
		return c.writer.raw
	}
	return c.reader.raw
}

func (c *sqliteConn) Ping(ctx context.Context) error { return c.own().Ping(ctx) }

func (c *sqliteConn) ResetSession(ctx context.Context) error { return c.own().ResetSession(ctx) }

func (c *sqliteConn) IsValid() bool { return c.own().IsValid() }

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

// sqliteStmt is a statement database/sql prepared: the connection runs its
// query.
type sqliteStmt struct {
	conn  *sqliteConn
	query string
}

func (s *sqliteStmt) Close() error { return nil }

// NumInput is -1: database/sql leaves counting the arguments to SQLite.
func (s *sqliteStmt) NumInput() int { return -1 }

func (s *sqliteStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *sqliteStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

func (s *sqliteStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.conn.ExecContext(ctx, s.query, args)
}

func (s *sqliteStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.conn.QueryContext(ctx, s.query, args)
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
