package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// setTestEnv sets the variables the config fixtures name, and makes sure the
// ones meant to be missing are.
func setTestEnv(t *testing.T) {
	t.Helper()
	t.Setenv("MAILDESK_TEST_SMTP_PASSWORD", "smtp-hunter2")
	t.Setenv("MAILDESK_TEST_IMAP_PASSWORD", "imap-hunter2")
	t.Setenv("MAILDESK_TEST_EMPTY_PASSWORD", "")
	t.Setenv("MAILDESK_TEST_UNSET_PASSWORD", "")
	os.Unsetenv("MAILDESK_TEST_UNSET_PASSWORD") // t.Setenv restores it afterwards
}

// problemStrings returns the problems of err, which must be Problems.
func problemStrings(t *testing.T, err error) []string {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got error %T %v, want Problems", err, err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func checkProblems(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	got := problemStrings(t, err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got problems\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestLoadConfigProblems(t *testing.T) {
	setTestEnv(t)
	const pw = `: passwords do not belong in configuration files; use password_env (an environment variable) or password_file`
	tests := []struct {
		file string
		want []string // "line: message"; the file name is prefixed
	}{
		{"good.toml", nil},
		{"unknown-key.toml", []string{
			`2: unknown key "colour"`,
			`7: unknown key "hots" in [smtp]`,
			`16: unknown key "flder" in [[mailbox]]`,
			`18: unknown table [logging]`,
		}},
		{"bad-security.toml", []string{
			`3: security = "ssl": want "tls", "starttls" or "none"`,
			`9: security = "TLS": want "tls", "starttls" or "none"`,
		}},
		{"missing.toml", []string{
			`1: missing "host" in [smtp]`,
			`1: missing password_env or password_file in [smtp]`,
			`5: missing "host" in [[mailbox]]`,
			`5: missing "username" in [[mailbox]]`,
			`7: "address" must not be empty`,
		}},
		{"duplicate.toml", []string{
			`14: duplicate mailbox name "help" (first at line 6)`,
			`15: duplicate mailbox address "HELP@example.org" (first at line 7)`,
		}},
		{"syntax.toml", []string{
			`4: syntax error: basic strings cannot have new lines`,
		}},
		{"env-unset.toml", []string{
			`5: password_env: environment variable MAILDESK_TEST_UNSET_PASSWORD is not set`,
			`13: password_env: environment variable MAILDESK_TEST_EMPTY_PASSWORD is empty`,
		}},
		{"password.toml", []string{
			`5: unknown key "password" in [smtp]` + pw,
			`13: unknown key "password" in [[mailbox]]` + pw,
		}},
		{"types.toml", []string{
			`2: "timezone" must be a string, not an integer`,
			`5: "host" must be a string, not an integer`,
			`6: "port" must be an integer, not a string`,
			`16: "folder" must be a string, not an array`,
			`17: unknown key "hots" in [[mailbox]]`,
		}},
		{"history.toml", []string{
			`12: history = "forever": want a duration like "24h" or "7d", "all" or "none"`,
			`21: history = "-1h": want a duration like "24h" or "7d", "all" or "none"`,
		}},
		{"values.toml", []string{
			`1: unknown timezone "Asia/Atlantis"`,
			`5: port 70000 out of range 1-65535`,
			`9: set password_env or password_file, not both`,
			`12: mailbox name "FTA PASS": use lower-case letters, digits and '-'`,
			`13: address "FTA-PASS <fta-pass@example.org>" is not an email address like name@example.org`,
			`15: port 0 out of range 1-65535`,
			`18: password_file "does-not-exist.secret": no such file or directory`,
			`19: after = "delete": want "seen", "keep" or "move:FOLDER"`,
			`21: missing password_env or password_file in [[mailbox]]`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "config", tt.file)
			var want []string
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			cfg, err := LoadConfig(path)
			checkProblems(t, err, want)
			if err != nil && cfg != nil {
				t.Errorf("got config %v with error, want nil", cfg)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "maildesk.toml")
	_, err := LoadConfig(path)
	got := problemStrings(t, err)
	if len(got) != 1 || !strings.HasPrefix(got[0], path+": ") {
		t.Errorf("got %q, want one problem about %s", got, path)
	}
}

func TestLoadConfigValues(t *testing.T) {
	setTestEnv(t)
	path := filepath.Join("testdata", "config", "good.toml")
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "config"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Path", cfg.Path, filepath.Join(dir, "good.toml")},
		{"Database", cfg.Database, filepath.Join(dir, "data", "desk.db")},
		{"Rules", cfg.Rules, filepath.Join(dir, "rules")},
		{"Templates", cfg.Templates, filepath.Join(dir, "tpl")},
		{"Timezone", cfg.Timezone, "Asia/Seoul"},
		{"Location", cfg.Location.String(), "Asia/Seoul"},
		{"SMTP.Host", cfg.SMTP.Host, "smtp.example.org"},
		{"SMTP.Port", cfg.SMTP.Port, 465}, // default for tls
		{"SMTP.Security", cfg.SMTP.Security, "tls"},
		{"SMTP.Username", cfg.SMTP.Username, "helpdesk"},
		{"SMTP.Password", cfg.SMTP.Password.Reveal(), "smtp-hunter2"},
		{"SMTP.Helo", cfg.SMTP.Helo, "desk.example.org"},
		{"len(Mailboxes)", len(cfg.Mailboxes), 2},
		{"Mailboxes[0].Name", cfg.Mailboxes[0].Name, "fta-pass"},
		{"Mailboxes[0].Address", cfg.Mailboxes[0].Address, "fta-pass@example.org"},
		{"Mailboxes[0].Port", cfg.Mailboxes[0].Port, 993}, // default for tls
		{"Mailboxes[0].Password", cfg.Mailboxes[0].Password.Reveal(), "s3cret"},
		{"Mailboxes[0].Folder", cfg.Mailboxes[0].Folder, "INBOX"},
		{"Mailboxes[0].After", cfg.Mailboxes[0].After, "seen"},
		{"Mailboxes[1].Port", cfg.Mailboxes[1].Port, 1143},
		{"Mailboxes[1].Security", cfg.Mailboxes[1].Security, "none"},
		{"Mailboxes[1].Password", cfg.Mailboxes[1].Password.Reveal(), "imap-hunter2"},
		{"Mailboxes[1].Folder", cfg.Mailboxes[1].Folder, "Inbox/Help"},
		{"Mailboxes[1].After", cfg.Mailboxes[1].After, "move:Archive"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultPorts(t *testing.T) {
	t.Setenv("MAILDESK_TEST_IMAP_PASSWORD", "x")
	tests := []struct {
		security           string
		wantSMTP, wantIMAP int
	}{
		{"tls", 465, 993},
		{"starttls", 587, 143},
		{"none", 25, 143},
	}
	for _, tt := range tests {
		t.Run(tt.security, func(t *testing.T) {
			dir := t.TempDir()
			doc := fmt.Sprintf(`
[smtp]
host = "smtp.example.org"
security = %[1]q

[[mailbox]]
name = "a"
address = "a@example.org"
host = "imap.example.org"
security = %[1]q
username = "a"
password_env = "MAILDESK_TEST_IMAP_PASSWORD"
`, tt.security)
			path := filepath.Join(dir, "maildesk.toml")
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.SMTP.Port != tt.wantSMTP {
				t.Errorf("smtp port: got %v, want %v", cfg.SMTP.Port, tt.wantSMTP)
			}
			if cfg.Mailboxes[0].Port != tt.wantIMAP {
				t.Errorf("imap port: got %v, want %v", cfg.Mailboxes[0].Port, tt.wantIMAP)
			}
			if cfg.Templates != "" {
				t.Errorf("templates: got %q, want empty when unset", cfg.Templates)
			}
			if want := filepath.Join(dir, "maildesk.db"); cfg.Database != want {
				t.Errorf("database: got %v, want %v", cfg.Database, want)
			}
		})
	}
}

// TestSecretNeverPrints dumps a loaded Config every way a program might and
// looks for the passwords.
func TestSecretNeverPrints(t *testing.T) {
	setTestEnv(t)
	cfg, err := LoadConfig(filepath.Join("testdata", "config", "good.toml"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"smtp-hunter2", "imap-hunter2", "s3cret"}

	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", cfg),
		"%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg),
		"%s":  fmt.Sprintf("%s", cfg.SMTP.Password),
		"%q":  fmt.Sprintf("%q", cfg.SMTP.Password),
		"%v*": fmt.Sprintf("%v", *cfg),
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(b)
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"slog json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("loaded", "config", cfg, "smtp", cfg.SMTP, "password", cfg.SMTP.Password, slog.Any("mailboxes", cfg.Mailboxes))
		outputs[h.name] = buf.String()
	}
	for how, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output contains password %q: %s", how, s, out)
			}
		}
		if !strings.Contains(out, "********") {
			t.Errorf("%s output: got %s, want the mask ********", how, out)
		}
	}
}

func TestSecretEmpty(t *testing.T) {
	var s Secret
	for _, got := range []string{s.String(), s.GoString(), fmt.Sprint(s), s.LogValue().String()} {
		if got != "" {
			t.Errorf("got %q, want empty", got)
		}
	}
	if b, _ := json.Marshal(s); string(b) != `""` {
		t.Errorf("json: got %s, want \"\"", b)
	}
	if got := NewSecret("x").Reveal(); got != "x" {
		t.Errorf("Reveal: got %q, want %q", got, "x")
	}
}

// TestExamples loads the shipped example configuration the way an admin would
// after exporting the password variables.
func TestExamples(t *testing.T) {
	t.Setenv("MAILDESK_SMTP_PASSWORD", "smtp-secret")
	t.Setenv("MAILDESK_IMAP_PASSWORD", "imap-secret")
	cfg, err := LoadConfig(filepath.Join("..", "examples", "maildesk.toml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := LoadWithZone(cfg.Rules, cfg.Location)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	// Complaints go to VOC from any mailbox but the correction one.
	received := time.Date(2026, 11, 20, 17, 30, 0, 0, cfg.Location) // a Friday
	for _, tt := range []struct {
		mailbox, subject, category, handler string
	}{
		{"fta-pass", "직원이 불친절합니다", "voc", "kioi"},
		{"education", "Complaint about the course", "voc", "kioi"},
		{"correction", "불친절 시정요청", "correction", "kioi"},
		{"qualification", "시험 일정 문의", "qualification", "bslee"},
	} {
		d, err := set.Decide(Input{Mailbox: tt.mailbox, Subject: tt.subject, At: received})
		if err != nil {
			t.Fatal(err)
		}
		if d.Category.ID != tt.category || d.Handler.ID != tt.handler {
			t.Errorf("%s %q: got %s/%s (%s), want %s/%s", tt.mailbox, tt.subject, d.Category.ID, d.Handler.ID, d.Rule, tt.category, tt.handler)
		}
		if tt.category == "voc" {
			// 5 days of 8 working hours from Friday 17:30.
			if want := time.Date(2026, 11, 27, 17, 30, 0, 0, cfg.Location); !d.Due.Equal(want) || d.Category.Clock != ClockWorkingHours {
				t.Errorf("voc due: got %v on %s, want %v on working-hours", d.Due, d.Category.Clock, want)
			}
		}
	}
	// An inquiry's 48 hours skip weekends and holidays: Chuseok
	// (24–26 September 2026) and a weekend, and a Friday's weekend.
	// The delay notice goes a working day before, at the hour the inquiry
	// came in: never at night.
	for _, tt := range []struct{ received, due, notice time.Time }{
		{time.Date(2026, 9, 23, 10, 0, 0, 0, cfg.Location), time.Date(2026, 9, 29, 10, 0, 0, 0, cfg.Location), time.Date(2026, 9, 28, 10, 0, 0, 0, cfg.Location)},
		{time.Date(2026, 11, 20, 17, 30, 0, 0, cfg.Location), time.Date(2026, 11, 24, 17, 30, 0, 0, cfg.Location), time.Date(2026, 11, 23, 17, 30, 0, 0, cfg.Location)},
		// 제헌절 2027 on a Saturday: its substitute Monday 07-19 does not count.
		{time.Date(2027, 7, 16, 9, 0, 0, 0, cfg.Location), time.Date(2027, 7, 21, 9, 0, 0, 0, cfg.Location), time.Date(2027, 7, 20, 9, 0, 0, 0, cfg.Location)},
	} {
		d, err := set.Decide(Input{Mailbox: "fta-pass", Subject: "원산지 문의", At: tt.received})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Due.Equal(tt.due) || !d.NoticeAt.Equal(tt.notice) {
			t.Errorf("fta-pass received %v: got due %v notice %v, want %v and %v", tt.received, d.Due, d.NoticeAt, tt.due, tt.notice)
		}
	}
	want := map[string]struct{ address, tag, phone, email string }{
		"fta-pass":      {"fta-pass@origin.or.kr", "FTA-PASS", "031-600-0722", "mslim@origin.or.kr"},
		"qualification": {"qualification@origin.or.kr", "QUAL", "031-600-0745", "bslee@origin.or.kr"},
		"education":     {"education@origin.or.kr", "EDU", "031-600-0743~44", "ohsk84@origin.or.kr"},
		"correction":    {"correction@origin.or.kr", "CORR", "031-600-0734", "kioi@origin.or.kr"},
	}
	if len(cfg.Mailboxes) != len(want) {
		t.Errorf("mailboxes: got %v, want %v", len(cfg.Mailboxes), len(want))
	}
	for _, mb := range cfg.Mailboxes {
		w, ok := want[mb.Name]
		if !ok {
			t.Errorf("unexpected mailbox %q", mb.Name)
			continue
		}
		if mb.Address != w.address {
			t.Errorf("%s address: got %v, want %v", mb.Name, mb.Address, w.address)
		}
		d, err := set.Decide(Input{Mailbox: mb.Name})
		if err != nil {
			t.Fatal(err)
		}
		got := [...]string{d.Category.Tag, d.Handler.Phone, d.Handler.Email}
		if got != [...]string{w.tag, w.phone, w.email} {
			t.Errorf("%s: got %v, want %v", mb.Name, got, w)
		}
		// 48 hours on working days, as public institutions count them.
		if d.Category.Window != 48*time.Hour || d.Category.NoticeBefore != 24*time.Hour || d.Category.Clock != ClockBusinessDays {
			t.Errorf("%s: got window %v notice %v clock %v, want 48h0m0s 24h0m0s business-days",
				mb.Name, d.Category.Window, d.Category.NoticeBefore, d.Category.Clock)
		}
		if !d.Acknowledge {
			t.Errorf("%s: got acknowledge false, want true", mb.Name)
		}
	}
	if cfg.SMTP.Password.Reveal() != "smtp-secret" || cfg.Mailboxes[0].Password.Reveal() != "imap-secret" {
		t.Errorf("passwords not taken from the environment")
	}
}

func FuzzLoadConfig(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "config", "*.toml"))
	seeds = append(seeds, filepath.Join("..", "examples", "maildesk.toml"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	path := filepath.Join(f.TempDir(), "maildesk.toml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("got error %T %v, want non-empty Problems", err, err)
			}
			return
		}
		if cfg.Location == nil {
			t.Fatalf("got nil Location without error")
		}
	})
}

