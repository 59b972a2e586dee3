package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kioi/maildesk/desk"
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
	setDatabase(t, path, maildesktest.Postgres(t))
}

// setDatabase puts database = url in the config at path.
func setDatabase(t *testing.T, path, url string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^database = ".*"$`)
	if !re.Match(b) {
		t.Fatal("the config has no database line to replace")
	}
	cfg := re.ReplaceAllLiteral(b, []byte(`database = "`+url+`"`))
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
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

// TestDaemonsBehindPgBouncer: two daemons on one database through
// PgBouncer in transaction mode, with a single server connection that
// both share, lease every mailbox (to one or the other) and take in,
// number and acknowledge every inquiry once: nothing of theirs relies on
// session state (prepared statements, advisory session locks, LISTEN,
// SET).
func TestDaemonsBehindPgBouncer(t *testing.T) {
	bouncer, url := maildesktest.PgBouncer(t, 1)
	s := newStack(t)
	setDatabase(t, s.configPath, url)
	a, b := startDaemon(t, s.configPath), startDaemon(t, s.configPath)
	const n = 8
	for i := range n {
		mb := s.mboxes[i%len(s.mboxes)]
		if err := s.mail.Deliver(mb.Address, maildesktest.Inquiry(fmt.Sprintf("c%d@example.co.kr", i), mb.Address,
			fmt.Sprintf("원산지 문의 %d", i), fmt.Sprintf("bouncer%d@x", i), "문의드립니다.\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	st := s.db()
	snap := s.waitFor(st, "every inquiry acknowledged", func(sn snapshot) bool {
		sent := 0
		for _, d := range sn.outbox {
			if d.Kind == desk.KindAck && d.State == store.Sent {
				sent++
			}
		}
		return len(sn.tickets) == n && sent == n
	})
	numbers := map[string][]int64{} // by tag
	for _, tk := range snap.tickets {
		acks := 0
		for _, m := range snap.messages[tk.ID] {
			if m.Kind == desk.KindAck {
				acks++
			}
		}
		if acks != 1 {
			t.Errorf("ticket %s-%d: %d acknowledgements, want 1", tk.Tag, tk.Number, acks)
		}
		numbers[tk.Tag] = append(numbers[tk.Tag], tk.Number)
	}
	// Dense per tag: 1..k, each once, whichever daemon numbered them.
	for tag, ns := range numbers {
		slices.Sort(ns)
		for i, n := range ns {
			if n != int64(i+1) {
				t.Errorf("tag %s: ticket numbers %v, want 1..%d", tag, ns, len(ns))
				break
			}
		}
	}
	var leases []store.Lease
	err := st.Read(t.Context(), func(tx *store.Tx) (err error) {
		leases, err = tx.Leases(t.Context())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, mb := range s.mboxes {
		if !slices.ContainsFunc(leases, func(l store.Lease) bool { return l.Name == "mailbox "+mb.Name && l.Holder != "" }) {
			t.Errorf("mailbox %s: no lease held; leases %+v", mb.Name, leases)
		}
	}
	a.stop()
	b.stop()
	if logs := bouncer.Logs(4000); strings.Contains(logs, "prepared statement") || strings.Contains(logs, "ERROR") {
		t.Errorf("PgBouncer logged errors:\n%s", logs)
	}
}
