// Package localmail runs an in-process mail system on loopback — an IMAP
// server (go-imap's imapmemserver) and an SMTP server (go-smtp) — so that
// `maildesk demo` and the end-to-end tests exercise the real wire protocols
// without an outside server. Mail sent over its SMTP port to one of its users
// lands in that user's INBOX; mail to anyone else is captured.
//
// Everything lives in memory and is lost on Close. Both servers accept
// plaintext authentication without TLS, which is why Start refuses to listen
// anywhere but on a loopback address.
package localmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-smtp"
)

// MaxMessageBytes is the largest message the SMTP server accepts; larger ones
// are refused with 552 while the client is still sending.
const MaxMessageBytes = 32 << 20

var (
	// ErrUnknownAddress is returned by Deliver for an address no user owns.
	ErrUnknownAddress = errors.New("localmail: no local user has this address")
	// ErrClosed is returned by operations on a System after Close.
	ErrClosed = errors.New("localmail: system closed")
)

// Options configure a System.
type Options struct {
	// IMAPAddr is the loopback address the IMAP server listens on, e.g.
	// "127.0.0.1:1143"; "" or "127.0.0.1:0" picks a free port.
	IMAPAddr string
	// SMTPAddr is the loopback address the SMTP server listens on, e.g.
	// "127.0.0.1:2525"; "" or "127.0.0.1:0" picks a free port.
	SMTPAddr string
	// Logger receives the servers' complaints; nil means slog.Default().
	Logger *slog.Logger
	// SMTPBearer, when set, makes the SMTP server demand AUTH XOAUTH2 or
	// OAUTHBEARER (and offer nothing else) before MAIL, and checks the
	// access token with it: a test of OAuth 2.0 sign-in. A non-nil error
	// refuses the login.
	SMTPBearer func(username, token string) error
	// Now stamps Captured.At and the internal date of delivered mail; nil
	// means time.Now. Tests that reason about received times inject a clock.
	Now func() time.Time
}

// Captured is a mail the SMTP server accepted for recipients that are not
// local users; a real server would have relayed it.
type Captured struct {
	// From is the envelope sender (MAIL FROM), "" for a null sender.
	From string
	// To lists the envelope recipients (RCPT TO) that are not local, in the
	// order given, without repeats.
	To []string
	// Raw is the message exactly as transmitted, after SMTP dot-unstuffing.
	Raw []byte
	// At is when the message was accepted, from Options.Now.
	At time.Time
}

func (c Captured) clone() Captured {
	c.To = slices.Clone(c.To)
	c.Raw = bytes.Clone(c.Raw)
	return c
}

// System is a running IMAP + SMTP pair. Its methods are safe for concurrent
// use.
type System struct {
	log    *slog.Logger
	bearer func(username, token string) error
	now    func() time.Time

	mem      *imapmemserver.Server
	imapSrv  *imapserver.Server
	smtpSrv  *smtp.Server
	imapLn   *trackedListener
	smtpLn   *trackedListener
	serving  sync.WaitGroup // the two accept loops
	sessions sync.WaitGroup // IMAP sessions; Add only under mu while !closed

	// deliverMu serialises captures with their callbacks, so callbacks see
	// mails one at a time and in the order of Captured().
	deliverMu sync.Mutex

	mu        sync.Mutex
	closed    bool
	users     map[string]*imapmemserver.User // by mailboxKey
	usernames map[string]string              // username -> address
	captured  []Captured
	callbacks []func(Captured)
	refuse    int
	// capturedGrew is closed and replaced when captured grows, and closed for
	// good by Close; WaitCaptured waits on it.
	capturedGrew chan struct{}
	// mailboxChanged is closed and replaced whenever a mailbox changes; see
	// countedSession.Idle.
	mailboxChanged chan struct{}
}

// Start listens on both addresses and serves until Close.
func Start(opts Options) (*System, error) {
	return start(opts, MaxMessageBytes)
}