// The read-only commands load the config without the daemon's environment:
// the example names variables that are not set here.
func TestLoadConfigNoSecrets(t *testing.T) {
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		t.Setenv(v, "") // restores the variable afterwards
		os.Unsetenv(v)
	}
	if _, err := LoadConfig("../examples/maildesk.toml"); err == nil {
		t.Fatal("LoadConfig without the password variables: got nil error")
	}
	cfg, err := LoadConfigNoSecrets("../examples/maildesk.toml")
	if err != nil {
		t.Fatalf("LoadConfigNoSecrets: %v", err)
	}
	if len(cfg.Mailboxes) != 4 || !cfg.SMTP.Password.IsZero() || !cfg.Mailboxes[0].Password.IsZero() {
		t.Errorf("got %d mailboxes, smtp password set %v; want 4 and no passwords", len(cfg.Mailboxes), !cfg.SMTP.Password.IsZero())
	}
}

func TestTrustedAuthServID(t *testing.T) {
	t.Setenv("MAILDESK_TEST_PW", "x")
	base := "[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\n\n[[mailbox]]\nname = \"m\"\naddress = \"m@example.org\"\nhost = \"imap.example.org\"\nsecurity = \"tls\"\nusername = \"m\"\npassword_env = \"MAILDESK_TEST_PW\"\n"
	tests := []struct{ line, want, wantErr string }{
		{`trusted_authserv_id = "MX.Origin.or.kr"`, "mx.origin.or.kr", ""},
		{``, "", ""},
		{`trusted_authserv_id = "mx origin; dkim=pass"`, "", `maildesk.toml:1: trusted_authserv_id "mx origin; dkim=pass" is not a host name`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "maildesk.toml")
		if err := os.WriteFile(path, []byte(tt.line+"\n"+base), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if tt.wantErr != "" {
			if err == nil || !strings.HasSuffix(err.Error(), tt.wantErr) {
				t.Errorf("%s: got %v, want …%s", tt.line, err, tt.wantErr)
			}
			continue
		}
		if err != nil || cfg.TrustedAuthServID != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.line, cfg.TrustedAuthServID, err, tt.want)
		}
	}
}
