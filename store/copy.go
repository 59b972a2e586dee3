package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Errors of CopyToPostgres that a caller may tell apart. A source held by
// a running daemon is ErrLocked; one written by a newer maildesk
// ErrNewerSchema.
var (
	// ErrOlderSchema: the SQLite file's schema is older than this
	// maildesk's. Running this maildesk once on the file brings it up to
	// date; the copy does not migrate a file it only reads.
	ErrOlderSchema = errors.New("database schema is older than this maildesk")
	// ErrTargetNotEmpty: the PostgreSQL database (its schema on the
	// search_path) already has maildesk tables.
	ErrTargetNotEmpty = errors.New("the PostgreSQL database is not empty")
	// ErrCopyMismatch: a table read back from PostgreSQL differs from the
	// SQLite file in its row count or checksum; nothing was committed.
	ErrCopyMismatch = errors.New("the copy does not match the SQLite file")
)

// CopyOptions changes how CopyToPostgres connects.
type CopyOptions struct {
	// Password is PostgreSQL's password apart from the URL (as
	// WithPassword); empty leaves it to the URL, PGPASSWORD or ~/.pgpass.
	Password string
}

// CopyReport is what CopyToPostgres copied and checked.
type CopyReport struct {
	From          string // the SQLite file
	To            string // the PostgreSQL URL without its password
	SchemaVersion int
	Tables        []TableCopy // in the order copied
	Elapsed       time.Duration
}

// TableCopy is one table of a CopyReport.
type TableCopy struct {
	Table string
	Rows  int64 // rows copied, and counted again in PostgreSQL
	// Checksum is the hex SHA-256 of the table's rows in primary-key
	// order in the canonical encoding (see encodeValue), the same from
	// the SQLite file and read back from PostgreSQL.
	Checksum string
	// Converted counts the text values that PostgreSQL's text could not
	// hold as they were (a NUL byte, invalid UTF-8) and were stored with
	// U+FFFD in their place (pgText, as the store does on PostgreSQL).
	Converted int64
	// Skipped says why the table was not copied; "" when it was.
	Skipped string
	Elapsed time.Duration
}

// Rows is the number of rows copied in all tables.
func (r *CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// Converted is the number of text values converted in all tables.
func (r *CopyReport) Converted() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Converted
	}
	return n
}

// skipTables are the tables of an SQLite file that are not copied, and
// why. schema_version is the migrations' bookkeeping: the target's own
// migrations write it, with the same version. A lease is runtime state:
// which running instance watches a mailbox, on the clock of the database
// it was taken in; an SQLite database holds none (its one daemon has the
// file lock), and a row copied would name an instance that does not run
// on the target. The target's table is left empty, as its migration made
// it.
var skipTables = map[string]string{
	"schema_version": "written by the PostgreSQL migrations",
	"leases":         "runtime state: instances take leases anew",
}

// copyHookBeforeVerify, when set (by tests), runs in the PostgreSQL
// transaction after the rows are copied and before they are verified.
var copyHookBeforeVerify func(ctx context.Context, tx pgx.Tx) error

// copyTable is a table of the SQLite file as the copy sees it.
type copyTable struct {
	name    string
	cols    []string // in the SQLite file's column order
	kinds   []byte   // each column's canonical kind in PostgreSQL: kindInt, kindText, kindBlob, kindFloat
	pk      []int    // indexes into cols of the primary key, in key order
	refs    []string // tables it refers to by foreign key
	rep     TableCopy
	sum     []byte // the source checksum
	pkFixed bool   // a key column's text was converted: SQLite's key order may not be PostgreSQL's
}

