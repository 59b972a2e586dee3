package localmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// failAfter bounds how long a test waits for something that should happen
// promptly; it only turns a hang into a failure and is never asserted on.
const failAfter = 10 * time.Second

var fixedNow = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// testLogger sends the system's log to the test's log, shown on failure or
// with -v. It would panic if anything logged after the test ended, which is
// how a goroutine outliving Close would show itself.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func newSystem(t *testing.T) *System {
	t.Helper()
	s, err := Start(Options{Now: func() time.Time { return fixedNow }, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func addUser(t *testing.T, s *System, address, username, password string) {
	t.Helper()
	if err := s.AddUser(address, username, password); err != nil {
		t.Fatalf("AddUser(%q, %q): %v", address, username, err)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func sendMail(s *System, auth smtp.Auth, from string, to []string, raw []byte) error {
	return smtp.SendMail(s.SMTPAddr(), auth, from, to, raw)
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	t.Cleanup(cancel)
	return ctx
}

// fetchInbox logs in over IMAP and returns the full bodies and internal dates
// of every message in INBOX, in UID order.
func fetchInbox(t *testing.T, s *System, username, password string) ([][]byte, []time.Time) {
	t.Helper()
	c, err := imapclient.DialInsecure(s.IMAPAddr(), nil)
	if err != nil {
		t.Fatalf("dial imap: %v", err)
	}
	defer c.Close()
	if err := c.Login(username, password).Wait(); err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("select INBOX: %v", err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(func() imap.SeqSet { var ss imap.SeqSet; ss.AddRange(1, 0); return ss }(), &imap.FetchOptions{
		UID:          true,
		InternalDate: true,
		BodySection:  []*imap.FetchItemBodySection{section},
	}).Collect()
	if err != nil {
		t.Fatalf("fetch INBOX: %v", err)
	}
	slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return int(a.UID) - int(b.UID) })
	var bodies [][]byte
	var dates []time.Time
	for _, m := range msgs {
		bodies = append(bodies, m.FindBodySection(section))
		dates = append(dates, m.InternalDate)
	}
	if err := c.Logout().Wait(); err != nil {
		t.Errorf("logout: %v", err)
	}
	return bodies, dates
}

func trace(from, rcpt string, raw []byte) []byte {
	return append([]byte("Return-Path: <"+from+">\r\nDelivered-To: "+rcpt+"\r\n"), raw...)
}

func TestSendLocalAndForeign(t *testing.T) {
	raw := readFixture(t, "plain.eml")
	type inboxWant map[string][][]byte // username -> bodies
	tests := []struct {
		name         string
		from         string
		to           []string
		wantInbox    inboxWant
		wantCaptured []Captured
	}{{
		name:      "local only",
		from:      "customer@example.com",
		to:        []string{"fta-pass@origin.or.kr"},
		wantInbox: inboxWant{"fta-pass": {trace("customer@example.com", "fta-pass@origin.or.kr", raw)}},
	}, {
		name: "foreign only",
		from: "fta-pass@origin.or.kr",
		to:   []string{"customer@example.com"},
		wantCaptured: []Captured{
			{From: "fta-pass@origin.or.kr", To: []string{"customer@example.com"}, Raw: raw, At: fixedNow},
		},
	}, {
		name:      "local and two foreign make one capture",
		from:      "customer@example.com",
		to:        []string{"boss@example.net", "fta-pass@origin.or.kr", "other@example.org"},
		wantInbox: inboxWant{"fta-pass": {trace("customer@example.com", "fta-pass@origin.or.kr", raw)}},
		wantCaptured: []Captured{
			{From: "customer@example.com", To: []string{"boss@example.net", "other@example.org"}, Raw: raw, At: fixedNow},
		},
	}, {
		name: "plus-addressed with upper-case domain",
		from: "customer@example.com",
		to:   []string{"fta-pass+t12.abc@ORIGIN.or.KR"},
		wantInbox: inboxWant{
			"fta-pass": {trace("customer@example.com", "fta-pass+t12.abc@ORIGIN.or.KR", raw)},
		},
	}, {
		name: "two users and a repeated recipient",
		from: "customer@example.com",
		to:   []string{"fta-pass@origin.or.kr", "voc@origin.or.kr", "FTA-PASS@origin.or.kr", "x@example.com", "X@example.com"},
		wantInbox: inboxWant{
			"fta-pass": {trace("customer@example.com", "fta-pass@origin.or.kr", raw)},
			"voc":      {trace("customer@example.com", "voc@origin.or.kr", raw)},
		},
		wantCaptured: []Captured{
			{From: "customer@example.com", To: []string{"x@example.com"}, Raw: raw, At: fixedNow},
		},
	}, {
		name: "null sender",
		from: "",
		to:   []string{"fta-pass@origin.or.kr"},
		wantInbox: inboxWant{
			"fta-pass": {trace("", "fta-pass@origin.or.kr", raw)},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSystem(t)
			addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "secret1")
			addUser(t, s, "voc@origin.or.kr", "voc", "secret2")
			passwords := map[string]string{"fta-pass": "secret1", "voc": "secret2"}

			if err := sendMail(s, nil, tt.from, tt.to, raw); err != nil {
				t.Fatalf("send: %v", err)
			}
			for _, user := range []string{"fta-pass", "voc"} {
				got, dates := fetchInbox(t, s, user, passwords[user])
				want := tt.wantInbox[user]
				if len(got) != len(want) {
					t.Fatalf("%s INBOX: got %d messages, want %d", user, len(got), len(want))
				}
				for i := range got {
					if !bytes.Equal(got[i], want[i]) {
						t.Errorf("%s INBOX message %d:\ngot %q\nwant %q", user, i+1, got[i], want[i])
					}
					if !dates[i].Equal(fixedNow) {
						t.Errorf("%s INBOX message %d internal date: got %v, want %v", user, i+1, dates[i], fixedNow)
					}
				}
			}
			checkCaptured(t, s.Captured(), tt.wantCaptured)
		})
	}
}

func checkCaptured(t *testing.T, got, want []Captured) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("captured: got %d mails, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.From != w.From || !slices.Equal(g.To, w.To) || !g.At.Equal(w.At) {
			t.Errorf("captured %d: got from %q to %v at %v, want from %q to %v at %v", i, g.From, g.To, g.At, w.From, w.To, w.At)
		}
		if !bytes.Equal(g.Raw, w.Raw) {
			t.Errorf("captured %d raw:\ngot %q\nwant %q", i, g.Raw, w.Raw)
		}
	}
}

