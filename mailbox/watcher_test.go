package mailbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// waitLimit is how long a test waits for something that normally takes
// milliseconds; it only guards against a hang, it is not a timing assertion.
const waitLimit = 10 * time.Second

const (
	testUser = "fta-pass"
	testPass = "s3cret"
)

// testMessage returns a small CRLF message whose bytes identify n.
func testMessage(n int) string {
	return fmt.Sprintf("From: customer%d@example.com\r\n"+
		"To: fta-pass@origin.or.kr\r\n"+
		"Subject: =?UTF-8?B?66y47J2Y?= %d\r\n"+
		"Message-ID: <m%d@example.com>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n"+
		"\r\n"+
		"안녕하세요, 문의 %d 드립니다.\r\n", n, n, n, n)
}

// imapTestServer is an in-process imapmemserver on loopback that can be
// stopped and started again on the same port with the same mailboxes.
type imapTestServer struct {
	t    *testing.T
	mem  *imapmemserver.Server
	caps imap.CapSet
	tls  *tls.Config // nil: plain listener without STARTTLS
	// implicitTLS serves TLS from the first byte instead of offering STARTTLS.
	implicitTLS bool
	clientTLS   *tls.Config // how the test's own client trusts the server

	// idling receives a value each time a session enters IDLE.
	idling chan struct{}

	mu   sync.Mutex
	addr string
	srv  *imapserver.Server
}

// signalingSession tells the test when a client starts idling.
// imapmemserver pushes only the changes made after IDLE began (real servers
// also flush what was queued), so a test that appends a message must wait
// until the watcher idles, or the message waits for the next safety poll.
type signalingSession struct {
	imapserver.Session
	idling chan<- struct{}
}

func (s signalingSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idling <- struct{}{}:
	default:
	}
	return s.Session.Idle(w, stop)
}

func (s signalingSession) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}

func (s signalingSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

func (s *imapTestServer) waitIdling() {
	s.t.Helper()
	select {
	case <-s.idling:
	case <-time.After(waitLimit):
		s.t.Fatalf("watcher did not enter IDLE within %v", waitLimit)
	}
}

func newIMAPTestServer(t *testing.T, caps imap.CapSet) *imapTestServer {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(testUser, testPass)
	for _, name := range []string{"INBOX", "Processed"} {
		if err := user.Create(name, nil); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	mem.AddUser(user)
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}}
	}
	return &imapTestServer{t: t, mem: mem, caps: caps, addr: "127.0.0.1:0", idling: make(chan struct{}, 1)}
}

// start listens on the server's address (a fresh port the first time, the
// same one after stop).
func (s *imapTestServer) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return signalingSession{Session: s.mem.NewSession(), idling: s.idling}, nil, nil
		},
		Caps:         s.caps,
		InsecureAuth: true,
		TLSConfig:    s.tlsForSTARTTLS(),
		Logger:       log.New(io.Discard, "", 0),
	})
	var ln net.Listener
	var err error
	if s.implicitTLS {
		ln, err = tls.Listen("tcp", s.addr, s.tls)
	} else {
		ln, err = net.Listen("tcp", s.addr)
	}
	if err != nil {
		s.t.Fatalf("listen on %s: %v", s.addr, err)
	}
	s.addr = ln.Addr().String()
	s.srv = srv
	go func() { _ = srv.Serve(ln) }()
	s.t.Cleanup(func() { _ = srv.Close() })
}

func (s *imapTestServer) tlsForSTARTTLS() *tls.Config {
	if s.implicitTLS {
		return nil
	}
	return s.tls
}

func (s *imapTestServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.srv.Close()
}

func (s *imapTestServer) hostPort() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	host, port, err := net.SplitHostPort(s.addr)
	if err != nil {
		s.t.Fatalf("split %s: %v", s.addr, err)
	}
	var p int
	fmt.Sscan(port, &p)
	return host, p
}

func (s *imapTestServer) account() Account {
	host, port := s.hostPort()
	return Account{
		Name:     "fta-pass",
		Host:     host,
		Port:     port,
		Security: "none",
		Username: testUser,
		Password: testPass,
	}
}

// client returns a second, independent client: what a person's mail
// program would do to the same mailbox.
func (s *imapTestServer) client() *imapclient.Client {
	s.t.Helper()
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	var c *imapclient.Client
	var err error
	if s.implicitTLS {
		c, err = imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: s.clientTLS})
	} else {
		c, err = imapclient.DialInsecure(addr, nil)
	}
	if err != nil {
		s.t.Fatalf("dial %s: %v", addr, err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		s.t.Fatalf("login: %v", err)
	}
	return c
}

