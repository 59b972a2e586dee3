package localmail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpSession is one SMTP transaction at a time on one connection. It accepts
// every recipient (it is a catch-all) unless told to refuse, and sorts them
// into local deliveries and one capture when the data arrives.
type smtpSession struct {
	sys    *System
	from   string
	to     []string
	authed bool
}

var _ smtp.AuthSession = (*smtpSession)(nil)

// xoauth2 is the SASL mechanism name go-sasl has no server for.
const xoauth2 = "XOAUTH2"

// AuthMechanisms offers PLAIN so that senders configured with credentials work
// unchanged against the demo; with Options.SMTPBearer, only the OAuth 2.0
// mechanisms.
func (ss *smtpSession) AuthMechanisms() []string {
	if ss.sys.bearer != nil {
		return []string{xoauth2, sasl.OAuthBearer}
	}
	return []string{sasl.Plain}
}

// Auth accepts any credentials: there is nothing to protect on loopback, and
// tests should not have to keep passwords in sync with the sender's config.
// With Options.SMTPBearer it checks the access token.
func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if check := ss.sys.bearer; check != nil {
		switch mech {
		case xoauth2:
			return &xoauth2Server{check: func(u, t string) error {
				if err := check(u, t); err != nil {
					return err
				}
				ss.authed = true
				return nil
			}}, nil
		case sasl.OAuthBearer:
			return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
				if check(o.Username, o.Token) != nil {
					return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
				}
				ss.authed = true
				return nil
			}), nil
		}
		return nil, smtp.ErrAuthUnknownMechanism
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error { return nil }), nil
}

// xoauth2Server is the server side of XOAUTH2: one response
// "user=U\x01auth=Bearer T\x01\x01"; a refusal is a JSON challenge the
// client answers empty, then 535.
type xoauth2Server struct {
	check  func(username, token string) error
	failed bool
}

func (s *xoauth2Server) Next(response []byte) ([]byte, bool, error) {
	if s.failed {
		return nil, true, errors.New("invalid token")
	}
	if response == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	var user, token string
	for _, kv := range strings.Split(string(response), "\x01") {
		if v, ok := strings.CutPrefix(kv, "user="); ok {
			user = v
		} else if v, ok := strings.CutPrefix(kv, "auth="); ok {
			if t, ok := strings.CutPrefix(v, "Bearer "); ok {
				token = t
			}
		}
	}
	if user == "" || token == "" {
		return nil, true, errors.New("malformed XOAUTH2 response")
	}
	if err := s.check(user, token); err != nil {
		s.failed = true
		return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
	}
	return nil, true, nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sys.bearer != nil && !ss.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.from = from
	ss.to = nil
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := ss.sys.refusal(); code != 0 {
		return &smtp.SMTPError{
			Code:         code,
			EnhancedCode: smtp.EnhancedCodeNotSet, // go-smtp derives x.0.0 from the code
			Message:      fmt.Sprintf("Recipient refused (localmail told to refuse with %d)", code),
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		// ErrDataTooLarge is an *smtp.SMTPError and reaches the client as 552.
		return err
	}
	if err := ss.sys.accept(ss.from, ss.to, raw); err != nil {
		if errors.Is(err, ErrClosed) {
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down"}
		}
		ss.sys.log.Error("accept mail", "from", ss.from, "to", ss.to, "err", err)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local delivery failed"}
	}
	return nil
}

func (ss *smtpSession) Reset() {
	ss.from = ""
	ss.to = nil
}

func (ss *smtpSession) Logout() error { return nil }

// accept delivers raw to the local recipients among to and captures it once
// for the rest. A recipient named twice (ignoring case) gets one copy; two
// different plus-forms of one user get one copy each, as from a real MTA,
// each with its own Delivered-To.
func (s *System) accept(from string, to []string, raw []byte) error {
	if s.isClosed() {
		return ErrClosed
	}

	seen := make(map[string]bool, len(to))
	var foreign []string
	for _, rcpt := range to {
		folded := strings.ToLower(rcpt)
		if seen[folded] {
			continue
		}
		seen[folded] = true
		u := s.lookup(rcpt)
		if u == nil {
			foreign = append(foreign, rcpt)
			continue
		}
		if err := s.appendInbox(u, withTrace(raw, from, rcpt)); err != nil {
			return fmt.Errorf("deliver to %s: %w", rcpt, err)
		}
		s.log.Debug("delivered mail", "from", from, "to", rcpt, "size", len(raw))
	}
	if len(foreign) == 0 {
		return nil
	}
	return s.capture(Captured{From: from, To: foreign, Raw: raw, At: s.now()})
}

// withTrace prepends what a delivering MTA writes: Return-Path carries the
// envelope sender (how an IMAP reader tells a bounce, MAIL FROM:<>, from a
// person) and Delivered-To the envelope recipient, which keeps a plus-address
// reply token visible even when it was only in the envelope (Bcc).
func withTrace(raw []byte, from, rcpt string) []byte {
	eol := "\r\n"
	if i := bytes.IndexByte(raw, '\n'); i >= 0 && (i == 0 || raw[i-1] != '\r') {
		eol = "\n" // keep a bare-LF message consistent
	}
	var b bytes.Buffer
	b.Grow(len(raw) + len(from) + len(rcpt) + 32)
	b.WriteString("Return-Path: <" + from + ">" + eol)
	b.WriteString("Delivered-To: " + rcpt + eol)
	b.Write(raw)
	return b.Bytes()
}