func TestCapturedReturnsCopies(t *testing.T) {
	s := newSystem(t)
	if err := sendMail(s, nil, "a@example.com", []string{"b@example.com"}, readFixture(t, "plain.eml")); err != nil {
		t.Fatalf("send: %v", err)
	}
	first := s.Captured()
	first[0].Raw[0] = 'X'
	first[0].To[0] = "changed"
	second := s.Captured()
	if second[0].Raw[0] == 'X' || second[0].To[0] == "changed" {
		t.Errorf("Captured shares memory with the system: got %q to %v", second[0].Raw[:10], second[0].To)
	}
}

func TestDotStuffingRoundTrip(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
	raw := readFixture(t, "dotted.eml")
	if err := sendMail(s, nil, "a@example.com", []string{"fta-pass@origin.or.kr", "b@example.com"}, raw); err != nil {
		t.Fatalf("send: %v", err)
	}
	checkCaptured(t, s.Captured(), []Captured{{From: "a@example.com", To: []string{"b@example.com"}, Raw: raw, At: fixedNow}})
	got, _ := fetchInbox(t, s, "fta-pass", "pw")
	if want := trace("a@example.com", "fta-pass@origin.or.kr", raw); len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Errorf("INBOX: got %q, want [%q]", got, want)
	}
}

func TestAuthPlainAnyCredentials(t *testing.T) {
	s := newSystem(t)
	host, _, _ := net.SplitHostPort(s.SMTPAddr())
	for _, auth := range []smtp.Auth{
		smtp.PlainAuth("", "helpdesk", "whatever", host),
		smtp.PlainAuth("someone", "other", "", host),
	} {
		if err := sendMail(s, auth, "a@example.com", []string{"b@example.com"}, readFixture(t, "plain.eml")); err != nil {
			t.Errorf("send with AUTH PLAIN: %v", err)
		}
	}
	if got := len(s.Captured()); got != 2 {
		t.Errorf("captured: got %d, want 2", got)
	}
}

