package mailbox

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

const defaultSMTPTimeout = 60 * time.Second

// SMTPConfig is the relay to send through.
type SMTPConfig struct {
	Host string
	// Port defaults to 465 for "tls", 587 for "starttls" and 25 for "none".
	Port int
	// Security is "tls" (implicit TLS), "starttls" (required, not
	// opportunistic: a relay that stops offering it is an error rather than a
	// silent downgrade) or "none".
	Security string
	// Username and Password authenticate with AUTH PLAIN (or LOGIN when the
	// relay offers only that). An empty Username means no AUTH. Over
	// "none", go-mail refuses to send the password unless the relay is on
	// localhost.
	Username, Password string
	// Token, when set, signs in with AUTH XOAUTH2 as Username with an
	// access token asked for at every Send, instead of Password.
	Token TokenSource
	// HELO is the name given in EHLO; empty means the local host name.
	HELO string
	// TLSConfig overrides the TLS settings (tests use it to trust a
	// self-signed certificate). ServerName defaults to Host.
	TLSConfig *tls.Config
	// Timeout bounds the dial and the whole SMTP conversation; default 60s.
	Timeout time.Duration
}

// Sender delivers already-composed messages.
//
// After a delivery the session stays open for keepIdle, for at most
// sessionMessages messages, so that a burst (the acknowledgements of a
// backlog) costs one dial, greeting, TLS handshake and login rather than
// one per mail. A reused session starts each mail with RSET; when that
// fails (the relay closed it, restarted, timed out) the mail goes over a
// new session, which is safe because nothing of it was sent yet. Beyond
// the short idle time no session is kept, so a changed password or a
// relay moved elsewhere is met by the next dial. It is safe for
// concurrent use: concurrent Sends each get their own session.
type Sender struct {
	cfg SMTPConfig

	mu   sync.Mutex
	idle *session // left open by the last delivery; nil when none
	// keepIdle overrides the package's keepIdle (tests; 0: the default).
	keepIdle time.Duration
}

// keepIdle is how long a session is kept open after a delivery, waiting
// for the next; sessionMessages how many mails one session carries at
// most. Both are far below what relays allow (Postfix waits 300 s; a
// session of 100 mails is ordinary), so the relay is never the one to
// give up on an idle session in the common case.
const (
	keepIdle        = 2 * time.Second
	sessionMessages = 100
)

// session is an open, greeted and logged-in SMTP session.
type session struct {
	sc      *smtp.Client
	conns   *connTracker
	timeout time.Duration
	sent    int         // mails accepted on it
	timer   *time.Timer // ends it when idle for keepIdle
}

// close ends the session: QUIT when polite is set and the relay is
// still talking, then the connection.
func (ss *session) close(polite bool) {
	if polite {
		ss.conns.deadline(time.Now().Add(5 * time.Second))
		_ = ss.sc.Quit()
	}
	_ = ss.sc.Close()
	ss.conns.close()
}

// NewSender returns a Sender for the relay cfg. Configuration errors surface
// from Send, where the outbox can record them.
func NewSender(cfg SMTPConfig) *Sender {
	return &Sender{cfg: cfg}
}

// SendError is the error Send returns. The outbox retries a temporary error
// later and gives up on a permanent one.
type SendError struct {
	// Permanent is true when sending this message again cannot succeed:
	// the relay answered a transaction command (MAIL, RCPT, DATA) with 5xx,
	// or the envelope is malformed. Failures to reach, greet or log in to the
	// relay are temporary even with a 5xx code, because they concern the relay
	// configuration, not the message, and must not fail every queued mail.
	Permanent bool
	// Code is the SMTP reply code, 0 when there was none (network error,
	// timeout, bad input).
	Code int
	Err  error
}

// Error reports whether the failure is permanent, the reply code if any and
// the underlying error.
func (e *SendError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Code != 0 {
		return fmt.Sprintf("%s smtp failure (%d): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s smtp failure: %v", kind, e.Err)
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// Send delivers raw (complete RFC 5322 bytes, not modified) from the envelope
// sender to the recipients.
//
// from may be empty for the null reverse-path (MAIL FROM:<>). Addresses are
// bare addr-specs, without display names or angle brackets. raw should use
// CRLF line endings: SMTP's DATA encoding turns a bare LF into CRLF and
// dot-stuffs lines starting with ".", and the receiving side undoes only the
// latter. The message goes to all recipients or none: one refused RCPT
// aborts the transaction before DATA.
//
// Cancelling ctx aborts the conversation at once. The returned error is a
// *SendError telling whether it is permanent (5xx) or temporary (4xx, network).
func (s *Sender) Send(ctx context.Context, from string, to []string, raw []byte) error {
	if err := checkEnvelope(from, to); err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	ss, stop, err := s.open(ctx)
	if err != nil {
		return err
	}
	err = transact(ss.sc, from, to, raw)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			ss.close(false)
			return &SendError{Err: fmt.Errorf("send via %s: %w", s.cfg.Host, ctx.Err())}
		}
		// The relay answered, so the session is intact: say goodbye
		// instead of dropping the connection. It is not kept: a refusal
		// may be the relay's judgement of the session (a rate limit, a
		// 421), and the next mail should not inherit it.
		var se *SendError
		ss.close(errors.As(err, &se) && se.Code != 0)
		return err
	}
	// The message is accepted once DATA got its 250; what happens to the
	// session after that changes nothing about it.
	ss.sent++
	s.keep(ctx, ss)
	return nil
}

