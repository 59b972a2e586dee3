// Package mailbox is the wire: watching IMAP mailboxes for new mail and
// sending raw mail over SMTP, with the backoff both use to reconnect. It
// hands on and takes raw bytes; parsing and composing are package message's.
// It knows nothing of tickets.
package mailbox

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const (
	defaultPollInterval = 30 * time.Second
	defaultSafetyPoll   = 60 * time.Second
	defaultBatchSize    = 100
	// RFC 2177 asks clients to re-issue IDLE at least every 29 minutes, but
	// NAT boxes and proxies often drop quiet connections after 15; the
	// random spread keeps several watchers from restarting in step.
	idleRestartMin    = 10 * time.Minute
	idleRestartSpread = 3 * time.Minute

	dialTimeout = 30 * time.Second
	// shutdownGrace is how long a cancelled Run waits for the server to
	// acknowledge DONE and LOGOUT before it drops the connection.
	shutdownGrace = 5 * time.Second
)

// Account is one IMAP mailbox to watch.
type Account struct {
	Name string // config name, used in logs and passed to the Handler
	Host string
	// Port defaults to 993 for "tls" and 143 otherwise.
	Port     int
	Security string // "tls" | "starttls" | "none"
	Username string
	Password string // never logged
	Folder   string // default "INBOX"
	// After says what happens on the server once a message is stored:
	// "seen" (the default) adds \Seen, "move:FOLDER" moves it to FOLDER,
	// "keep" leaves it untouched. Nothing is ever deleted: when the server
	// lacks MOVE, "move:" logs a warning and keeps the message in place
	// rather than falling back to COPY and EXPUNGE.
	After string
	// MaxMessageSize is the largest mail (RFC822.SIZE, bytes) fetched
	// whole; larger mail is handed over as its header only (see
	// OversizeHandler). 0 means DefaultMaxMessageSize, negative no limit.
	MaxMessageSize int64
	TLSConfig      *tls.Config // optional, for tests
	// Credentials says where the password comes from ("password_env
	// MAILDESK_IMAP_PASSWORD"), for the log line of a refused login; never
	// the password itself.
	Credentials string
	// Auth is how the watcher signs in: AuthPassword (LOGIN with
	// Password, the default), or AuthXOAUTH2 or AuthOAuthBearer with an
	// access token from Token, asked for at every login, so that a
	// reconnect after the token expired signs in with a fresh one.
	Auth  string
	Token TokenSource
}

// ErrLogin marks a login the server refused (wrong user name or
// password, a locked or disabled account): not a passing fault, so it is
// logged as an error and retried slowly, since servers lock accounts that
// keep failing.
var ErrLogin = errors.New("imap login refused")

// DefaultLoginRetry is the wait after a refused login when
// Watcher.LoginRetry is 0.
const DefaultLoginRetry = 10 * time.Minute

// Cursor is how far a mailbox has been read.
type Cursor struct{ UIDValidity, LastUID uint32 }

// Handler stores fetched messages. Deliver must store raw and advance the
// cursor to (uidValidity, uid) in one transaction; it returns nil also when
// the message was already stored (idempotent). A non-nil error means nothing
// was stored: the watcher must not advance past that uid (it retries later with backoff).
//
// The watcher calls Cursor at the start of every catch-up pass, so the
// Handler's store, not the watcher's memory, is the source of truth.
type Handler interface {
	Cursor(ctx context.Context, mailbox string) (Cursor, error)
	Deliver(ctx context.Context, mailbox string, uidValidity, uid uint32, raw []byte) error
}

// Fetched is one fetched mail handed to a BatchHandler.
type Fetched struct {
	UID uint32
	Raw []byte
	// InternalDate is when the server received the mail (IMAP
	// INTERNALDATE); zero when the server did not say.
	InternalDate time.Time
}