func TestIdlePushesExists(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")

	exists := make(chan uint32, 10)
	c, err := imapclient.DialInsecure(s.IMAPAddr(), &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					exists <- *data.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatalf("dial imap: %v", err)
	}
	defer c.Close()
	if err := c.Login("fta-pass", "pw").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("idle: %v", err)
	}

	// One push from SMTP delivery, one from Deliver.
	if err := sendMail(s, nil, "a@example.com", []string{"fta-pass+t1.x@origin.or.kr"}, readFixture(t, "plain.eml")); err != nil {
		t.Fatalf("send: %v", err)
	}
	for want := uint32(1); want <= 2; want++ {
		if want == 2 {
			if err := s.Deliver("fta-pass@origin.or.kr", readFixture(t, "dotted.eml")); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
		}
		select {
		case got := <-exists:
			if got != want {
				t.Errorf("EXISTS: got %d, want %d", got, want)
			}
		case <-time.After(failAfter):
			t.Fatalf("no EXISTS %d pushed during IDLE", want)
		}
	}
	if err := idle.Close(); err != nil {
		t.Fatalf("idle close: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("idle wait: %v", err)
	}
}

// TestIdleAnnouncesMailFromBeforeIdle covers the window between a client's
// last command and IDLE: mail delivered there must be announced when IDLE
// starts, not with the next delivery.
func TestIdleAnnouncesMailFromBeforeIdle(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
	exists := make(chan uint32, 10)
	c, err := imapclient.DialInsecure(s.IMAPAddr(), &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					exists <- *data.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatalf("dial imap: %v", err)
	}
	defer c.Close()
	if err := c.Login("fta-pass", "pw").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	if err := s.Deliver("fta-pass@origin.or.kr", readFixture(t, "plain.eml")); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("idle: %v", err)
	}
	select {
	case got := <-exists:
		if got != 1 {
			t.Errorf("EXISTS: got %d, want 1", got)
		}
	case <-time.After(failAfter):
		t.Fatal("mail delivered before IDLE was not announced")
	}
	if err := idle.Close(); err != nil {
		t.Fatalf("idle close: %v", err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatalf("idle wait: %v", err)
	}
}

func TestRefuse(t *testing.T) {
	tests := []struct {
		code int
	}{{451}, {550}, {421}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			s := newSystem(t)
			addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
			raw := readFixture(t, "plain.eml")

			s.Refuse(tt.code)
			for _, rcpt := range []string{"fta-pass@origin.or.kr", "customer@example.com"} {
				err := sendMail(s, nil, "a@example.com", []string{rcpt}, raw)
				var protoErr *textproto.Error
				if !errors.As(err, &protoErr) {
					t.Fatalf("send to %s while refusing: got %v, want an SMTP error", rcpt, err)
				}
				if protoErr.Code != tt.code {
					t.Errorf("send to %s: got code %d, want %d", rcpt, protoErr.Code, tt.code)
				}
			}
			if got := s.Captured(); len(got) != 0 {
				t.Errorf("captured while refusing: got %d, want 0", len(got))
			}

			s.Refuse(0)
			if err := sendMail(s, nil, "a@example.com", []string{"fta-pass@origin.or.kr", "customer@example.com"}, raw); err != nil {
				t.Fatalf("send after Refuse(0): %v", err)
			}
			if got := len(s.Captured()); got != 1 {
				t.Errorf("captured after Refuse(0): got %d, want 1", got)
			}
			if got, _ := fetchInbox(t, s, "fta-pass", "pw"); len(got) != 1 {
				t.Errorf("INBOX after Refuse(0): got %d messages, want 1", len(got))
			}
		})
	}
}

func TestRefuseRejectsNonFailureCode(t *testing.T) {
	s := newSystem(t)
	for _, code := range []int{-1, 250, 399, 600} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Refuse(%d): got no panic, want one", code)
				}
			}()
			s.Refuse(code)
		}()
	}
}

func TestMessageTooLarge(t *testing.T) {
	s, err := start(Options{Logger: testLogger(t)}, 1024)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Close()
	big := []byte("Subject: big\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef\r\n", 100))
	err = sendMail(s, nil, "a@example.com", []string{"b@example.com"}, big)
	var protoErr *textproto.Error
	if !errors.As(err, &protoErr) || protoErr.Code != 552 {
		t.Fatalf("send over the limit: got %v, want a 552 error", err)
	}
	if got := len(s.Captured()); got != 0 {
		t.Errorf("captured: got %d, want 0", got)
	}
	// The connection that failed does not poison the server.
	if err := sendMail(s, nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: small\r\n\r\nok\r\n")); err != nil {
		t.Errorf("send under the limit: %v", err)
	}
}

