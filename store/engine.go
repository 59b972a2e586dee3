package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The engines a Store runs on. Queries are written once, in the SQL both
// accept, with SQLite's "?" placeholders; the few places where the
// dialects part ask the Store (indexedBy, like) rather than branching in
// each caller.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// IsPostgres reports whether database names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than an SQLite file.
func IsPostgres(database string) bool {
	l := strings.ToLower(database)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Option changes how Open opens a database.
type Option func(*options)

type options struct {
	password string
}

// WithPassword gives the PostgreSQL password apart from the URL, so that
// the URL can be logged and shown as it is (config's
// database_password_env or database_password_file). Without it the URL,
// PGPASSWORD or ~/.pgpass give it, as libpq's do. SQLite ignores it.
func WithPassword(password string) Option {
	return func(o *options) { o.password = password }
}

// Engine is the engine the store runs on: SQLite or Postgres.
func (s *Store) Engine() string {
	if s.pg {
		return Postgres
	}
	return SQLite
}

// openPostgres opens the PostgreSQL database at the URL rawURL.
func openPostgres(ctx context.Context, rawURL string, o options) (*Store, error) {
	shown := redactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx's message can quote the URL, password included.
		return nil, fmt.Errorf("open database %s: cannot parse the PostgreSQL URL", shown)
	}
	if o.password != "" {
		cfg.Password = o.password
	}
	// No server-side prepared statements: maildesk must work behind
	// PgBouncer in transaction mode, where consecutive transactions of
	// one client may run on different server connections, and a
	// statement prepared on one is unknown on the next (pgx's default,
	// cache_statement, and cache_describe both prepare). exec sends each
	// query with its arguments in one extended-protocol round trip on the
	// unnamed statement, so the server still binds the arguments (no
	// quoting on our side, unlike simple_protocol, which a URL may still
	// ask for). The cost is a parse and plan per query: on this project's
	// 2-core machine a message's intake took 1.26 ms in exec mode against
	// 0.74 ms with cached statements (BenchmarkIntake/inquiry, throwaway
	// cluster). A deployment that connects to PostgreSQL directly, with
	// no pooler in transaction mode between, may have that back by
	// naming the mode in the URL (default_query_exec_mode=cache_statement),
	// which is then kept.
	if !namesExecMode(rawURL) {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	db := stdlib.OpenDB(*cfg)
	// A pooled connection idle this long is closed: a server or pooler
	// restart then costs no failed transaction on a stale connection.
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, path: shown, pg: true, stmts: map[string]*sql.Stmt{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", shown, err)
	}
	return s, nil
}

// namesExecMode reports whether the URL (or key=value string) chooses
// pgx's query execution mode itself.
func namesExecMode(raw string) bool {
	return strings.Contains(strings.ToLower(raw), "default_query_exec_mode")
}

// redactURL is a PostgreSQL URL without its password (in the user part or
// a password parameter), for errors and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// bound caches the PostgreSQL text of each query: rebinding is a scan of
// the query on every call otherwise.
var bound sync.Map // string -> string

// bind returns q as the engine takes it: as written for SQLite, with
// numbered placeholders for PostgreSQL.
func (s *Store) bind(q string) string {
	if s == nil || !s.pg {
		return q
	}
	if b, ok := bound.Load(q); ok {
		return b.(string)
	}
	b := rebind(q)
	bound.Store(q, b)
	return b
}

// rebind turns SQLite's placeholders into PostgreSQL's: "?NNN" into
// "$NNN", and each bare "?" into "$n" numbered as SQLite numbers it (one
// more than the largest number so far), so that a query may mix the two
// as SQLite allows. Quoted text and identifiers are left alone.
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '"':
			j := strings.IndexByte(q[i+1:], c)
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j+2])
			i += j + 1
		case '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				k, _ := strconv.Atoi(q[i+1 : j])
				n = max(n, k)
				b.WriteString("$" + q[i+1:j])
				i = j - 1
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// indexedBy is SQLite's INDEXED BY clause naming index, where its planner
// needs telling (it has no statistics: maildesk never runs ANALYZE); ""
// on PostgreSQL, which has no such clause and keeps statistics itself.
func (s *Store) indexedBy(index string) string {
	if s.pg {
		return ""
	}
	return " INDEXED BY " + index
}

// skipLocked ends a query that claims rows of the table named alias for
// this transaction: on PostgreSQL, FOR UPDATE SKIP LOCKED, so that another
// instance claiming at the same moment takes other rows and neither
// waits; on SQLite nothing, as its one writer claims alone.
func (s *Store) skipLocked(alias string) string {
	if s.pg {
		return " FOR UPDATE OF " + alias + " SKIP LOCKED"
	}
	return ""
}

// like is the operator of a search that ignores the case of ASCII
// letters: SQLite's LIKE does, PostgreSQL's ILIKE (its LIKE does not).
// Under the columns' "C" collation ILIKE, like SQLite, folds ASCII only.
func (s *Store) like() string {
	if s.pg {
		return "ILIKE"
	}
	return "LIKE"
}

// text returns args as the engine stores them. PostgreSQL's text holds
// neither a NUL byte nor invalid UTF-8, both of which hostile or broken
// mail brings (a body with a NUL, a header in an undeclared charset), and
// refuses the whole statement, so the intake batch would fail for good:
// on PostgreSQL such a string has each NUL and each invalid byte sequence
// replaced by U+FFFD. Only the texts parsed from a mail change; its raw
// bytes (BYTEA, passed as []byte) are kept verbatim, so any parse can be
// redone. Lookups pass through here too, so an id stored changed is found
// by the same id.
func (s *Store) text(args []any) []any {
	if s == nil || !s.pg {
		return args
	}
	var out []any
	for i, a := range args {
		str, ok := a.(string)
		if !ok || (utf8.ValidString(str) && strings.IndexByte(str, 0) < 0) {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = pgText(str)
	}
	if out == nil {
		return args
	}
	return out
}

// pgText is str with NULs and invalid UTF-8 replaced by U+FFFD.
func pgText(str string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(str, "\uFFFD"), "\x00", "\uFFFD")
}
