package main

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		out, err := runCLI(t, arg)
		if err != nil || !strings.HasPrefix(out, "maildesk ") || !strings.HasSuffix(out, " "+runtime.Version()+"\n") {
			t.Errorf("%s: got %q, %v; want maildesk VERSION … %s", arg, out, err, runtime.Version())
		}
	}
	b := buildInfo{Version: "v1.2.0", Revision: "0123abc+dirty", Time: "2026-12-04T01:51:58Z", Go: "go1.26.8"}
	if got, want := b.String(), "maildesk v1.2.0 0123abc+dirty 2026-12-04T01:51:58Z go1.26.8"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
}

// TestBackupCommand: `maildesk backup` copies the running daemon's
// database; the copy opens with the tickets taken in before it.
func TestBackupCommand(t *testing.T) {
	maildesktest.SQLiteOnly(t) // TestDaemonOnPostgres checks the pg_dump message
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "문의", "bk@x", "문의드립니다.\r\n")); err != nil {
		t.Fatal(err)
	}
	s.waitCaptured(1)
	dest := filepath.Join(t.TempDir(), "maildesk-copy.db")
	out, err := runCLI(t, "backup", "-config", s.configPath, dest)
	if err != nil || !strings.HasPrefix(out, "ok: "+dest) {
		t.Fatalf("backup: %q, %v", out, err)
	}
	d.stop()
	c, err := store.Open(context.Background(), dest)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var n int
	err = c.Read(context.Background(), func(tx *store.Tx) error {
		ts, err := tx.Tickets(context.Background(), store.TicketFilter{})
		n = len(ts)
		return err
	})
	if err != nil || n != 1 {
		t.Errorf("the copy: %d tickets, %v; want 1", n, err)
	}
	if _, err := runCLI(t, "backup", "-config", s.configPath, dest); exitCode(err) != 1 {
		t.Errorf("a backup onto an existing file: exit %d (%v), want 1", exitCode(err), err)
	}
}
