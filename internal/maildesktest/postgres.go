package maildesktest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kioi/maildesk/internal/postgres"
)

// Postgres returns the URL of a new, empty PostgreSQL database for t (a
// schema of its own, dropped after t): in the server MAILDESK_TEST_POSTGRES
// names when it is set, else in a throwaway cluster started for t and
// stopped after it. It skips t where PostgreSQL cannot run, and fails it
// when CI is set, like Dovecot. store.Open takes the URL as it is.
//
// In the PostgreSQL run of postgres.RunBoth the schema is made in that
// run's cluster; elsewhere a cluster per test costs initdb's second or
// two, so a package with many PostgreSQL tests should call RunBoth in its
// TestMain and mark them PostgresOnly.
func Postgres(t testing.TB) string {
	t.Helper()
	base := postgres.Base()
	if base == "" {
		base = os.Getenv(postgres.EnvURL)
	}
	if base == "" {
		NeedPostgres(t)
		srv, err := postgres.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		base = srv.URL()
	}
	return postgres.SchemaFor(t, base)
}

// Database returns what store.Open takes for a new, empty database of
// this test run's engine: a file named name in t's directory in the
// SQLite run, a schema of its own in the PostgreSQL run of a package
// whose TestMain calls postgres.RunBoth.
func Database(t testing.TB, name string) string {
	t.Helper()
	if !OnPostgres() {
		return filepath.Join(t.TempDir(), name)
	}
	return Postgres(t)
}

// OnPostgres tells whether this is the PostgreSQL run of postgres.RunBoth.
func OnPostgres() bool { return postgres.Base() != "" }

// SQLiteOnly skips t in the PostgreSQL run: it tests what only SQLite
// has (a file, its backup, its modes).
func SQLiteOnly(t testing.TB) {
	t.Helper()
	if OnPostgres() {
		t.Skip("SQLite only")
	}
}

// PostgresOnly skips t in the SQLite run of postgres.RunBoth: a test of
// what only PostgreSQL has runs in the PostgreSQL run, on its server,
// rather than starting a cluster of its own in both.
func PostgresOnly(t testing.TB) {
	t.Helper()
	if !OnPostgres() {
		t.Skip("PostgreSQL only: runs in the PostgreSQL run")
	}
}

// PgBouncer starts a throwaway cluster with PgBouncer in transaction mode
// in front of it (poolSize server connections, which clients share) and
// returns the URL of a new database through it; all stopped after t. It
// skips t in the SQLite run, or without pgbouncer (fails when CI is set).
func PgBouncer(t testing.TB, poolSize int) (*postgres.Bouncer, string) {
	t.Helper()
	PostgresOnly(t)
	return postgres.BouncerFor(t, poolSize)
}

// NeedPostgres skips t where PostgreSQL cannot run (no postgresql package
// and no MAILDESK_TEST_POSTGRES), or fails it when CI is set.
func NeedPostgres(t testing.TB) {
	t.Helper()
	if os.Getenv(postgres.EnvURL) != "" {
		return
	}
	if _, err := postgres.Find(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the PostgreSQL tests: %v", err)
		}
		t.Skip(err)
	}
}