// start is Start with a settable size limit, so that a test can hit the limit
// without pushing 32 MiB through loopback.
func start(opts Options, maxMessageBytes int64) (*System, error) {
	s := &System{
		log:       opts.Logger,
		bearer:    opts.SMTPBearer,
		now:       opts.Now,
		mem:       imapmemserver.New(),
		users:     make(map[string]*imapmemserver.User),
		usernames: make(map[string]string),

		capturedGrew:   make(chan struct{}),
		mailboxChanged: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "localmail")
	if s.now == nil {
		s.now = time.Now
	}

	imapLn, err := listenLoopback("imap", opts.IMAPAddr)
	if err != nil {
		return nil, err
	}
	smtpLn, err := listenLoopback("smtp", opts.SMTPAddr)
	if err != nil {
		imapLn.Close()
		return nil, err
	}
	s.imapLn, s.smtpLn = imapLn, smtpLn

	s.imapSrv = imapserver.New(&imapserver.Options{
		NewSession: s.newIMAPSession,
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {},
			imap.CapIMAP4rev2: {},
			imap.CapIdle:      {},
			imap.CapMove:      {},
		},
		Logger:       printfLogger{s.log.With("server", "imap"), s},
		InsecureAuth: true,
	})

	s.smtpSrv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{sys: s}, nil
	}))
	s.smtpSrv.Domain = "localmail"
	s.smtpSrv.MaxMessageBytes = maxMessageBytes
	s.smtpSrv.MaxRecipients = 100
	s.smtpSrv.AllowInsecureAuth = true
	s.smtpSrv.ErrorLog = printfLogger{s.log.With("server", "smtp"), s}

	s.serving.Add(2)
	go s.serve("imap", func() error { return s.imapSrv.Serve(s.imapLn) })
	go s.serve("smtp", func() error { return s.smtpSrv.Serve(s.smtpLn) })
	return s, nil
}

func (s *System) serve(name string, serve func() error) {
	defer s.serving.Done()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("accept loop panicked", "server", name, "panic", v)
		}
	}()
	// Close shuts the listener before telling the servers, so a closed
	// listener is the normal way out, not a failure.
	if err := serve(); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Error("accept loop stopped", "server", name, "err", err)
	}
}

// listenLoopback refuses anything but a loopback host: both servers take
// passwords in the clear and the SMTP server takes any password at all.
func listenLoopback(name, addr string) (*trackedListener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: %w", name, addr, err)
	}
	if host != "localhost" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("%s address %q: host must be a loopback address", name, addr)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listen: %w", name, err)
	}
	return newTrackedListener(ln), nil
}

// IMAPAddr returns the host:port the IMAP server actually listens on.
func (s *System) IMAPAddr() string { return s.imapLn.Addr().String() }

// SMTPAddr returns the host:port the SMTP server actually listens on.
func (s *System) SMTPAddr() string { return s.smtpLn.Addr().String() }

// AddUser creates an IMAP user with an INBOX and registers the email address
// (and its plus-addressed forms local+anything@domain) as local. Addresses
// match without regard to case. Each user owns exactly one address; the
// address must not itself carry a +detail.
func (s *System) AddUser(address, username, password string) error {
	key, detail, err := mailboxKey(address)
	if err != nil {
		return fmt.Errorf("add user %q: %w", username, err)
	}
	if detail {
		return fmt.Errorf("add user %q: address %q has a +detail; register the base address", username, address)
	}
	if username == "" {
		return fmt.Errorf("add user for %s: empty username", address)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("add user %q: %w", username, ErrClosed)
	}
	if owner, ok := s.usernames[username]; ok {
		return fmt.Errorf("add user %q: username already owns %s", username, owner)
	}
	if _, ok := s.users[key]; ok {
		return fmt.Errorf("add user %q: address %s already belongs to another user", username, address)
	}
	u := imapmemserver.NewUser(username, password)
	if err := u.Create("INBOX", nil); err != nil {
		return fmt.Errorf("add user %q: create INBOX: %w", username, err)
	}
	s.mem.AddUser(u)
	s.users[key] = u
	s.usernames[username] = address
	return nil
}

// lookup returns the user owning address, or nil.
func (s *System) lookup(address string) *imapmemserver.User {
	key, _, err := mailboxKey(address)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[key]
}

