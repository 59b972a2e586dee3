package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// oauthConfig is a config whose mailbox signs in with the oauth2 table
// given (its lines start at line 12).
func oauthConfig(mailboxAuth, table string) string {
	return `[smtp]
host = "smtp.example.org"
security = "starttls"
username = "helpdesk"
password_env = "MAILDESK_TEST_SMTP_PASSWORD"

[[mailbox]]
name = "help"
address = "help@example.org"
host = "imap.example.org"
security = "tls"
username = "help@example.org"
` + mailboxAuth + "\n" + table
}

func TestOAuth2Problems(t *testing.T) {
	setTestEnv(t)
	t.Setenv("MAILDESK_TEST_CLIENT_SECRET", "client-hunter2")
	tests := []struct {
		name        string
		auth, table string
		want        []string
	}{
		{"microsoft", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "microsoft"
tenant = "contoso.onmicrosoft.com"
client_id = "00000000-0000-0000-0000-000000000000"
token_file = "help.token"`, nil},
		{"google with secret", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "google"
client_id = "x.apps.googleusercontent.com"
client_secret_env = "MAILDESK_TEST_CLIENT_SECRET"
token_file = "help.token"
mechanism = "oauthbearer"`, nil},
		{"empty table", `auth = "oauth2"`, `[mailbox.oauth2]`, []string{
			`14: missing "provider" in [mailbox.oauth2]`,
			`14: missing "client_id" in [mailbox.oauth2]`,
			`14: missing "token_file" in [mailbox.oauth2]: where the refresh token lives (maildesk oauth login writes it)`,
		}},
		{"no table", `auth = "oauth2"`, ``, []string{`13: auth = "oauth2" needs a [mailbox.oauth2] table`}},
		{"table without auth", `folder = "INBOX"`, `password_env = "MAILDESK_TEST_IMAP_PASSWORD"
[mailbox.oauth2]
provider = "google"`, []string{`15: [mailbox.oauth2] needs auth = "oauth2" in [[mailbox]]`}},
		{"bad auth", `auth = "kerberos"
password_env = "MAILDESK_TEST_IMAP_PASSWORD"`, ``, []string{`13: auth = "kerberos": want "password" or "oauth2"`}},
		{"password too", `auth = "oauth2"
password_env = "MAILDESK_TEST_IMAP_PASSWORD"`, `[mailbox.oauth2]
provider = "microsoft"
tenant = "organizations"
client_id = "id"
token_file = "help.token"`, []string{`14: password_env is not used with auth = "oauth2": remove it`}},
		{"microsoft without tenant, bad mechanism and grant", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "microsoft"
client_id = "id"
token_file = "t"
mechanism = "plain"
grant = "password"`, []string{
			`14: missing "tenant" in [mailbox.oauth2]`,
			`18: mechanism = "plain": want "xoauth2" or "oauthbearer"`,
			`19: grant = "password": want "device" or "client_credentials"`,
		}},
		{"google without secret", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "google"
client_id = "id"
token_file = "t"`, []string{`14: missing client_secret_env or client_secret_file in [mailbox.oauth2]: Google requires the client secret`}},
		{"generic incomplete", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "generic"
client_id = "id"
token_url = "http://auth.example.org/token"
token_file = "t"`, []string{
			`14: missing "device_auth_url" (or "auth_url", for oauth login -browser) in [mailbox.oauth2]: provider "generic" has no default`,
			`14: missing "scopes" in [mailbox.oauth2]: provider "generic" has no default`,
			`17: token_url = "http://auth.example.org/token": tokens must not cross a network unencrypted; use https`,
		}},
		{"generic on loopback", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "generic"
client_id = "id"
token_url = "http://127.0.0.1:8080/token"
device_auth_url = "http://127.0.0.1:8080/device"
scopes = ["mail"]
token_file = "t"`, nil},
		{"client credentials", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "microsoft"
tenant = "contoso.onmicrosoft.com"
client_id = "id"
grant = "client_credentials"
client_secret_env = "MAILDESK_TEST_UNSET_PASSWORD"
token_file = "t"`, []string{
			`19: client_secret_env: environment variable MAILDESK_TEST_UNSET_PASSWORD is not set`,
			`20: token_file is not used with grant = "client_credentials": there is no refresh token`,
		}},
		{"unknown key", `auth = "oauth2"`, `[mailbox.oauth2]
provider = "microsoft"
tenant = "organizations"
client_id = "id"
client_secret = "hunter2"
token_file = "t"`, []string{`18: unknown key "client_secret" in [mailbox.oauth2]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "maildesk.toml")
			if err := os.WriteFile(path, []byte(oauthConfig(tt.auth, tt.table)), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			var want []string
			for _, w := range tt.want {
				want = append(want, path+":"+w)
			}
			checkProblems(t, err, want)
		})
	}
}

func TestOAuth2Values(t *testing.T) {
	t.Setenv("MAILDESK_TEST_CLIENT_SECRET", "client-hunter2")
	dir := t.TempDir()
	path := filepath.Join(dir, "maildesk.toml")
	text := strings.Replace(oauthConfig(`auth = "oauth2"`, `[mailbox.oauth2]
provider = "google"
client_id = "x.apps.googleusercontent.com"
client_secret_env = "MAILDESK_TEST_CLIENT_SECRET"
token_file = "help.token"
scopes = ["https://mail.google.com/"]
`), `username = "helpdesk"
password_env = "MAILDESK_TEST_SMTP_PASSWORD"`, `username = "helpdesk@example.org"
auth = "oauth2"
[smtp.oauth2]
provider = "microsoft"
tenant = "organizations"
client_id = "id"
token_file = "smtp.token"`, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.Mailboxes[0].OAuth2
	if cfg.Mailboxes[0].Auth != AuthOAuth2 || o == nil || o.ClientSecret.Reveal() != "client-hunter2" ||
		o.TokenFile != filepath.Join(dir, "help.token") || o.Mechanism != MechXOAUTH2 || o.Grant != GrantDevice ||
		!slices.Equal(o.Scopes, []string{"https://mail.google.com/"}) {
		t.Errorf("mailbox oauth2: got %+v", o)
	}
	if s := cfg.SMTP; s.Auth != AuthOAuth2 || s.OAuth2 == nil || s.OAuth2.Tenant != "organizations" || !s.Password.IsZero() {
		t.Errorf("smtp oauth2: got %+v", s)
	}
	if cfg.Mailboxes[0].OAuth2.ClientSecret.String() != "********" {
		t.Error("the client secret prints")
	}
	nc, err := LoadNoSecrets(path)
	if err != nil || !nc.Mailboxes[0].OAuth2.ClientSecret.IsZero() {
		t.Errorf("LoadNoSecrets: %v, secret read", err)
	}
}
