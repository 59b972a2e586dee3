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

// TestMigrateStore: a daemon on SQLite takes mail in; migrate-store,
// refused while the daemon runs, copies the database into PostgreSQL
// once it is stopped, with the password from -to-password-env; then
// `maildesk tickets` with database = the URL lists the same tickets, and
// a second copy into the now full database is refused.
func TestMigrateStore(t *testing.T) {
	maildesktest.SQLiteOnly(t) // its source is the SQLite file
	pg := maildesktest.Postgres(t)
	s := newStack(t)
	db := filepath.Join(s.dir, "maildesk.db")
	d := startDaemon(t, s.configPath)
	for i, subj := range []string{"원산지 문의", "Origin certificate question", "발급 지연\x00 문의"} {
		msgID := []string{"a@x", "b@x", "c@x"}[i]
		if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", subj, msgID, "문의드립니다.\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	s.waitCaptured(3)

	// The daemon holds the file's lock: the copy is refused.
	t.Setenv("MAILDESK_TEST_PG_PASSWORD", "not-checked-by-trust-auth")
	_, err := runCLI(t, "migrate-store", "-from", db, "-to", pg, "-to-password-env", "MAILDESK_TEST_PG_PASSWORD")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "stop maildesk first") {
		t.Fatalf("copy while the daemon runs: got %v (exit %d), want the stop-maildesk-first error", err, exitCode(err))
	}
	d.stop()

	before, err := runCLI(t, "tickets", "-config", s.configPath, "-json", "-status", "all")
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "migrate-store", "-from", db, "-to", pg, "-to-password-env", "MAILDESK_TEST_PG_PASSWORD")
	if err != nil {
		t.Fatalf("migrate-store: %v\n%s", err, out)
	}
	for _, want := range []string{"copied " + db, "tickets", "messages", "settings", "leases", "not copied: runtime state", "ok: ", "committed", "keep " + db} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	t.Log(out)
	if strings.Contains(out, "not-checked-by-trust-auth") {
		t.Errorf("output shows the password:\n%s", out)
	}

	// The daemon's configuration pointed at PostgreSQL reads the same
	// tickets.
	b, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `database = "maildesk.db"`, `database = "`+pg+`"`+"\ndatabase_password_env = \"MAILDESK_TEST_PG_PASSWORD\"", 1)
	if cfg == string(b) {
		t.Fatal("the demo config has no database line to replace")
	}
	if err := os.WriteFile(s.configPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	after, err := runCLI(t, "tickets", "-config", s.configPath, "-json", "-status", "all")
	if err != nil {
		t.Fatalf("tickets on PostgreSQL: %v", err)
	}
	var lite, copied []store.Ticket
	if err := json.Unmarshal([]byte(before), &lite); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(after), &copied); err != nil {
		t.Fatal(err)
	}
	if len(lite) != 3 || len(copied) != 3 {
		t.Fatalf("tickets: %d on SQLite, %d on PostgreSQL; want 3 each", len(lite), len(copied))
	}
	for i := range lite {
		if lite[i].ID != copied[i].ID || lite[i].Number != copied[i].Number || lite[i].Customer != copied[i].Customer ||
			!lite[i].CreatedAt.Equal(copied[i].CreatedAt) || lite[i].Status != copied[i].Status {
			t.Errorf("ticket %d: got %+v, want %+v", i, copied[i], lite[i])
		}
	}
	one, err := runCLI(t, "ticket", "-config", s.configPath, "-json", "1")
	if err != nil || !strings.Contains(one, "원산지 문의") {
		t.Errorf("ticket 1 on PostgreSQL: %v\n%s", err, one)
	}

	// Copying again: the target is no longer empty.
	_, err = runCLI(t, "migrate-store", "-from", db, "-to", pg, "-to-password-env", "MAILDESK_TEST_PG_PASSWORD")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "already has maildesk tables") {
		t.Errorf("second copy: got %v, want the not-empty error", err)
	}
}

// What migrate-store refuses before it copies anything.
func TestMigrateStoreRefuses(t *testing.T) {
	pg := maildesktest.Postgres(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "maildesk.db")
	st, err := store.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	empty := filepath.Join(dir, "empty.secret")
	os.WriteFile(empty, nil, 0o600)
	os.Unsetenv("MAILDESK_TEST_UNSET_PASSWORD")
	withPassword := strings.Replace(pg, "postgres://postgres@", "postgres://postgres:hunter2@", 1)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no -from", []string{"-to", pg}, 2, "want -from FILE and -to"},
		{"no -to", []string{"-from", db}, 2, "want -from FILE and -to"},
		{"-to not a URL", []string{"-from", db, "-to", filepath.Join(dir, "other.db")}, 2, "-to must be a postgres://"},
		{"-from a URL", []string{"-from", pg, "-to", pg}, 2, "-from is the SQLite file"},
		{"password in the URL", []string{"-from", db, "-to", withPassword}, 2, "passwords do not belong on the command line"},
		{"password parameter", []string{"-from", db, "-to", pg + "&password=hunter2"}, 2, "use -to-password-env"},
		{"both password flags", []string{"-from", db, "-to", pg, "-to-password-env", "X", "-to-password-file", empty}, 2, "not both"},
		{"password env unset", []string{"-from", db, "-to", pg, "-to-password-env", "MAILDESK_TEST_UNSET_PASSWORD"}, 1, "-to-password-env: environment variable MAILDESK_TEST_UNSET_PASSWORD is not set"},
		{"password file empty", []string{"-from", db, "-to", pg, "-to-password-file", empty}, 1, "-to-password-file: read " + empty + ": the file is empty"},
		{"no such file", []string{"-from", filepath.Join(dir, "none.db"), "-to", pg}, 1, "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := runCLI(t, append([]string{"migrate-store"}, c.args...)...)
			if exitCode(err) != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v (exit %d), want exit %d with %q", err, exitCode(err), c.code, c.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	// Nothing was copied by any of them.
	out, err := runCLI(t, "migrate-store", "-from", db, "-to", pg)
	if err != nil || !strings.Contains(out, "ok: 0 rows") {
		t.Errorf("copy of an empty database after the refusals: %v\n%s", err, out)
	}
}