// CopyToPostgres copies the maildesk database in the SQLite file from into
// the empty PostgreSQL database at toURL (its schema on the search_path),
// so that a deployment moves to PostgreSQL with its history. The steps,
// all or nothing:
//
//   - It takes the daemon's lock on the file (Lock), so no maildesk writes
//     to it meanwhile, and refuses when a daemon holds it; it reads the
//     file in one transaction that also keeps out other writers.
//   - The file's schema must be this maildesk's (ErrOlderSchema,
//     ErrNewerSchema), and the PostgreSQL schema must have no maildesk
//     table (ErrTargetNotEmpty).
//   - In ONE PostgreSQL transaction it runs the PostgreSQL migrations up
//     to the same version, copies every table the file has (found in its
//     schema, in foreign-key order; skipTables says which are not and
//     why) with COPY, sets every identity sequence past the largest id
//     copied so that new rows number on, and then reads every table back:
//     its row count and checksum must equal the file's, or the
//     transaction is rolled back (ErrCopyMismatch) and PostgreSQL is left
//     as it was.
//
// Text PostgreSQL cannot hold (a NUL byte, invalid UTF-8, which hostile
// or broken mail brings and SQLite keeps) is stored with each NUL and each
// invalid sequence replaced by U+FFFD, as the store does on PostgreSQL;
// the report counts such values per table, and the checksum of the file's
// side is of the converted value (so it verifies the copy of what
// PostgreSQL was given). Blobs (raw mail, settings) are copied byte for
// byte.
func CopyToPostgres(ctx context.Context, from, toURL string, opts CopyOptions) (*CopyReport, error) {
	start := time.Now()
	shown := redactURL(toURL)
	rep := &CopyReport{From: from, To: shown}
	if IsPostgres(from) {
		return nil, fmt.Errorf("copy: the source %s is a PostgreSQL URL; want the SQLite file", redactURL(from))
	}
	if !IsPostgres(toURL) {
		return nil, fmt.Errorf("copy: the target %q is not a postgres:// or postgresql:// URL", toURL)
	}
	fi, err := os.Stat(from)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("copy: %s is not a file", from)
	}
	release, err := Lock(from)
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("%w: %s is locked (%s.lock) by a running maildesk: stop maildesk first, so that nothing is written to the file during the copy", ErrLocked, from, from)
	}
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer release()

	src, srcTx, err := openCopySource(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	defer srcTx.Rollback()
	version, tables, err := sourceTables(ctx, srcTx)
	if err != nil {
		return nil, fmt.Errorf("copy from %s: %w", from, err)
	}
	rep.SchemaVersion = version

	cfg, err := pgx.ParseConfig(toURL)
	if err != nil {
		return nil, fmt.Errorf("copy to %s: cannot parse the PostgreSQL URL", shown)
	}
	if opts.Password != "" {
		cfg.Password = opts.Password
	}
	if !namesExecMode(toURL) {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec // as openPostgres, for a pooler
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("copy to %s: %w", shown, redactErr(err, cfg.Password, toURL))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy to %s: begin: %w", shown, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := copyInto(ctx, srcTx, tx, version, tables); err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", from, shown, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("copy to %s: commit: %w", shown, err)
	}
	for _, t := range tables {
		rep.Tables = append(rep.Tables, t.rep)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// redactErr is err, or a plain one if its text would show the password.
func redactErr(err error, password, rawURL string) error {
	if pw, ok := urlPassword(rawURL); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New("cannot connect (the error quoted the password)")
	}
	if password != "" && strings.Contains(err.Error(), password) {
		return errors.New("cannot connect (the error quoted the password)")
	}
	return err
}

func urlPassword(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return "", false
	}
	return u.User.Password()
}

// openCopySource opens the SQLite file without migrating it and begins
// the one transaction the copy reads in. It is BEGIN IMMEDIATE: the copy
// writes nothing, but another process (a command run meanwhile) cannot
// write either until it ends, so the file stays as copied.
func openCopySource(ctx context.Context, path string) (*sql.DB, *sql.Tx, error) {
	q := url.Values{}
	q.Set("mode", "rw") // never create it
	for _, p := range []string{"busy_timeout(5000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, nil, fmt.Errorf("copy: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("copy: open %s: %w", path, err)
	}
	return db, tx, nil
}