// open gives a session ready for a mail transaction, reused or new, with
// ctx cutting its connection at once until stop is called.
func (s *Sender) open(ctx context.Context) (ss *session, stop func() bool, err error) {
	if ss = s.take(); ss != nil {
		ss.conns.deadline(time.Now().Add(ss.timeout))
		stop = context.AfterFunc(ctx, ss.conns.abort)
		if err := ss.sc.Reset(); err == nil {
			return ss, stop, nil
		}
		stop()
		ss.close(false)
		if ctx.Err() != nil {
			return nil, nil, &SendError{Err: fmt.Errorf("send via %s: %w", s.cfg.Host, ctx.Err())}
		}
	}
	return s.dial(ctx)
}

// take removes the idle session, if any, for a Send to use.
func (s *Sender) take() *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.idle
	if ss == nil || !ss.timer.Stop() {
		// None, or its timer has fired and is closing it.
		return nil
	}
	s.idle = nil
	return ss
}

// keep leaves ss open for the next Send, unless it has carried its share
// of mail, ctx has ended (shutdown) or another session is idle already.
func (s *Sender) keep(ctx context.Context, ss *session) {
	if ss.sent >= sessionMessages || ctx.Err() != nil || ss.conns.isAborted() {
		ss.close(true)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idle != nil {
		go ss.close(true)
		return
	}
	s.idle = ss
	ss.timer = time.AfterFunc(cmp.Or(s.keepIdle, keepIdle), func() {
		s.mu.Lock()
		if s.idle == ss {
			s.idle = nil
		}
		s.mu.Unlock()
		ss.close(true)
	})
}

// Close ends the idle session, if any, with QUIT. A Sender may still be
// used after it; the daemon calls it when it stops.
func (s *Sender) Close() {
	if ss := s.take(); ss != nil {
		ss.close(true)
	}
}

// Check connects to the relay, greets it, starts TLS and logs in as Send
// would, then quits without a transaction: `maildesk run -check-login`.
// It always dials, so that it tests the relay as it is now.
func (s *Sender) Check(ctx context.Context) error {
	ss, stop, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if err := ss.sc.Noop(); err != nil {
		ss.close(false)
		return fmt.Errorf("NOOP to %s: %w", s.cfg.Host, err)
	}
	ss.close(true)
	return nil
}

// dial connects to the relay, greets it, starts TLS and logs in. Until
// stop is called, cancelling ctx cuts the connection at once. Its errors
// are temporary *SendErrors: a bad port or timeout is configuration, a
// token that cannot be had a passing fault, so queued mail waits instead
// of failing.
func (s *Sender) dial(ctx context.Context) (ss *session, stop func() bool, err error) {
	conns := &connTracker{}
	client, err := s.newClient(ctx, conns)
	if err != nil {
		return nil, nil, &SendError{Err: fmt.Errorf("smtp client for %s: %w", s.cfg.Host, err)}
	}
	// go-mail's deadline covers slow servers; this covers shutdown, which
	// must not wait out a 60s timeout.
	stop = context.AfterFunc(ctx, conns.abort)
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		stop()
		conns.close()
		return nil, nil, setupError(ctx, s.cfg.Host, err)
	}
	return &session{sc: sc, conns: conns, timeout: cmp.Or(s.cfg.Timeout, defaultSMTPTimeout)}, stop, nil
}

// transact runs the mail transaction on an established session.
func transact(sc *smtp.Client, from string, to []string, raw []byte) error {
	if err := sc.Mail("<" + from + ">"); err != nil {
		return transactionError("MAIL FROM:<"+from+">", err)
	}
	for _, rcpt := range to {
		if err := sc.Rcpt("<" + rcpt + ">"); err != nil {
			_ = sc.Reset()
			return transactionError("RCPT TO:<"+rcpt+">", err)
		}
	}
	w, err := sc.Data()
	if err != nil {
		return transactionError("DATA", err)
	}
	if _, err := w.Write(raw); err != nil {
		_ = w.Close()
		return &SendError{Err: fmt.Errorf("write message data: %w", err)}
	}
	if err := w.Close(); err != nil {
		return transactionError("end of DATA", err)
	}
	return nil
}

