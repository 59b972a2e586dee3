package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/rules"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		return 2
	}
	return 1
}

func TestRulesCheck(t *testing.T) {
	s := newStack(t)
	out, err := runCLI(t, "rules", "check", "-config", s.configPath)
	if err != nil || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("check of a good config: got %q, %v", out, err)
	}

	// Break the config, a rule file and a template override at once: all
	// three are reported, each as file:line.
	s.setConfig(`templates = "tmpl"`)
	if err := os.WriteFile(filepath.Join(s.dir, "rules", "zz-broken.toml"),
		[]byte("[[handler]]\nid = \"x\"\nname = \"X\"\nemail = \"x@origin.or.kr\"\nphonne = \"1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(s.dir, "tmpl"), 0o755)
	if err := os.WriteFile(filepath.Join(s.dir, "tmpl", "ack.txt"), []byte("hello\n{{ .Tag \n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runCLI(t, "rules", "check", "-config", s.configPath)
	if exitCode(err) != 1 {
		t.Fatalf("exit code: got %d (%v), want 1", exitCode(err), err)
	}
	msg := err.Error()
	for _, want := range []string{
		filepath.Join(s.dir, "rules", "zz-broken.toml") + `:5: unknown key "phonne"`,
		filepath.Join(s.dir, "tmpl", "ack.txt") + ":3: unclosed action",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("problems lack %q:\n%s", want, msg)
		}
	}
}

func TestTicketsJSONContract(t *testing.T) {
	s := newStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	s.send("kim@example.co.kr", []string{"education@origin.or.kr"},
		maildesktest.Inquiry("kim@example.co.kr", "education@origin.or.kr", "교육 신청 문의", "cli1@example.co.kr", "교육 일정이 궁금합니다.\r\n"))
	s.waitFor(st, "ack sent", func(sn snapshot) bool { return len(sn.outbox) == 1 && sn.outbox[0].State == "sent" })

	out, err := runCLI(t, "tickets", "-config", s.configPath, "-json")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("tickets -json is not one JSON document: %v\n%s", err, out)
	}
	if len(list) != 1 {
		t.Fatalf("tickets: got %d, want 1", len(list))
	}
	tk := list[0]
	for _, key := range []string{"id", "tag", "mailbox", "category", "status", "handler", "customer", "subject",
		"created_at", "due_at", "notice_at", "answered_at"} {
		if _, ok := tk[key]; !ok {
			t.Errorf("ticket JSON lacks %q: %v", key, tk)
		}
	}
	if tk["answered_at"] != nil || tk["tag"] != "[EDU #1]" || tk["status"] != "open" {
		t.Errorf("ticket JSON: got %v", tk)
	}
	h, _ := tk["handler"].(map[string]any)
	for _, key := range []string{"id", "name", "department", "phone", "email"} {
		if s, _ := h[key].(string); s == "" {
			t.Errorf("handler.%s empty: %v", key, h)
		}
	}

	// The supervisor's filters: by handler, category, text (a Korean word
	// of two syllables), status, and a priority column.
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"-handler", "ohsk84"}, true}, {[]string{"-handler", "mslim"}, false},
		{[]string{"-category", "education"}, true}, {[]string{"-category", "fta-pass"}, false},
		{[]string{"-search", "일정"}, true}, {[]string{"-search", "환불"}, false},
		{[]string{"-status", "open"}, true}, {[]string{"-status", "closed"}, false}, {[]string{"-status", "all"}, true},
		{[]string{"-since", "2000-01-01"}, true}, {[]string{"-since", "2999-01-01"}, false},
	} {
		out, err := runCLI(t, append([]string{"tickets", "-config", s.configPath}, tt.args...)...)
		if err != nil {
			t.Fatalf("tickets %v: %v", tt.args, err)
		}
		if got := strings.Contains(out, "[EDU #1]"); got != tt.want {
			t.Errorf("tickets %v: lists [EDU #1] %v, want %v:\n%s", tt.args, got, tt.want, out)
		}
		if !strings.Contains(out, "PRIORITY") {
			t.Errorf("tickets %v: no priority column:\n%s", tt.args, out)
		}
	}
	if _, err := runCLI(t, "tickets", "-config", s.configPath, "-status", "late"); err == nil || !strings.Contains(err.Error(), "-status") {
		t.Errorf("tickets -status late: got %v, want a usage error naming -status", err)
	}

	// Flags may follow the ticket number.
	out, err = runCLI(t, "ticket", "-config", s.configPath, "1", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var one struct {
		Messages []map[string]any `json:"messages"`
		Events   []map[string]any `json:"events"`
	}
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatal(err)
	}
	if len(one.Messages) != 3 || one.Messages[0]["direction"] != "in" || one.Messages[1]["kind"] != "ack" || one.Messages[2]["kind"] != "staff" || len(one.Events) == 0 {
		t.Errorf("ticket 1: got messages %v events %v", one.Messages, one.Events)
	}
	for _, key := range []string{"message_id", "direction", "kind", "from", "to", "subject", "date"} {
		if _, ok := one.Messages[0][key]; !ok {
			t.Errorf("message JSON lacks %q", key)
		}
	}

	// Staff set the expected completion date; it becomes the deadline.
	out, err = runCLI(t, "ticket", "defer", "-config", s.configPath, "1", "--until", "2099-01-05", "--reason", "관계 부처 확인 중", "--status", "검토 중")
	if err != nil || !strings.Contains(out, "2099-01-05 18:00 KST") {
		t.Fatalf("ticket defer: got %q, %v", out, err)
	}
	out, err = runCLI(t, "ticket", "-config", s.configPath, "-json", "1")
	if err != nil {
		t.Fatal(err)
	}
	var deferred map[string]any
	json.Unmarshal([]byte(out), &deferred)
	if deferred["due_at"] != "2099-01-05T09:00:00Z" || deferred["expected_at"] != "2099-01-05T09:00:00Z" || deferred["delay_reason"] != "관계 부처 확인 중" {
		t.Errorf("deferred ticket: due %v expected %v reason %v", deferred["due_at"], deferred["expected_at"], deferred["delay_reason"])
	}
	if _, err := runCLI(t, "ticket", "defer", "-config", s.configPath, "1", "--until", "2099-01-05"); exitCode(err) != 2 {
		t.Errorf("defer without a reason: got exit %d (%v), want 2", exitCode(err), err)
	}

	// Reading does not need the daemon's secrets, and errors are one line.
	os.Remove(filepath.Join(s.dir, "demo.secret"))
	if _, err := runCLI(t, "tickets", "-config", s.configPath); err != nil {
		t.Errorf("tickets without the password file: %v", err)
	}
	_, err = runCLI(t, "ticket", "-config", s.configPath, "42")
	if exitCode(err) != 1 || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing ticket: got %v (exit %d), want a one-line error and exit 1", err, exitCode(err))
	}
	_, err = runCLI(t, "ticket", "-config", s.configPath)
	if exitCode(err) != 2 {
		t.Errorf("ticket without an ID: got exit %d, want 2", exitCode(err))
	}
	d.stop()
}

