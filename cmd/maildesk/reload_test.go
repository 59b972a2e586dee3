package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
)

// TestHotReload edits a rule file under a running daemon: a valid edit is
// in force for the next inquiry, a broken one is refused and the last good
// rules stay, and the fix is taken again.
func TestHotReload(t *testing.T) {
	s := newStack(t)
	reloaded := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- runDaemon(ctx, s.configPath, daemonOptions{
			log: testLogger(t), reloadEvery: 20 * time.Millisecond,
			reloaded: func(err error) { reloaded <- err },
			ready:    func(*desk.Desk) { close(ready) },
		})
	}()
	<-ready
	handlers := filepath.Join(s.dir, "rules", "handlers.toml")
	orig, err := os.ReadFile(handlers)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ackPhone := func(step string) string {
		t.Helper()
		n++
		// One customer per step: four inquiries from one address within
		// the hour would meet the acknowledgement rate limit.
		from := fmt.Sprintf("kim%d@example.co.kr", n)
		s.send(from, []string{"fta-pass@origin.or.kr"},
			maildesktest.Inquiry(from, "fta-pass@origin.or.kr", "문의 "+step, fmt.Sprintf("reload%d@x", n), "질문\r\n"))
		caps := s.waitCaptured(n)
		m, err := message.Parse(caps[n-1].Raw)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"031-600-0722", "031-600-9999", "031-600-1111"} {
			if strings.Contains(m.Text, p) {
				return p
			}
		}
		t.Fatalf("%s: no known phone in the ack:\n%s", step, m.Text)
		return ""
	}
	edit := func(content []byte, wantErr bool) {
		t.Helper()
		// Written aside and renamed into place, as deploy tools do: a
		// test machine busy enough to pause this process between the
		// truncate and the write of an in-place write for two reload
		// intervals would show the reloader an empty file that held
		// still, and the test would see a reload it did not make.
		tmp := handlers + ".tmp"
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, handlers); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-reloaded:
			if (err != nil) != wantErr {
				t.Fatalf("reload: got %v, want error %v", err, wantErr)
			}
			if wantErr && !strings.Contains(err.Error(), "handlers.toml:") {
				t.Errorf("reload error lacks file:line: %v", err)
			}
		case <-time.After(maildesktest.WaitLimit):
			t.Fatal("no reload after the edit")
		}
	}

	if got := ackPhone("start"); got != "031-600-0722" {
		t.Fatalf("start: got %s", got)
	}
	edit([]byte(strings.Replace(string(orig), "031-600-0722", "031-600-9999", 1)), false)
	if got := ackPhone("valid edit"); got != "031-600-9999" {
		t.Fatalf("after a valid edit: got %s, want 031-600-9999", got)
	}
	edit([]byte(strings.Replace(string(orig), "031-600-0722", "031-600-1111", 1)+"\n[[handler]]\nid = \"broken\"\nphonne = 1\n"), true)
	if got := ackPhone("broken edit"); got != "031-600-9999" {
		t.Fatalf("after a broken edit: got %s, want the last good 031-600-9999", got)
	}
	edit([]byte(strings.Replace(string(orig), "031-600-0722", "031-600-1111", 1)), false)
	if got := ackPhone("fixed"); got != "031-600-1111" {
		t.Fatalf("after the fix: got %s, want 031-600-1111", got)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestStartWarnsOfTableEnd: the daemon logs the holiday table's end once,
// at start, and not again when it reloads the rules.
func TestStartWarnsOfTableEnd(t *testing.T) {
	s := newStack(t)
	var logs bytes.Buffer
	var logsMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logsMu, &logs}, nil))
	clock := &testClock{t: time.Date(rules.LastCheckedYear, 6, 1, 1, 0, 0, 0, time.UTC)}
	reloaded := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- runDaemon(ctx, s.configPath, daemonOptions{
			log: log, clock: clock, reloadEvery: 20 * time.Millisecond,
			reloaded: func(err error) { reloaded <- err },
			ready:    func(*desk.Desk) { close(ready) },
		})
	}()
	<-ready
	// A reload (an edited rule file) does not repeat the warning.
	cal := filepath.Join(s.dir, "rules", "calendar.toml")
	b, err := os.ReadFile(cal)
	if err != nil {
		t.Fatal(err)
	}
	// The reloader takes its first look at the files concurrently with
	// ready: an edit before that look is no change to it, so edit again
	// until a reload happens.
	deadline := time.After(maildesktest.WaitLimit)
	for n := 1; ; n++ {
		if err := os.WriteFile(cal, fmt.Appendf(b, "\n# edit %d\n", n), 0o644); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-reloaded:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(200 * time.Millisecond):
			continue
		case <-deadline:
			t.Fatal("no reload")
		}
		break
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// The daemon has stopped: nothing writes to logs any more.
	want := fmt.Sprintf("`maildesk calendar %d`", rules.LastCheckedYear+1)
	var warnings []string
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "calendar:") {
			warnings = append(warnings, line)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], want) || !strings.Contains(warnings[0], "[[calendar.add]]") {
		t.Errorf("got %d warnings %q, want one naming %s and [[calendar.add]]\nlog:\n%s", len(warnings), warnings, want, logs.String())
	}
}