// BatchHandler is implemented by Handlers that store a batch of fetched
// mail in one transaction (a group commit): what each message stores and
// the cursor's advance to the batch's last UID commit together, so a crash
// before the commit means the whole batch is fetched again, and the
// Handler's dedupe makes that a no-op as for Deliver. The watcher then
// hands it each FETCH's messages at once instead of calling Deliver for
// each.
type BatchHandler interface {
	// DeliverBatch stores msgs, given in ascending UID order, and advances
	// the cursor past them. It returns how many of msgs, counted from the
	// first, are stored with the cursor past them: all of them when err is
	// nil; when err is not nil the watcher applies After to those only and
	// retries the rest later, from the Handler's cursor.
	DeliverBatch(ctx context.Context, mailbox string, uidValidity uint32, msgs []Fetched) (int, error)
}

// Watcher keeps one Account's folder read into a Handler.
//
// The configuration fields are read once when Run starts.
type Watcher struct {
	Account Account
	Handler Handler
	Logger  *slog.Logger
	// PollInterval is the wait between catch-ups when the server lacks
	// IDLE; default 30s.
	PollInterval time.Duration
	// IdleRestart ends and re-issues IDLE after this long; default: random
	// in [10m,13m).
	IdleRestart time.Duration
	// SafetyPoll makes a catch-up pass this often while idling even without
	// a notification, because IDLE can go silent (a dropped NAT mapping, a
	// server that forgets to push); default 60s, negative disables it.
	SafetyPoll time.Duration
	// Backoff paces reconnects; the zero value gets defaults (1s .. 5m,
	// jitter).
	Backoff Backoff
	// LoginRetry is the least wait after a refused login; default
	// DefaultLoginRetry.
	LoginRetry time.Duration
	// BatchSize is the number of UIDs per FETCH; default 100. A whole batch
	// is held in memory before delivery, so it bounds memory use too.
	BatchSize int
	// Synced, if set, is called after each completed catch-up pass (tests
	// use it).
	Synced func(mailbox string)
	// LoggedIn, if set, is called when a session has logged in and
	// selected the folder; Disconnected when a session ends, with the
	// error that ended it (nil at shutdown). Each session that logged in
	// gets one of each; one that failed before gets only Disconnected.
	// They observe (the daemon's metrics) and change nothing.
	LoggedIn     func(mailbox string)
	Disconnected func(mailbox string, err error)

	// noIdle makes the watcher poll even when the server offers IDLE:
	// in-process test servers always offer it.
	noIdle bool
}

// afterAction is a parsed Account.After.
type afterAction struct {
	kind   string // "seen", "move" or "keep"
	folder string // for "move"
}

// parseAfter parses Account.After. The empty string means "seen".
func parseAfter(s string) (afterAction, error) {
	switch s {
	case "", "seen":
		return afterAction{kind: "seen"}, nil
	case "keep":
		return afterAction{kind: "keep"}, nil
	}
	folder, ok := strings.CutPrefix(s, "move:")
	if !ok {
		return afterAction{}, fmt.Errorf("after %q: want seen, keep or move:FOLDER", s)
	}
	if folder == "" || strings.ContainsAny(folder, "\r\n\x00") {
		return afterAction{}, fmt.Errorf("after %q: invalid folder name", s)
	}
	return afterAction{kind: "move", folder: folder}, nil
}

func (a afterAction) String() string {
	if a.kind == "move" {
		return "move:" + a.folder
	}
	return a.kind
}

// watch is the state of one Run: the settled configuration plus what must
// survive reconnects.
type watch struct {
	acct         Account
	addr         string
	folder       string
	after        afterAction
	handler      Handler
	log          *slog.Logger
	pollInterval time.Duration
	idleRestart  time.Duration // 0: pick at random per IDLE
	safetyPoll   time.Duration // <= 0: none
	backoff      Backoff
	loginRetry   time.Duration
	batchSize    int
	maxSize      int64 // <= 0: no limit
	synced       func(mailbox string)
	loggedIn     func(mailbox string)
	disconnected func(mailbox string, err error)
	noIdle       bool

	// rereadWarned is the UIDVALIDITY for which the "folder recreated"
	// warning was logged, so a re-read that spans passes warns once.
	rereadWarned uint32
	// moveWarned is set once the missing MOVE capability was reported.
	moveWarned bool
	// tokenRetried is set when the server refused an access token and a
	// new one is to be tried: a second refusal is ErrLogin.
	tokenRetried bool
}

