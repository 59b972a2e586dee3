package faulttest

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// exitBound is how long a SIGTERMed daemon may take to exit: the daemon's
// grace for work in flight is 10 s, so this is generous; it guards the
// promise "a few seconds, not forever", not a speed.
const exitBound = 30 * time.Second

// checkConsistent looks at a stopped daemon's database: SQLite's own
// integrity and foreign-key checks, and for each mailbox the cursor against
// the stored messages: every UID up to the cursor is stored, none above it
// (the cursor never runs ahead of what was stored, and nothing was stored
// without moving it).
func checkConsistent(t *testing.T, e *env, uids map[string]int) {
	t.Helper()
	db := e.rawDB(t, true)
	defer db.Close()
	var ic string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ic); err != nil || ic != "ok" {
		t.Errorf("integrity_check: got %q (%v), want ok", ic, err)
	}
	rows, err := db.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for rows.Next() {
		bad++
	}
	rows.Close()
	if bad != 0 {
		t.Errorf("foreign_key_check: %d rows point nowhere", bad)
	}
	for mbox := range uids {
		var cursor, n, maxUID int
		err := db.QueryRow(`SELECT coalesce((SELECT last_uid FROM cursors WHERE mailbox = ?), 0)`, mbox).Scan(&cursor)
		if err != nil {
			t.Fatal(err)
		}
		err = db.QueryRow(`SELECT count(DISTINCT uid), coalesce(max(uid), 0) FROM messages WHERE direction = 'in' AND mailbox = ?`, mbox).Scan(&n, &maxUID)
		if err != nil {
			t.Fatal(err)
		}
		if n != cursor || maxUID != cursor {
			t.Errorf("mailbox %s: cursor at UID %d, but %d messages stored up to UID %d; want all of 1..%d and none above",
				mbox, cursor, n, maxUID, cursor)
		}
	}
}

// TestShutdown sends SIGTERM while intake and a slow SMTP delivery are in
// flight. The daemon must finish that work and exit 0 well within
// exitBound, leaving a consistent database; after a restart every mail is
// stored once and every queued mail delivered. A second SIGTERM, while the
// first waits for a hung SMTP server, must end the process at once: exit
// status 1 without waiting out the grace period.
func TestShutdown(t *testing.T) {
	needDovecot(t)
	for _, second := range []bool{false, true} {
		name := "one SIGTERM"
		if second {
			name = "second SIGTERM"
		}
		t.Run(name, func(t *testing.T) {
			dv := startDovecot(t, mailboxNames)
			sk := startSink(t)
			delay := 300 * time.Millisecond
			if second {
				delay = 10 * time.Minute // a relay that never answers DATA
			}
			sk.set(func(s *sink) { s.delay = delay })
			e := newEnv(t, dv.Addr(), sk.addr)
			const n = 30
			var convs []conversation
			for i := 1; i <= n; i++ {
				id := fmt.Sprintf("term%d@example.com", i)
				c := fmt.Sprintf("term%d@example.com", i)
				if err := dv.Deliver("fta-pass", c, maildesktest.Inquiry(c, "fta-pass@origin.or.kr", "문의", id, "문의\r\n")); err != nil {
					t.Fatal(err)
				}
				convs = append(convs, conversation{customer: c, ids: []string{id}})
			}
			p := e.startReady(t)
			// Work in flight: mail stored, and an SMTP attempt recorded and
			// under way.
			db := e.rawDB(t, true)
			e.waitProgress(t, "intake and sending under way", func(pr progress) bool {
				var attempted int
				if pr.in == 0 || db.QueryRow(`SELECT count(*) FROM outbox WHERE attempts > 0`).Scan(&attempted) != nil {
					return false
				}
				return attempted > 0
			})
			db.Close()
			before, _ := e.progress(t)
			start := time.Now()
			p.cmd.Process.Signal(syscall.SIGTERM)
			if second {
				deadline := time.Now().Add(maildesktest.WaitLimit)
				for e.countLog("shutting down") == 0 {
					if time.Now().After(deadline) {
						t.Fatal("the daemon did not log the first SIGTERM")
					}
					time.Sleep(10 * time.Millisecond)
				}
				p.cmd.Process.Signal(syscall.SIGTERM)
			}
			select {
			case <-p.done:
			case <-time.After(exitBound):
				t.Fatalf("maildesk still running %v after SIGTERM", exitBound)
			}
			took := time.Since(start)
			code := p.cmd.ProcessState.ExitCode()
			if second {
				if code != 1 || e.countLog("second signal") == 0 {
					t.Errorf("second SIGTERM: exit status %d, log says second signal: %d times; want status 1 and the warning", code, e.countLog("second signal"))
				}
				if e.countLog("did not finish in time") > 0 || e.countLog(`msg="maildesk stopped"`) > 0 {
					t.Errorf("second SIGTERM: the daemon waited out its grace period instead of exiting at once")
				}
			} else {
				if code != 0 {
					t.Errorf("exit status after SIGTERM: got %d, want 0", code)
				}
				if e.countLog("did not finish in time") > 0 {
					t.Errorf("work in flight was abandoned instead of finished:\n%s", tail(e.logText(), 2000))
				}
			}
			after, _ := e.progress(t)
			t.Logf("%s: exited with status %d %v after the signal (bound %v); at the signal %d stored, %d sent; at exit %d stored, %d sent, %d queued",
				name, code, took.Round(time.Millisecond), exitBound, before.in, before.sent, after.in, after.sent, after.queued)
			checkConsistent(t, e, map[string]int{"fta-pass": n})

			// Restart with a working relay: everything completes, once.
			sk.set(func(s *sink) { s.delay = 0 })
			e.advanceRetries(t)
			p = e.startReady(t)
			e.waitProgress(t, "every mail stored and the outbox drained", func(pr progress) bool {
				return pr.cursors["fta-pass"] == n && pr.queued == 0
			})
			p.stop(t)
			s := e.snapshot(t)
			checkStoredOnce(t, s, convs)
			dups := sinkDuplicates(t, sk, s)
			if len(s.failed) != 0 {
				t.Errorf("failed deliveries: %d, want none", len(s.failed))
			}
			if !second && dups != 0 {
				t.Errorf("duplicates at the SMTP server after a clean shutdown: %d, want 0", dups)
			}
			t.Logf("%s: after restart %d mails stored once, %d sent, %d duplicate deliveries (same Message-ID)", name, n, len(s.sent), dups)
		})
	}
}