func TestRulesTestChangesNothing(t *testing.T) {
	s := newStack(t)
	eml := filepath.Join(s.dir, "q.eml")
	os.WriteFile(eml, maildesktest.Inquiry("kim@example.co.kr", "correction@origin.or.kr", "불친절 시정요청", "rt1@x", "시정을 요청합니다.\r\n"), 0o644)
	out, err := runCLI(t, "rules", "test", "-config", s.configPath, "-json", eml)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["mailbox"] != "correction" || r["action"] != "new-ticket" || r["category"] != "correction" {
		t.Errorf("rules test: got %v", r)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "maildesk.db")); !os.IsNotExist(err) {
		t.Errorf("rules test created a database: %v", err)
	}
}

// TestRulesTestNeedsNoSecrets: an admin tries a rule edit where the daemon's
// passwords are not set; rules test connects nowhere, so it must not ask for
// them. The example configuration names MAILDESK_*_PASSWORD variables.
func TestRulesTestNeedsNoSecrets(t *testing.T) {
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	eml := filepath.Join(t.TempDir(), "q.eml")
	os.WriteFile(eml, maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "FTA-PASS 문의", "rt2@x", "문의드립니다.\r\n"), 0o644)
	out, err := runCLI(t, "rules", "test", "-config", "../../examples/maildesk.toml", "-json", "-at", "2026-09-23T10:00", eml)
	if err != nil {
		t.Fatalf("rules test without passwords: %v", err)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r["mailbox"] != "fta-pass" || r["action"] != "new-ticket" {
		t.Errorf("rules test: got %v", r)
	}
	if _, err := os.Stat("../../examples/maildesk.db"); !os.IsNotExist(err) {
		t.Errorf("rules test created a database beside the example config: %v", err)
	}
}