func (w *Watcher) settle() (*watch, error) {
	a := w.Account
	if a.Host == "" {
		return nil, fmt.Errorf("watch %s: no host", a.Name)
	}
	port := a.Port
	switch a.Security {
	case "tls":
		if port == 0 {
			port = 993
		}
	case "starttls", "none":
		if port == 0 {
			port = 143
		}
	default:
		return nil, fmt.Errorf("watch %s: security %q: want tls, starttls or none", a.Name, a.Security)
	}
	if err := checkAuth(a.Auth, a.Token); err != nil {
		return nil, fmt.Errorf("watch %s: %w", a.Name, err)
	}
	after, err := parseAfter(a.After)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", a.Name, err)
	}
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	return &watch{
		acct:         a,
		addr:         net.JoinHostPort(a.Host, strconv.Itoa(port)),
		folder:       cmp.Or(a.Folder, "INBOX"),
		after:        after,
		handler:      w.Handler,
		log:          log.With("mailbox", a.Name),
		pollInterval: cmp.Or(max(w.PollInterval, 0), defaultPollInterval),
		idleRestart:  max(w.IdleRestart, 0),
		safetyPoll:   cmp.Or(w.SafetyPoll, defaultSafetyPoll),
		backoff:      w.Backoff,
		loginRetry:   cmp.Or(w.LoginRetry, DefaultLoginRetry),
		batchSize:    cmp.Or(max(w.BatchSize, 0), defaultBatchSize),
		maxSize:      cmp.Or(a.MaxMessageSize, DefaultMaxMessageSize),
		synced:       w.Synced,
		loggedIn:     w.LoggedIn,
		disconnected: w.Disconnected,
		noIdle:       w.noIdle,
	}, nil
}

