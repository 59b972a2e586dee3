package maildesktest

import (
	"context"
	"os"
	"testing"

	"github.com/kioi/maildesk/internal/postgres"
)

// Postgres returns the URL of a new, empty PostgreSQL database for t (a
// schema of its own, dropped after t): in the server MAILDESK_TEST_POSTGRES
// names when it is set, else in a throwaway cluster started for t and
// stopped after it. It skips t where PostgreSQL cannot run, and fails it
// when CI is set, like Dovecot. store.Open takes the URL as it is.
//
// A cluster per test costs initdb's second or two: a package with many
// PostgreSQL tests should start one in its TestMain, as store's tests do.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(postgres.EnvURL)
	if base == "" {
		NeedPostgres(t)
		srv, err := postgres.Start()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(srv.Stop)
		base = srv.URL()
	}
	url, drop, err := postgres.NewSchema(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return url
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