func (s *Sender) newClient(ctx context.Context, conns *connTracker) (*mail.Client, error) {
	cfg := s.cfg
	security := cfg.Security
	port := cfg.Port
	switch security {
	case "tls":
		if port == 0 {
			port = 465
		}
	case "starttls":
		if port == 0 {
			port = 587
		}
	case "none":
		if port == 0 {
			port = 25
		}
	default:
		return nil, fmt.Errorf("security %q: want tls, starttls or none", security)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}

	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}

	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		// go-mail formats host:port itself, which breaks IPv6 literals; and
		// with a custom dialer it leaves implicit TLS to us.
		d := &net.Dialer{}
		var conn net.Conn
		var err error
		if security == "tls" {
			conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
		} else {
			conn, err = d.DialContext(ctx, "tcp", addr)
		}
		if err != nil {
			return nil, err
		}
		conns.add(conn)
		return conn, nil
	}

	opts := []mail.Option{
		mail.WithPort(port),
		mail.WithTimeout(timeout),
		mail.WithTLSConfig(tlsConfig),
		mail.WithDialContextFunc(dial),
	}
	switch security {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if cfg.HELO != "" {
		opts = append(opts, mail.WithHELO(cfg.HELO))
	}
	if cfg.Token != nil {
		if cfg.Username == "" {
			return nil, errors.New("AUTH XOAUTH2 needs a username")
		}
		tok, err := cfg.Token.Token(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts,
			mail.WithSMTPAuth(mail.SMTPAuthXOAUTH2),
			mail.WithUsername(cfg.Username),
			mail.WithPassword(tok),
		)
	} else if cfg.Username != "" {
		opts = append(opts,
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin),
			mail.WithUsername(cfg.Username),
			mail.WithPassword(cfg.Password),
		)
	}
	return mail.NewClient(cfg.Host, opts...)
}

// checkEnvelope rejects addresses that would corrupt the SMTP command line.
func checkEnvelope(from string, to []string) error {
	if len(to) == 0 {
		return errors.New("no recipients")
	}
	if err := checkAddr(from); err != nil {
		return fmt.Errorf("envelope sender %q: %w", from, err)
	}
	for _, rcpt := range to {
		if rcpt == "" {
			return errors.New("empty recipient")
		}
		if err := checkAddr(rcpt); err != nil {
			return fmt.Errorf("recipient %q: %w", rcpt, err)
		}
	}
	return nil
}

func checkAddr(addr string) error {
	if i := strings.IndexAny(addr, "\r\n<> \t"); i >= 0 {
		return fmt.Errorf("invalid character %q", addr[i])
	}
	return nil
}

// setupError classifies a failure before the mail transaction: always
// temporary (see SendError.Permanent), keeping the reply code when there is
// one so the log shows e.g. 535 for a wrong password.
func setupError(ctx context.Context, host string, err error) error {
	if ctx.Err() != nil {
		err = errors.Join(ctx.Err(), err)
	}
	return &SendError{Code: replyCode(err), Err: fmt.Errorf("connect to %s: %w", host, err)}
}

// transactionError classifies a failed MAIL, RCPT or DATA: a 5xx reply is
// permanent, a 4xx reply or a broken connection temporary.
func transactionError(cmd string, err error) error {
	code := replyCode(err)
	return &SendError{
		Permanent: code >= 500 && code < 600,
		Code:      code,
		Err:       fmt.Errorf("%s: %w", cmd, err),
	}
}

func replyCode(err error) int {
	var tpe *textproto.Error
	if errors.As(err, &tpe) {
		return tpe.Code
	}
	return 0
}

// connTracker remembers the connections go-mail dialed so a cancelled
// context can break a conversation blocked in a read.
type connTracker struct {
	mu      sync.Mutex
	conns   []net.Conn
	aborted bool
}

func (t *connTracker) add(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns = append(t.conns, c)
	if t.aborted {
		_ = c.SetDeadline(time.Unix(1, 0))
	}
}

// abort makes every pending and future read or write fail immediately.
func (t *connTracker) abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.aborted = true
	for _, c := range t.conns {
		_ = c.SetDeadline(time.Unix(1, 0))
	}
}

// deadline bounds the next reads and writes, unless aborted. go-mail
// sets one deadline at dial; a session used again needs a new one.
func (t *connTracker) deadline(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.aborted {
		return
	}
	for _, c := range t.conns {
		_ = c.SetDeadline(at)
	}
}

func (t *connTracker) isAborted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.aborted
}

// close releases the connections (also those go-mail abandoned after a
// failed handshake).
func (t *connTracker) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.conns {
		_ = c.Close()
	}
}
