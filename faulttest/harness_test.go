// Package faulttest holds maildesk's fault-injection tests: the real
// `maildesk run` binary is started as a child process against a throwaway
// Dovecot and an in-test SMTP server, killed, starved and lied to, and the
// database is then checked for "nothing lost, nothing twice" (DESIGN.md,
// invariants 1 and 2).
//
// The package has test files only. Its tests build the binary once (TestMain)
// and need Dovecot and root; they skip without them, except under CI, where
// they fail.
package faulttest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	_ "modernc.org/sqlite"

	"github.com/kioi/maildesk/examples"
	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

const password = "demo"

// binary is the maildesk executable built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "maildesk-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "maildesk")
	cmd := exec.Command("go", "build", "-o", binary, "./cmd/maildesk")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build maildesk: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// seed returns the random seed of a test: MAILDESK_FAULT_SEED when set, so a
// failing run can be repeated, otherwise a fresh one. It is always logged.
func seed(t *testing.T) *rand.Rand {
	t.Helper()
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("MAILDESK_FAULT_SEED"); v != "" {
		var err error
		if s, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("MAILDESK_FAULT_SEED=%q: %v", v, err)
		}
	}
	t.Logf("seed %d (repeat with MAILDESK_FAULT_SEED=%d)", s, s)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// --- Dovecot ---------------------------------------------------------------

// needDovecot skips the test where Dovecot cannot run, except in CI, where
// these tests are the proof and must not silently vanish.
func needDovecot(t *testing.T) { t.Helper(); maildesktest.NeedDovecot(t) }

// startDovecot starts a throwaway Dovecot with the password on every
// account.
func startDovecot(t *testing.T, users []string) *dovecot.Server {
	t.Helper()
	return maildesktest.Dovecot(t, users, password)
}

// --- SMTP sink -------------------------------------------------------------

// received is one mail the sink accepted.
type received struct {
	from      string
	to        []string
	messageID string
	raw       []byte
}

// sink is an SMTP server that keeps what it accepts and misbehaves on
// demand: a delay before it answers DATA, 4xx for every transaction, 5xx for
// chosen recipients.
type sink struct {
	srv  *smtp.Server
	addr string

	mu        sync.Mutex
	got       []received
	delay     time.Duration
	tempFail  bool
	reject    map[string]bool
	tempFails int
}

func startSink(t *testing.T) *sink {
	t.Helper()
	s := &sink{reject: map[string]bool{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s}, nil
	}))
	s.srv.Domain = "sink.test"
	s.srv.AllowInsecureAuth = true
	s.srv.ErrorLog = log.New(io.Discard, "", 0) // resets by killed clients are the point
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *sink) set(fn func(s *sink)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s)
}

func (s *sink) mails() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// byMessageID counts accepted mails per Message-ID.
func (s *sink) byMessageID() map[string]int {
	n := map[string]int{}
	for _, r := range s.mails() {
		n[r.messageID]++
	}
	return n
}

type sinkSession struct {
	s    *sink
	from string
	to   []string
}

func (ss *sinkSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *sinkSession) Logout() error { return nil }

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.tempFail {
		ss.s.tempFails++
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	ss.from = from
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.reject[strings.ToLower(to)] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	ss.to = append(ss.to, to)
	return nil
}

