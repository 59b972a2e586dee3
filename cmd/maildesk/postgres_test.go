package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/internal/postgres"
	"github.com/kioi/maildesk/store"
)

// The end-to-end tests run on both engines: on SQLite, then again on
// PostgreSQL (postgres.RunBoth), where every stack's config names a
// schema of its own in one cluster for the whole run.
func TestMain(m *testing.M) { os.Exit(postgres.RunBoth("cmd/maildesk", m)) }

// engineConfig points the demo config at path to a new PostgreSQL schema
// in the PostgreSQL run; in the SQLite run it leaves it as it is.
func engineConfig(t *testing.T, path string) {
	t.Helper()
	if !maildesktest.OnPostgres() {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `database = "maildesk.db"`, `database = "`+maildesktest.Postgres(t)+`"`, 1)
	if cfg == string(b) {
		t.Fatal("the demo config has no database line to replace")
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonOnPostgres: with database = "postgres://…" the daemon makes
// no file beside its config, `maildesk tickets` reads the ticket from
// PostgreSQL, and `maildesk backup` says to use pg_dump.
func TestDaemonOnPostgres(t *testing.T) {
	maildesktest.PostgresOnly(t)
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "원산지 문의", "pg@x", "문의드립니다.\r\n")); err != nil {
		t.Fatal(err)
	}
	s.waitCaptured(1)
	d.stop()
	if _, err := os.Stat(filepath.Join(s.dir, "maildesk.db")); err == nil {
		t.Error("an SQLite file was made beside the config")
	}

	out, err := runCLI(t, "tickets", "-config", s.configPath, "-json")
	if err != nil {
		t.Fatalf("tickets: %v", err)
	}
	var ts []store.Ticket
	if err := json.Unmarshal([]byte(out), &ts); err != nil {
		t.Fatalf("tickets -json: %v\n%s", err, out)
	}
	if len(ts) != 1 || ts[0].Subject != "원산지 문의" || ts[0].Customer != "kim@example.co.kr" {
		t.Errorf("tickets: got %+v, want the one inquiry", ts)
	}
	_, err = runCLI(t, "backup", "-config", s.configPath, filepath.Join(t.TempDir(), "copy.db"))
	if err == nil || !strings.Contains(err.Error(), "use pg_dump") {
		t.Errorf("backup: got %v, want the pg_dump error", err)
	}
}