func (s *imapTestServer) appendMessage(folder, raw string, flags ...imap.Flag) {
	s.t.Helper()
	c := s.client()
	defer c.Close()
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := io.WriteString(cmd, raw); err != nil {
		s.t.Fatalf("append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		s.t.Fatalf("append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		s.t.Fatalf("append: %v", err)
	}
}

// state lists a folder's messages as uid → flags.
func (s *imapTestServer) state(folder string) (uidValidity uint32, flags map[uint32][]imap.Flag) {
	s.t.Helper()
	c := s.client()
	defer c.Close()
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		s.t.Fatalf("examine %s: %v", folder, err)
	}
	flags = map[uint32][]imap.Flag{}
	if sel.NumMessages == 0 {
		return sel.UIDValidity, flags
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		s.t.Fatalf("fetch flags in %s: %v", folder, err)
	}
	for _, b := range bufs {
		flags[uint32(b.UID)] = b.Flags
	}
	return sel.UIDValidity, flags
}

// delivery is one accepted Deliver call.
type delivery struct {
	uidValidity, uid uint32
	raw              string
}

// memHandler is a Handler storing into memory, deduplicating like the real
// store: by (uidvalidity, uid) and by content.
type memHandler struct {
	mu     sync.Mutex
	cursor Cursor
	stored []delivery
	seen   map[string]bool
	calls  int
	// fail lists the Deliver call numbers (1-based) that return an error.
	fail map[int]bool
	// got receives every newly stored message.
	got chan delivery
}

func newMemHandler() *memHandler {
	return &memHandler{seen: map[string]bool{}, got: make(chan delivery, 100)}
}

func (h *memHandler) Cursor(ctx context.Context, mailbox string) (Cursor, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cursor, nil
}

func (h *memHandler) Deliver(ctx context.Context, mailbox string, uidValidity, uid uint32, raw []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	if h.fail[h.calls] {
		return fmt.Errorf("database is locked (injected failure %d)", h.calls)
	}
	h.cursor = Cursor{UIDValidity: uidValidity, LastUID: uid}
	if h.seen[string(raw)] {
		return nil
	}
	h.seen[string(raw)] = true
	d := delivery{uidValidity: uidValidity, uid: uid, raw: string(raw)}
	h.stored = append(h.stored, d)
	h.got <- d
	return nil
}

func (h *memHandler) snapshot() (stored []delivery, calls int, cur Cursor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.stored), h.calls, h.cursor
}

func (h *memHandler) uids() []uint32 {
	stored, _, _ := h.snapshot()
	var uids []uint32
	for _, d := range stored {
		uids = append(uids, d.uid)
	}
	return uids
}

// running is a Watcher.Run in a goroutine.
type running struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error
	synced chan struct{}
	once   sync.Once
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startWatcher fills in test defaults (fast backoff, logger, Synced) and
// runs w until the test ends.
func startWatcher(t *testing.T, w *Watcher) *running {
	t.Helper()
	r := &running{t: t, done: make(chan error, 1), synced: make(chan struct{}, 1000)}
	if w.Logger == nil {
		w.Logger = testLogger(t)
	}
	if w.Backoff.Min == 0 && w.Backoff.Max == 0 {
		w.Backoff = Backoff{Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}
	}
	w.Synced = func(string) { r.synced <- struct{}{} }
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- w.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *running) waitSynced() {
	r.t.Helper()
	select {
	case <-r.synced:
	case err := <-r.done:
		r.done <- err
		r.t.Fatalf("Run returned %v before a sync", err)
	case <-time.After(waitLimit):
		r.t.Fatalf("no catch-up pass completed within %v", waitLimit)
	}
}

// stop cancels Run and checks that it returns nil.
func (r *running) stop() {
	r.t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case err := <-r.done:
			if err != nil {
				r.t.Errorf("Run returned %v, want nil", err)
			}
		case <-time.After(waitLimit):
			r.t.Fatalf("Run did not return within %v of cancellation", waitLimit)
		}
	})
}

func waitDelivery(t *testing.T, h *memHandler) delivery {
	t.Helper()
	select {
	case d := <-h.got:
		return d
	case <-time.After(waitLimit):
		t.Fatalf("no message delivered within %v", waitLimit)
		return delivery{}
	}
}