// Run connects, logs in, selects Folder, fetches every UID above the cursor
// (BODY.PEEK[] so the server's \Seen flag is not touched by the fetch), hands each
// raw message to Handler.Deliver in UID order (or each FETCH's messages at
// once to a BatchHandler), applies After to the messages the Handler
// accepted, then waits for new mail with IDLE when the server
// advertises it (restarting IDLE every IdleRestart, and doing a catch-up every SafetyPoll even
// without notification, because IDLE can go silent), or polls every PollInterval otherwise.
// On any connection error it logs once (Warn, with the error and the next retry delay),
// backs off with jitter and reconnects; a successful sync resets the backoff.
// A UIDVALIDITY different from the cursor's means the folder was recreated:
// it re-reads the folder from UID 1 (the Handler dedupes by content) and logs it.
// Run returns nil when ctx is cancelled (close IDLE with Close() then Wait(), log out best-effort).
//
// A Deliver or Cursor error is handled like a connection error: the
// connection is dropped and the pass is retried after the backoff, starting
// again from the Handler's cursor. Run returns a non-nil error only for an
// invalid configuration, before connecting.
func (w *Watcher) Run(ctx context.Context) error {
	if w.Handler == nil {
		return fmt.Errorf("watch %s: no handler", w.Account.Name)
	}
	st, err := w.settle()
	if err != nil {
		return err
	}
	attempt := 0
	failing := false
	for {
		err := st.session(ctx, func() {
			attempt = 0
			if failing {
				failing = false
				st.log.Info("imap watcher recovered")
			}
		})
		if st.disconnected != nil {
			if ctx.Err() != nil {
				st.disconnected(st.acct.Name, nil)
			} else {
				st.disconnected(st.acct.Name, cmp.Or(err, errors.New("session ended unexpectedly")))
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			// session only returns nil on cancellation; be defensive so a
			// bug cannot become a reconnect storm.
			err = errors.New("session ended unexpectedly")
		}
		delay := st.backoff.Next(attempt)
		attempt++
		failing = true
		if errors.Is(err, ErrLogin) {
			delay = max(delay, st.loginRetry)
			msg := "imap login refused: check the user name and the password"
			if st.acct.Auth != AuthPassword {
				msg = "imap server refused the OAuth 2.0 access token: check the user name, the scopes and the mailbox's permission for the app"
			}
			st.log.Error(msg, "err", err,
				"username", st.acct.Username, "credentials", st.acct.Credentials, "retry_in", delay)
		} else {
			st.log.Warn("imap watcher failed; will reconnect", "err", err, "retry_in", delay)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// session runs one connection: connect, catch up, then wait and catch up
// until an error or cancellation. It returns nil only when ctx is done.
func (st *watch) session(ctx context.Context, synced func()) (err error) {
	defer func() {
		// A panicking Handler must not kill the daemon's only reader of
		// this mailbox: report it and let Run retry with backoff.
		if r := recover(); r != nil {
			st.log.Error("imap watcher panic", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", r)
		}
	}()

	// EXISTS can arrive at any time, also during FETCH; a pending signal
	// just makes the next IDLE return at once, which is what we want.
	updates := make(chan struct{}, 1)
	c, err := st.connect(ctx, updates)
	if err != nil {
		return err
	}

	done := make(chan struct{})
	defer close(done)
	// Orderly shutdown (DONE, LOGOUT) needs a live server; a hung one gets
	// its connection cut after a grace period so Run still returns promptly.
	stopWatchdog := context.AfterFunc(ctx, func() {
		t := time.NewTimer(shutdownGrace)
		defer t.Stop()
		select {
		case <-t.C:
			_ = c.Close()
		case <-done:
		}
	})
	defer stopWatchdog()
	defer func() { _ = c.Close() }()

	uidValidity, err := st.open(ctx, c, false)
	if err != nil {
		return err
	}
	st.log.Debug("imap connected", "addr", st.addr, "folder", st.folder, "uidvalidity", uidValidity)
	if st.loggedIn != nil {
		st.loggedIn(st.acct.Name)
	}

	idle := !st.noIdle && c.Caps().Has(imap.CapIdle)
	for {
		if err := st.catchUp(ctx, c, uidValidity); err != nil {
			if ctx.Err() != nil {
				_ = c.Logout().Wait()
				return nil
			}
			return err
		}
		synced()
		if st.synced != nil {
			st.synced(st.acct.Name)
		}

		if idle {
			err = st.waitIdle(ctx, c, updates)
		} else {
			err = st.waitPoll(ctx, c, updates)
		}
		if ctx.Err() != nil {
			// Best effort: the server may be gone already.
			_ = c.Logout().Wait()
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (st *watch) connect(ctx context.Context, updates chan<- struct{}) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages == nil {
					return
				}
				select {
				case updates <- struct{}{}:
				default:
				}
			},
		},
	}
	var tlsConfig *tls.Config
	if st.acct.Security != "none" {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if st.acct.TLSConfig != nil {
			tlsConfig = st.acct.TLSConfig.Clone()
		}
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = st.acct.Host
		}
		if tlsConfig.NextProtos == nil {
			tlsConfig.NextProtos = []string{"imap"}
		}
		opts.TLSConfig = tlsConfig
	}

	// Dial here rather than with imapclient.Dial*, which cannot be
	// cancelled.
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	d := &net.Dialer{}
	var conn net.Conn
	var err error
	if st.acct.Security == "tls" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(dctx, "tcp", st.addr)
	} else {
		conn, err = d.DialContext(dctx, "tcp", st.addr)
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", st.addr, err)
	}
	// Until the session's own shutdown handling takes over, cancellation
	// cuts the handshake short.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	var c *imapclient.Client
	if st.acct.Security == "starttls" {
		// The handshake is bounded by imapclient's own response timeout.
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, fmt.Errorf("starttls with %s: %w", st.addr, err)
		}
	} else {
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("greeting from %s: %w", st.addr, err)
	}
	return c, nil
}

// open logs in and selects the folder, returning its UIDVALIDITY. A login
// the server refuses is ErrLogin.
func (st *watch) open(ctx context.Context, c *imapclient.Client, readOnly bool) (uint32, error) {
	if err := st.login(ctx, c); err != nil {
		return 0, err
	}
	// The watcher selects read-write: After sets flags or moves mail.
	sel, err := c.Select(st.folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		return 0, fmt.Errorf("select %s: %w", st.folder, err)
	}
	return sel.UIDValidity, nil
}

// login signs in with the password or an OAuth 2.0 access token. A token
// the server refuses is dropped, so that the next login gets a new one;
// the first refusal is retried after the usual short backoff, and only a
// new token refused again counts as ErrLogin (slow retries): a token
// revoked early looks the same as a wrong account until then.
func (st *watch) login(ctx context.Context, c *imapclient.Client) error {
	a := st.acct
	if a.Auth == AuthPassword {
		return st.loginError(c.Login(a.Username, a.Password).Wait())
	}
	tok, err := a.Token.Token(ctx)
	if err != nil {
		// The token source has logged it; not a refusal by the server,
		// so the usual backoff applies.
		return fmt.Errorf("sign in to %s as %s: %w", st.addr, a.Username, err)
	}
	bc := &bearerClient{mech: a.Auth, username: a.Username, token: tok, host: a.Host, port: portOf(st.addr)}
	err = c.Authenticate(bc)
	if err != nil && bc.challenged {
		// The server answered with its error challenge: a refusal, even
		// when it then objects to the (empty) answer with BAD.
		err = fmt.Errorf("%w: authenticate %s to %s as %s: %v", ErrLogin, a.Auth, st.addr, a.Username, err)
	} else {
		err = st.loginError(err)
	}
	if !errors.Is(err, ErrLogin) {
		if err == nil {
			st.tokenRetried = false
		}
		return err
	}
	inv, ok := a.Token.(invalidator)
	if !ok {
		return err
	}
	inv.Invalidate()
	if st.tokenRetried {
		return err
	}
	st.tokenRetried = true
	return fmt.Errorf("imap server refused the access token; signing in again with a new one: %v", err)
}

func (st *watch) loginError(err error) error {
	if err == nil {
		return nil
	}
	how := "login"
	if st.acct.Auth != AuthPassword {
		how = "authenticate " + st.acct.Auth
	}
	var ie *imap.Error
	if errors.As(err, &ie) && (ie.Code == imap.ResponseCodeAuthenticationFailed || ie.Type == imap.StatusResponseTypeNo) {
		return fmt.Errorf("%w: %s to %s as %s: %v", ErrLogin, how, st.addr, st.acct.Username, err)
	}
	return fmt.Errorf("%s to %s as %s: %w", how, st.addr, st.acct.Username, err)
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// Check connects, logs in, selects Folder read-only and logs out: the
// one-shot test of `maildesk run -check-login`, which an admin runs after
// changing a password rather than waiting for the watcher's slow retry of
// a refused login. It needs no Handler.
func (w *Watcher) Check(ctx context.Context) error {
	st, err := w.settle()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout+shutdownGrace)
	defer cancel()
	c, err := st.connect(ctx, make(chan struct{}, 1))
	if err != nil {
		return err
	}
	defer func() { _ = c.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	if _, err := st.open(ctx, c, true); err != nil {
		return err
	}
	_ = c.Logout().Wait()
	return nil
}

// catchUp delivers every message above the Handler's cursor, in UID order,
// and applies After to those delivered.
func (st *watch) catchUp(ctx context.Context, c *imapclient.Client, uidValidity uint32) error {
	name := st.acct.Name
	cur, err := st.handler.Cursor(ctx, name)
	if err != nil {
		return fmt.Errorf("read cursor of %s: %w", name, err)
	}
	last := cur.LastUID
	if cur.UIDValidity != uidValidity {
		// Zero is a fresh cursor: reading from 1 is simply the first run.
		if cur.UIDValidity != 0 && st.rereadWarned != uidValidity {
			st.log.Warn("imap folder was recreated (UIDVALIDITY changed); re-reading it from UID 1",
				"folder", st.folder, "old_uidvalidity", cur.UIDValidity, "new_uidvalidity", uidValidity)
			st.rereadWarned = uidValidity
		}
		last = 0
	}

	uids, err := searchAbove(c, last)
	if err != nil {
		return fmt.Errorf("search %s above uid %d: %w", st.folder, last, err)
	}
	for batch := range slices.Chunk(uids, st.batchSize) {
		if err := st.deliverBatch(ctx, c, uidValidity, batch); err != nil {
			return err
		}
	}
	return nil
}

// searchAbove returns the UIDs greater than last, ascending.
func searchAbove(c *imapclient.Client, last uint32) ([]imap.UID, error) {
	if last == ^uint32(0) {
		return nil, nil
	}
	var set imap.UIDSet
	set.AddRange(imap.UID(last+1), 0) // last+1:*
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return nil, err
	}
	all, ok := data.All.(imap.UIDSet)
	if !ok {
		return nil, nil
	}
	nums, ok := all.Nums()
	if !ok {
		return nil, fmt.Errorf("server answered SEARCH with a dynamic set %v", all)
	}
	// "n:*" always matches the highest UID, even when it is below n, so
	// filter rather than trust the range.
	uids := make([]imap.UID, 0, len(nums))
	for _, u := range nums {
		if uint32(u) > last {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

type fetched struct {
	uid  imap.UID
	raw  []byte
	date time.Time // INTERNALDATE
}

// DefaultMaxMessageSize is the largest mail fetched whole when
// Account.MaxMessageSize is 0: 25 MB, the common limit of mail servers.
const DefaultMaxMessageSize = 25 << 20

// OversizeHandler is implemented by Handlers that take mail larger than
// Account.MaxMessageSize: instead of the whole message, the watcher passes
// its header and its size (RFC822.SIZE). Like Deliver, it must store
// something and advance the cursor in one transaction, so the mail is
// recorded and the folder goes on; the whole mail stays on the server.
// Without it, such mail is passed to Deliver with the header only.
type OversizeHandler interface {
	DeliverOversized(ctx context.Context, mailbox string, uidValidity, uid uint32, header []byte, size int64) error
}

// deliverBatch hands uids to the Handler in UID order. It asks for their
// sizes first: mail above the size limit is fetched as its header only,
// and the rest in FETCHes of at most twice the limit in bytes, so that
// memory stays bounded whatever the folder holds. UIDs the server no
// longer has (expunged since the SEARCH) are simply absent from the FETCH
// answers and skipped. After is applied to what was delivered, also when a
// later Deliver fails.
func (st *watch) deliverBatch(ctx context.Context, c *imapclient.Client, uidValidity uint32, uids []imap.UID) error {
	sizes, err := st.fetchSizes(c, uids)
	if err != nil {
		return err
	}
	var accepted []imap.UID
	var group []imap.UID
	var groupBytes int64
	budget := 2 * st.maxSize
	// flush fetches and delivers group; it reports a Deliver error
	// separately from a connection error.
	flush := func() (deliverErr, connErr error) {
		if len(group) == 0 {
			return nil, nil
		}
		defer func() { group, groupBytes = group[:0], 0 }()
		msgs, err := st.fetchBodies(c, group)
		if err != nil {
			return nil, err
		}
		if bh, ok := st.handler.(BatchHandler); ok && len(msgs) > 0 {
			batch := make([]Fetched, len(msgs))
			for i, m := range msgs {
				batch[i] = Fetched{UID: uint32(m.uid), Raw: m.raw, InternalDate: m.date}
			}
			n, err := bh.DeliverBatch(ctx, st.acct.Name, uidValidity, batch)
			n = min(max(n, 0), len(msgs))
			for _, m := range msgs[:n] {
				accepted = append(accepted, m.uid)
			}
			if err != nil {
				return fmt.Errorf("deliver %s uids %d-%d: %w", st.acct.Name, msgs[0].uid, msgs[len(msgs)-1].uid, err), nil
			}
			return nil, nil
		}
		for _, m := range msgs {
			if err := st.handler.Deliver(ctx, st.acct.Name, uidValidity, uint32(m.uid), m.raw); err != nil {
				return fmt.Errorf("deliver %s uid %d: %w", st.acct.Name, m.uid, err), nil
			}
			accepted = append(accepted, m.uid)
		}
		return nil, nil
	}
	var deliverErr, connErr error
	for _, u := range uids {
		size, ok := sizes[u]
		if !ok {
			continue
		}
		if st.maxSize > 0 && size > st.maxSize {
			if deliverErr, connErr = flush(); deliverErr != nil || connErr != nil {
				break
			}
			if deliverErr, connErr = st.deliverOversized(ctx, c, uidValidity, u, size); deliverErr != nil || connErr != nil {
				break
			}
			accepted = append(accepted, u)
			continue
		}
		if len(group) > 0 && budget > 0 && groupBytes+size > budget {
			if deliverErr, connErr = flush(); deliverErr != nil || connErr != nil {
				break
			}
		}
		group = append(group, u)
		groupBytes += size
	}
	if deliverErr == nil && connErr == nil {
		deliverErr, connErr = flush()
	}
	if connErr != nil {
		return connErr
	}
	if err := st.applyAfter(c, accepted); err != nil {
		return errors.Join(deliverErr, err)
	}
	return deliverErr
}

// fetchSizes asks for the RFC822.SIZE of uids.
func (st *watch) fetchSizes(c *imapclient.Client, uids []imap.UID) (map[imap.UID]int64, error) {
	set := imap.UIDSetNum(uids...)
	bufs, err := c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch sizes in %s, uids %v: %w", st.folder, set, err)
	}
	sizes := make(map[imap.UID]int64, len(bufs))
	for _, b := range bufs {
		// An unsolicited FETCH (a flag change by another client) can be
		// collected with ours; it is not an answer.
		if b.UID != 0 && set.Contains(b.UID) {
			sizes[b.UID] = b.RFC822Size
		}
	}
	return sizes, nil
}

// fetchBodies fetches the whole mails uids, in UID order.
func (st *watch) fetchBodies(c *imapclient.Client, uids []imap.UID) ([]fetched, error) {
	set := imap.UIDSetNum(uids...)
	bufs, err := c.Fetch(set, &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch %s uids %v: %w", st.folder, set, err)
	}
	msgs := make([]fetched, 0, len(bufs))
	for _, b := range bufs {
		if b.UID == 0 || !set.Contains(b.UID) {
			continue
		}
		if len(b.BodySection) == 0 || b.BodySection[0].Bytes == nil {
			// Retrying would stall the folder behind this message forever.
			st.log.Error("imap server returned no body; skipping message", "folder", st.folder, "uid", b.UID)
			continue
		}
		msgs = append(msgs, fetched{uid: b.UID, raw: b.BodySection[0].Bytes, date: b.InternalDate})
	}
	slices.SortFunc(msgs, func(a, b fetched) int { return cmp.Compare(a.uid, b.uid) })
	return slices.CompactFunc(msgs, func(a, b fetched) bool { return a.uid == b.uid }), nil
}

// deliverOversized fetches only the header of a mail above the size limit
// and hands it to the Handler.
func (st *watch) deliverOversized(ctx context.Context, c *imapclient.Client, uidValidity uint32, uid imap.UID, size int64) (deliverErr, connErr error) {
	set := imap.UIDSetNum(uid)
	bufs, err := c.Fetch(set, &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Specifier: imap.PartSpecifierHeader, Peek: true}},
	}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch header of %s uid %d: %w", st.folder, uid, err)
	}
	var header []byte
	for _, b := range bufs {
		if b.UID == uid && len(b.BodySection) > 0 {
			header = b.BodySection[0].Bytes
		}
	}
	st.log.Warn("mail larger than the size limit: storing its header only; the whole mail stays on the server",
		"folder", st.folder, "uid", uid, "size", size, "limit", st.maxSize)
	name := st.acct.Name
	if oh, ok := st.handler.(OversizeHandler); ok {
		err = oh.DeliverOversized(ctx, name, uidValidity, uint32(uid), header, size)
	} else {
		err = st.handler.Deliver(ctx, name, uidValidity, uint32(uid), header)
	}
	if err != nil {
		return fmt.Errorf("deliver %s uid %d (header of a %d-byte mail): %w", name, uid, size, err), nil
	}
	return nil, nil
}

