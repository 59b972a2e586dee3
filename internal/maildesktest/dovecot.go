package maildesktest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kioi/maildesk/internal/dovecot"
)

// Dovecot starts an instance for t in a temporary directory, with the given
// accounts. Where Dovecot cannot run it skips t, except when CI is set:
// there the Dovecot tests are the end-to-end proof and must not silently
// vanish, so it fails. The instance stops when t ends; if t failed, the
// instance's log is in t's log.
func Dovecot(t testing.TB, users []string, password string) *dovecot.Server {
	t.Helper()
	return DovecotWith(t, dovecot.Config{Users: users, Password: password})
}

// DovecotWith is Dovecot with the instance's whole configuration (its Dir
// is t's): for a test that turns on the oauth2 passdb.
func DovecotWith(t testing.TB, cfg dovecot.Config) *dovecot.Server {
	t.Helper()
	NeedDovecot(t)
	dir := t.TempDir()
	// t.TempDir makes the directory above dir 0700 too, and Dovecot's
	// unprivileged processes must reach the maildirs.
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Dir = dir
	s, err := dovecot.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("dovecot:\n%s", s.Logs(4000))
		}
	})
	return s
}

// NeedDovecot skips t where Dovecot cannot run, or fails it when CI is set.
func NeedDovecot(t testing.TB) {
	t.Helper()
	if _, err := dovecot.Find(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the Dovecot tests: %v", err)
		}
		t.Skip(err)
	}
}
