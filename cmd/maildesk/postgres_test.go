package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestDaemonOnPostgres: with database = "postgres://…" the daemon takes a
// mail in and acknowledges it, `maildesk tickets` reads the ticket from
// PostgreSQL, and `maildesk backup` says to use pg_dump. The full
// end-to-end suite on both engines is a later step (docs/scaling.md).
func TestDaemonOnPostgres(t *testing.T) {
	url := maildesktest.Postgres(t)
	s := newStack(t)
	b, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `database = "maildesk.db"`, `database = "`+url+`"`, 1)
	if cfg == string(b) {
		t.Fatal("the demo config has no database line to replace")
	}
	if err := os.WriteFile(s.configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
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