// sourceTables checks the file's schema version and returns its tables
// in the order to copy them: a table after every table it refers to.
func sourceTables(ctx context.Context, tx *sql.Tx) (int, []*copyTable, error) {
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil {
		if strings.Contains(err.Error(), "no such table") || errors.Is(err, sql.ErrNoRows) {
			return 0, nil, errors.New("not a maildesk database (it has no schema version)")
		}
		return 0, nil, fmt.Errorf("read the schema version: %w", err)
	}
	switch want := SchemaVersion(); {
	case version < want:
		return 0, nil, fmt.Errorf("%w: the file has version %d, this maildesk %d: run this maildesk once on the file first (for example `maildesk tickets -config FILE` with database = the file, which brings its schema up to date), stop it, then copy", ErrOlderSchema, version, want)
	case version > want:
		return 0, nil, fmt.Errorf("%w: the file has version %d, this maildesk knows up to %d: copy with the maildesk that wrote it", ErrNewerSchema, version, want)
	}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return 0, nil, fmt.Errorf("list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return 0, nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	byName := map[string]*copyTable{}
	var tables []*copyTable
	for _, n := range names {
		t := &copyTable{name: n, rep: TableCopy{Table: n, Skipped: skipTables[n]}}
		if err := t.describe(ctx, tx); err != nil {
			return 0, nil, fmt.Errorf("table %s: %w", n, err)
		}
		byName[n] = t
		tables = append(tables, t)
	}
	// Kahn's order, by name among equals, so that runs are alike.
	var order []*copyTable
	done := map[string]bool{}
	for len(order) < len(tables) {
		progress := false
		for _, t := range tables {
			if done[t.name] {
				continue
			}
			ready := true
			for _, r := range t.refs {
				if r != t.name && !done[r] && byName[r] != nil {
					ready = false
				}
			}
			if ready {
				done[t.name] = true
				order = append(order, t)
				progress = true
			}
		}
		if !progress {
			return 0, nil, errors.New("the tables' foreign keys form a cycle")
		}
	}
	return version, order, nil
}

// describe reads t's columns, primary key and foreign keys from SQLite.
func (t *copyTable) describe(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, t.name)
	if err != nil {
		return err
	}
	type keyCol struct{ col, pos int }
	var keys []keyCol
	for rows.Next() {
		var name string
		var pk int
		if err := rows.Scan(&name, &pk); err != nil {
			rows.Close()
			return err
		}
		if pk > 0 {
			keys = append(keys, keyCol{len(t.cols), pk})
		}
		t.cols = append(t.cols, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	slices.SortFunc(keys, func(a, b keyCol) int { return cmp.Compare(a.pos, b.pos) })
	for _, k := range keys {
		t.pk = append(t.pk, k.col)
	}
	if len(t.pk) == 0 {
		// No key (schema_version): all columns, which orders the rows
		// alike on both sides as far as they differ at all.
		for i := range t.cols {
			t.pk = append(t.pk, i)
		}
	}
	rows, err = tx.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, t.name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return err
		}
		t.refs = append(t.refs, r)
	}
	return rows.Err()
}

// The canonical kinds of a value, by the PostgreSQL column it goes to.
const (
	kindInt   = 'i'
	kindText  = 't'
	kindBlob  = 'b'
	kindFloat = 'f'
)

// pgKind is the canonical kind of a PostgreSQL column type
// (information_schema's data_type).
func pgKind(dataType string) (byte, bool) {
	switch dataType {
	case "bigint", "integer", "smallint":
		return kindInt, true
	case "text", "character varying", "character":
		return kindText, true
	case "bytea":
		return kindBlob, true
	case "double precision", "real":
		return kindFloat, true
	}
	return 0, false
}

