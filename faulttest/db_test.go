package faulttest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestNewerSchema: a database written by a newer maildesk is refused with
// exit status 1 and one clear line, and is left as it was.
func TestNewerSchema(t *testing.T) {
	e := newEnv(t, "127.0.0.1:1", "127.0.0.1:1") // never reached
	st, err := store.Open(context.Background(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	newer := store.SchemaVersion() + 1
	db := e.rawDB(t, false)
	if _, err := db.Exec(`UPDATE schema_version SET version = ?`, newer); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := exec.Command(binary, "run", "-config", e.config)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("maildesk run on a newer database: got %v, want exit status 1\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "newer") || !strings.Contains(lines[0], e.db) {
		t.Errorf("output: got %q, want one line naming the database and saying its schema is newer", out)
	}
	t.Logf("maildesk run said: %s", out)

	db = e.rawDB(t, true)
	var v int
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != newer {
		t.Errorf("schema version after the refusal: got %d (%v), want %d untouched", v, err, newer)
	}
}

// TestDatabaseLocked holds the database's write lock from another process's
// point of view (a second connection with BEGIN IMMEDIATE) while mail
// arrives, longer than the daemon's busy timeout. Intake must fail without
// moving the IMAP cursor, say so in the log, and store everything once the
// lock goes.
func TestDatabaseLocked(t *testing.T) {
	needDovecot(t)
	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	e := newEnv(t, dv.Addr(), sk.addr)
	p := e.startReady(t)

	const before = 3
	for i := 1; i <= before; i++ {
		if err := dv.Deliver("fta-pass", "a@example.com", maildesktest.Inquiry(fmt.Sprintf("c%d@example.com", i), "fta-pass@origin.or.kr",
			"문의", fmt.Sprintf("lock-pre%d@example.com", i), "문의\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	e.waitProgress(t, "mail before the lock", func(pr progress) bool { return pr.cursors["fta-pass"] == before && pr.queued == 0 })

	db := e.rawDB(t, false)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			conn.ExecContext(ctx, `ROLLBACK`)
		}
		conn.Close()
	}()

	const during = 5
	for i := 1; i <= during; i++ {
		if err := dv.Deliver("fta-pass", "b@example.com", maildesktest.Inquiry(fmt.Sprintf("d%d@example.com", i), "fta-pass@origin.or.kr",
			"문의", fmt.Sprintf("lock-during%d@example.com", i), "문의\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	// The daemon's busy timeout is 5 s: wait until it has given up at least
	// once and said so.
	deadline := time.Now().Add(maildesktest.WaitLimit)
	for e.countLog("level=WARN", "locked") == 0 && e.countLog("level=ERROR", "locked") == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the locked database in the log")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The cursor is read through the lock holder's own connection: the
	// daemon cannot have moved it, and must not later skip what it failed
	// to store.
	var cur int
	if err := conn.QueryRowContext(ctx, `SELECT last_uid FROM cursors WHERE mailbox = 'fta-pass'`).Scan(&cur); err != nil {
		t.Fatal(err)
	}
	if cur != before {
		t.Errorf("cursor while locked: got %d, want %d", cur, before)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	locked = false
	conn.Close()

	e.waitProgress(t, "mail after the lock", func(pr progress) bool {
		return pr.cursors["fta-pass"] == before+during && pr.queued == 0
	})
	p.stop(t)
	s := e.snapshot(t)
	var convs []conversation
	for i := 1; i <= before; i++ {
		convs = append(convs, conversation{customer: fmt.Sprintf("c%d", i), ids: []string{fmt.Sprintf("lock-pre%d@example.com", i)}})
	}
	for i := 1; i <= during; i++ {
		convs = append(convs, conversation{customer: fmt.Sprintf("d%d", i), ids: []string{fmt.Sprintf("lock-during%d@example.com", i)}})
	}
	checkStoredOnce(t, s, convs)
	warn := e.countLog("locked")
	t.Logf("database locked: %d log lines mention the lock; all %d mails stored once after it went", warn, before+during)
	for _, l := range strings.Split(e.logText(), "\n") {
		if strings.Contains(l, "locked") {
			t.Logf("  e.g. %s", l)
			break
		}
	}
}
