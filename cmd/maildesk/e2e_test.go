package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// stack is the example configuration served by loopback mail servers.
type stack struct {
	t          *testing.T
	dir        string
	mail       *localmail.System
	configPath string
	mboxes     []config.Mailbox
}

func newStack(t *testing.T) *stack {
	t.Helper()
	dir := t.TempDir()
	mboxes, err := exampleMailboxes(dir)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := localmail.Start(localmail.Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	t.Cleanup(func() { checkCustomerMail(t, sys) })
	for _, m := range mboxes {
		if err := sys.AddUser(m.Address, m.Name, demoPassword); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := writeDemoConfig(dir, sys.IMAPAddr(), sys.SMTPAddr(), mboxes)
	if err != nil {
		t.Fatal(err)
	}
	engineConfig(t, cfg)
	return &stack{t: t, dir: dir, mail: sys, configPath: cfg, mboxes: mboxes}
}

// daemon is a running `maildesk run`, in process.
type daemon struct {
	stop   func()
	synced chan string
}

func startDaemon(t *testing.T, configPath string) *daemon {
	t.Helper()
	return startDaemonLog(t, configPath, testLogger(t))
}

// startDaemonLog is startDaemon logging to log.
func startDaemonLog(t *testing.T, configPath string, log *slog.Logger) *daemon {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemon{synced: make(chan string, 100)}
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- runDaemon(ctx, configPath, daemonOptions{
			log: log,
			watcher: func(w *mailbox.Watcher) {
				w.Backoff = mailbox.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}
				w.Synced = func(name string) {
					select {
					case d.synced <- name:
					default:
					}
				}
			},
			ready: func(*desk.Desk) { close(ready) },
		})
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("daemon did not start: %v", err)
	}
	var once sync.Once
	d.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("daemon: %v", err)
			}
		})
	}
	t.Cleanup(d.stop)
	return d
}

// waitSynced waits until every mailbox has completed a catch-up pass.
func (d *daemon) waitSynced(t *testing.T, mailboxes int) {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.After(maildesktest.WaitLimit)
	for len(seen) < mailboxes {
		select {
		case n := <-d.synced:
			seen[n] = true
		case <-deadline:
			t.Fatalf("mailboxes synced: got %d, want %d", len(seen), mailboxes)
		}
	}
}

func (s *stack) send(from string, to []string, raw []byte) {
	s.t.Helper()
	if err := smtp.SendMail(s.mail.SMTPAddr(), nil, from, to, raw); err != nil {
		s.t.Fatalf("send: %v", err)
	}
}