// copyInto does the copy in the PostgreSQL transaction tx, reading the
// SQLite file in src.
func copyInto(ctx context.Context, src *sql.Tx, tx pgx.Tx, version int, tables []*copyTable) error {
	// The migrations' lock: a maildesk opening the target meanwhile waits
	// for the commit and then finds the schema up to date.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(5460, 1)`); err != nil {
		return fmt.Errorf("lock the schema: %w", err)
	}
	var schema *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("read the current schema: %w", err)
	}
	if schema == nil {
		return errors.New("the PostgreSQL search_path names no schema that exists: create it first")
	}
	names := []string{"schema_version"} // the one table every maildesk schema has
	for _, t := range tables {
		if t.name != "schema_version" {
			names = append(names, t.name)
		}
	}
	existing, err := pgTables(ctx, tx)
	if err != nil {
		return err
	}
	var found []string
	for _, n := range names {
		if existing[n] {
			found = append(found, n)
		}
	}
	if len(found) > 0 {
		slices.Sort(found)
		return fmt.Errorf("%w: schema %s already has maildesk tables (%s): migrate-store copies into an empty database only; create a new database (or schema) and copy into that", ErrTargetNotEmpty, *schema, strings.Join(found, ", "))
	}
	if err := migratePostgresTx(ctx, tx, version); err != nil {
		return err
	}
	// The schemas must agree table by table and column by column: a
	// difference is a migration that went wrong on one engine. Tables of
	// the schema that are not maildesk's were there before and are left
	// alone.
	after, err := pgTables(ctx, tx)
	if err != nil {
		return err
	}
	for n := range existing {
		delete(after, n)
	}
	for _, t := range tables {
		if !after[t.name] {
			return fmt.Errorf("table %s of the SQLite file has no PostgreSQL twin in migration %d", t.name, version)
		}
		delete(after, t.name)
		if err := t.targetKinds(ctx, tx); err != nil {
			return fmt.Errorf("table %s: %w", t.name, err)
		}
	}
	delete(after, "schema_version")
	for n := range after {
		return fmt.Errorf("table %s of the PostgreSQL migrations has no SQLite twin", n)
	}

	for _, t := range tables {
		if t.rep.Skipped != "" {
			continue
		}
		began := time.Now()
		if err := t.copyRows(ctx, src, tx); err != nil {
			return fmt.Errorf("table %s: %w", t.name, err)
		}
		t.rep.Elapsed = time.Since(began)
	}
	if err := resetSequences(ctx, tx, tables); err != nil {
		return err
	}
	if copyHookBeforeVerify != nil {
		if err := copyHookBeforeVerify(ctx, tx); err != nil {
			return err
		}
	}
	var bad []string
	for _, t := range tables {
		began := time.Now()
		msg, err := t.verify(ctx, src, tx)
		if err != nil {
			return fmt.Errorf("verify table %s: %w", t.name, err)
		}
		if msg != "" {
			bad = append(bad, msg)
		}
		t.rep.Elapsed += time.Since(began)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s; rolled back, nothing was written to PostgreSQL", ErrCopyMismatch, strings.Join(bad, "; "))
	}
	return nil
}

// pgTables are the tables (and views) of the current schema.
func pgTables(ctx context.Context, tx pgx.Tx) (map[string]bool, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`)
	if err != nil {
		return nil, fmt.Errorf("list PostgreSQL tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list PostgreSQL tables: %w", err)
	}
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m, nil
}

// migratePostgresTx creates the PostgreSQL schema of version in tx with
// the migrations Open runs, and schema_version as migrate writes it.
func migratePostgresTx(ctx context.Context, tx pgx.Tx, version int) error {
	ms, err := migrationsOf(Postgres)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	for _, m := range ms[:version] {
		// No arguments: pgx sends it as a simple query, which may hold
		// several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES ($1)`, version); err != nil {
		return fmt.Errorf("write schema_version: %w", err)
	}
	return nil
}

// targetKinds reads the PostgreSQL types of t's columns.
func (t *copyTable) targetKinds(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, t.name)
	if err != nil {
		return err
	}
	types := map[string]string{}
	var name, typ string
	if _, err := pgx.ForEachRow(rows, []any{&name, &typ}, func() error { types[name] = typ; return nil }); err != nil {
		return err
	}
	if len(types) != len(t.cols) {
		return fmt.Errorf("%d columns in the SQLite file, %d in PostgreSQL", len(t.cols), len(types))
	}
	t.kinds = make([]byte, len(t.cols))
	for i, c := range t.cols {
		typ, ok := types[c]
		if !ok {
			return fmt.Errorf("column %s has no PostgreSQL twin", c)
		}
		k, ok := pgKind(typ)
		if !ok {
			return fmt.Errorf("column %s: PostgreSQL type %s is not one the copy knows", c, typ)
		}
		t.kinds[i] = k
	}
	return nil
}

// selectSQL reads t's rows in primary-key order; for PostgreSQL, text keys
// sort in byte order ("C"), as SQLite's BINARY does.
func (t *copyTable) selectSQL(pg bool) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c))
	}
	b.WriteString(" FROM " + quoteIdent(t.name) + " ORDER BY ")
	for i, k := range t.pk {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(t.cols[k]))
		if pg && t.kinds[k] == kindText {
			b.WriteString(` COLLATE "C"`)
		}
	}
	return b.String()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// copyRows copies t's rows with COPY, computing the source checksum and
