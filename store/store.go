// Package store keeps maildesk's state in one SQLite file, or in a
// PostgreSQL database: tickets, the raw bytes of every message received
// and sent, per-mailbox read cursors, the outbox and an event log. All SQL
// of the project lives here, written once for both engines (engine.go).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, so CGO_ENABLED=0 builds work
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// ErrNotFound is returned when the row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrNewerSchema is returned by Open for a database written by a newer
// maildesk: running old code on it could corrupt it.
var ErrNewerSchema = errors.New("database schema is newer than this maildesk")

// Store is an open database. It is safe for concurrent use; writes are
// serialised, reads run alongside them (WAL).
type Store struct {
	db       *sql.DB
	path     string
	file     os.FileInfo // the file opened, to tell if another is put at path
	warnings []string
	writeMu  sync.Mutex
	pg       bool // PostgreSQL, not SQLite

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared statements by query text

	ckpt *checkpointer // SQLite only
}

// Tx is a transaction handed to the closures of Write and Read.
type Tx struct {
	tx *sql.Tx
	s  *Store
}

// Open opens the database at path and brings its schema up to date. A
// postgres:// or postgresql:// URL opens that PostgreSQL database (see
// WithPassword); anything else is the path of an SQLite file. A new SQLite
// database is created readable by its owner only (0600, with its -wal and
// -shm), in a directory created 0700 if missing; an existing file keeps
// its mode, and Warnings says when others can read it.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if IsPostgres(path) {
		return openPostgres(ctx, path, o)
	}
	warnings, err := prepareFile(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	file, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(5000)", "synchronous(NORMAL)", "foreign_keys(1)",
		"wal_autocheckpoint(" + strconv.Itoa(autoCheckpointPages) + ")", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{db: db, path: path, file: file, stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// The file SQLite opened is the one prepareFile saw, not one put there
	// in between.
	if err := s.CheckFile(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if len(warnings) == 0 {
		warnings = sideFileWarnings(path)
	}
	s.warnings = warnings
	s.startCheckpointer()
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.ckpt.close()
	s.stmtMu.Lock()
	for q, st := range s.stmts {
		st.Close()
		delete(s.stmts, q)
	}
	s.stmtMu.Unlock()
	return s.db.Close()
}

// Path is the database file's path; for PostgreSQL, the URL without its
// password.
func (s *Store) Path() string { return s.path }

// Write runs fn in a write transaction and commits when fn returns nil.
// Writers are serialised inside the process, so SQLite's busy handler only
// ever waits for other processes. It refuses, with an error wrapping
// ErrFileReplaced, when the database file was deleted or replaced: the
// commit would go to a file nobody will open again.
//
// On PostgreSQL the writers of every instance sharing the database are
// serialised too (writerLock), so a decision made in fn (thread this mail,
// send this notice, number this ticket) sees every other one that
// committed before it, exactly as with SQLite's one writer: under READ
// COMMITTED alone two instances would each read a ticket, decide, and
// write back over the other's decision.
func (s *Store) Write(ctx context.Context, fn func(*Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// One stat a transaction (a microsecond or two, against the hundreds
	// of a commit) rather than a rate limit: a write let through between
	// two checks would be the one lost.
	if err := s.CheckFile(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return s.run(ctx, true, fn)
}

// Claim runs fn in a write transaction that, on PostgreSQL, does not wait
// for the writer (see Write): for work that other instances share row by
// row, such as the outbox, where fn locks the rows it takes with SELECT …
// FOR UPDATE SKIP LOCKED and writes nothing but those rows and new ones.
// Sending is then spread over the instances instead of queueing behind
// another's intake. On SQLite it is Write.
func (s *Store) Claim(ctx context.Context, fn func(*Tx) error) error {
	if !s.pg {
		return s.Write(ctx, fn)
	}
	return s.run(ctx, false, fn)
}

// writerLock is the key of the transaction-level advisory lock that
// Write takes on PostgreSQL. Transaction-level, not a session's: it ends
// with the transaction, which is all PgBouncer in transaction mode keeps.
// (5460, 1) is the migration's lock.
const writerLock = `SELECT pg_advisory_xact_lock(5460, 2)`

// Read runs fn in a transaction that is always rolled back. It sees one
// snapshot of the database, as SQLite's WAL gives a reader: on PostgreSQL
// it is REPEATABLE READ, whose snapshot a read-only transaction cannot
// fail to serialise.
func (s *Store) Read(ctx context.Context, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(&Tx{tx: tx, s: s})
}

// run runs fn in a transaction; writer says to take the writer lock
// first on PostgreSQL (see Write).
func (s *Store) run(ctx context.Context, writer bool, fn func(*Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if writer && s.pg {
		if _, err := tx.ExecContext(ctx, writerLock); err != nil {
			tx.Rollback()
			return fmt.Errorf("take the writer lock: %w", err)
		}
	}
	if err := fn(&Tx{tx: tx, s: s}); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.ckpt.committed()
	return nil
}

// queryHook, when set (by tests), sees every statement a Tx runs before it
// runs: store/plan_test.go asks SQLite how it would run each one.
var queryHook func(q string, args []any)

// maxStmts bounds the prepared-statement cache. Queries with an IN list
// differ by the list's length; past the bound they are prepared each time.
const maxStmts = 256

// stmt returns the statement for q, prepared once per Store: preparing
// (SQLite parsing and planning the SQL) was a sixth of the CPU time of an
// intake before. database/sql then prepares it at most once on each pooled
// connection and reuses it in every transaction on that connection. Nil
// means run q unprepared.
//
// Not on PostgreSQL: database/sql's Prepare makes a named server-side
// statement, which a pooler in transaction mode (PgBouncer) does not keep
// from one transaction to the next (see openPostgres).
func (tx *Tx) stmt(ctx context.Context, q string) *sql.Stmt {
	if tx.s == nil || tx.s.pg {
		return nil
	}
	tx.s.stmtMu.Lock()
	defer tx.s.stmtMu.Unlock()
	if st, ok := tx.s.stmts[q]; ok {
		return st
	}
	if len(tx.s.stmts) >= maxStmts {
		return nil
	}
	st, err := tx.s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil // the unprepared run reports the error
	}
	tx.s.stmts[q] = st
	return st
}

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if queryHook != nil {
		queryHook(q, args)
	}
	if st := tx.stmt(ctx, q); st != nil {
		return tx.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.s.bind(q), tx.s.text(args)...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if queryHook != nil {
		queryHook(q, args)
	}
	if st := tx.stmt(ctx, q); st != nil {
		return tx.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.s.bind(q), tx.s.text(args)...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if queryHook != nil {
		queryHook(q, args)
	}
	if st := tx.stmt(ctx, q); st != nil {
		return tx.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.s.bind(q), tx.s.text(args)...)
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are SQLite's; migrationsOf(Postgres) PostgreSQL's. The two
// lists have the same numbers and names (TestMigrationsPerEngine).
func migrations() ([]migration, error) { return migrationsOf(SQLite) }

func migrationsOf(engine string) ([]migration, error) {
	dir := path.Join("migrations", engine)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this code writes.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // embedded at build time: a bad name is a programming error caught by tests
	}
	return len(ms)
}

func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrationsOf(s.Engine())
	if err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for {
		done := false
		err := s.run(ctx, false, func(tx *Tx) error {
			if s.pg {
				// Another process may be migrating the same database:
				// the first to start takes this lock (held until its
				// transaction ends) and the others wait, then find the
				// version it wrote, rather than both inserting the
				// first row or running one step twice.
				if _, err := tx.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(5460, 1)`); err != nil {
					return fmt.Errorf("lock schema_version: %w", err)
				}
			}
			var cur int
			err := tx.tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&cur)
			if errors.Is(err, sql.ErrNoRows) {
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
					return err
				}
			} else if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if cur > len(ms) {
				return fmt.Errorf("%w: database has version %d, this maildesk knows up to %d", ErrNewerSchema, cur, len(ms))
			}
			if cur == len(ms) {
				done = true
				return nil
			}
			// Each step runs in its own transaction, DDL included: the DDL
			// of SQLite and of PostgreSQL is transactional, so a crash
			// leaves the previous version. A statement without arguments
			// goes to PostgreSQL as a simple query, which may hold several.
			m := ms[cur]
			if _, err := tx.tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.tx.ExecContext(ctx, s.bind(`UPDATE schema_version SET version = ?`), m.version); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// timeFormat is fixed-width so that text order is time order in SQL.
const timeFormat = "2006-01-02T15:04:05.000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func fmtTimePtr(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return fmtTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeFormat, s)
	if err != nil {
		// Accept any RFC 3339 value a human may have written with sqlite3.
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC(), err
}

// nullTime scans a nullable time column.
type nullTime struct{ t **time.Time }

func (n nullTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*n.t = nil
		return nil
	case string:
		t, err := parseTime(v)
		if err != nil {
			return err
		}
		*n.t = &t
		return nil
	case []byte:
		return n.Scan(string(v))
	}
	return fmt.Errorf("time column: unexpected %T", v)
}

// timeCol scans a NOT NULL time column.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	var p *time.Time
	if err := (nullTime{&p}).Scan(v); err != nil {
		return err
	}
	if p == nil {
		return errors.New("time column: unexpected NULL")
	}
	*c.t = *p
	return nil
}