func hasFlag(flags []imap.Flag, f imap.Flag) bool {
	return slices.Contains(flags, f)
}

func TestWatcherCatchUpAndAfter(t *testing.T) {
	tests := []struct {
		name  string
		after string
		caps  imap.CapSet
		// check inspects the server once the first pass is done.
		check func(t *testing.T, s *imapTestServer)
	}{
		{
			name:  "seen by default",
			after: "",
			check: func(t *testing.T, s *imapTestServer) {
				_, inbox := s.state("INBOX")
				for uid := uint32(1); uid <= 3; uid++ {
					if !hasFlag(inbox[uid], imap.FlagSeen) {
						t.Errorf("uid %d flags: got %v, want \\Seen among them", uid, inbox[uid])
					}
				}
			},
		},
		{
			name:  "keep leaves flags alone",
			after: "keep",
			check: func(t *testing.T, s *imapTestServer) {
				_, inbox := s.state("INBOX")
				if len(inbox) != 3 {
					t.Fatalf("INBOX messages: got %d, want 3", len(inbox))
				}
				for uid, flags := range inbox {
					// BODY.PEEK must not have set \Seen either.
					var want []imap.Flag
					if uid == 2 {
						want = []imap.Flag{imap.FlagFlagged}
					}
					if !slices.Equal(flags, want) {
						t.Errorf("uid %d flags: got %v, want %v", uid, flags, want)
					}
				}
			},
		},
		{
			name:  "move",
			after: "move:Processed",
			check: func(t *testing.T, s *imapTestServer) {
				_, inbox := s.state("INBOX")
				if len(inbox) != 0 {
					t.Errorf("INBOX after move: got %v, want empty", inbox)
				}
				_, processed := s.state("Processed")
				if len(processed) != 3 {
					t.Errorf("Processed after move: got %d messages, want 3", len(processed))
				}
			},
		},
		{
			name:  "move without MOVE keeps the message and deletes nothing",
			after: "move:Processed",
			caps:  imap.CapSet{imap.CapIMAP4rev1: {}},
			check: func(t *testing.T, s *imapTestServer) {
				_, inbox := s.state("INBOX")
				if len(inbox) != 3 {
					t.Fatalf("INBOX messages: got %d, want 3", len(inbox))
				}
				for uid, flags := range inbox {
					if hasFlag(flags, imap.FlagDeleted) {
						t.Errorf("uid %d flags: got %v, want no \\Deleted", uid, flags)
					}
				}
				_, processed := s.state("Processed")
				if len(processed) != 0 {
					t.Errorf("Processed: got %d messages, want 0", len(processed))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newIMAPTestServer(t, tt.caps)
			s.start()
			s.appendMessage("INBOX", testMessage(1))
			s.appendMessage("INBOX", testMessage(2), imap.FlagFlagged)
			s.appendMessage("INBOX", testMessage(3))
			uidValidity, _ := s.state("INBOX")

			h := newMemHandler()
			acct := s.account()
			acct.After = tt.after
			r := startWatcher(t, &Watcher{Account: acct, Handler: h, SafetyPoll: time.Hour})
			r.waitSynced()

			stored, _, cur := h.snapshot()
			if len(stored) != 3 {
				t.Fatalf("stored: got %d messages, want 3", len(stored))
			}
			for i, d := range stored {
				if got, want := d.uid, uint32(i+1); got != want {
					t.Errorf("delivery %d uid: got %d, want %d", i, got, want)
				}
				if got, want := d.raw, testMessage(i+1); got != want {
					t.Errorf("delivery %d raw: got %q, want %q", i, got, want)
				}
				if d.uidValidity != uidValidity {
					t.Errorf("delivery %d uidvalidity: got %d, want %d", i, d.uidValidity, uidValidity)
				}
			}
			if want := (Cursor{uidValidity, 3}); cur != want {
				t.Errorf("cursor: got %v, want %v", cur, want)
			}
			tt.check(t, s)
		})
	}
}

func TestWatcherIdleDeliversNewMail(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	h := newMemHandler()
	// No safety poll within the test's patience: only IDLE can deliver.
	r := startWatcher(t, &Watcher{Account: s.account(), Handler: h, SafetyPoll: time.Hour, IdleRestart: time.Hour})
	r.waitSynced()

	for i := 1; i <= 2; i++ {
		s.waitIdling()
		s.appendMessage("INBOX", testMessage(i))
		d := waitDelivery(t, h)
		if got, want := d.uid, uint32(i); got != want {
			t.Errorf("uid: got %d, want %d", got, want)
		}
		if got, want := d.raw, testMessage(i); got != want {
			t.Errorf("raw: got %q, want %q", got, want)
		}
	}
}

func TestWatcherIdleRestartAndSafetyPoll(t *testing.T) {
	// With tiny timers the watcher leaves and re-enters IDLE constantly;
	// nothing may be lost or delivered twice in the churn.
	s := newIMAPTestServer(t, nil)
	s.start()
	h := newMemHandler()
	r := startWatcher(t, &Watcher{Account: s.account(), Handler: h,
		SafetyPoll: 3 * time.Millisecond, IdleRestart: 2 * time.Millisecond})
	r.waitSynced()
	for i := 1; i <= 3; i++ {
		s.appendMessage("INBOX", testMessage(i))
		waitDelivery(t, h)
	}
	r.waitSynced()
	if got, want := h.uids(), []uint32{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("delivered uids: got %v, want %v", got, want)
	}
}

func TestWatcherPollsWithoutIdle(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	h := newMemHandler()
	r := startWatcher(t, &Watcher{Account: s.account(), Handler: h, PollInterval: 5 * time.Millisecond, noIdle: true})
	r.waitSynced()
	s.appendMessage("INBOX", testMessage(1))
	if got := waitDelivery(t, h); got.uid != 1 {
		t.Errorf("uid: got %d, want 1", got.uid)
	}
}

func TestWatcherRetriesFailedDelivery(t *testing.T) {
	tests := []struct {
		name      string
		fail      map[int]bool
		wantCalls int
	}{
		{"first message fails once", map[int]bool{1: true}, 4},
		{"second message fails twice", map[int]bool{2: true, 3: true}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newIMAPTestServer(t, nil)
			s.start()
			for i := 1; i <= 3; i++ {
				s.appendMessage("INBOX", testMessage(i))
			}
			h := newMemHandler()
			h.fail = tt.fail
			r := startWatcher(t, &Watcher{Account: s.account(), Handler: h, SafetyPoll: time.Hour})
			// The first passes fail; Synced fires only after one succeeds.
			r.waitSynced()

			stored, calls, _ := h.snapshot()
			var uids []uint32
			for _, d := range stored {
				uids = append(uids, d.uid)
			}
			if want := []uint32{1, 2, 3}; !slices.Equal(uids, want) {
				t.Errorf("stored uids: got %v, want %v", uids, want)
			}
			if calls != tt.wantCalls {
				t.Errorf("Deliver calls: got %d, want %d", calls, tt.wantCalls)
			}
			_, inbox := s.state("INBOX")
			for uid := uint32(1); uid <= 3; uid++ {
				if !hasFlag(inbox[uid], imap.FlagSeen) {
					t.Errorf("uid %d flags: got %v, want \\Seen", uid, inbox[uid])
				}
			}
		})
	}
}