// counting converted text on the way.
func (t *copyTable) copyRows(ctx context.Context, src *sql.Tx, tx pgx.Tx) error {
	rows, err := src.QueryContext(ctx, t.selectSQL(false))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	var buf []byte
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	next := func() ([]any, error) {
		if !rows.Next() {
			return nil, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]any, len(vals))
		buf = buf[:0]
		for i, v := range vals {
			c, changed, err := convertValue(t.kinds[i], v)
			if err != nil {
				return nil, fmt.Errorf("row %d, column %s: %w", n+1, t.cols[i], err)
			}
			if changed {
				t.rep.Converted++
				if slices.Contains(t.pk, i) {
					t.pkFixed = true
				}
			}
			row[i] = c
			buf = encodeValue(buf, c)
		}
		h.Write(buf)
		n++
		return row, nil
	}
	copied, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromFunc(next))
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if copied != n {
		return fmt.Errorf("copy: %d rows read, %d copied", n, copied)
	}
	t.rep.Rows = n
	t.sum = h.Sum(nil)
	if t.pkFixed {
		// A converted key may sort elsewhere than the original did: the
		// checksum is of the rows in PostgreSQL's key order.
		if t.sum, err = t.sortedSum(ctx, src); err != nil {
			return err
		}
	}
	t.rep.Checksum = hex.EncodeToString(t.sum)
	return nil
}

