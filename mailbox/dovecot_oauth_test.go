package mailbox

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/internal/oauthtest"
)

// mintToken is a TokenSource handing out an access token of the test
// server for a user.
type mintToken struct {
	srv  *oauthtest.Server
	rt   string
	invd int
}

func (m *mintToken) Token(ctx context.Context) (string, error) {
	return fixedRefresh(m.srv, &m.rt)
}

func (m *mintToken) Invalidate() { m.invd++ }

// TestDovecotOAuth2Check signs in to a real Dovecot with its oauth2
// passdb: XOAUTH2 and OAUTHBEARER with a good token, a refused token, and
// the password still working beside them.
func TestDovecotOAuth2Check(t *testing.T) {
	srv := oauthtest.Start("maildesk-test", "", time.Hour)
	defer srv.Close()
	dv := maildesktest.DovecotWith(t, dovecot.Config{Users: []string{"fta-pass"}, Password: "pw", OAuth2IntrospectionURL: srv.IntrospectionURL()})
	host, port, _ := net.SplitHostPort(dv.Addr())
	p, _ := strconv.Atoi(port)
	good := &mintToken{srv: srv, rt: srv.Issue("fta-pass")}
	wrongUser := &mintToken{srv: srv, rt: srv.Issue("education")}
	tests := []struct {
		name      string
		auth      string
		token     TokenSource
		password  string
		wantLogin bool // ErrLogin
		wantOther bool
	}{
		// Dovecot slows down logins from an address after a refusal:
		// the logins that work come first.
		{"password", AuthPassword, nil, "pw", false, false},
		{"xoauth2", AuthXOAUTH2, good, "", false, false},
		{"oauthbearer", AuthOAuthBearer, good, "", false, false},
		{"xoauth2 refused", AuthXOAUTH2, fixedToken{tok: "at-forged"}, "", true, false},
		{"oauthbearer refused", AuthOAuthBearer, fixedToken{tok: "at-forged"}, "", true, false},
		// A refused token is dropped and a new one tried on the next
		// login; only a second refusal counts (Check is one login).
		{"token of another user", AuthXOAUTH2, wrongUser, "", false, true},
		{"token source fails", AuthXOAUTH2, fixedToken{err: errors.New("token endpoint down")}, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &Watcher{Account: Account{Name: "fta-pass", Host: host, Port: p, Security: "none", Username: "fta-pass",
				Password: tt.password, Auth: tt.auth, Token: tt.token}}
			err := w.Check(context.Background())
			switch {
			case tt.wantLogin && !errors.Is(err, ErrLogin):
				t.Errorf("got %v, want ErrLogin", err)
			case tt.wantOther && (err == nil || errors.Is(err, ErrLogin)):
				t.Errorf("got %v, want an error that is not ErrLogin", err)
			case !tt.wantLogin && !tt.wantOther && err != nil:
				t.Errorf("got %v, want a login", err)
			}
		})
	}
	if good.invd != 0 || wrongUser.invd != 1 {
		t.Errorf("invalidations: good %d, refused %d; want 0 and 1", good.invd, wrongUser.invd)
	}
	if srv.Count("introspect") == 0 {
		t.Error("Dovecot never asked the introspection endpoint")
	}
}

// fixedRefresh trades *rt for an access token at srv, keeping the
// rotated refresh token.
func fixedRefresh(srv *oauthtest.Server, rt *string) (string, error) {
	resp, err := http.PostForm(srv.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {*rt}, "client_id": {srv.ClientID}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", errors.New("no token")
	}
	*rt = tok.RefreshToken
	return tok.AccessToken, nil
}