func TestDeliver(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
	raw := readFixture(t, "plain.eml")

	tests := []struct {
		address string
		wantErr error
	}{
		{"fta-pass@origin.or.kr", nil},
		{"Fta-Pass+t7.k3j9x@Origin.OR.kr", nil},
		{"<fta-pass@origin.or.kr>", nil},
		{"voc@origin.or.kr", ErrUnknownAddress},
		{"fta-pass@origin.or.kr.evil", ErrUnknownAddress},
		{"not an address", ErrUnknownAddress},
	}
	delivered := 0
	for _, tt := range tests {
		err := s.Deliver(tt.address, raw)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Deliver(%q): got %v, want %v", tt.address, err, tt.wantErr)
		}
		if err == nil {
			delivered++
		}
	}
	got, dates := fetchInbox(t, s, "fta-pass", "pw")
	if len(got) != delivered {
		t.Fatalf("INBOX: got %d messages, want %d", len(got), delivered)
	}
	for i := range got {
		if !bytes.Equal(got[i], raw) {
			t.Errorf("message %d: got %q, want %q", i+1, got[i], raw)
		}
		if !dates[i].Equal(fixedNow) {
			t.Errorf("message %d internal date: got %v, want %v", i+1, dates[i], fixedNow)
		}
	}
}

func TestAddUserErrors(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
	tests := []struct {
		name, address, username string
	}{
		{"same address", "fta-pass@origin.or.kr", "other"},
		{"same address in other case", "FTA-PASS@Origin.or.kr", "other"},
		{"same username", "voc@origin.or.kr", "fta-pass"},
		{"plus detail", "voc+x@origin.or.kr", "voc"},
		{"no at", "voc", "voc"},
		{"no domain", "voc@", "voc"},
		{"empty username", "voc@origin.or.kr", ""},
		{"space", "v oc@origin.or.kr", "voc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.AddUser(tt.address, tt.username, "pw"); err == nil {
				t.Errorf("AddUser(%q, %q): got nil error, want one", tt.address, tt.username)
			}
		})
	}
	// A failed AddUser leaves nothing behind.
	addUser(t, s, "voc@origin.or.kr", "voc", "pw")
}

func TestWrongPasswordRefused(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
	c, err := imapclient.DialInsecure(s.IMAPAddr(), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if err := c.Login("fta-pass", "wrong").Wait(); err == nil {
		t.Errorf("login with a wrong password: got nil error, want one")
	}
}

func TestStartRejectsNonLoopback(t *testing.T) {
	tests := []Options{
		{IMAPAddr: "0.0.0.0:0"},
		{SMTPAddr: ":0"},
		{IMAPAddr: "192.0.2.1:143"},
		{SMTPAddr: "example.com:25"},
		{IMAPAddr: "no-port"},
	}
	for _, opts := range tests {
		if s, err := Start(opts); err == nil {
			s.Close()
			t.Errorf("Start(%+v): got nil error, want one", opts)
		}
	}
	for _, opts := range []Options{{IMAPAddr: "localhost:0"}, {SMTPAddr: "[::1]:0"}} {
		s, err := Start(opts)
		if err != nil {
			if strings.Contains(err.Error(), "loopback") {
				t.Errorf("Start(%+v): got %v, want it accepted as loopback", opts, err)
			}
			continue // e.g. no IPv6 on this machine
		}
		s.Close()
	}
}

// freePort finds a port for the fixed-port test. Another process could take
// it in between, which on a test machine is rare enough.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRestartOnSamePorts(t *testing.T) {
	opts := Options{IMAPAddr: freePort(t), SMTPAddr: freePort(t)}
	raw := readFixture(t, "plain.eml")
	for round := 1; round <= 3; round++ {
		opts.Logger = testLogger(t)
		s, err := Start(opts)
		if err != nil {
			t.Fatalf("round %d: Start: %v", round, err)
		}
		if s.IMAPAddr() != opts.IMAPAddr || s.SMTPAddr() != opts.SMTPAddr {
			t.Errorf("round %d: got %s and %s, want %s and %s", round, s.IMAPAddr(), s.SMTPAddr(), opts.IMAPAddr, opts.SMTPAddr)
		}
		addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
		if err := sendMail(s, nil, "a@example.com", []string{"fta-pass@origin.or.kr"}, raw); err != nil {
			t.Fatalf("round %d: send: %v", round, err)
		}
		// Keep a logged-in IMAP connection open across Close: Close must
		// drop it rather than wait for it.
		c, err := imapclient.DialInsecure(s.IMAPAddr(), nil)
		if err != nil {
			t.Fatalf("round %d: dial: %v", round, err)
		}
		defer c.Close()
		if err := c.Login("fta-pass", "pw").Wait(); err != nil {
			t.Fatalf("round %d: login: %v", round, err)
		}
		if got, _ := fetchInbox(t, s, "fta-pass", "pw"); len(got) != 1 {
			t.Errorf("round %d: INBOX: got %d messages, want 1 (state must not survive Close)", round, len(got))
		}
		if err := s.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		select {
		case <-c.Closed():
		case <-time.After(failAfter):
			t.Fatalf("round %d: IMAP client still connected after Close", round)
		}
		if err := s.Close(); err != nil {
			t.Errorf("round %d: second Close: got %v, want nil", round, err)
		}
	}
}