// Data accepts the mail only when it answers 250: it records it after the
// delay, as a real MTA commits its queue file before answering.
func (ss *sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	delay := ss.s.delay
	ss.s.mu.Unlock()
	time.Sleep(delay)
	msg, _ := message.Parse(raw)
	id := ""
	if msg != nil {
		id = msg.MessageID
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.got = append(ss.s.got, received{from: ss.from, to: ss.to, messageID: id, raw: raw})
	return nil
}

// --- maildesk configuration and process -------------------------------------

// mailboxNames are the mailboxes of the example configuration; the example
// rules refer to all of them.
var mailboxNames = []string{"fta-pass", "qualification", "education", "correction"}

// env is one maildesk installation: a directory with config, rules and
// database, pointing at an IMAP address and the sink.
type env struct {
	dir, config, db string
	log             *os.File // every run's output, appended
}

func newEnv(t *testing.T, imapAddr, smtpAddr string) *env {
	t.Helper()
	dir := t.TempDir()
	rulesDir := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(examples.FS, "rules/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("example rules: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rulesDir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "imap.secret"), []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ih, ip, _ := net.SplitHostPort(imapAddr)
	sh, sp, _ := net.SplitHostPort(smtpAddr)
	var b strings.Builder
	fmt.Fprintf(&b, "database = \"maildesk.db\"\nrules = \"rules\"\ntimezone = \"Asia/Seoul\"\n\n[smtp]\nhost = %q\nport = %s\nsecurity = \"none\"\n\n", sh, sp)
	for _, m := range mailboxNames {
		fmt.Fprintf(&b, "[[mailbox]]\nname = %q\naddress = \"%s@origin.or.kr\"\nhost = %q\nport = %s\nsecurity = \"none\"\nusername = %q\npassword_file = \"imap.secret\"\n\n",
			m, m, ih, ip, m)
	}
	e := &env{dir: dir, config: filepath.Join(dir, "maildesk.toml"), db: filepath.Join(dir, "maildesk.db")}
	if err := os.WriteFile(e.config, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	e.log, err = os.Create(filepath.Join(dir, "maildesk.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(e.log.Name())
			t.Logf("maildesk log (tail):\n%s", tail(string(b), 6000))
		}
	})
	return e
}

// proc is one running `maildesk run`.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs the daemon; its output goes to the env's log.
func (e *env) start(t *testing.T) *proc {
	t.Helper()
	fmt.Fprintf(e.log, "=== start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(binary, "run", "-config", e.config)
	cmd.Stdout, cmd.Stderr = e.log, e.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

// startReady starts the daemon and waits until it says it is running, so
// that a following SIGTERM reaches its signal handler.
func (e *env) startReady(t *testing.T) *proc {
	t.Helper()
	before := e.countLog(`msg="maildesk running"`)
	p := e.start(t)
	deadline := time.Now().Add(maildesktest.WaitLimit)
	for e.countLog(`msg="maildesk running"`) == before {
		if p.exited() {
			t.Fatalf("maildesk exited at startup: %v", p.err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("maildesk did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks for a clean shutdown and demands exit status 0.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(maildesktest.WaitLimit):
		p.kill()
		t.Fatalf("maildesk did not stop after SIGTERM")
	}
	if p.err != nil {
		t.Fatalf("maildesk run exited: %v", p.err)
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logText is the daemon output so far.
func (e *env) logText() string {
	b, _ := os.ReadFile(e.log.Name())
	return string(b)
}

// countLog counts log lines containing all of the given substrings.
func (e *env) countLog(subs ...string) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(e.logText()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
next:
	for sc.Scan() {
		for _, s := range subs {
			if !strings.Contains(sc.Text(), s) {
				continue next
			}
		}
		n++
	}
	return n
}

// --- database access ---------------------------------------------------------

// rawDB opens the database directly with the driver, for what the store
// package rightly does not offer: watching progress read-only while the
// daemon runs, holding a lock, moving retry times forward.
func (e *env) rawDB(t *testing.T, readOnly bool) *sql.DB {
	t.Helper()
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Set("mode", "ro")
	}
	db, err := sql.Open("sqlite", "file:"+e.db+"?"+q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// progress is what a read-only look at the database shows.
type progress struct {
	in      int            // messages received
	cursors map[string]int // last UID per mailbox
	queued  int            // outbox rows not yet sent
	sent    int
	failed  int
}

func (e *env) progress(t *testing.T) (progress, error) {
	t.Helper()
	if _, err := os.Stat(e.db); err != nil {
		return progress{}, err
	}
	db := e.rawDB(t, true)
	defer db.Close()
	p := progress{cursors: map[string]int{}}
	if err := db.QueryRow(`SELECT count(*) FROM messages WHERE direction = 'in'`).Scan(&p.in); err != nil {
		return p, err
	}
	rows, err := db.Query(`SELECT mailbox, last_uid FROM cursors`)
	if err != nil {
		return p, err
	}
	for rows.Next() {
		var m string
		var u int
		if err := rows.Scan(&m, &u); err != nil {
			rows.Close()
			return p, err
		}
		p.cursors[m] = u
	}
	rows.Close()
	rows, err = db.Query(`SELECT state, count(*) FROM outbox GROUP BY state`)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return p, err
		}
		switch s {
		case store.Queued:
			p.queued = n
		case store.Sent:
			p.sent = n
		case store.Failed:
			p.failed = n
		}
	}
	return p, rows.Err()
}

// waitProgress polls the database until ok holds.
func (e *env) waitProgress(t *testing.T, what string, ok func(progress) bool) progress {
	t.Helper()
	deadline := time.Now().Add(maildesktest.WaitLimit)
	var last progress
	var lastErr error
	for time.Now().Before(deadline) {
		p, err := e.progress(t)
		if err == nil && ok(p) {
			return p
		}
		last, lastErr = p, err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: last seen %+v (err %v)", what, last, lastErr)
	return last
}

// advanceRetries moves every queued delivery's next attempt to now, as if
// the retry delay had passed: the daemon's clock cannot be injected into a
// child process, and the tests must not wait out real minutes. Only call it
// while no daemon runs.
func (e *env) advanceRetries(t *testing.T) {
	t.Helper()
	db := e.rawDB(t, false)
	defer db.Close()
	now := time.Now().UTC().Add(-time.Second).Format("2006-01-02T15:04:05.000Z")
	if _, err := db.Exec(`UPDATE outbox SET next_attempt_at = ? WHERE state = 'queued'`, now); err != nil {
		t.Fatalf("advance retries: %v", err)
	}
}

// snapshot is the final state read through the store package.
type snapshot struct {
	tickets  []*store.Ticket
	messages map[int64][]*store.Message // by ticket
	counts   map[string]int             // direction/kind
	queued   []*store.Delivery
	sent     []*store.Delivery
	failed   []*store.Delivery
	events   map[int64][]store.Event
}

// open reads the whole database through the store package; only call it
// after the daemon stopped.
func (e *env) snapshot(t *testing.T) *snapshot {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s := &snapshot{messages: map[int64][]*store.Message{}, events: map[int64][]store.Event{}}
	err = st.Read(ctx, func(tx *store.Tx) error {
		var err error
		if s.tickets, err = tx.Tickets(ctx, store.TicketFilter{}); err != nil {
			return err
		}
		for _, tk := range s.tickets {
			if s.messages[tk.ID], err = tx.Messages(ctx, tk.ID); err != nil {
				return err
			}
			if s.events[tk.ID], err = tx.Events(ctx, tk.ID); err != nil {
				return err
			}
		}
		if s.counts, err = tx.MessageCounts(ctx); err != nil {
			return err
		}
		if s.queued, err = tx.Deliveries(ctx, store.Queued); err != nil {
			return err
		}
		if s.sent, err = tx.Deliveries(ctx, store.Sent); err != nil {
			return err
		}
		s.failed, err = tx.Deliveries(ctx, store.Failed)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// --- mail ------------------------------------------------------------------

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