// waitCaptured waits until n mails other than the handlers' notices have
// left maildesk, and returns those in order.
func (s *stack) waitCaptured(n int) []localmail.Captured {
	s.t.Helper()
	deadline := time.Now().Add(maildesktest.WaitLimit)
	for {
		got := s.captured()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %d sent mails: got %d", n, len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// captured lists the mails sent, but the handlers' notices.
func (s *stack) captured() []localmail.Captured {
	return capturedKind(s.mail, func(kind string) bool { return kind != desk.KindStaffNotice })
}

// staffNotices lists the handlers' notices sent.
func (s *stack) staffNotices() []localmail.Captured {
	return capturedKind(s.mail, func(kind string) bool { return kind == desk.KindStaffNotice })
}

// tokenPattern is a reply address with its token, as desk writes it.
var tokenPattern = regexp.MustCompile(`(?i)\+t[0-9]+\.[a-z2-7]{10}@`)

// staffOnlyLines are lines of the built-in notices to staff that no mail
// to a customer may carry.
var staffOnlyLines = []string{
	"이 메일에 회신하시면 회신 내용이 고객에게 전달됩니다",
	"답변 위쪽 첫 줄에 다음 명령을 쓸 수 있습니다",
	"Reply to this mail to answer",
	"Commands on the first lines",
	"지금까지의 기록:",
}

// checkCustomerMail fails t if a mail that left maildesk for anyone but
// the institute's own addresses carries a reply token or the text of a
// staff notice (DESIGN invariant 8). Every end-to-end stack runs it when
// its test ends.
func checkCustomerMail(t *testing.T, sys *localmail.System) {
	t.Helper()
	for i, c := range sys.Captured() {
		customer := false
		for _, rcpt := range c.To {
			customer = customer || !strings.HasSuffix(strings.ToLower(rcpt), "@origin.or.kr")
		}
		if !customer {
			continue
		}
		m, err := message.Parse(c.Raw)
		if m == nil {
			t.Errorf("mail %d to %v cannot be read: %v", i, c.To, err)
			continue
		}
		var hdr strings.Builder
		for f := m.Header.Fields(); f.Next(); {
			hdr.WriteString(f.Value() + "\n")
		}
		for _, part := range []string{hdr.String(), m.Subject, m.Text} {
			if loc := tokenPattern.FindStringIndex(part); loc != nil {
				t.Errorf("mail %d to %v (%s) carries a reply token: %q", i, c.To, m.Header.Get("X-Maildesk-Kind"), part[max(0, loc[0]-40):loc[1]])
			}
			for _, l := range staffOnlyLines {
				if strings.Contains(part, l) {
					t.Errorf("mail %d to %v (%s) carries staff notice text %q", i, c.To, m.Header.Get("X-Maildesk-Kind"), l)
				}
			}
		}
	}
}

func capturedKind(sys *localmail.System, keep func(string) bool) []localmail.Captured {
	var out []localmail.Captured
	for _, c := range sys.Captured() {
		m, _ := message.Parse(c.Raw)
		if m != nil && keep(m.Header.Get("X-Maildesk-Kind")) {
			out = append(out, c)
		}
	}
	return out
}

// db opens the daemon's database alongside it (WAL lets both in).
func (s *stack) db() *store.Store {
	s.t.Helper()
	cfg, err := config.Load(s.configPath)
	if err != nil {
		s.t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.Close() })
	return st
}

type snapshot struct {
	tickets  []*store.Ticket
	messages map[int64][]*store.Message
	outbox   []*store.Delivery // all but the handlers' notices
	staff    []*store.Delivery // the handlers' notices
	cursors  map[string]uint32 // last UID stored, by mailbox
}

func (s *stack) snapshot(st *store.Store) snapshot {
	s.t.Helper()
	ctx := context.Background()
	snap := snapshot{messages: map[int64][]*store.Message{}, cursors: map[string]uint32{}}
	err := st.Read(ctx, func(tx *store.Tx) error {
		var err error
		if snap.tickets, err = tx.Tickets(ctx, store.TicketFilter{}); err != nil {
			return err
		}
		for _, tk := range snap.tickets {
			if snap.messages[tk.ID], err = tx.Messages(ctx, tk.ID); err != nil {
				return err
			}
		}
		for _, m := range s.mboxes {
			_, uid, err := tx.Cursor(ctx, m.Name)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			snap.cursors[m.Name] = uid
		}
		all, err := tx.Deliveries(ctx, "")
		for _, d := range all {
			if d.Kind == desk.KindStaffNotice {
				snap.staff = append(snap.staff, d)
			} else {
				snap.outbox = append(snap.outbox, d)
			}
		}
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return snap
}

// setConfig puts top-level lines (such as `templates = "tmpl"`) at the
// head of the stack's maildesk.toml, before its first table.
func (s *stack) setConfig(lines ...string) {
	s.t.Helper()
	cfg, err := os.ReadFile(s.configPath)
	if err != nil {
		s.t.Fatal(err)
	}
	head := strings.Join(lines, "\n") + "\n"
	if err := os.WriteFile(s.configPath, append([]byte(head), cfg...), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// waitFor polls the database until cond holds.
func (s *stack) waitFor(st *store.Store, what string, cond func(snapshot) bool) snapshot {
	s.t.Helper()
	deadline := time.Now().Add(maildesktest.WaitLimit)
	pause := 20 * time.Millisecond
	for {
		snap := s.snapshot(st)
		if cond(snap) {
			return snap
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s: gave up after %v; last state: %s", what, maildesktest.WaitLimit, snap)
		}
		// Each snapshot reads every ticket: poll less often as the wait
		// goes on, so a slow machine (or -race) is not slowed further.
		time.Sleep(pause)
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// String summarises a snapshot for failure messages.
func (sn snapshot) String() string {
	in, out := 0, 0
	for _, ms := range sn.messages {
		for _, m := range ms {
			if m.Direction == store.In {
				in++
			} else {
				out++
			}
		}
	}
	states := map[string]int{}
	for _, d := range append(append([]*store.Delivery(nil), sn.outbox...), sn.staff...) {
		states[d.State]++
	}
	return fmt.Sprintf("%d tickets, %d messages in, %d out; outbox by state %v (%d handler notices); cursors %v",
		len(sn.tickets), in, out, states, len(sn.staff), sn.cursors)
}

// checkAck asserts what the charter promises of an acknowledgement.
func checkAck(t *testing.T, c localmail.Captured, to, inReplyTo, tag, handlerPhone string) *message.Message {
	t.Helper()
	if len(c.To) != 1 || c.To[0] != to {
		t.Errorf("ack recipients: got %v, want [%s]", c.To, to)
	}
	m, err := message.Parse(c.Raw)
	if err != nil {
		t.Fatalf("parse ack: %v", err)
	}
	if !strings.HasPrefix(m.Subject, tag+" ") {
		t.Errorf("ack subject: got %q, want prefix %q", m.Subject, tag)
	}
	if got := m.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted: got %q, want auto-replied", got)
	}
	if len(m.InReplyTo) != 1 || m.InReplyTo[0] != inReplyTo {
		t.Errorf("In-Reply-To: got %v, want [%s]", m.InReplyTo, inReplyTo)
	}
	if !strings.Contains(m.Text, handlerPhone) {
		t.Errorf("ack text lacks the handler's phone %s:\n%s", handlerPhone, m.Text)
	}
	// Subjects are RFC 2047 encoded on the wire: the raw header is ASCII.
	hdr, _, _ := bytes.Cut(c.Raw, []byte("\r\n\r\n"))
	for _, b := range hdr {
		if b >= 0x80 {
			t.Fatalf("ack header has a raw 8-bit byte: %q", hdr)
		}
	}
	return m
}

func TestEndToEndInquiryAckReplyRestart(t *testing.T) {
	s := newStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))

	// A Korean inquiry gets a ticket and an acknowledgement naming the handler.
	s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("=?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>", "fta-pass@origin.or.kr",
			"=?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?=", "q1@example.co.kr", "원산지확인서 발급 방법을 알려주세요.\r\n"))
	caps := s.waitCaptured(1)
	ack := checkAck(t, caps[0], "kim@example.co.kr", "q1@example.co.kr", "[FTA-PASS #1]", "031-600-0722")
	if !strings.Contains(ack.Subject, "원산지 문의") {
		t.Errorf("ack subject: got %q, want the customer's subject", ack.Subject)
	}
	snap := s.waitFor(st, "ack delivered", func(sn snapshot) bool {
		return len(sn.outbox) == 1 && sn.outbox[0].State == store.Sent
	})
	tk := snap.tickets[0]
	if tk.Handler.Phone != "031-600-0722" || tk.Customer != "kim@example.co.kr" || tk.DueAt == nil {
		t.Errorf("ticket: got %+v", tk)
	}
	// The example counts 48 hours on working days: from whenever the test
	// runs, the due time is 48 hours of working days later, weekends and
	// holidays skipped.
	if got, want := *tk.DueAt, rules.DefaultCalendar(nil).Add(tk.CreatedAt, 48*time.Hour, rules.ClockBusinessDays); !got.Equal(want) {
		t.Errorf("reply window: got due %v for %v, want %v (48h of working days)", got, tk.CreatedAt, want)
	}

	// The customer's reply to the acknowledgement joins the same ticket and
	// is not acknowledged again.
	s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "Re: "+ack.Subject, "q2@example.co.kr",
			"추가로 질문드립니다.\r\n", "In-Reply-To: <"+ack.MessageID+">", "References: <q1@example.co.kr> <"+ack.MessageID+">"))
	snap = s.waitFor(st, "reply stored", func(sn snapshot) bool {
		return len(sn.tickets) == 1 && maildesktest.CountKind(sn.messages[tk.ID], desk.KindFollowUp) == 1
	})

	// The same reply quoting only the tag in the subject, from the same
	// customer, also threads; from someone else it opens a new ticket.
	s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "RE: [FTA-PASS #1] 또 문의", "q3@example.co.kr", "세번째\r\n"))
	s.send("lee@example.com", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("lee@example.com", "fta-pass@origin.or.kr", "RE: [FTA-PASS #1] 저도 문의", "q4@example.com", "다른 고객\r\n"))
	snap = s.waitFor(st, "tag threading", func(sn snapshot) bool {
		return len(sn.tickets) == 2 && maildesktest.CountKind(sn.messages[tk.ID], desk.KindFollowUp) == 2
	})
	caps = s.waitCaptured(2)
	checkAck(t, caps[1], "lee@example.com", "q4@example.com", "[FTA-PASS #2]", "031-600-0722")

	// Automatic mail is stored but never answered.
	s.send("robot@example.com", []string{"qualification@origin.or.kr"},
		maildesktest.Inquiry("robot@example.com", "qualification@origin.or.kr", "Out of office", "auto1@example.com",
			"I am away.\r\n", "Auto-Submitted: auto-replied"))
	s.send("MAILER-DAEMON@example.com", []string{"education@origin.or.kr"},
		maildesktest.Inquiry("Mail Delivery System <MAILER-DAEMON@example.com>", "education@origin.or.kr", "Undelivered Mail", "bounce1@example.com",
			"bounce\r\n"))

	// The same message delivered twice makes one ticket and one ack.
	dup := maildesktest.Inquiry("park@example.com", "correction@origin.or.kr", "=?UTF-8?B?7Iuc7KCV7JqU7LKt?=", "dup@example.com", "시정을 요청합니다.\r\n")
	if err := s.mail.Deliver("correction@origin.or.kr", dup); err != nil {
		t.Fatal(err)
	}
	if err := s.mail.Deliver("correction@origin.or.kr", dup); err != nil {
		t.Fatal(err)
	}
	caps = s.waitCaptured(3)
	checkAck(t, caps[2], "park@example.com", "dup@example.com", "[CORR #1]", "031-600-0734") // numbers count per tag
	wantCursors := map[string]uint32{"fta-pass": 4, "qualification": 1, "education": 1, "correction": 2}
	before := s.waitFor(st, "everything stored, outbox drained", func(sn snapshot) bool {
		if !maps.Equal(sn.cursors, wantCursors) {
			return false
		}
		for _, o := range sn.outbox {
			if o.State != store.Sent {
				return false
			}
		}
		return len(sn.outbox) == 3
	})
	if len(before.tickets) != 3 {
		t.Fatalf("tickets: got %d, want 3 (automatic mail opens none, a duplicate none)", len(before.tickets))
	}
	if got := len(s.captured()); got != 3 {
		t.Fatalf("mails sent: got %d, want 3", got)
	}

	// A restart fetches nothing new and sends nothing new.
	d.stop()
	d = startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	after := s.snapshot(st)
	if len(after.tickets) != len(before.tickets) || len(after.outbox) != len(before.outbox) {
		t.Fatalf("after restart: got %d tickets %d outbox, want %d and %d",
			len(after.tickets), len(after.outbox), len(before.tickets), len(before.outbox))
	}
	for id, ms := range before.messages {
		if len(after.messages[id]) != len(ms) {
			t.Errorf("ticket %d after restart: got %d messages, want %d", id, len(after.messages[id]), len(ms))
		}
	}
	if got := len(s.captured()); got != 3 {
		t.Fatalf("mails sent after restart: got %d, want 3", got)
	}
	d.stop()
}