func TestCloseDropsIdleAndHalfDoneClients(t *testing.T) {
	s, err := Start(Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")

	c, err := imapclient.DialInsecure(s.IMAPAddr(), nil)
	if err != nil {
		t.Fatalf("dial imap: %v", err)
	}
	defer c.Close()
	if err := c.Login("fta-pass", "pw").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatalf("select: %v", err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatalf("idle: %v", err)
	}

	sc, err := smtp.Dial(s.SMTPAddr())
	if err != nil {
		t.Fatalf("dial smtp: %v", err)
	}
	defer sc.Close()
	if err := sc.Mail("a@example.com"); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := sc.Rcpt("b@example.com"); err != nil {
		t.Fatalf("RCPT: %v", err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := idle.Wait(); err == nil {
		t.Errorf("IDLE after Close: got nil error, want the connection gone")
	}
	if _, err := sc.Data(); err == nil {
		t.Errorf("DATA after Close: got nil error, want the connection gone")
	}
	if err := s.Deliver("fta-pass@origin.or.kr", []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Deliver after Close: got %v, want %v", err, ErrClosed)
	}
	if err := s.AddUser("voc@origin.or.kr", "voc", "pw"); !errors.Is(err, ErrClosed) {
		t.Errorf("AddUser after Close: got %v, want %v", err, ErrClosed)
	}
}

func TestWaitCaptured(t *testing.T) {
	s := newSystem(t)
	raw := readFixture(t, "plain.eml")

	if got, err := s.WaitCaptured(ctxTimeout(t), 0); err != nil || len(got) != 0 {
		t.Errorf("WaitCaptured(0): got %d mails and %v, want 0 and nil", len(got), err)
	}

	sendErr := make(chan error, 1)
	go func() {
		var err error
		for i := range 3 {
			if err = sendMail(s, nil, "a@example.com", []string{fmt.Sprintf("c%d@example.com", i)}, raw); err != nil {
				break
			}
		}
		sendErr <- err
	}()
	got, err := s.WaitCaptured(ctxTimeout(t), 3)
	if err != nil {
		t.Fatalf("WaitCaptured(3): %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("WaitCaptured(3): got %d mails, want 3", len(got))
	}
	for i, c := range got {
		if want := fmt.Sprintf("c%d@example.com", i); len(c.To) != 1 || c.To[0] != want {
			t.Errorf("mail %d: got to %v, want [%s]", i, c.To, want)
		}
	}
	if err := <-sendErr; err != nil {
		t.Fatalf("send: %v", err)
	}

	// A context that ends returns what there is, with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got, err = s.WaitCaptured(ctx, 4)
	if !errors.Is(err, context.Canceled) || len(got) != 3 {
		t.Errorf("WaitCaptured(4) with a cancelled context: got %d mails and %v, want 3 and %v", len(got), err, context.Canceled)
	}
}

func TestWaitCapturedWokenByClose(t *testing.T) {
	s, err := Start(Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	errc := make(chan error, 1)
	started := make(chan struct{})
	s.OnCapture(func(Captured) { close(started) })
	go func() {
		_, err := s.WaitCaptured(context.Background(), 2)
		errc <- err
	}()
	// Wait until the waiter has seen one capture, so it is surely blocked
	// when Close runs.
	if err := sendMail(s, nil, "a@example.com", []string{"b@example.com"}, []byte("Subject: x\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("send: %v", err)
	}
	<-started
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("WaitCaptured after Close: got %v, want %v", err, ErrClosed)
		}
	case <-time.After(failAfter):
		t.Fatal("WaitCaptured still blocked after Close")
	}
}

func TestOnCapture(t *testing.T) {
	s := newSystem(t)
	var mu sync.Mutex
	var seen []string
	s.OnCapture(func(c Captured) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, "first:"+c.To[0])
		c.Raw[0] = 'X' // must not reach the stored copy
	})
	s.OnCapture(func(c Captured) { panic("a broken callback") })
	s.OnCapture(func(c Captured) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, "third:"+c.To[0])
	})
	raw := readFixture(t, "plain.eml")
	for _, to := range []string{"one@example.com", "two@example.com"} {
		if err := sendMail(s, nil, "a@example.com", []string{to}, raw); err != nil {
			t.Fatalf("send to %s: %v", to, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"first:one@example.com", "third:one@example.com", "first:two@example.com", "third:two@example.com"}
	if !slices.Equal(seen, want) {
		t.Errorf("callbacks: got %v, want %v", seen, want)
	}
	for i, c := range s.Captured() {
		if !bytes.Equal(c.Raw, raw) {
			t.Errorf("captured %d changed by a callback: got %q", i, c.Raw[:20])
		}
	}
}

func TestConcurrentSenders(t *testing.T) {
	s := newSystem(t)
	addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
	raw := readFixture(t, "plain.eml")
	const senders, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for i := range senders {
		wg.Go(func() {
			for j := range each {
				to := []string{"fta-pass@origin.or.kr", fmt.Sprintf("s%d-%d@example.com", i, j)}
				if err := sendMail(s, nil, "a@example.com", to, raw); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("send: %v", err)
	}
	if got := len(s.Captured()); got != senders*each {
		t.Errorf("captured: got %d, want %d", got, senders*each)
	}
	if got, _ := fetchInbox(t, s, "fta-pass", "pw"); len(got) != senders*each {
		t.Errorf("INBOX: got %d messages, want %d", len(got), senders*each)
	}
}

// onWire is what an SMTP client that writes through a dot-writer (net/smtp,
// go-mail) puts on the wire for raw: lines end in CRLF, and the last one is
// terminated.
func onWire(raw []byte) []byte {
	b := bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	b = bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n"))
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		b = append(b, "\r\n"...)
	}
	return b
}

// TestCorpusVerbatim sends real mails (8-bit ks_c_5601-1987, a DSN with a
// null sender, a list post with lines starting with dots) and checks that
// they are captured and delivered byte for byte.
func TestCorpusVerbatim(t *testing.T) {
	dir := maildesktest.Corpus(t)
	tests := []struct {
		file, from string
	}{
		{"mikel-mail/spec/fixtures/emails/multi_charset/ks_c_5601-1987.eml", "sender@example.com"},
		{"chatwoot-selected/spec/fixtures/files/bounced_with_no_from.eml", ""},
		{"lore-linux-samsung-soc-threads/thread06/02.eml", "list-owner@vger.kernel.org"},
		{"lore-linux-samsung-soc-threads/thread04/02.eml", "list-owner@vger.kernel.org"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(filepath.Dir(tt.file))+"/"+filepath.Base(tt.file), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatalf("read corpus: %v", err)
			}
			s := newSystem(t)
			addUser(t, s, "fta-pass@origin.or.kr", "fta-pass", "pw")
			if err := sendMail(s, nil, tt.from, []string{"fta-pass@origin.or.kr", "outside@example.com"}, raw); err != nil {
				t.Fatalf("send: %v", err)
			}
			want := onWire(raw)
			checkCaptured(t, s.Captured(), []Captured{{From: tt.from, To: []string{"outside@example.com"}, Raw: want, At: fixedNow}})
			got, _ := fetchInbox(t, s, "fta-pass", "pw")
			if wantInbox := trace(tt.from, "fta-pass@origin.or.kr", want); len(got) != 1 || !bytes.Equal(got[0], wantInbox) {
				t.Errorf("INBOX: got %d messages, want the mail byte for byte", len(got))
			}
		})
	}
}