// Deliver appends raw, byte for byte, to the INBOX of the local user owning
// address (as an SMTP delivery would, minus the Return-Path and Delivered-To
// lines an SMTP delivery adds, since there is no envelope here). It returns an
// error wrapping ErrUnknownAddress when no user owns the address.
func (s *System) Deliver(address string, raw []byte) error {
	if s.isClosed() {
		return fmt.Errorf("deliver to %s: %w", address, ErrClosed)
	}
	u := s.lookup(address)
	if u == nil {
		return fmt.Errorf("deliver to %s: %w", address, ErrUnknownAddress)
	}
	if err := s.appendInbox(u, raw); err != nil {
		return fmt.Errorf("deliver to %s: %w", address, err)
	}
	return nil
}

func (s *System) appendInbox(u *imapmemserver.User, raw []byte) error {
	// imapmemserver copies the literal, so raw stays the caller's.
	_, err := u.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Time: s.now()})
	s.signalChange()
	if err != nil {
		return fmt.Errorf("append to INBOX: %w", err)
	}
	return nil
}

// capture records a mail for non-local recipients and runs the callbacks.
func (s *System) capture(c Captured) error {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.captured = append(s.captured, c)
	close(s.capturedGrew)
	s.capturedGrew = make(chan struct{})
	callbacks := slices.Clone(s.callbacks)
	s.mu.Unlock()

	s.log.Debug("captured mail", "from", c.From, "to", c.To, "size", len(c.Raw))
	for _, cb := range callbacks {
		s.runCallback(cb, c.clone())
	}
	return nil
}

// runCallback keeps a panicking callback from taking the SMTP connection
// goroutine, and with it the process, down.
func (s *System) runCallback(cb func(Captured), c Captured) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("capture callback panicked", "panic", v)
		}
	}()
	cb(c)
}

// Captured returns copies of the mails accepted for non-local recipients, in
// arrival order.
func (s *System) Captured() []Captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.capturedLocked()
}

func (s *System) capturedLocked() []Captured {
	out := make([]Captured, len(s.captured))
	for i, c := range s.captured {
		out[i] = c.clone()
	}
	return out
}

// WaitCaptured blocks until at least n mails are captured or ctx ends, and
// returns Captured(). When ctx ends first, or the System is closed, it returns
// what was captured so far together with an error.
func (s *System) WaitCaptured(ctx context.Context, n int) ([]Captured, error) {
	for {
		s.mu.Lock()
		have := len(s.captured)
		if have >= n {
			out := s.capturedLocked()
			s.mu.Unlock()
			return out, nil
		}
		if s.closed {
			out := s.capturedLocked()
			s.mu.Unlock()
			return out, fmt.Errorf("wait for %d captured mails (have %d): %w", n, have, ErrClosed)
		}
		grew := s.capturedGrew
		s.mu.Unlock()

		select {
		case <-grew:
		case <-ctx.Done():
			out := s.Captured()
			return out, fmt.Errorf("wait for %d captured mails (have %d): %w", n, len(out), ctx.Err())
		}
	}
}

// OnCapture registers a callback for each captured mail (the demo prints a
// line). Callbacks run one at a time, in arrival order, on the SMTP connection
// that brought the mail and before the client hears 250; so they should be
// quick, and must not call Close.
func (s *System) OnCapture(fn func(Captured)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.callbacks = append(s.callbacks, fn)
}

// Refuse makes the SMTP server answer every RCPT with the given code (e.g. 451
// or 550) until called with 0, so tests can drive a sender's retry and bounce
// paths. The code must be 0 or a failure code from 400 to 599.
func (s *System) Refuse(code int) {
	if code != 0 && (code < 400 || code > 599) {
		panic(fmt.Sprintf("localmail: Refuse(%d): want 0 or a code from 400 to 599", code))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = code
}

func (s *System) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *System) refusal() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refuse
}

// Close stops both servers, drops every connection and waits until the
// servers' goroutines have returned, so the ports can be bound again at once.
// Mail held in memory is gone afterwards. Closing twice is a no-op.
func (s *System) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.capturedGrew) // wakes WaitCaptured
	s.mu.Unlock()

	// Listener and connections first: neither server waits for idle
	// connections on its own (go-smtp's Shutdown would wait for ever, and
	// imapserver's Close does not wait at all).
	s.smtpLn.closeAll()
	s.imapLn.closeAll()
	s.serving.Wait()

	var errs []error
	// The listeners are closed already, so Shutdown only waits for the
	// connection handlers, which are on their way out.
	if err := s.smtpSrv.Shutdown(context.Background()); err != nil {
		errs = append(errs, fmt.Errorf("close smtp: %w", err))
	}
	if err := s.imapSrv.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close imap: %w", err))
	}
	s.sessions.Wait()
	return errors.Join(errs...)
}

