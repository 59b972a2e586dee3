package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/kioi/maildesk/internal/postgres"
)

// Every test of this package runs on both engines (postgres.RunBoth):
// on SQLite, then again in a second run of this test binary where
// openTest and testDatabase give PostgreSQL databases, a schema each in
// one cluster for the whole run. A test of something only SQLite has
// says so with sqliteOnly. (internal/maildesktest, which the other
// packages use for this, cannot be used here: it imports store.)
func TestMain(m *testing.M) { os.Exit(postgres.RunBoth("store", m)) }

// onPostgres tells whether this is the PostgreSQL run.
func onPostgres() bool { return postgres.Base() != "" }

// testDatabase returns what Open takes for a new, empty database of this
// run's engine: a file in t's directory, or a URL of a new schema.
func testDatabase(t testing.TB) string {
	t.Helper()
	if !onPostgres() {
		return filepath.Join(t.TempDir(), "test.db")
	}
	return postgres.SchemaFor(t, postgres.Base())
}

// sqliteOnly skips t on PostgreSQL: it tests what only SQLite has (a
// file, its modes, WAL, EXPLAIN QUERY PLAN, VACUUM INTO).
func sqliteOnly(t testing.TB) {
	t.Helper()
	if onPostgres() {
		t.Skip("SQLite only")
	}
}

// The two engines' migrations have the same numbers and names: one
// schema version means one schema.
func TestMigrationsPerEngine(t *testing.T) {
	lite, err := migrationsOf(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrationsOf(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("migrations: %d for SQLite, %d for PostgreSQL", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: %s for SQLite, %s for PostgreSQL", i+1, lite[i].name, pg[i].name)
		}
	}
}

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{`WHERE x >= ?1 AND y < ?2 OR ?3 = '' OR z = ?3`, `WHERE x >= $1 AND y < $2 OR $3 = '' OR z = $3`},
		{`LIKE ? ESCAPE '\' AND q = '?' AND "a?" = ?`, `LIKE $1 ESCAPE '\' AND q = '?' AND "a?" = $2`},
		{`?2, ?`, `$2, $3`},
		{`'it''s ?' = ?`, `'it''s ?' = $1`},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://desk:s3cret@db.example.org:5432/maildesk?sslmode=require", "postgres://desk@db.example.org:5432/maildesk?sslmode=require"},
		{"postgresql://db/maildesk?password=s3cret&sslmode=disable", "postgresql://db/maildesk?sslmode=disable"},
	} {
		if got := redactURL(c.in); got != c.want {
			t.Errorf("redactURL(%q): got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIsPostgres(t *testing.T) {
	for in, want := range map[string]bool{"postgres://db/x": true, "PostgreSQL://db/x": true, "/var/lib/maildesk.db": false, "postgres.db": false} {
		if got := IsPostgres(in); got != want {
			t.Errorf("IsPostgres(%q): got %v, want %v", in, got, want)
		}
	}
}

// What only SQLite has is a no-op or a clear error on PostgreSQL.
func TestPostgresWithoutFile(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only")
	}
	ctx := context.Background()
	s := openTest(t)
	if s.Engine() != Postgres {
		t.Fatalf("engine: got %s, want %s", s.Engine(), Postgres)
	}
	if err := s.CheckFile(); err != nil {
		t.Errorf("CheckFile: got %v, want nil", err)
	}
	if err := s.Backup(ctx, filepath.Join(t.TempDir(), "copy.db")); !errors.Is(err, ErrBackupPostgres) {
		t.Errorf("Backup: got %v, want ErrBackupPostgres", err)
	}
	release, err := Lock(postgres.Base())
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	release()
	if w := s.Warnings(); len(w) != 0 {
		t.Errorf("Warnings: got %v, want none", w)
	}
}

// A password given apart from the URL is used, and Path never shows one.
func TestPostgresPassword(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only")
	}
	u := testDatabase(t)
	s, err := Open(context.Background(), u, WithPassword("not-shown"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if strings.Contains(s.Path(), "not-shown") {
		t.Errorf("Path shows the password: %s", s.Path())
	}
	if _, err := Open(context.Background(), strings.Replace(u, "postgres://postgres@", "postgres://postgres:s3cret@", 1)+"&connect_timeout=1"); err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error shows the password: %v", err)
	}
}

// A mail's texts with a NUL byte or invalid UTF-8 are stored on both
// engines (PostgreSQL's text refuses them, so there they read U+FFFD),
// and its raw bytes stay verbatim.
func TestTextWithNULAndInvalidUTF8(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	bad := "a\x00b\xffc"
	want := bad
	if onPostgres() {
		want = "a\uFFFDb\uFFFDc"
	}
	raw := []byte("Subject: x\r\n\r\na\x00b\xffc")
	var id, tid int64
	err := s.Write(ctx, func(tx *Tx) error {
		tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "kim@example.co.kr", Subject: bad,
			CreatedAt: time.Unix(0, 0), UpdatedAt: time.Unix(0, 0)}
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		tid = tk.ID
		m := &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", MessageID: bad + "@x", ContentHash: "h",
			Subject: bad, Text: bad, Refs: []string{bad}, Raw: raw, CreatedAt: time.Unix(0, 0)}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		id = m.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Read(ctx, func(tx *Tx) error {
		ms, err := tx.Messages(ctx, tid)
		if err != nil {
			return err
		}
		if len(ms) != 1 || ms[0].Text != want || ms[0].Subject != want || ms[0].MessageID != want+"@x" {
			t.Errorf("messages: got %+v, want texts %q", ms, want)
		}
		got, err := tx.MessageRaw(ctx, id)
		if err != nil || string(got) != string(raw) {
			t.Errorf("raw: got %q, %v; want %q", got, err, raw)
		}
		// The id as the mail gave it finds the message.
		if found, err := tx.TicketByReferences(ctx, []string{bad + "@x"}); err != nil || found != tid {
			t.Errorf("TicketByReferences: got %d, %v; want %d", found, err, tid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The store prepares no server-side statements unless the URL asks for
// a mode itself: exec by default (PgBouncer in transaction mode), the
// URL's choice when it names one.
func TestPostgresExecMode(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only")
	}
	ctx := context.Background()
	base := testDatabase(t)
	for _, c := range []struct {
		suffix string
		want   pgx.QueryExecMode
	}{
		{"", pgx.QueryExecModeExec},
		{"&default_query_exec_mode=cache_statement", pgx.QueryExecModeCacheStatement},
		{"&default_query_exec_mode=simple_protocol", pgx.QueryExecModeSimpleProtocol},
	} {
		s, err := Open(ctx, base+c.suffix)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got pgx.QueryExecMode
		if err := conn.Raw(func(dc any) error {
			got = dc.(*stdlib.Conn).Conn().Config().DefaultQueryExecMode
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		// And it works in that mode.
		if err := s.Write(ctx, func(tx *Tx) error { return tx.SetSetting(ctx, "mode", []byte(got.String())) }); err != nil {
			t.Errorf("%q: write: %v", c.suffix, err)
		}
		s.Close()
		if got != c.want {
			t.Errorf("URL ending %q: exec mode %v, want %v", c.suffix, got, c.want)
		}
	}
}
