package postgres

import (
	"context"
	"os"
)

// T is what SchemaFor and BouncerFor need of a *testing.T or *testing.B
// (this package does not import testing: binaries link it).
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Skip(args ...any)
	Errorf(format string, args ...any)
	Cleanup(func())
}

// BouncerFor is StartBehindBouncer for a test, all stopped after it.
// Without pgbouncer it skips t, or fails it when CI is set, like the
// Dovecot tests.
func BouncerFor(t T, poolSize int) (*Bouncer, string) {
	t.Helper()
	if _, err := FindPgBouncer(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the PgBouncer tests: %v", err)
		}
		t.Skip(err)
	}
	b, url, stop, err := StartBehindBouncer(poolSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stop PgBouncer: %v", err)
		}
	})
	return b, url
}

// SchemaFor returns the URL of a new, empty schema on the server at
// baseURL, dropped after t.
func SchemaFor(t T, baseURL string) string {
	t.Helper()
	url, drop, err := NewSchema(context.Background(), baseURL)
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