// newIMAPSession counts sessions so that Close can wait for them; imapserver
// closes a session as the last thing its connection goroutine does.
func (s *System) newIMAPSession(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Shutting down"}
	}
	inner, ok := s.mem.NewSession().(imapserver.SessionIMAP4rev2)
	if !ok {
		// imapmemserver declares that it is one; this would be a broken upgrade.
		return nil, nil, fmt.Errorf("imapmemserver session does not implement IMAP4rev2")
	}
	s.sessions.Add(1)
	return &countedSession{SessionIMAP4rev2: inner, sys: s, done: sync.OnceFunc(s.sessions.Done)}, nil, nil
}

// countedSession is an imapmemserver session that reports its Close and
// mends IDLE. Embedding the IMAP4rev2 interface keeps NAMESPACE and MOVE
// visible to imapserver, which checks for them by type assertion.
type countedSession struct {
	imapserver.SessionIMAP4rev2
	sys  *System
	done func()
}

func (cs *countedSession) Close() error {
	defer cs.done()
	return cs.SessionIMAP4rev2.Close()
}

// Idle works around a lost wake-up in imapserver.SessionTracker.Idle (go-imap
// v2.0.0-beta.8): it waits for a signal without first flushing the queue, so
// a message appended before the tracker starts listening — between the
// client's FETCH and IDLE, or just after "+ idling" — is announced only with
// the next one. A watcher that fetches and then idles would sit on that mail
// indefinitely. So: flush first, then idle, and whenever something changed
// since the flush, stop the inner IDLE and go round again.
func (cs *countedSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		changed := cs.sys.changeSignal()
		if err := cs.Poll(w, true); err != nil {
			return err
		}
		innerStop := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- cs.SessionIMAP4rev2.Idle(w, innerStop) }()
		select {
		case err := <-done:
			return err
		case <-stop:
			close(innerStop)
			return <-done
		case <-changed:
			close(innerStop)
			if err := <-done; err != nil {
				return err
			}
		}
	}
}

// The methods that change mailboxes signal idlers, for the same reason.

func (cs *countedSession) Append(mailbox string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	defer cs.sys.signalChange()
	return cs.SessionIMAP4rev2.Append(mailbox, r, options)
}

func (cs *countedSession) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	defer cs.sys.signalChange()
	return cs.SessionIMAP4rev2.Copy(numSet, dest)
}

func (cs *countedSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	defer cs.sys.signalChange()
	return cs.SessionIMAP4rev2.Move(w, numSet, dest)
}

func (cs *countedSession) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	defer cs.sys.signalChange()
	return cs.SessionIMAP4rev2.Expunge(w, uids)
}

func (cs *countedSession) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	defer cs.sys.signalChange()
	return cs.SessionIMAP4rev2.Store(w, numSet, flags, options)
}

// changeSignal returns a channel that is closed at the next mailbox change.
func (s *System) changeSignal() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mailboxChanged
}

func (s *System) signalChange() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.mailboxChanged)
	s.mailboxChanged = make(chan struct{})
}

// printfLogger lets both servers, which want a Printf logger, log through
// slog. Once Close has begun, complaints about the connections it is cutting
// are expected and go to Debug, keeping a clean shutdown quiet.
type printfLogger struct {
	log *slog.Logger
	sys *System
}

func (l printfLogger) Printf(format string, v ...any) {
	l.emit(fmt.Appendf(nil, format, v...))
}

func (l printfLogger) Println(v ...any) {
	l.emit(fmt.Appendln(nil, v...))
}

func (l printfLogger) emit(msg []byte) {
	level := slog.LevelWarn
	if l.sys.isClosed() {
		level = slog.LevelDebug
	}
	l.log.Log(context.Background(), level, string(bytes.TrimSpace(msg)))
}
