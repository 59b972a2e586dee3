package mailbox

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/kioi/maildesk/localmail"
)

func TestBearerClient(t *testing.T) {
	tests := []struct {
		mech, user string
		want       string
	}{
		{AuthXOAUTH2, "fta-pass@origin.or.kr", "user=fta-pass@origin.or.kr\x01auth=Bearer TOKEN\x01\x01"},
		{AuthOAuthBearer, "fta-pass@origin.or.kr", "n,a=fta-pass@origin.or.kr,\x01host=imap.example.org\x01port=993\x01auth=Bearer TOKEN\x01\x01"},
		{AuthOAuthBearer, "a,b=c", "n,a=a=2Cb=3Dc,\x01host=imap.example.org\x01port=993\x01auth=Bearer TOKEN\x01\x01"},
	}
	for _, tt := range tests {
		c := &bearerClient{mech: tt.mech, username: tt.user, token: "TOKEN", host: "imap.example.org", port: 993}
		mech, ir, err := c.Start()
		if err != nil || mech != tt.mech || string(ir) != tt.want {
			t.Errorf("%s %s: got %s %q %v, want %q", tt.mech, tt.user, mech, ir, err, tt.want)
		}
	}
}

type fixedToken struct {
	tok string
	err error
}

func (f fixedToken) Token(context.Context) (string, error) { return f.tok, f.err }

// TestSendXOAUTH2: the sender signs in with AUTH XOAUTH2 and the token of
// the moment; a refused token or one that cannot be had is a temporary
// failure.
func TestSendXOAUTH2(t *testing.T) {
	sys, err := localmail.Start(localmail.Options{SMTPBearer: func(user, token string) error {
		if user != "helpdesk@origin.or.kr" || token != "good-token" {
			return errors.New("refused")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	host, port, _ := net.SplitHostPort(sys.SMTPAddr())
	p, _ := strconv.Atoi(port)
	tests := []struct {
		name  string
		token TokenSource
		ok    bool
		want  string // in the error
	}{
		{"good token", fixedToken{tok: "good-token"}, true, ""},
		{"refused token", fixedToken{tok: "bad-token"}, false, "temporary"},
		{"no token", fixedToken{err: errors.New("token endpoint down")}, false, "token endpoint down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSender(SMTPConfig{Host: host, Port: p, Security: "none", Username: "helpdesk@origin.or.kr", Token: tt.token})
			err := s.Send(context.Background(), "fta-pass@origin.or.kr", []string{"kim@example.co.kr"}, []byte("Subject: x\r\n\r\nhi\r\n"))
			if tt.ok != (err == nil) {
				t.Fatalf("got %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				var se *SendError
				if !errors.As(err, &se) || se.Permanent || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %v, want a temporary SendError with %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "bad-token") {
					t.Errorf("the token is in the error: %v", err)
				}
			}
		})
	}
	if n := len(sys.Captured()); n != 1 {
		t.Errorf("captured %d mails, want 1", n)
	}
}