// applyAfter flags or moves delivered messages. The cursor is already past
// them, so a server that refuses (NO/BAD) is logged and not retried; only a
// broken connection is an error.
func (st *watch) applyAfter(c *imapclient.Client, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	var err error
	switch st.after.kind {
	case "keep":
		return nil
	case "seen":
		err = c.Store(set, &imap.StoreFlags{
			Op:     imap.StoreFlagsAdd,
			Silent: true,
			Flags:  []imap.Flag{imap.FlagSeen},
		}, nil).Close()
	case "move":
		// imapclient falls back to COPY, STORE \Deleted and EXPUNGE
		// without MOVE; we never delete, so keep the message instead.
		if !c.Caps().Has(imap.CapMove) {
			if !st.moveWarned {
				st.log.Warn("imap server lacks MOVE; keeping messages in place", "folder", st.folder, "after", st.after.String())
				st.moveWarned = true
			}
			return nil
		}
		_, err = c.Move(set, st.after.folder).Wait()
	}
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s uids %v: %w", st.after, set, err)
	var imapErr *imap.Error
	if errors.As(err, &imapErr) {
		st.log.Warn("imap server refused post-delivery action", "folder", st.folder, "err", err)
		return nil
	}
	return err
}

// waitIdle idles until the server announces mail, a timer fires or ctx is
// done, and leaves IDLE cleanly (Close, then Wait) so the connection can
// be used again.
func (st *watch) waitIdle(ctx context.Context, c *imapclient.Client, updates <-chan struct{}) error {
	cmd, err := c.Idle()
	if err != nil {
		return fmt.Errorf("idle: %w", err)
	}

	restart := time.NewTimer(st.nextIdleRestart())
	defer restart.Stop()
	var safety <-chan time.Time
	if st.safetyPoll > 0 {
		t := time.NewTimer(st.safetyPoll)
		defer t.Stop()
		safety = t.C
	}

	closed := false
	select {
	case <-ctx.Done():
	case <-updates:
	case <-safety:
	case <-restart.C:
	case <-c.Closed():
		closed = true
	}
	closeErr := cmd.Close()
	if closed {
		return errors.New("idle: connection closed by server")
	}
	if closeErr != nil {
		return fmt.Errorf("stop idle: %w", closeErr)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("idle: %w", err)
	}
	return nil
}

func (st *watch) nextIdleRestart() time.Duration {
	if st.idleRestart > 0 {
		return st.idleRestart
	}
	return idleRestartMin + rand.N(idleRestartSpread)
}

// waitPoll waits PollInterval when the server cannot IDLE.
func (st *watch) waitPoll(ctx context.Context, c *imapclient.Client, updates <-chan struct{}) error {
	t := time.NewTimer(st.pollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-updates:
	case <-c.Closed():
		return errors.New("connection closed by server")
	}
	return nil
}
