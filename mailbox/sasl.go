package mailbox

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// The SASL mechanisms of OAuth 2.0 sign-in (Account.Auth).
const (
	// AuthPassword is IMAP LOGIN with Account.Password (the default).
	AuthPassword = ""
	// AuthXOAUTH2 is Google's and Microsoft's SASL XOAUTH2.
	AuthXOAUTH2 = "XOAUTH2"
	// AuthOAuthBearer is SASL OAUTHBEARER (RFC 7628).
	AuthOAuthBearer = "OAUTHBEARER"
)

// TokenSource hands out OAuth 2.0 access tokens, fresh enough to sign in
// with (package oauth's Source). Tokens are never logged.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// invalidator is a TokenSource that can drop a token the server refused
// before its expiry, so that the next Token fetches a new one.
type invalidator interface{ Invalidate() }

// bearerClient is the client side of XOAUTH2 and OAUTHBEARER. A refusal
// comes as a challenge carrying the server's JSON error; the client
// answers it as RFC 7628 says (a single 0x01, or an empty response for
// XOAUTH2) so that the server ends the exchange with a tagged NO, which
// the caller sees as a refused login.
type bearerClient struct {
	mech     string
	username string
	token    string
	host     string
	port     int
	// challenged is set when the server sent its error challenge.
	challenged bool
}

func (c *bearerClient) Start() (string, []byte, error) {
	if c.mech == AuthXOAUTH2 {
		return c.mech, []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
	}
	// RFC 7628 §3.1: gs2-header with the authzid, then host, port, auth.
	ir := "n,a=" + saslName(c.username) + ",\x01host=" + c.host + fmt.Sprintf("\x01port=%d", c.port) +
		"\x01auth=Bearer " + c.token + "\x01\x01"
	return c.mech, []byte(ir), nil
}

func (c *bearerClient) Next(challenge []byte) ([]byte, error) {
	c.challenged = true
	if c.mech == AuthXOAUTH2 {
		return []byte{}, nil
	}
	return []byte{0x01}, nil
}

// saslName escapes an authzid for the gs2-header (RFC 5801 §4).
func saslName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

var _ sasl.Client = (*bearerClient)(nil)

// checkAuth validates an Auth setting against what else is set.
func checkAuth(auth string, ts TokenSource) error {
	switch auth {
	case AuthPassword:
		return nil
	case AuthXOAUTH2, AuthOAuthBearer:
		if ts == nil {
			return fmt.Errorf("auth %s needs a token source", auth)
		}
		return nil
	}
	return fmt.Errorf("auth %q: want %q, %q or %q", auth, AuthPassword, AuthXOAUTH2, AuthOAuthBearer)
}
