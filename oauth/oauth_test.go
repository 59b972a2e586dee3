package oauth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/oauthtest"
)

func testConfig(srv *oauthtest.Server, dir string) Config {
	return Config{
		Account: "fta-pass", Provider: Generic, ClientID: srv.ClientID, ClientSecret: srv.ClientSecret,
		TokenURL: srv.TokenURL(), DeviceAuthURL: srv.DeviceURL(), Scopes: []string{"mail"},
		TokenFile: filepath.Join(dir, "fta-pass.token"),
	}
}

func TestCheck(t *testing.T) {
	ok := Config{Provider: Microsoft, Tenant: "contoso.onmicrosoft.com", ClientID: "id", TokenFile: "/x"}
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" for none
	}{
		{"microsoft", func(*Config) {}, ""},
		{"no tenant", func(c *Config) { c.Tenant = "" }, "tenant is required"},
		{"no client id", func(c *Config) { c.ClientID = "" }, "client_id is required"},
		{"no token file", func(c *Config) { c.TokenFile = "" }, "token_file is required"},
		{"unknown provider", func(c *Config) { c.Provider = "yahoo" }, `provider "yahoo"`},
		{"generic without urls", func(c *Config) { c.Provider = Generic }, "token_url is required"},
		{"generic without scopes", func(c *Config) { c.Provider, c.TokenURL = Generic, "http://x" }, "scopes are required"},
		{"google", func(c *Config) { c.Provider, c.Tenant = Google, "" }, ""},
		{"app-only without secret", func(c *Config) { c.Grant = ClientCredentials }, "client_secret_env or client_secret_file"},
		{"app-only", func(c *Config) { c.Grant, c.ClientSecret, c.TokenFile = ClientCredentials, "s", "" }, ""},
		{"unknown grant", func(c *Config) { c.Grant = "password" }, `grant "password"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Check()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("got %v, want no error", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestDefaultScopes(t *testing.T) {
	tests := []struct {
		provider, grant string
		want            string
	}{
		{Microsoft, Device, "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"},
		{Microsoft, ClientCredentials, "https://outlook.office365.com/.default"},
		{Google, Device, "https://mail.google.com/"},
		{Generic, Device, ""},
	}
	for _, tt := range tests {
		if got := strings.Join(DefaultScopes(tt.provider, tt.grant, ForIMAP), " "); got != tt.want {
			t.Errorf("DefaultScopes(%s, %s): got %q, want %q", tt.provider, tt.grant, got, tt.want)
		}
	}
	if got := (Config{Provider: Microsoft, Tenant: "organizations"}).endpoint().DeviceAuthURL; got != "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode" {
		t.Errorf("microsoft device endpoint: got %q", got)
	}
}

// TestLoginThenRefresh: the device flow writes the token file; the source
// then refreshes with it, persists each rotation and reuses a fresh token.
func TestLoginThenRefresh(t *testing.T) {
	for _, secret := range []string{"", "s3cret-client"} {
		t.Run("secret="+secret, func(t *testing.T) {
			srv := oauthtest.Start("maildesk-test", secret, time.Hour)
			defer srv.Close()
			dir := t.TempDir()
			cfg := testConfig(srv, dir)
			srv.DeviceUser("fta-pass")
			var out bytes.Buffer
			if err := Login(context.Background(), cfg, &out); err != nil {
				t.Fatalf("login: %v\n%s", err, out.String())
			}
			lines := strings.Split(out.String(), "\n")
			if lines[0] != "open: "+oauthtest.VerificationURI || lines[1] != "code: WDJB-MJHT" {
				t.Errorf("login output: got %q, want the address and the code on a line each", out.String())
			}
			fi, err := os.Stat(cfg.TokenFile)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("token file: %v, %v; want mode 0600", fi, err)
			}
			first, err := ReadTokenFile(cfg.TokenFile)
			if err != nil || !srv.Live(first) {
				t.Fatalf("token file holds %v (live %v), want a live refresh token", err, srv.Live(first))
			}

			var log bytes.Buffer
			src := NewSource(cfg, slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})))
			at, err := src.Token(context.Background())
			if err != nil || at == "" {
				t.Fatalf("token: %q, %v", at, err)
			}
			again, _ := src.Token(context.Background())
			if again != at || srv.Count("refresh") != 1 {
				t.Errorf("a fresh token was not reused: %d refreshes", srv.Count("refresh"))
			}
			second, _ := ReadTokenFile(cfg.TokenFile)
			if second == first || !srv.Live(second) || srv.Live(first) {
				t.Errorf("rotation not persisted: file has the first token %v, live %v", second == first, srv.Live(second))
			}
			for _, tok := range srv.Issued() {
				if strings.Contains(log.String()+out.String(), tok) {
					t.Errorf("a token reached the log or the output:\n%s", log.String())
				}
			}
			if !strings.Contains(log.String(), "rotated and saved") {
				t.Errorf("no rotation line in the log:\n%s", log.String())
			}
		})
	}
}

// TestExpiryAndFailure: an expiring token is replaced early; a failing
// endpoint is logged and reported, and the next try works.
func TestExpiryAndFailure(t *testing.T) {
	srv := oauthtest.Start("maildesk-test", "", 40*time.Second)
	defer srv.Close()
	cfg := testConfig(srv, t.TempDir())
	if err := WriteTokenFile(cfg.TokenFile, srv.Issue("fta-pass")); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	src := NewSource(cfg, slog.New(slog.NewTextHandler(&log, nil)))
	now := time.Now()
	src.now = func() time.Time { return now }
	var failed []string
	src.Failed = func(account string, err error) { failed = append(failed, account) }
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(29 * time.Second) // 40s lifetime: renewed with 10s left
	if tok, _ := src.Token(context.Background()); tok != first {
		t.Errorf("renewed too early")
	}
	now = now.Add(2 * time.Second)
	srv.Fail(true)
	if _, err := src.Token(context.Background()); err == nil {
		t.Fatal("no error from a failing token endpoint")
	}
	if len(failed) != 1 || !strings.Contains(log.String(), "oauth2 token refresh failed") || !strings.Contains(log.String(), "temporarily_unavailable") {
		t.Errorf("failure not reported: hook %v, log:\n%s", failed, log.String())
	}
	srv.Fail(false)
	tok, err := src.Token(context.Background())
	if err != nil || tok == first {
		t.Errorf("after the endpoint recovered: %v, same token %v", err, tok == first)
	}
}

func TestNoTokenFile(t *testing.T) {
	srv := oauthtest.Start("maildesk-test", "", time.Hour)
	defer srv.Close()
	_, err := NewSource(testConfig(srv, t.TempDir()), slog.New(slog.DiscardHandler)).Token(context.Background())
	if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "maildesk oauth login") {
		t.Errorf("got %v, want ErrNoToken naming the login command", err)
	}
}

func TestClientCredentials(t *testing.T) {
	srv := oauthtest.Start("maildesk-app", "app-secret", time.Hour)
	defer srv.Close()
	srv.AppUser("fta-pass")
	cfg := testConfig(srv, t.TempDir())
	cfg.Grant, cfg.TokenFile = ClientCredentials, ""
	tok, err := NewSource(cfg, nil).Token(context.Background())
	if err != nil || tok == "" || srv.Count("client_credentials") != 1 {
		t.Fatalf("client credentials: %q, %v", tok, err)
	}
	if err := Login(context.Background(), cfg, &bytes.Buffer{}); err == nil {
		t.Error("login with the client_credentials grant: want an error")
	}
}

// TestLoginBrowser: the authorization code grant with PKCE, redirected
// to a loopback listener, writes the token file.
func TestLoginBrowser(t *testing.T) {
	srv := oauthtest.Start("maildesk-test", "s3cret-client", time.Hour)
	defer srv.Close()
	srv.BrowserUser("fta-pass")
	cfg := testConfig(srv, t.TempDir())
	cfg.AuthURL = srv.AuthURL()
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- LoginBrowser(context.Background(), cfg, "127.0.0.1:0", pw); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "open: ")
	if !ok || !strings.HasPrefix(u, srv.AuthURL()+"?") || !strings.Contains(u, "code_challenge=") {
		t.Fatalf("first line: got %q, want open: and the authorization URL with a PKCE challenge", line)
	}
	go io.Copy(io.Discard, pr)
	// The browser: follow the redirect back to the listener.
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := <-errc; err != nil {
		t.Fatalf("login: %v (browser saw %d %s)", err, resp.StatusCode, body)
	}
	rt, err := ReadTokenFile(cfg.TokenFile)
	if err != nil || !srv.Live(rt) || srv.Count("authorization_code") != 1 {
		t.Fatalf("token file: %v, live %v", err, srv.Live(rt))
	}
	if err := LoginBrowser(context.Background(), cfg, "0.0.0.0:0", io.Discard); err == nil {
		t.Error("listening beyond loopback: want an error")
	}
}