// sortedSum is t's source checksum over its converted rows sorted as
// PostgreSQL sorts their keys (integers by value, text and bytes by
// byte). It holds the table in memory; it runs only for a table in which
// a key's text was converted.
func (t *copyTable) sortedSum(ctx context.Context, src *sql.Tx) ([]byte, error) {
	rows, err := src.QueryContext(ctx, t.selectSQL(false))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	type row struct {
		key []any
		enc []byte
	}
	var all []row
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var r row
		for i, v := range vals {
			c, _, err := convertValue(t.kinds[i], v)
			if err != nil {
				return nil, err
			}
			r.enc = encodeValue(r.enc, c)
		}
		// Key values in key order, not column order.
		for _, k := range t.pk {
			c, _, _ := convertValue(t.kinds[k], vals[k])
			r.key = append(r.key, c)
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b row) int {
		for i := range a.key {
			if c := compareKey(a.key[i], b.key[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	h := sha256.New()
	for _, r := range all {
		h.Write(r.enc)
	}
	return h.Sum(nil), nil
}

// compareKey orders two converted key values as PostgreSQL does (NULLs,
// which a key cannot hold there, last).
func compareKey(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch a := a.(type) {
	case int64:
		return cmp.Compare(a, b.(int64))
	case float64:
		return cmp.Compare(a, b.(float64))
	case string:
		return strings.Compare(a, b.(string))
	case []byte:
		return bytes.Compare(a, b.([]byte))
	}
	return 0
}

// verify reads t back from PostgreSQL and compares its row count and
// checksum with the source's; the message says what differs ("" when
// nothing does). A skipped table must be empty in PostgreSQL.
func (t *copyTable) verify(ctx context.Context, src *sql.Tx, tx pgx.Tx) (string, error) {
	var count int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+quoteIdent(t.name)).Scan(&count); err != nil {
		return "", err
	}
	if t.rep.Skipped != "" {
		if t.name == "schema_version" {
			return "", nil
		}
		if count != 0 {
			return fmt.Sprintf("table %s: %d rows in PostgreSQL, want none (not copied: %s)", t.name, count, t.rep.Skipped), nil
		}
		return "", nil
	}
	if count != t.rep.Rows {
		return fmt.Sprintf("table %s: %d rows in the SQLite file, %d in PostgreSQL", t.name, t.rep.Rows, count), nil
	}
	rows, err := tx.Query(ctx, t.selectSQL(true))
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	var buf []byte
	var n int64
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return "", err
		}
		buf = buf[:0]
		for i, v := range vals {
			c, err := fromPostgres(t.kinds[i], v)
			if err != nil {
				return "", fmt.Errorf("column %s: %w", t.cols[i], err)
			}
			buf = encodeValue(buf, c)
		}
		h.Write(buf)
		n++
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, t.sum) || n != t.rep.Rows {
		return fmt.Sprintf("table %s: checksum %s in the SQLite file, %s read back from PostgreSQL", t.name, hex.EncodeToString(t.sum), hex.EncodeToString(sum)), nil
	}
	return "", nil
}

// resetSequences sets the sequence of every identity (or serial) column
// of the tables copied so that the next value is one past the largest
// copied: a new ticket continues the numbering.
func resetSequences(ctx context.Context, tx pgx.Tx, tables []*copyTable) error {
	var names []string
	for _, t := range tables {
		names = append(names, t.name)
	}
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ANY($1)
			AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
		ORDER BY table_name, column_name`, names)
	if err != nil {
		return fmt.Errorf("list sequences: %w", err)
	}
	type col struct{ table, column string }
	var cols []col
	var c col
	if _, err := pgx.ForEachRow(rows, []any{&c.table, &c.column}, func() error { cols = append(cols, c); return nil }); err != nil {
		return fmt.Errorf("list sequences: %w", err)
	}
	for _, c := range cols {
		q := `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(` + quoteIdent(c.column) + `), 0) + 1, false) FROM ` + quoteIdent(c.table)
		if _, err := tx.Exec(ctx, q, quoteIdent(c.table), c.column); err != nil {
			return fmt.Errorf("reset the sequence of %s.%s: %w", c.table, c.column, err)
		}
	}
	return nil
}

// convertValue is the SQLite value v as the PostgreSQL column of kind
// takes it, and whether text had to change for it (pgText). A value of
// another type than the column's (SQLite's type affinity lets a column
// hold one) is an error, except a blob in a text column (its bytes as
// text) and text in a blob column (its bytes).
func convertValue(kind byte, v any) (any, bool, error) {
	if v == nil {
		return nil, false, nil
	}
	switch kind {
	case kindInt:
		if i, ok := v.(int64); ok {
			return i, false, nil
		}
	case kindFloat:
		switch f := v.(type) {
		case float64:
			return f, false, nil
		case int64:
			return float64(f), false, nil
		}
	case kindText:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return nil, false, fmt.Errorf("a %T in a text column", v)
		}
		if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
			return s, false, nil
		}
		return pgText(s), true, nil
	case kindBlob:
		switch x := v.(type) {
		case []byte:
			return x, false, nil
		case string:
			return []byte(x), false, nil
		}
	}
	return nil, false, fmt.Errorf("a %T where PostgreSQL wants %s", v, kindName(kind))
}

func kindName(kind byte) string {
	switch kind {
	case kindInt:
		return "an integer"
	case kindFloat:
		return "a float"
	case kindText:
		return "text"
	}
	return "bytes"
}

// fromPostgres is a value read back from PostgreSQL in the Go type
// convertValue gives for kind.
func fromPostgres(kind byte, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		if kind == kindFloat {
			return float64(x), nil
		}
		return x, nil
	case float32:
		return float64(x), nil
	case float64, string, []byte:
		return x, nil
	}
	return nil, fmt.Errorf("unexpected %T from PostgreSQL", v)
}

// encodeValue appends the canonical encoding of a converted value to buf.
// It is the same for a value from either engine, so that equal rows hash
// equally: NULL is the byte 0; an integer 'i' and its 8 bytes big-endian
// (two's complement); a float 'f' and its IEEE 754 bits, 8 bytes
// big-endian; text 't', its length in bytes (8 bytes big-endian) and its
// UTF-8 bytes; a blob 'b', its length and its bytes. A row is its values'
// encodings in column order (the SQLite file's), and a table's checksum
// the SHA-256 of its rows in primary-key order. Text is hashed as it was
// stored in PostgreSQL, after pgText.
func encodeValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, 0)
	case int64:
		return binary.BigEndian.AppendUint64(append(buf, kindInt), uint64(x))
	case float64:
		return binary.BigEndian.AppendUint64(append(buf, kindFloat), math.Float64bits(x))
	case string:
		buf = binary.BigEndian.AppendUint64(append(buf, kindText), uint64(len(x)))
		return append(buf, x...)
	case []byte:
		buf = binary.BigEndian.AppendUint64(append(buf, kindBlob), uint64(len(x)))
		return append(buf, x...)
	}
	panic(fmt.Sprintf("encodeValue: %T", v))
}
