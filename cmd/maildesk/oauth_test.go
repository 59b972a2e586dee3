package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/internal/oauthtest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/oauth"
)

const oauthClientSecret = "client-s3cret-never-logged"

// oauthMailboxTable turns fta-pass's password into an oauth2 table.
func oauthMailboxTable(srv *oauthtest.Server, mechanism string) string {
	return `username = "fta-pass"
auth = "oauth2"

[mailbox.oauth2]
provider = "generic"
client_id = "` + srv.ClientID + `"
client_secret_file = "client.secret"
token_url = "` + srv.TokenURL() + `"
device_auth_url = "` + srv.DeviceURL() + `"
scopes = ["mail", "offline_access"]
token_file = "fta-pass.token"
mechanism = "` + mechanism + `"
`
}

func writeOAuthConfig(t *testing.T, path, base string, srv *oauthtest.Server, mechanism string) {
	t.Helper()
	text := strings.Replace(base, `security = "none"
`, `security = "none"
username = "helpdesk"
auth = "oauth2"

[smtp.oauth2]
provider = "generic"
client_id = "`+srv.ClientID+`"
client_secret_file = "client.secret"
token_url = "`+srv.TokenURL()+`"
auth_url = "`+srv.AuthURL()+`"
scopes = ["smtp"]
token_file = "smtp.token"
`, 1)
	old := `username = "fta-pass"
password_file = "demo.secret"
`
	if !strings.Contains(text, old) {
		t.Fatalf("the demo config has no fta-pass password:\n%s", text)
	}
	text = strings.Replace(text, old, oauthMailboxTable(srv, mechanism), 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDovecotOAuth2EndToEnd is issue 19's proof against a real IMAP
// server: `maildesk oauth login` (device code) writes the token files;
// the daemon signs fta-pass in to Dovecot with XOAUTH2 (Dovecot's oauth2
// passdb asks the test's introspection endpoint) and sends with AUTH
// XOAUTH2; the access tokens expire during the run and the token endpoint
// fails for a while, which only delays the mailbox; the refresh tokens
// rotate and the rotated ones are on disk, so that a restart signed in
// with OAUTHBEARER still works. Nothing secret reaches the debug log.
func TestDovecotOAuth2EndToEnd(t *testing.T) {
	maildesktest.NeedDovecot(t)
	const lifetime = 2 * time.Second
	srv := oauthtest.Start("maildesk-test", oauthClientSecret, lifetime)
	defer srv.Close()
	dir := t.TempDir()
	mboxes, err := exampleMailboxes(dir)
	if err != nil {
		t.Fatal(err)
	}
	dv := &dovecotInstance{maildesktest.DovecotWith(t, dovecot.Config{
		Users: names(mboxes), Password: demoPassword, OAuth2IntrospectionURL: srv.IntrospectionURL(),
	})}
	sys, err := localmail.Start(localmail.Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0", Logger: testLogger(t), SMTPBearer: srv.Check})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	t.Cleanup(func() { checkCustomerMail(t, sys) })
	demoPath, err := writeDemoConfig(dir, dv.Addr(), sys.SMTPAddr(), mboxes)
	if err != nil {
		t.Fatal(err)
	}
	engineConfig(t, demoPath)
	base, err := os.ReadFile(demoPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.secret"), []byte(oauthClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "maildesk.toml")
	writeOAuthConfig(t, cfgPath, string(base), srv, "xoauth2")
	s := &stack{t: t, dir: dir, mail: sys, configPath: cfgPath, mboxes: mboxes}

	// The first refresh tokens, as an admin gets them: fta-pass with a
	// device code, the relay in a browser.
	srv.DeviceUser("fta-pass")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"oauth", "login", "-config", cfgPath, "fta-pass"}, &out, &errOut); err != nil {
		t.Fatalf("oauth login fta-pass: %v\n%s%s", err, out.String(), errOut.String())
	}
	lines := strings.Split(out.String(), "\n")
	if len(lines) < 2 || lines[0] != "open: "+oauthtest.VerificationURI || lines[1] != "code: WDJB-MJHT" {
		t.Errorf("oauth login printed %q; want the address and the code on a line each", out.String())
	}
	srv.BrowserUser("helpdesk")
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(context.Background(), []string{"oauth", "login", "-config", cfgPath, "-browser", "-listen", "127.0.0.1:0", "smtp"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "open: ")
	if err != nil || !ok {
		t.Fatalf("oauth login -browser printed %q, %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	if resp, err := http.Get(u); err != nil { // the browser
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if err := <-errc; err != nil {
		t.Fatalf("oauth login -browser smtp: %v", err)
	}
	tokenFile := filepath.Join(dir, "fta-pass.token")
	firstRT, err := oauth.ReadTokenFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want mode 0600", fi, err)
	}

	var logBuf syncBuffer
	log := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := startDaemonLog(t, cfgPath, log)
	d.waitSynced(t, len(mboxes))
	inquire := func(i int) {
		t.Helper()
		cust := "kim" + string(rune('0'+i)) + "@example.co.kr"
		id := "oauth" + string(rune('0'+i)) + "@example.co.kr"
		dv.deliver(t, "fta-pass", cust, maildesktest.Inquiry(cust, "fta-pass@origin.or.kr", "원산지 문의", id, "문의드립니다.\r\n"))
		caps := s.waitCaptured(i)
		checkAck(t, caps[i-1], cust, id, "[FTA-PASS #"+string(rune('0'+i))+"]", "031-600-0722")
	}
	inquire(1)

	// The access tokens expire, the token endpoint fails, the server
	// drops every session: the mailbox retries, logging the failure.
	time.Sleep(lifetime)
	srv.Fail(true)
	dv.Stop()
	if err := dv.Restart(); err != nil {
		t.Fatal(err)
	}
	maildesktest.WaitUntil(t, "the refresh failure logged", func() bool {
		return strings.Contains(logBuf.String(), "oauth2 token refresh failed")
	})
	for len(d.synced) > 0 {
		<-d.synced
	}
	srv.Fail(false)
	waitMailboxSynced(t, d, "fta-pass")
	inquire(2)
	d.stop()

	// Rotated and persisted: the login's refresh token is dead, the
	// file's is live.
	rt, err := oauth.ReadTokenFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if rt == firstRT || srv.Live(firstRT) || !srv.Live(rt) {
		t.Errorf("token file not rotated: same %v, first live %v, file's live %v", rt == firstRT, srv.Live(firstRT), srv.Live(rt))
	}
	if n := srv.Count("rotated-refused"); n != 0 {
		t.Errorf("%d refreshes with a rotated-away token", n)
	}

	// OAUTHBEARER after a restart, with the token file alone.
	writeOAuthConfig(t, cfgPath, string(base), srv, "oauthbearer")
	d = startDaemonLog(t, cfgPath, log)
	d.waitSynced(t, len(mboxes))
	inquire(3)
	d.stop()

	dlog := dv.Logs(1 << 20)
	for _, mech := range []string{"XOAUTH2", "OAUTHBEARER"} {
		if !strings.Contains(dlog, "Login: user=<fta-pass>, method="+mech) {
			t.Errorf("Dovecot logged no %s login of fta-pass", mech)
		}
	}
	if n := srv.Count("refresh"); n < 4 {
		t.Errorf("refreshes: got %d, want at least 4 (both accounts, before and after the expiry)", n)
	}
	debug := logBuf.String()
	if testing.Verbose() || t.Failed() {
		t.Logf("the daemon's debug log:\n%s", debug)
	}
	for _, secret := range append(srv.Issued(), oauthClientSecret) {
		if strings.Contains(debug, secret) {
			t.Errorf("the debug log holds a token or the client secret (%.6s…)", secret)
		}
	}
	if !strings.Contains(debug, "rotated and saved") || !strings.Contains(debug, "account=fta-pass") {
		t.Errorf("the debug log does not tell of the rotation")
	}
}

// waitMailboxSynced waits for a catch-up pass of one mailbox.
func waitMailboxSynced(t *testing.T, d *daemon, name string) {
	t.Helper()
	deadline := time.After(maildesktest.WaitLimit)
	for {
		select {
		case n := <-d.synced:
			if n == name {
				return
			}
		case <-deadline:
			t.Fatalf("%s did not sync", name)
		}
	}
}

// TestOAuthCommands: `rules check` names every gap of an incomplete
// oauth2 table by file:line, and `oauth login` refuses what it cannot do.
func TestOAuthCommands(t *testing.T) {
	s := newStack(t)
	base, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(base), `username = "fta-pass"
password_file = "demo.secret"
`, `username = "fta-pass"
auth = "oauth2"

[mailbox.oauth2]
provider = "microsoft"
`, 1)
	if err := os.WriteFile(s.configPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runCLI(t, "rules", "check", "-config", s.configPath)
	if exitCode(err) != 1 {
		t.Fatalf("rules check: exit %d (%v), want 1", exitCode(err), err)
	}
	for _, want := range []string{`missing "tenant" in [mailbox.oauth2]`, `missing "client_id" in [mailbox.oauth2]`, `missing "token_file" in [mailbox.oauth2]`} {
		if !strings.Contains(err.Error(), s.configPath+":") || !strings.Contains(err.Error(), want) {
			t.Errorf("rules check lacks %q:\n%v", want, err)
		}
	}

	s2 := newStack(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"oauth", "login", "-config", s2.configPath, "nosuch"}, 2, `no mailbox "nosuch"`},
		{[]string{"oauth", "login", "-config", s2.configPath, "fta-pass"}, 1, "signs in with a password"},
		{[]string{"oauth", "login", "-config", s2.configPath, "smtp"}, 1, "signs in with a password"},
		{[]string{"oauth", "logout"}, 2, "want oauth login"},
	}
	for _, tt := range tests {
		_, err := runCLI(t, tt.args...)
		if exitCode(err) != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got exit %d %v, want %d with %q", tt.args, exitCode(err), err, tt.code, tt.want)
		}
	}
}
