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

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
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
	cfg, err := config.LoadNoSecrets(s.configPath)
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
	cfg, err := config.LoadNoSecrets(s.configPath)
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
		warnCleartext(log, &config.Config{
			SMTP:      config.SMTP{Host: tt.host, Security: config.SecurityNone},
			Mailboxes: []config.Mailbox{{Name: "fta-pass", Host: tt.host, Security: config.SecurityNone}, {Name: "tls", Host: "x", Security: config.SecurityTLS}},
		})
		got := strings.Count(buf.String(), "clear text")
		if want := map[bool]int{true: 2, false: 0}[tt.warn]; got != want {
			t.Errorf("host %s: %d warnings, want %d:\n%s", tt.host, got, want, buf.String())
		}
	}
}

func TestTerminalSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"원산지 문의\n", "원산지 문의\n"},
		{"a\tb", "a\tb"},
		{"\x1b]0;pwned\x07title", "\ufffd]0;pwned\ufffdtitle"},
		{"\x1b[2J\x1b[31mred", "\ufffd[2J\ufffd[31mred"},
		{"c1 \u009b31m", "c1 \ufffd31m"},
		{"del\x7f", "del\ufffd"},
		{"bidi \u202egnp.exe", "bidi \ufffdgnp.exe"},
		{"bad \xff utf-8", "bad \ufffd utf-8"},
		{"cr\rover", "cr\ufffdover"},
	}
	for _, tt := range tests {
		if got := terminalSafe(tt.in); got != tt.want {
			t.Errorf("terminalSafe(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTicketsShowNoEscapes: a subject, a name and a text with terminal
// escape sequences are listed and shown without their control characters;
// -json keeps them, escaped.
func TestTicketsShowNoEscapes(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	d.stop()
	st := s.db()
	ctx := context.Background()
	const evil = "\x1b]0;owned\x07\x1b[2J"
	now := time.Now()
	err := st.Write(ctx, func(tx *store.Tx) error {
		tk := &store.Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: store.StatusOpen,
			Customer: "kim@example.co.kr", CustomerName: "김" + evil, Subject: "문의" + evil, CreatedAt: now, UpdatedAt: now, DueAt: &now}
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		if err := tx.InsertMessage(ctx, &store.Message{TicketID: tk.ID, Direction: store.In, Kind: desk.KindInquiry,
			MessageID: "e@x", ContentHash: "h", From: "kim@example.co.kr", Subject: "문의" + evil, Raw: []byte("x"), CreatedAt: now}); err != nil {
			return err
		}
		return tx.AddEvent(ctx, tk.ID, now, "note", "from "+evil)
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func(*bytes.Buffer) error{
		"tickets": func(b *bytes.Buffer) error { return listTickets(ctx, s.configPath, false, b) },
		"ticket":  func(b *bytes.Buffer) error { return showTicket(ctx, s.configPath, "1", false, b) },
	} {
		var b bytes.Buffer
		if err := run(&b); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(b.String(), "\x1b\x07") {
			t.Errorf("%s prints control characters:\n%q", name, b.String())
		}
		if !strings.Contains(b.String(), "문의") {
			t.Errorf("%s lost the subject:\n%s", name, b.String())
		}
	}
	var b bytes.Buffer
	if err := showTicket(ctx, s.configPath, "1", true, &b); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), `\u001b`) {
		t.Errorf("-json: want the escape escaped:\n%s", b.String())
	}
}