// TestRulesCheckNoSecrets: an admin checking rule edits where the
// passwords are not (a workstation, CI) gets the rules checked with
// -no-secrets; without it, the missing passwords are the problems.
func TestRulesCheckNoSecrets(t *testing.T) {
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	_, err := runCLI(t, "rules", "check", "-config", "../../examples/maildesk.toml")
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "MAILDESK_IMAP_PASSWORD is not set") {
		t.Errorf("without passwords: exit %d, %v; want 1 naming the variable", exitCode(err), err)
	}
	out, err := runCLI(t, "rules", "check", "-no-secrets", "-config", "../../examples/maildesk.toml")
	if err != nil || !strings.HasPrefix(out, "ok: ") || !strings.Contains(out, "passwords not read") {
		t.Errorf("-no-secrets: got %q, %v; want ok, saying the passwords were not read", out, err)
	}
}

// TestRulesCheckTemplateUses: a template a category names must exist and
// render as that kind of mail; `rules check` says so with file:line before
// the first acknowledgement would fail.
func TestRulesCheckTemplateUses(t *testing.T) {
	s := newStack(t)
	s.setConfig(`templates = "tmpl"`)
	tmplDir := filepath.Join(s.dir, "tmpl")
	if err := os.MkdirAll(tmplDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cats := filepath.Join(s.dir, "rules", "categories.toml")
	orig, err := os.ReadFile(cats)
	if err != nil {
		t.Fatal(err)
	}
	// ack_template goes right under the first category's id line.
	lines := strings.Split(string(orig), "\n")
	at := slices.Index(lines, `id = "fta-pass"`)
	if at < 0 {
		t.Fatalf("no fta-pass category in %s", cats)
	}
	lines = slices.Insert(lines, at+1, `ack_template = "ack-short"`)
	if err := os.WriteFile(cats, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	useAt := fmt.Sprintf("%s:%d", cats, at+2)

	steps := []struct {
		name, body string
		want       string // "" = ok
	}{
		{"missing", "", useAt + `: ack_template: no such template "ack-short"`},
		{"misspelt field", "{{.Tag}}\n{{.Handler.Nmae}}\n", filepath.Join(tmplDir, "ack-short.txt") +
			`:2: executing "ack-short.txt" at <.Handler.Nmae>: can't evaluate field Nmae in type templates.Contact (used as ack_template at ` + useAt + ")"},
		{"a notice's field in an ack", "{{.Tag}} {{kdate .Expected}}\n", "can't evaluate field Expected in type templates.Ack"},
		{"fixed", "{{.Tag}} {{.Handler.Name}} {{kdate .Due}}\n", ""},
	}
	for _, st := range steps {
		if st.body != "" {
			if err := os.WriteFile(filepath.Join(tmplDir, "ack-short.txt"), []byte(st.body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := runCLI(t, "rules", "check", "-config", s.configPath)
		if st.want == "" {
			if err != nil || !strings.HasPrefix(out, "ok: ") {
				t.Errorf("%s: got %q, %v; want ok", st.name, out, err)
			}
			continue
		}
		if exitCode(err) != 1 || !strings.Contains(err.Error(), st.want) {
			t.Errorf("%s: got exit %d, %v\nwant a problem containing %q", st.name, exitCode(err), err, st.want)
		}
	}
}

// TestRulesCheckWarnsOfTableEnd: once the next year is past the last year
// whose holiday list was checked, `rules check` still passes but says so,
// pointing to [[calendar.add]] and `maildesk calendar`.
func TestRulesCheckWarnsOfTableEnd(t *testing.T) {
	s := newStack(t)
	kst, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		now  time.Time
		want string // "" = no warning
	}{
		{"within the table", time.Date(rules.LastCheckedYear-1, 12, 31, 23, 0, 0, 0, kst), ""},
		{"next year unchecked", time.Date(rules.LastCheckedYear, 1, 1, 0, 30, 0, 0, kst),
			fmt.Sprintf("`maildesk calendar %d`", rules.LastCheckedYear+1)},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		if err := rulesCheckAt(s.configPath, false, tt.now, &out); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if !strings.HasPrefix(lines[0], "ok: ") {
			t.Errorf("%s: got %q, want the ok line first", tt.name, out.String())
		}
		if tt.want == "" {
			if len(lines) != 1 {
				t.Errorf("%s: got %q, want no warning", tt.name, out.String())
			}
			continue
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "warning: calendar: ") ||
			!strings.Contains(lines[1], tt.want) || !strings.Contains(lines[1], "[[calendar.add]]") {
			t.Errorf("%s: got %q, want one warning naming %s and [[calendar.add]]", tt.name, out.String(), tt.want)
		}
	}
}

// TestExitCodes: 0 ok, 1 failure, 2 a command-line mistake, whose message
// names what was wrong.
func TestExitCodes(t *testing.T) {
	s := newStack(t)
	startDaemon(t, s.configPath).stop() // the database the ticket commands read
	eml := filepath.Join(t.TempDir(), "q.eml")
	if err := os.WriteFile(eml, maildesktest.Inquiry("kim@example.co.kr", "someone@example.org", "문의", "ec@x", "문의드립니다.\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string // in the message or the output
	}{
		{[]string{"frob"}, 2, `unknown command "frob"`},
		{[]string{"rules", "frob"}, 2, `unknown command "rules frob"`},
		{[]string{"rules", "test", "-config", s.configPath, "-at", "tomorrow", eml}, 2, `-at "tomorrow"`},
		{[]string{"rules", "test", "-config", s.configPath, "-mailbox", "nope", eml}, 2, `-mailbox "nope": no such mailbox`},
		{[]string{"tickets", "-config", s.configPath, "-status", "bogus"}, 2, `-status "bogus"`},
		{[]string{"tickets", "-config", s.configPath, "-since", "yesterday"}, 2, `-since "yesterday"`},
		{[]string{"ticket", "-config", s.configPath}, 2, "want 1 argument"},
		{[]string{"rules", "test", "-config", s.configPath, eml}, 0, "(guessed: no recipient is one of the mailboxes; say which with -mailbox)"},
		{[]string{"rules", "test", "-config", s.configPath, "-mailbox", "education", eml}, 0, "mailbox:      education\n"},
		{[]string{"rules", "check", "-config", filepath.Join(s.dir, "missing.toml")}, 1, "missing.toml"},
	} {
		out, err := runCLI(t, tt.args...)
		if got := exitCode(err); got != tt.code {
			t.Errorf("%v: exit %d (%v), want %d", tt.args, got, err, tt.code)
			continue
		}
		text := out
		if err != nil {
			text += err.Error()
		}
		if !strings.Contains(text, tt.want) {
			t.Errorf("%v: want %q in:\n%s", tt.args, tt.want, text)
		}
	}
}