func TestDemoAcknowledgesTheREADMEInquiry(t *testing.T) {
	dir := t.TempDir()
	ready := make(chan *demoSystem, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	var outMu sync.Mutex
	errc := make(chan error, 1)
	go func() {
		errc <- runDemo(ctx, demoOptions{dir: dir, imapAddr: "127.0.0.1:0", smtpAddr: "127.0.0.1:0",
			out: lockedWriter{&outMu, &out}, log: testLogger(t), ready: func(d *demoSystem) { ready <- d }})
	}()
	var sys *demoSystem
	select {
	case sys = <-ready:
	case err := <-errc:
		t.Fatalf("demo stopped: %v", err)
	case <-time.After(maildesktest.WaitLimit):
		t.Fatal("demo did not start")
	}
	// Send the file the demo wrote, as the printed curl command would.
	raw, err := os.ReadFile(filepath.Join(dir, "inquiry.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := smtp.SendMail(sys.mail.SMTPAddr(), nil, "customer@example.com", []string{"fta-pass@origin.or.kr"}, raw); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, maildesktest.WaitLimit)
	defer wcancel()
	caps, err := sys.mail.WaitCaptured(wctx, 1)
	if err != nil {
		t.Fatalf("no acknowledgement: %v", err)
	}
	m, err := message.Parse(caps[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "031-600-0722") || !strings.Contains(m.Subject, "[FTA-PASS #1]") {
		t.Errorf("ack: subject %q, text:\n%s", m.Subject, m.Text)
	}
	// The printed defer command sends the delay notice at once.
	outMu.Lock()
	printed := out.String()
	outMu.Unlock()
	var deferArgs []string
	for _, line := range strings.Split(printed, "\n") {
		if i := strings.Index(line, " ticket defer "); i >= 0 {
			deferArgs = shellFields(line[i+1:])
		}
	}
	if len(deferArgs) == 0 {
		t.Fatalf("demo output has no ticket defer command:\n%s", printed)
	}
	if out, err := runCLI(t, deferArgs...); err != nil {
		t.Fatalf("%v: %v\n%s", deferArgs, err, out)
	}
	var notice *message.Message
	maildesktest.WaitUntil(t, "the delay notice after the printed defer command", func() bool {
		notices := capturedKind(sys.mail, func(kind string) bool { return kind == desk.KindNotice })
		if len(notices) > 0 {
			notice, _ = message.Parse(notices[0].Raw)
		}
		return notice != nil
	})
	if !strings.Contains(notice.Text, "관계 기관 확인이 필요합니다") {
		t.Errorf("delay notice lacks the reason:\n%s", notice.Text)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("demo: %v", err)
	}
	outMu.Lock()
	printed = out.String()
	outMu.Unlock()
	for _, want := range []string{"curl -s smtp://", "--mail-rcpt fta-pass@origin.or.kr", "031-600-0722", "sent/0001.eml"} {
		if !strings.Contains(printed, want) {
			t.Errorf("demo output lacks %q:\n%s", want, printed)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sent", "0001.eml")); err != nil {
		t.Errorf("saved acknowledgement: %v", err)
	}
}

// shellFields splits a printed command line as a shell would, for the
// double quotes the demo uses.
func shellFields(line string) []string {
	var fields []string
	for i, part := range strings.Split(line, `"`) {
		if i%2 == 1 {
			fields = append(fields, part)
			continue
		}
		fields = append(fields, strings.Fields(part)...)
	}
	return fields
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
