package config

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
	return ps.Strings()
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

func TestLoadProblems(t *testing.T) {
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
			path := filepath.Join("testdata", tt.file)
			var want []string
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			cfg, err := Load(path)
			checkProblems(t, err, want)
			if err != nil && cfg != nil {
				t.Errorf("got config %v with error, want nil", cfg)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "maildesk.toml")
	_, err := Load(path)
	got := problemStrings(t, err)
	if len(got) != 1 || !strings.HasPrefix(got[0], path+": ") {
		t.Errorf("got %q, want one problem about %s", got, path)
	}
}

func TestLoadValues(t *testing.T) {
	setTestEnv(t)
	path := filepath.Join("testdata", "good.toml")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("testdata")
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
		{"File", cfg.File, path},
		{"Mailboxes[0].Line", cfg.Mailboxes[0].Line, 13},
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
			cfg, err := Load(path)
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
	cfg, err := Load(filepath.Join("testdata", "good.toml"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"smtp-hunter2", "imap-hunter2", "s3cret"}

	outputs := map[string]string{
		"%v":  fmt.Sprintf("%v", cfg),
		"%+v": fmt.Sprintf("%+v", cfg),
		"%#v": fmt.Sprintf("%#v", cfg),
		// %s on a Stringer is its String method (S1025): call it directly.
		"String": cfg.SMTP.Password.String(),
		"%q":     fmt.Sprintf("%q", cfg.SMTP.Password),
		"%v*":    fmt.Sprintf("%v", *cfg),
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
// after exporting the password variables. The rules' own example test
// (rules.TestExamples) decides with the rules it names; desk.TestLoadExamples
// checks the two together.
func TestExamples(t *testing.T) {
	t.Setenv("MAILDESK_SMTP_PASSWORD", "smtp-secret")
	t.Setenv("MAILDESK_IMAP_PASSWORD", "imap-secret")
	cfg, err := Load(filepath.Join("..", "examples", "maildesk.toml"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"fta-pass":      "fta-pass@origin.or.kr",
		"qualification": "qualification@origin.or.kr",
		"education":     "education@origin.or.kr",
		"correction":    "correction@origin.or.kr",
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
		if mb.Address != w {
			t.Errorf("%s address: got %v, want %v", mb.Name, mb.Address, w)
		}
	}
	if cfg.Location.String() != "Asia/Seoul" || cfg.Rules != filepath.Join(filepath.Dir(cfg.Path), "rules") {
		t.Errorf("got zone %v, rules %v; want Asia/Seoul and the rules directory beside the file", cfg.Location, cfg.Rules)
	}
	if cfg.SMTP.Password.Reveal() != "smtp-secret" || cfg.Mailboxes[0].Password.Reveal() != "imap-secret" {
		t.Errorf("passwords not taken from the environment")
	}
}

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
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
		cfg, err := Load(path)
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
func TestLoadNoSecrets(t *testing.T) {
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		t.Setenv(v, "") // restores the variable afterwards
		os.Unsetenv(v)
	}
	if _, err := Load("../examples/maildesk.toml"); err == nil {
		t.Fatal("Load without the password variables: got nil error")
	}
	cfg, err := LoadNoSecrets("../examples/maildesk.toml")
	if err != nil {
		t.Fatalf("LoadNoSecrets: %v", err)
	}
	if len(cfg.Mailboxes) != 4 || !cfg.SMTP.Password.IsZero() || !cfg.Mailboxes[0].Password.IsZero() {
		t.Errorf("got %d mailboxes, smtp password set %v; want 4 and no passwords", len(cfg.Mailboxes), !cfg.SMTP.Password.IsZero())
	}
}

// TestTopLevelValues: the keys above the first table, normalised or
// refused with the line.
func TestTopLevelValues(t *testing.T) {
	t.Setenv("MAILDESK_TEST_PW", "x")
	base := "[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\n\n[[mailbox]]\nname = \"m\"\naddress = \"m@example.org\"\nhost = \"imap.example.org\"\nsecurity = \"tls\"\nusername = \"m\"\npassword_env = \"MAILDESK_TEST_PW\"\n"
	authserv := func(c *Config) string { return c.TrustedAuthServID }
	logFormat := func(c *Config) string { return c.LogFormat }
	database := func(c *Config) string { return c.Database }
	dbPassword := func(c *Config) string { return c.DatabasePassword.Reveal() }
	tests := []struct {
		line    string
		get     func(*Config) string
		want    string
		wantErr string
	}{
		{`trusted_authserv_id = "MX.Origin.or.kr"`, authserv, "mx.origin.or.kr", ""},
		{``, authserv, "", ""},
		{`trusted_authserv_id = "mx origin; dkim=pass"`, authserv, "", `maildesk.toml:1: trusted_authserv_id "mx origin; dkim=pass" is not a host name`},
		{``, logFormat, LogText, ""},
		{`log_format = "json"`, logFormat, LogJSON, ""},
		{`log_format = "JSON lines"`, logFormat, "", `maildesk.toml:1: log_format "JSON lines": want "text" or "json"`},
		{`database = "postgres://desk@db.example.org/maildesk?sslmode=verify-full"`, database, "postgres://desk@db.example.org/maildesk?sslmode=verify-full", ""},
		{`database = "postgresql://desk@db.example.org/maildesk"` + "\n" + `database_password_env = "MAILDESK_TEST_PW"`, dbPassword, "x", ""},
		{`database = "postgres://desk:hunter2@db.example.org/maildesk"`, database, "", `maildesk.toml:1: database: passwords do not belong in configuration files; use database_password_env (an environment variable) or database_password_file`},
		{`database = "postgres://desk@db.example.org/maildesk?password=hunter2"`, database, "", `maildesk.toml:1: database: passwords do not belong in configuration files; use database_password_env (an environment variable) or database_password_file`},
		{`database = "mysql://db.example.org/maildesk"`, database, "", `maildesk.toml:1: database: mysql:// is not supported: a postgres:// URL selects PostgreSQL, a path SQLite`},
		{`database_password_env = "MAILDESK_TEST_PW"`, database, "", `maildesk.toml:1: database_password_env: only a PostgreSQL database (database = "postgres://…") has a password`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "maildesk.toml")
		if err := os.WriteFile(path, []byte(tt.line+"\n"+base), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if tt.wantErr != "" {
			if err == nil || !strings.HasSuffix(err.Error(), tt.wantErr) {
				t.Errorf("%s: got %v, want …%s", tt.line, err, tt.wantErr)
			}
			continue
		}
		if err != nil || tt.get(cfg) != tt.want {
			t.Errorf("%s: got %+v, %v; want %q", tt.line, cfg, err, tt.want)
		}
	}
}

// TestSecretSource: a password says where it came from, for log lines,
// and the source never holds the password.
func TestSecretSource(t *testing.T) {
	setTestEnv(t)
	cfg, err := Load(filepath.Join("testdata", "good.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.SMTP.Password.Source(); got != "password_env MAILDESK_TEST_SMTP_PASSWORD" {
		t.Errorf("smtp password source: %q", got)
	}
	if got := cfg.Mailboxes[0].Password.Source(); !strings.HasPrefix(got, "password_file ") || !strings.HasSuffix(got, "imap.secret") {
		t.Errorf("mailbox password source: %q", got)
	}
	for _, s := range []Secret{cfg.SMTP.Password, cfg.Mailboxes[0].Password} {
		if strings.Contains(s.Source(), s.Reveal()) {
			t.Errorf("source %q holds the password", s.Source())
		}
	}
}

func TestHTTP(t *testing.T) {
	t.Setenv("MAILDESK_TEST_PW", "x")
	base := "[smtp]\nhost = \"smtp.example.org\"\nsecurity = \"none\"\n\n[[mailbox]]\nname = \"m\"\naddress = \"m@example.org\"\nhost = \"imap.example.org\"\nsecurity = \"tls\"\nusername = \"m\"\npassword_env = \"MAILDESK_TEST_PW\"\n"
	tests := []struct {
		table      string // appended after base (the table on line 13)
		want       HTTP
		wantRemote bool
		wantErr    string
	}{
		{"", HTTP{}, false, ""},
		{"[http]\n", HTTP{}, false, ""},
		{"[http]\nlisten = \"127.0.0.1:9465\"\n", HTTP{Listen: "127.0.0.1:9465"}, false, ""},
		{"[http]\nlisten = \"[::1]:9465\"\n", HTTP{Listen: "[::1]:9465"}, false, ""},
		{"[http]\nlisten = \"localhost:9465\"\n", HTTP{Listen: "localhost:9465"}, false, ""},
		{"[http]\nlisten = \":9465\"\n", HTTP{Listen: ":9465"}, true, ""},
		{"[http]\nlisten = \"10.0.0.5:9465\"\nallow_remote = true\n", HTTP{Listen: "10.0.0.5:9465", AllowRemote: true}, true, ""},
		{"[http]\nlisten = \"monitor.example.org:9465\"\n", HTTP{Listen: "monitor.example.org:9465"}, true, ""},
		{"[http]\nlisten = \"9465\"\n", HTTP{}, false, `maildesk.toml:14: listen = "9465": want host:port, like "127.0.0.1:9465"`},
		{"[http]\nlisten = \"127.0.0.1:http\"\n", HTTP{}, false, `maildesk.toml:14: listen = "127.0.0.1:http": want host:port, like "127.0.0.1:9465"`},
		{"[http]\nlisen = \"127.0.0.1:9465\"\n", HTTP{}, false, `maildesk.toml:14: unknown key "lisen" in [http]`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, "maildesk.toml")
		if err := os.WriteFile(path, []byte(base+"\n"+tt.table), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if tt.wantErr != "" {
			if err == nil || !strings.HasSuffix(err.Error(), tt.wantErr) {
				t.Errorf("%q: got %v, want …%s", tt.table, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.table, err)
			continue
		}
		if cfg.HTTP != tt.want || cfg.HTTP.Remote() != tt.wantRemote {
			t.Errorf("%q: got %+v (remote %v), want %+v (remote %v)", tt.table, cfg.HTTP, cfg.HTTP.Remote(), tt.want, tt.wantRemote)
		}
	}
}
