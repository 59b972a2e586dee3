package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

// TestDovecotReferencesFlood: a mail naming 40,000 Message-IDs in References
// is taken in, and the inquiry after it is acknowledged (issue 12: it held
// its mailbox's cursor for good).
func TestDovecotReferencesFlood(t *testing.T) {
	s, dv := newDovecotStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	var refs strings.Builder
	for i := range 40000 {
		fmt.Fprintf(&refs, " <r%d@flood.example>", i)
	}
	flood := inquiry("flood@example.com", "fta-pass@origin.or.kr", "flood", "flood@example.com", "x\r\n",
		"References:"+refs.String())
	dv.deliver(t, "fta-pass", "flood@example.com", flood)
	dv.deliver(t, "fta-pass", "kim@example.co.kr",
		inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "원산지 문의", "after-flood@example.co.kr", "문의입니다.\r\n"))
	snap := s.waitFor(st, "the inquiry after the flood acknowledged", func(sn snapshot) bool {
		for _, o := range sn.outbox {
			if o.Kind == desk.KindAck && o.To[0] == "kim@example.co.kr" && o.State == store.Sent {
				return true
			}
		}
		return false
	})
	if snap.cursors["fta-pass"] != 2 {
		t.Errorf("cursor: got %d, want 2", snap.cursors["fta-pass"])
	}
	d.stop()
}

// TestDovecotFirstStartHistory: maildesk's first start on a folder holding
// twenty ten-day-old mails sends no acknowledgement and one summary to the
// handler; a mail that arrives after is acknowledged.
func TestDovecotFirstStartHistory(t *testing.T) {
	s, dv := newDovecotStack(t)
	c, err := imapclient.DialInsecure(dv.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("fta-pass", demoPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-10 * 24 * time.Hour)
	for i := range 20 {
		raw := inquiry(fmt.Sprintf("old%d@example.com", i), "fta-pass@origin.or.kr", "지난 문의", fmt.Sprintf("old%d@example.com", i), "예전 문의입니다.\r\n")
		cmd := c.Append("INBOX", int64(len(raw)), &imap.AppendOptions{Time: old})
		if _, err := cmd.Write(raw); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	snap := s.waitFor(st, "the old mail stored", func(sn snapshot) bool { return sn.cursors["fta-pass"] == 20 })
	if len(snap.outbox) != 0 {
		t.Fatalf("customer mail queued for history: %d", len(snap.outbox))
	}
	snap = s.waitFor(st, "the summary sent", func(sn snapshot) bool { return len(sn.staff) == 1 && sn.staff[0].State == store.Sent })
	if snap.staff[0].To[0] != "mslim@origin.or.kr" {
		t.Errorf("summary to %v", snap.staff[0].To)
	}
	dv.deliver(t, "fta-pass", "new@example.com", inquiry("new@example.com", "fta-pass@origin.or.kr", "새 문의", "new@example.com", "새 문의입니다.\r\n"))
	snap = s.waitFor(st, "the new inquiry acknowledged", func(sn snapshot) bool {
		return len(sn.outbox) == 1 && sn.outbox[0].State == store.Sent && sn.outbox[0].To[0] == "new@example.com"
	})
	if len(snap.staff) != 2 {
		t.Errorf("notices: got %d, want the summary and the new inquiry's", len(snap.staff))
	}
	d.stop()
}

// TestDaemonStopsWhenTheDatabaseIsDeleted: the daemon notices its database
// file was deleted under it and stops with ErrFileReplaced instead of
// writing on into an unlinked file.
func TestDaemonStopsWhenTheDatabaseIsDeleted(t *testing.T) {
	s := newStack(t)
	cfg, err := rules.LoadConfigNoSecrets(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		errc <- runDaemon(ctx, s.configPath, daemonOptions{log: testLogger(t), fileCheckEvery: 10 * time.Millisecond,
			ready: func(*desk.Desk) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("daemon did not start: %v", err)
	}
	if err := os.Remove(cfg.Database); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, store.ErrFileReplaced) {
			t.Fatalf("daemon stopped with %v, want ErrFileReplaced", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the daemon ran on after its database was deleted")
	}
}

// TestDatabaseFileMode: the daemon's database is readable by its owner only.
func TestDatabaseFileMode(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	d.stop()
	cfg, err := rules.LoadConfigNoSecrets(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cfg.Database, cfg.Database + "-wal", cfg.Database + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) && p != cfg.Database {
			continue // checkpointed away on close
		}
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", p, m)
		}
	}
}

// TestCleartextWarning: security = "none" to another host is warned of;
// to this machine it is not.
func TestCleartextWarning(t *testing.T) {
	tests := []struct {
		host string
		warn bool
	}{
		{"127.0.0.1", false}, {"localhost", false}, {"::1", false}, {"[::1]", false}, {"127.0.0.53", false},
		{"smtp.origin.or.kr", true}, {"192.0.2.1", true},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		warnCleartext(log, &rules.Config{
			SMTP:      rules.SMTP{Host: tt.host, Security: rules.SecurityNone},
			Mailboxes: []rules.Mailbox{{Name: "fta-pass", Host: tt.host, Security: rules.SecurityNone}, {Name: "tls", Host: "x", Security: rules.SecurityTLS}},
		})
		got := strings.Count(buf.String(), "clear text")
		if want := map[bool]int{true: 2, false: 0}[tt.warn]; got != want {
			t.Errorf("host %s: %d warnings, want %d:\n%s", tt.host, got, want, buf.String())
		}
	}
}