func TestWatcherUIDValidity(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	s.appendMessage("INBOX", testMessage(1))
	s.appendMessage("INBOX", testMessage(2))
	uidValidity, _ := s.state("INBOX")

	tests := []struct {
		name   string
		cursor Cursor
		want   []uint32
	}{
		{"fresh cursor reads everything", Cursor{}, []uint32{1, 2}},
		{"same validity continues after cursor", Cursor{uidValidity, 1}, []uint32{2}},
		{"up to date reads nothing", Cursor{uidValidity, 2}, nil},
		{"cursor beyond the last uid reads nothing", Cursor{uidValidity, 50}, nil},
		{"changed validity re-reads from 1", Cursor{uidValidity + 100, 50}, []uint32{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newMemHandler()
			h.cursor = tt.cursor
			acct := s.account()
			acct.After = "keep"
			r := startWatcher(t, &Watcher{Account: acct, Handler: h, SafetyPoll: time.Hour})
			r.waitSynced()
			r.stop()
			if got := h.uids(); !slices.Equal(got, tt.want) {
				t.Errorf("delivered uids: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWatcherReconnects(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	s.appendMessage("INBOX", testMessage(1))
	h := newMemHandler()
	r := startWatcher(t, &Watcher{Account: s.account(), Handler: h, SafetyPoll: time.Hour})
	r.waitSynced()
	waitDelivery(t, h)

	s.stop()
	s.start() // same port, same mailboxes
	s.appendMessage("INBOX", testMessage(2))

	d := waitDelivery(t, h)
	if d.uid != 2 || d.raw != testMessage(2) {
		t.Errorf("after reconnect: got uid %d %q, want uid 2 %q", d.uid, d.raw, testMessage(2))
	}
	if got, want := h.uids(), []uint32{1, 2}; !slices.Equal(got, want) {
		t.Errorf("delivered uids: got %v, want %v", got, want)
	}
}

func TestWatcherCancel(t *testing.T) {
	t.Run("while idling", func(t *testing.T) {
		s := newIMAPTestServer(t, nil)
		s.start()
		r := startWatcher(t, &Watcher{Account: s.account(), Handler: newMemHandler()})
		r.waitSynced()
		r.stop()
	})
	t.Run("while backing off", func(t *testing.T) {
		// A port nobody listens on: every attempt is refused.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		ln.Close()
		acct := Account{Name: "x", Host: "127.0.0.1", Port: addr.Port, Security: "none"}
		r := startWatcher(t, &Watcher{Account: acct, Handler: newMemHandler(),
			Backoff: Backoff{Min: time.Hour, Max: time.Hour}})
		r.stop()
	})
}

func TestWatcherSkipsVanishedUIDs(t *testing.T) {
	// A message expunged between SEARCH and FETCH is absent from the FETCH
	// answer; the batch must go on without it.
	s := newIMAPTestServer(t, nil)
	s.start()
	s.appendMessage("INBOX", testMessage(1))
	s.appendMessage("INBOX", testMessage(2))
	h := newMemHandler()
	acct := s.account()
	acct.After = "keep"
	st, err := (&Watcher{Account: acct, Handler: h, Logger: testLogger(t)}).settle()
	if err != nil {
		t.Fatal(err)
	}
	c := s.client()
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.deliverBatch(context.Background(), c, sel.UIDValidity, []imap.UID{1, 2, 7}); err != nil {
		t.Fatalf("deliverBatch: got %v, want nil", err)
	}
	if got, want := h.uids(), []uint32{1, 2}; !slices.Equal(got, want) {
		t.Errorf("delivered uids: got %v, want %v", got, want)
	}
}

func TestWatcherSecurity(t *testing.T) {
	cert, pool := testCertificate(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, security := range []string{"tls", "starttls"} {
		t.Run(security, func(t *testing.T) {
			s := newIMAPTestServer(t, nil)
			s.tls = serverTLS
			s.implicitTLS = security == "tls"
			s.clientTLS = &tls.Config{RootCAs: pool}
			s.start()
			s.appendMessage("INBOX", testMessage(1))
			h := newMemHandler()
			acct := s.account()
			acct.Security = security
			acct.TLSConfig = &tls.Config{RootCAs: pool}
			startWatcher(t, &Watcher{Account: acct, Handler: h, SafetyPoll: time.Hour})
			if d := waitDelivery(t, h); d.raw != testMessage(1) {
				t.Errorf("raw: got %q, want %q", d.raw, testMessage(1))
			}
		})
	}
}

func TestWatcherConfigErrors(t *testing.T) {
	good := Account{Name: "a", Host: "127.0.0.1", Security: "none"}
	tests := []struct {
		name string
		edit func(*Account)
		want string
	}{
		{"no host", func(a *Account) { a.Host = "" }, "no host"},
		{"bad security", func(a *Account) { a.Security = "ssl" }, `security "ssl"`},
		{"bad after", func(a *Account) { a.After = "delete" }, `after "delete"`},
		{"move without folder", func(a *Account) { a.After = "move:" }, `after "move:"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := good
			tt.edit(&acct)
			err := (&Watcher{Account: acct, Handler: newMemHandler()}).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run: got %v, want error containing %q", err, tt.want)
			}
		})
	}
	if err := (&Watcher{Account: good}).Run(context.Background()); err == nil {
		t.Errorf("Run without handler: got nil, want error")
	}
}

func TestParseAfter(t *testing.T) {
	tests := []struct {
		in      string
		want    afterAction
		wantErr bool
	}{
		{"", afterAction{kind: "seen"}, false},
		{"seen", afterAction{kind: "seen"}, false},
		{"keep", afterAction{kind: "keep"}, false},
		{"move:Processed", afterAction{kind: "move", folder: "Processed"}, false},
		{"move:처리됨/2024", afterAction{kind: "move", folder: "처리됨/2024"}, false},
		{"move:", afterAction{}, true},
		{"move:a\r\nb", afterAction{}, true},
		{"Seen", afterAction{}, true},
		{"delete", afterAction{}, true},
	}
	for _, tt := range tests {
		got, err := parseAfter(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseAfter(%q) error: got %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("parseAfter(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseAfter(f *testing.F) {
	for _, s := range []string{"", "seen", "keep", "move:Processed", "move:", "move:a\nb", "MOVE:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAfter(s)
		if err != nil {
			return
		}
		// Whatever parses must print back to an equivalent setting.
		b, err := parseAfter(a.String())
		if err != nil || b != a {
			t.Errorf("parseAfter(%q) = %+v, reparsed %q: got %+v, %v", s, a, a.String(), b, err)
		}
		if s != "" && a.String() != s {
			t.Errorf("parseAfter(%q).String(): got %q, want %q", s, a.String(), s)
		}
	})
}

// testCertificate makes a self-signed certificate for 127.0.0.1 and a pool
// trusting it.
func testCertificate(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "maildesk test"},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Unix(1<<33, 0),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// lineCounter counts the log lines that contain a word, and keeps them.
type lineCounter struct {
	mu    sync.Mutex
	word  string
	lines []string
	hit   chan struct{}
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if strings.Contains(string(p), l.word) {
		l.lines = append(l.lines, string(p))
		select {
		case l.hit <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (l *lineCounter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// TestWatcherWrongPassword: a refused login is an error naming the user and
// where the password comes from (never the password), and it is retried
// after LoginRetry, not at the reconnect backoff's pace: servers lock
// accounts that keep failing.
func TestWatcherWrongPassword(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	acct := s.account()
	acct.Password = "wrong-hunter2"
	acct.Credentials = "password_env MAILDESK_IMAP_PASSWORD"
	lc := &lineCounter{word: "imap login refused", hit: make(chan struct{}, 1)}
	w := &Watcher{Account: acct, Handler: newMemHandler(), LoginRetry: time.Hour,
		Logger: slog.New(slog.NewTextHandler(lc, nil))}
	startWatcher(t, w)
	select {
	case <-lc.hit:
	case <-time.After(waitLimit):
		t.Fatal("no log line for the refused login")
	}
	// With the backoff at 5-50 ms, a hundred more tries would fit in
	// this pause; a login retried after an hour makes none.
	time.Sleep(300 * time.Millisecond)
	if n := lc.count(); n != 1 {
		t.Errorf("refused logins logged: %d, want 1 (retried at the backoff's pace)", n)
	}
	line := lc.lines[0]
	for _, want := range []string{"level=ERROR", testUser, "password_env MAILDESK_IMAP_PASSWORD", "retry_in=1h"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(line, "wrong-hunter2") {
		t.Errorf("the password is in the log: %s", line)
	}
}

// TestWatcherConnectionHooks: LoggedIn and Disconnected follow the
// sessions, through a server restart and the shutdown.
func TestWatcherConnectionHooks(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	events := make(chan string, 1000)
	w := &Watcher{Account: s.account(), Handler: newMemHandler(), SafetyPoll: time.Hour,
		LoggedIn: func(name string) { events <- "login " + name },
		Disconnected: func(name string, err error) {
			if err != nil {
				events <- "failed " + name
			} else {
				events <- "stopped " + name
			}
		},
	}
	r := startWatcher(t, w)
	r.waitSynced()
	next := func() string {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(waitLimit):
			t.Fatal("no connection event")
			return ""
		}
	}
	name := s.account().Name
	if e := next(); e != "login "+name {
		t.Fatalf("first event: got %q, want login", e)
	}
	s.stop()
	if e := next(); e != "failed "+name {
		t.Fatalf("after the server stopped: got %q, want failed", e)
	}
	s.start()
	// Attempts while the server was down fail too; then it logs in again.
	for e := next(); e != "login "+name; e = next() {
		if e != "failed "+name {
			t.Fatalf("while reconnecting: got %q", e)
		}
	}
	r.waitSynced()
	r.stop()
	if e := next(); e != "stopped "+name {
		t.Fatalf("at shutdown: got %q, want stopped", e)
	}
	select {
	case e := <-events:
		t.Errorf("after shutdown: %q", e)
	default:
	}
}
