package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
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
	flood := maildesktest.Inquiry("flood@example.com", "fta-pass@origin.or.kr", "flood", "flood@example.com", "x\r\n",
		"References:"+refs.String())
	dv.deliver(t, "fta-pass", "flood@example.com", flood)
	dv.deliver(t, "fta-pass", "kim@example.co.kr",
		maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "원산지 문의", "after-flood@example.co.kr", "문의입니다.\r\n"))
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
		raw := maildesktest.Inquiry(fmt.Sprintf("old%d@example.com", i), "fta-pass@origin.or.kr", "지난 문의", fmt.Sprintf("old%d@example.com", i), "예전 문의입니다.\r\n")
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
	dv.deliver(t, "fta-pass", "new@example.com", maildesktest.Inquiry("new@example.com", "fta-pass@origin.or.kr", "새 문의", "new@example.com", "새 문의입니다.\r\n"))
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
	maildesktest.SQLiteOnly(t)
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
	case <-time.After(maildesktest.WaitLimit):
		t.Fatal("the daemon ran on after its database was deleted")
	}
}

// TestDatabaseFileMode: the daemon's database is readable by its owner only.
func TestDatabaseFileMode(t *testing.T) {
	maildesktest.SQLiteOnly(t)
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
		"tickets": func(b *bytes.Buffer) error {
			return listTickets(ctx, s.configPath, ticketQuery{status: "all"}, false, b)
		},
		"ticket": func(b *bytes.Buffer) error { return showTicket(ctx, s.configPath, "1", false, false, b) },
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
	if err := showTicket(ctx, s.configPath, "1", true, false, &b); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") || !strings.Contains(b.String(), `\u001b`) {
		t.Errorf("-json: want the escape escaped:\n%s", b.String())
	}
}

// stallingSMTP accepts SMTP connections and answers everything but the end
// of DATA, which it never answers: a relay that hangs mid-conversation.
func stallingSMTP(t *testing.T) (addr string, dataSeen <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	seen := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprint(c, "220 stall.example ESMTP\r\n")
				r := bufio.NewReader(c)
				inData := false
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch {
					case inData:
						if line == ".\r\n" {
							seen <- struct{}{}
							io.Copy(io.Discard, r) // and never answer
							return
						}
					case strings.HasPrefix(strings.ToUpper(line), "EHLO"):
						fmt.Fprint(c, "250 stall.example\r\n")
					case strings.HasPrefix(strings.ToUpper(line), "DATA"):
						inData = true
						fmt.Fprint(c, "354 go on\r\n")
					case strings.HasPrefix(strings.ToUpper(line), "QUIT"):
						fmt.Fprint(c, "221 bye\r\n")
						return
					default:
						fmt.Fprint(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), seen
}

// TestShutdownAbortsAHungConversation: stopping the daemon while the SMTP
// server hangs after DATA ends within the grace (the second phase aborts
// the conversation), the delivery stays queued with its attempt recorded,
// so it is retried after a restart, and the store is closed only after
// every loop returned.
func TestShutdownAbortsAHungConversation(t *testing.T) {
	s := newStack(t)
	addr, dataSeen := stallingSMTP(t)
	host, port, _ := net.SplitHostPort(addr)
	cfg, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	smtpHost, smtpPort, _ := net.SplitHostPort(s.mail.SMTPAddr())
	patched := strings.Replace(string(cfg), fmt.Sprintf("port = %s", smtpPort), "port = "+port, 1)
	patched = strings.Replace(patched, fmt.Sprintf("host = %q", smtpHost), fmt.Sprintf("host = %q", host), 1)
	if patched == string(cfg) {
		t.Fatalf("could not point the config at the stalling server:\n%s", cfg)
	}
	if err := os.WriteFile(s.configPath, []byte(patched), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	var running []string
	closed := make(chan struct{})
	go func() {
		errc <- runDaemon(ctx, s.configPath, daemonOptions{log: testLogger(t), grace: 300 * time.Millisecond,
			ready:   func(*desk.Desk) { close(ready) },
			closing: func(r []string) { running = r; close(closed) }})
	}()
	<-ready
	s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "원산지 문의", "hang@example.co.kr", "문의입니다.\r\n"))
	select {
	case <-dataSeen:
	case <-time.After(maildesktest.WaitLimit):
		t.Fatal("the acknowledgement never reached the end of DATA")
	}
	stopped := time.Now()
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("daemon: %v", err)
		}
	case <-time.After(maildesktest.WaitLimit):
		t.Fatal("the daemon did not stop")
	}
	// The grace is 300 ms; the sender's own timeout is a minute.
	if took := time.Since(stopped); took > 20*time.Second {
		t.Errorf("stopping took %v: the hung conversation was not aborted", took)
	}
	<-closed
	if len(running) != 0 {
		t.Errorf("the store was closed with loops running: %v", running)
	}
	st := s.db()
	var ds []*store.Delivery
	if err := st.Read(context.Background(), func(tx *store.Tx) (err error) { ds, err = tx.Deliveries(context.Background(), ""); return err }); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Kind == desk.KindAck && (d.State != store.Queued || d.Attempts != 1) {
			t.Errorf("the ack after the abort: state %s, %d attempts; want queued with 1 (retryable)", d.State, d.Attempts)
		}
	}
}

// TestSecondDaemonIsRefused: a second daemon on the same database refuses
// to start, naming the lock, while the first runs on.
func TestSecondDaemonIsRefused(t *testing.T) {
	maildesktest.SQLiteOnly(t)
	s := newStack(t)
	startDaemon(t, s.configPath)
	err := runDaemon(context.Background(), s.configPath, daemonOptions{log: testLogger(t)})
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), ".lock") {
		t.Fatalf("second daemon: got %v, want ErrLocked naming the lock file", err)
	}
}

// TestDemoKeepsEditedRules: a demo restarted in the same directory keeps
// rule files the user edited and says so; -reset puts the examples back.
// The banner names the process to stop.
func TestDemoKeepsEditedRules(t *testing.T) {
	dir := t.TempDir()
	run := func(reset bool) string {
		t.Helper()
		var out bytes.Buffer
		var mu sync.Mutex
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		ready := make(chan struct{})
		go func() {
			errc <- runDemo(ctx, demoOptions{dir: dir, imapAddr: "127.0.0.1:0", smtpAddr: "127.0.0.1:0", reset: reset,
				out: lockedWriter{&mu, &out}, log: testLogger(t), ready: func(*demoSystem) { close(ready) }})
		}()
		select {
		case <-ready:
		case err := <-errc:
			t.Fatalf("demo: %v", err)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	first := run(false)
	if want := fmt.Sprintf("kill %d", os.Getpid()); !strings.Contains(first, want) {
		t.Errorf("banner lacks %q:\n%s", want, first)
	}
	rulesFile := filepath.Join(dir, "rules", "handlers.toml")
	edited, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	edited = append(edited, []byte("\n# edited by the admin\n")...)
	if err := os.WriteFile(rulesFile, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	second := run(false)
	if b, _ := os.ReadFile(rulesFile); !bytes.Contains(b, []byte("edited by the admin")) {
		t.Fatal("a restart overwrote the edited rules")
	}
	if !strings.Contains(second, "Kept the rule files already in") {
		t.Errorf("the banner does not say the rules were kept:\n%s", second)
	}
	run(true)
	if b, _ := os.ReadFile(rulesFile); bytes.Contains(b, []byte("edited by the admin")) {
		t.Fatal("-reset kept the edited rules")
	}
}
