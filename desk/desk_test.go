package desk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/examples"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// fakeClock is moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is Wednesday 25 November 2026, 14:00 in Seoul.
var start = time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	desk  *Desk
	store *store.Store
	clock *fakeClock
}

// exampleRules loads the example rules shipped in examples/.
func exampleRules(t *testing.T) *rules.Set {
	t.Helper()
	dir := t.TempDir()
	files, err := examples.FS.ReadDir("rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := examples.FS.ReadFile("rules/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := rules.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, exampleRules(t))
}

// rulesFrom loads a rules directory made of the given files.
func rulesFrom(t *testing.T, files map[string]string) *rules.Set {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := rules.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func newFixtureWith(t *testing.T, rs *rules.Set) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), maildesktest.Database(t, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: start}
	seoul, _ := time.LoadLocation("Asia/Seoul")
	d, err := New(Options{
		Store: st, Rules: rs, Templates: tmpl, Location: seoul, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mailboxes: []Mailbox{
			{Name: "fta-pass", Address: "fta-pass@origin.or.kr"},
			{Name: "qualification", Address: "qualification@origin.or.kr"},
			{Name: "education", Address: "education@origin.or.kr"},
			{Name: "correction", Address: "correction@origin.or.kr"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, desk: d, store: st, clock: clock}
}

type mail struct {
	from, to, subject, id string
	headers               []string
	body                  string
}

func (m mail) raw() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Wed, 25 Nov 2026 14:00:00 +0900\r\n", m.from, m.to, m.subject)
	if m.id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", m.id)
	}
	for _, h := range m.headers {
		b.WriteString(h + "\r\n")
	}
	body := m.body
	if body == "" {
		body = "문의드립니다.\r\n"
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" + body)
	return b.Bytes()
}

func (f *fixture) deliver(mbox string, uv, uid uint32, raw []byte) {
	f.t.Helper()
	if err := f.desk.Deliver(context.Background(), mbox, uv, uid, raw); err != nil {
		f.t.Fatalf("deliver uid %d: %v", uid, err)
	}
}

type state struct {
	tickets  []*store.Ticket
	messages map[int64][]*store.Message
	outbox   []*store.Delivery // everything queued but the handlers' notices
	staff    []*store.Delivery // the handlers' notices (new inquiry, follow-up, …)
	cursor   mailbox.Cursor
}

func (f *fixture) state(mbox string) state {
	f.t.Helper()
	ctx := context.Background()
	s := state{messages: map[int64][]*store.Message{}}
	err := f.store.Read(ctx, func(tx *store.Tx) error {
		var err error
		if s.tickets, err = tx.Tickets(ctx, store.TicketFilter{}); err != nil {
			return err
		}
		for _, t := range s.tickets {
			if s.messages[t.ID], err = tx.Messages(ctx, t.ID); err != nil {
				return err
			}
		}
		all, err := tx.Deliveries(ctx, "")
		for _, d := range all {
			if d.Kind == KindStaffNotice {
				s.staff = append(s.staff, d)
			} else {
				s.outbox = append(s.outbox, d)
			}
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if s.cursor, err = f.desk.Cursor(ctx, mbox); err != nil {
		f.t.Fatal(err)
	}
	return s
}

// ackOf returns the parsed mail queued as row i of the outbox, not counting
// the handlers' notices.
func (f *fixture) ackOf(i int) *message.Message {
	f.t.Helper()
	return f.parsed(f.state("").outbox[i])
}

// staffOf returns the parsed handler's notice number i.
func (f *fixture) staffOf(i int) *message.Message {
	f.t.Helper()
	return f.parsed(f.state("").staff[i])
}

func (f *fixture) parsed(d *store.Delivery) *message.Message {
	f.t.Helper()
	ctx := context.Background()
	var raw []byte
	err := f.store.Read(ctx, func(tx *store.Tx) (err error) {
		raw, err = tx.MessageRaw(ctx, d.MessageID)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	m, err := message.Parse(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func TestNewInquiryOpensTicketAndQueuesAck(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "=?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>", to: "fta-pass@origin.or.kr",
		subject: "=?ks_c_5601-1987?B?v/i76sH2ILmuwMc=?=", id: "q1@example.co.kr"}.raw())
	s := f.state("fta-pass")
	if len(s.tickets) != 1 || len(s.outbox) != 1 {
		t.Fatalf("got %d tickets, %d queued mails; want 1 and 1", len(s.tickets), len(s.outbox))
	}
	tk := s.tickets[0]
	wantDue := start.Add(48 * time.Hour)
	if tk.Subject != "원산지 문의" || tk.Customer != "kim@example.co.kr" || tk.CustomerName != "김고객" ||
		tk.Handler.Phone != "031-600-0722" || tk.Status != store.StatusOpen || !tk.DueAt.Equal(wantDue) {
		t.Errorf("ticket: got %+v (due %v), want due %v", tk, tk.DueAt, wantDue)
	}
	if s.cursor != (mailbox.Cursor{UIDValidity: 1, LastUID: 1}) {
		t.Errorf("cursor: got %+v, want 1/1", s.cursor)
	}
	ack := f.ackOf(0)
	if ack.Subject != "[FTA-PASS #1] 원산지 문의" {
		t.Errorf("ack subject: got %q", ack.Subject)
	}
	if ack.From.Addr != "fta-pass@origin.or.kr" || len(ack.To) != 1 || ack.To[0].Addr != "kim@example.co.kr" {
		t.Errorf("ack from/to: got %v %v", ack.From, ack.To)
	}
	if len(ack.InReplyTo) != 1 || ack.InReplyTo[0] != "q1@example.co.kr" {
		t.Errorf("ack In-Reply-To: got %v", ack.InReplyTo)
	}
	if got := ack.Header.Get("Auto-Submitted"); got != "auto-replied" {
		t.Errorf("Auto-Submitted: got %q", got)
	}
	// 48 hours after Wednesday 14:00 in Seoul is Friday 14:00.
	for _, want := range []string{tk.Handler.Name, "031-600-0722", "mslim@origin.or.kr", "2026년 11월 27일(금) 14:00"} {
		if !strings.Contains(ack.Text, want) {
			t.Errorf("ack text lacks %q:\n%s", want, ack.Text)
		}
	}
}

func TestDeliverIsIdempotent(t *testing.T) {
	f := newFixture(t)
	raw := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "same@example.co.kr"}.raw()
	f.deliver("fta-pass", 7, 1, raw)
	f.deliver("fta-pass", 7, 1, raw) // the same UID again (a crash after commit, before \Seen)
	f.deliver("fta-pass", 7, 2, raw) // the same mail under another UID (delivered twice)
	// The folder was recreated: everything comes again under a new UIDVALIDITY.
	traced := append([]byte("Received: from mx by imap; Wed, 25 Nov 2026 15:00:00 +0900\r\n"), raw...)
	f.deliver("fta-pass", 8, 1, traced)
	s := f.state("fta-pass")
	if len(s.tickets) != 1 || len(nonStaff(s.messages[1])) != 2 || len(s.outbox) != 1 {
		t.Fatalf("got %d tickets, %d messages, %d queued; want 1, 2 (inquiry + ack), 1",
			len(s.tickets), len(nonStaff(s.messages[1])), len(s.outbox))
	}
	if s.cursor != (mailbox.Cursor{UIDValidity: 8, LastUID: 1}) {
		t.Errorf("cursor: got %+v, want 8/1", s.cursor)
	}

	// Two different mails without Message-ID and with the same body are two
	// inquiries, not one.
	f.deliver("education", 1, 1, mail{from: "a@example.com", to: "education@origin.or.kr", subject: "교육 신청"}.raw())
	f.deliver("education", 1, 2, mail{from: "b@example.com", to: "education@origin.or.kr", subject: "교육 신청"}.raw())
	if s := f.state("education"); len(s.tickets) != 3 {
		t.Errorf("tickets: got %d, want 3", len(s.tickets))
	}
}

func TestThreading(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "q1@x"}.raw())
	ackID := f.ackOf(0).MessageID
	tests := []struct {
		name       string
		m          mail
		wantTicket int64 // 0: a new ticket
	}{
		{"reply to our ack", mail{from: "kim@example.co.kr", subject: "Re: [FTA-PASS #1] 문의", id: "r1@x", headers: []string{"In-Reply-To: <" + ackID + ">"}}, 1},
		{"references name the inquiry", mail{from: "other@example.com", subject: "FW: 문의", id: "r2@x", headers: []string{"References: <zzz@x>\r\n <q1@x>"}}, 1},
		{"tag from the customer", mail{from: "KIM@Example.co.kr", subject: "회신: [FTA-PASS #1] 추가 문의", id: "r3@x"}, 1},
		{"tag from someone else", mail{from: "lee@example.com", subject: "RE: [FTA-PASS #1] 문의", id: "r4@x"}, 0},
		{"tag of another category's prefix", mail{from: "kim@example.co.kr", subject: "[QUAL #1] 문의", id: "r5@x"}, 0},
		{"tag of a ticket that does not exist", mail{from: "kim@example.co.kr", subject: "[FTA-PASS #99] 문의", id: "r6@x"}, 0},
		{"same subject, no tag, no references", mail{from: "kim@example.co.kr", subject: "문의", id: "r7@x"}, 0},
		// kim's newest open ticket called "문의" is #5, opened just above.
		{"a reply by subject only, from the customer", mail{from: "kim@example.co.kr", subject: "답장: 문의", id: "r8@x"}, 5},
		{"a reply by subject only, from someone without such a ticket", mail{from: "choi@example.com", subject: "Re: 문의", id: "r9@x"}, 0},
		{"shares a reference with the sender's earlier mail", mail{from: "other@example.com", subject: "또 다른 질문", id: "r10@x", headers: []string{"References: <zzz@x>"}}, 1},
		{"shares a reference with someone else's mail", mail{from: "park@example.com", subject: "질문", id: "r11@x", headers: []string{"References: <zzz@x>"}}, 0},
		{"its own Message-ID is stored already", mail{from: "park@example.com", subject: "수정본", id: "q1@x", body: "edited\r\n"}, 1},
	}
	uid := uint32(2)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.state("fta-pass")
			tt.m.to = "fta-pass@origin.or.kr"
			f.deliver("fta-pass", 1, uid, tt.m.raw())
			uid++
			after := f.state("fta-pass")
			newest := after.tickets[0] // newest first
			switch {
			case tt.wantTicket == 0 && len(after.tickets) != len(before.tickets)+1:
				t.Errorf("tickets: got %d, want a new one (%d)", len(after.tickets), len(before.tickets)+1)
			case tt.wantTicket != 0 && len(after.tickets) != len(before.tickets):
				t.Errorf("opened ticket %d, want the message on ticket %d", newest.ID, tt.wantTicket)
			case tt.wantTicket != 0 && len(nonStaff(after.messages[tt.wantTicket])) != len(nonStaff(before.messages[tt.wantTicket]))+1:
				t.Errorf("ticket %d messages: got %d, want %d", tt.wantTicket, len(nonStaff(after.messages[tt.wantTicket])), len(nonStaff(before.messages[tt.wantTicket]))+1)
			}
			if tt.wantTicket != 0 && len(after.outbox) != len(before.outbox) {
				t.Errorf("a follow-up was acknowledged again")
			}
		})
	}
}

func TestAutomaticMailIsNeverAnswered(t *testing.T) {
	tests := []struct {
		name       string
		m          mail
		wantTicket bool // list and bulk mail is a conversation for staff, just never answered automatically
	}{
		{"auto-submitted", mail{from: "a@example.com", headers: []string{"Auto-Submitted: auto-replied"}}, false},
		{"precedence junk", mail{from: "a@example.com", headers: []string{"Precedence: junk"}}, false},
		{"precedence bulk", mail{from: "a@example.com", headers: []string{"Precedence: bulk"}}, true},
		{"list", mail{from: "a@example.com", headers: []string{"List-Id: <news.example.com>"}}, true},
		{"mailer-daemon", mail{from: "MAILER-DAEMON@mx.example.com"}, false},
		{"null sender", mail{from: "a@example.com", headers: []string{"Return-Path: <>"}}, false},
		{"delivery report", mail{from: "postmaster@example.com", headers: []string{"Content-Type: multipart/report; report-type=delivery-status; boundary=x"}}, false},
		{"our own address", mail{from: "qualification@origin.or.kr"}, false},
		{"our own address, plus-tagged", mail{from: "Education <education+t1.x@ORIGIN.or.kr>"}, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.m.to, tt.m.subject, tt.m.id = "fta-pass@origin.or.kr", "hello", fmt.Sprintf("auto%d@x", i)
			f.deliver("fta-pass", 1, 1, tt.m.raw())
			s := f.state("fta-pass")
			want := 0
			if tt.wantTicket {
				want = 1
			}
			if len(s.outbox) != 0 || len(s.tickets) != want {
				t.Errorf("got %d tickets, %d queued mails; want %d and none", len(s.tickets), len(s.outbox), want)
			}
			if s.cursor.LastUID != 1 {
				t.Errorf("cursor: got %+v, want past uid 1 (stored)", s.cursor)
			}
		})
	}
	// "Auto-Submitted: no" is a person.
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "a@example.com", to: "fta-pass@origin.or.kr", subject: "hi", id: "p@x", headers: []string{"Auto-Submitted: no"}}.raw())
	if s := f.state("fta-pass"); len(s.outbox) != 1 {
		t.Errorf("Auto-Submitted: no: got %d queued, want 1", len(s.outbox))
	}
}

func TestAckRateLimit(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 7; i++ {
		f.deliver("fta-pass", 1, uint32(i), mail{from: "loop@example.com", to: "fta-pass@origin.or.kr",
			subject: fmt.Sprintf("문의 %d", i), id: fmt.Sprintf("l%d@x", i)}.raw())
	}
	if s := f.state("fta-pass"); len(s.tickets) != 7 || len(s.outbox) != DefaultAckLimit {
		t.Fatalf("got %d tickets, %d acks; want 7 and %d", len(s.tickets), len(s.outbox), DefaultAckLimit)
	}
	f.clock.Add(61 * time.Minute)
	f.deliver("fta-pass", 1, 8, mail{from: "loop@example.com", to: "fta-pass@origin.or.kr", subject: "문의 8", id: "l8@x"}.raw())
	if s := f.state("fta-pass"); len(s.outbox) != DefaultAckLimit+1 {
		t.Fatalf("an hour later: got %d acks, want %d", len(s.outbox), DefaultAckLimit+1)
	}
}

func TestMalformedMailIsQuarantined(t *testing.T) {
	f := newFixture(t)
	// The text is in parts whose boundary the body does not use: what
	// is there is raw MIME, which cannot be read as the customer's words.
	raw := []byte("From: kim@example.co.kr\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n")
	f.deliver("fta-pass", 1, 1, raw)
	s := f.state("fta-pass")
	if len(s.tickets) != 1 || s.tickets[0].Status != store.StatusQuarantined {
		t.Fatalf("tickets: got %+v, want one quarantined", s.tickets)
	}
	ms := s.messages[s.tickets[0].ID]
	if len(ms) != 2 || ms[0].Quarantine == "" || ms[0].Kind != KindQuarantined || ms[1].Kind != KindQuarantineNotice {
		t.Fatalf("messages: got %d (%+v), want the quarantined one with a reason and our notice", len(ms), ms[0])
	}
	if s.cursor.LastUID != 1 {
		t.Errorf("cursor %+v; want past the message", s.cursor)
	}
	// The handler is told; the customer gets nothing.
	if len(s.outbox) != 1 || len(s.outbox[0].To) != 1 || s.outbox[0].To[0] != "mslim@origin.or.kr" {
		t.Fatalf("queued: got %+v, want one notice to the FTA-PASS handler", s.outbox)
	}
	note := f.ackOf(0)
	if got := note.Header.Get("Auto-Submitted"); got != "auto-generated" || !strings.Contains(note.Text, ms[0].Quarantine) {
		t.Errorf("notice: Auto-Submitted %q, text:\n%s", got, note.Text)
	}
	var stored []byte
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		stored, err = tx.MessageRaw(context.Background(), ms[0].ID)
		return err
	})
	if err != nil || !bytes.Equal(stored, raw) {
		t.Errorf("raw bytes: got %q, %v; want them verbatim", stored, err)
	}
}

// TestReadableMailWithDefectsIsAnswered: a mail whose text can be read is
// taken in and acknowledged like any other, whatever else is broken in it,
// as Python's email package, PHP and Thunderbird read it; what was read
// around is kept on the stored message for the ticket view.
func TestReadableMailWithDefectsIsAnswered(t *testing.T) {
	png := "Content-Type: image/png; name=\"=?UTF-8?B?7Jik66WY7ZmU66m0LnBuZw==?=\"\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"=?UTF-8?B?7Jik66WY7ZmU66m0LnBuZw==?=\"\r\n\r\niVBORw0KGgo!!!AAAANSUhEUg\r\n"
	text := "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"7JuQ7IKw7KeA7ZmV7J247IScIOuwnOq4iSDtmZTrqbTsl5DshJwg7Jik66WY6rCAIOuCqeuLiOuLpC4=\r\n"
	head := "From: kim@example.co.kr\r\nTo: fta-pass@origin.or.kr\r\nSubject: =?UTF-8?B?7Jik66WYIOusuOydmA==?=\r\n" +
		"Message-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	for _, tt := range []struct {
		name, body, defect string
	}{
		{"broken attachment", "--b\r\n" + text + "--b\r\n" + png + "--b--\r\n", `parse image/png part: decode base64`},
		{"no final boundary", "--b\r\n" + text + "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjcK\r\n",
			`missing closing boundary "--b--"`},
		{"a part header line that is no field", "--b\r\nthis line is no header\r\n" + text + "--b--\r\n", "parse part header: malformed MIME header"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.deliver("fta-pass", 1, 1, []byte(fmt.Sprintf(head, "d1@example.co.kr")+tt.body))
			s := f.state("fta-pass")
			if len(s.tickets) != 1 || s.tickets[0].Status != store.StatusOpen {
				t.Fatalf("tickets: got %+v, want one open", s.tickets)
			}
			ms := s.messages[s.tickets[0].ID]
			if len(ms) == 0 || ms[0].Kind != KindInquiry || ms[0].Quarantine != "" {
				t.Fatalf("stored: got %+v, want the inquiry, not quarantined", ms)
			}
			if !strings.Contains(ms[0].Text, "원산지확인서 발급 화면에서 오류가 납니다.") {
				t.Errorf("text: got %q", ms[0].Text)
			}
			if d := strings.Join(ms[0].Defects, "\n"); !strings.Contains(d, tt.defect) {
				t.Errorf("defects: got %q, want one containing %q", ms[0].Defects, tt.defect)
			}
			if len(s.outbox) != 1 || s.outbox[0].To[0] != "kim@example.co.kr" || s.outbox[0].Kind != KindAck {
				t.Fatalf("queued: got %+v, want the acknowledgement to the customer", s.outbox)
			}
		})
	}
}

// smtpSink is a real SMTP server on loopback and a Sender to it.
func smtpSink(t *testing.T) (*localmail.System, *mailbox.Sender) {
	t.Helper()
	sys, err := localmail.Start(localmail.Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	host, port := splitAddr(t, sys.SMTPAddr())
	return sys, mailbox.NewSender(mailbox.SMTPConfig{Host: host, Port: port, Security: "none"})
}

// TestOutboxDelivers runs the outbox against a real SMTP server: temporary
// refusals are retried on the schedule, a permanent one is recorded.
func TestOutboxDelivers(t *testing.T) {
	f := newFixture(t)
	sys, sender := smtpSink(t)
	ctx := context.Background()

	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "o1@x"}.raw())
	sys.Refuse(451)
	if _, err := f.desk.deliverDue(ctx, sender); err != nil {
		t.Fatal(err)
	}
	s := f.state("fta-pass")
	if d := s.outbox[0]; d.State != store.Queued || d.Attempts != 1 || !strings.Contains(d.LastError, "451") {
		t.Fatalf("after a 451: got %+v, want queued with 1 attempt", d)
	}
	if !s.outbox[0].NextAttemptAt.Equal(start.Add(retryDelay(1))) {
		t.Errorf("next attempt: got %v, want %v", s.outbox[0].NextAttemptAt, start.Add(retryDelay(1)))
	}
	// Not due yet: nothing happens even though the server now accepts.
	sys.Refuse(0)
	if _, err := f.desk.deliverDue(ctx, sender); err != nil {
		t.Fatal(err)
	}
	if got := len(capturedTo(sys, "kim@example.co.kr")); got != 0 {
		t.Fatalf("sent before the retry time: %d", got)
	}
	f.clock.Add(retryDelay(1))
	next, err := f.desk.deliverDue(ctx, sender)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(capturedTo(sys, "kim@example.co.kr")); got != 1 || !next.IsZero() {
		t.Fatalf("after the retry time: got %d sent, next %v; want 1 and an empty outbox", got, next)
	}
	if d := f.state("fta-pass").outbox[0]; d.State != store.Sent || d.Attempts != 2 {
		t.Errorf("delivery: got %+v, want sent after 2 attempts", d)
	}

	// A permanent refusal is given up and written on the ticket.
	f.deliver("fta-pass", 1, 2, mail{from: "nobody@example.com", to: "fta-pass@origin.or.kr", subject: "문의", id: "o2@x"}.raw())
	sys.Refuse(550)
	if _, err := f.desk.deliverDue(ctx, sender); err != nil {
		t.Fatal(err)
	}
	if d := f.state("fta-pass").outbox[1]; d.State != store.Failed || !strings.Contains(d.LastError, "550") {
		t.Errorf("after a 550: got %+v, want failed", d)
	}
	var events []store.Event
	err = f.store.Read(ctx, func(tx *store.Tx) (err error) { events, err = tx.Events(ctx, 2); return err })
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Kind != "send-failed" {
		t.Errorf("last event of ticket 2: got %+v, want send-failed", last)
	}
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var port int
	if _, err := fmt.Sscanf(addr[i+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return addr[:i], port
}

// One mail sent to two of our addresses at once arrives in both mailboxes:
// it is one conversation, with one acknowledgement.
func TestOneMailToTwoMailboxes(t *testing.T) {
	f := newFixture(t)
	m := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr, education@origin.or.kr", subject: "교육과 FTA-PASS 문의", id: "both@x"}
	f.deliver("fta-pass", 1, 1, append([]byte("Delivered-To: fta-pass@origin.or.kr\r\n"), m.raw()...))
	f.deliver("education", 1, 1, append([]byte("Delivered-To: education@origin.or.kr\r\n"), m.raw()...))
	s := f.state("education")
	if len(s.tickets) != 1 || len(s.outbox) != 1 || s.cursor.LastUID != 1 {
		t.Fatalf("got %d tickets, %d acks, cursor %+v; want 1, 1, past the copy", len(s.tickets), len(s.outbox), s.cursor)
	}
}

// A sender address no mail can go to must not stop the mailbox: the
// inquiry is stored, the acknowledgement skipped and the cursor advanced.
func TestUnanswerableSenderDoesNotBlockIntake(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "user2", to: "fta-pass@origin.or.kr", subject: "문의", id: "bad-from@x"}.raw())
	f.deliver("fta-pass", 1, 2, mail{from: "info@example.org.", to: "fta-pass@origin.or.kr", subject: "문의", id: "bad-from2@x"}.raw())
	s := f.state("fta-pass")
	if len(s.tickets) != 2 || len(s.outbox) != 0 || s.cursor.LastUID != 2 {
		t.Fatalf("got %d tickets, %d queued, cursor %+v; want 2, 0, 1/2", len(s.tickets), len(s.outbox), s.cursor)
	}
}

// A reply keeps its full text, and the new part without the quoted
// history is stored beside it for the ticket view and relays.
func TestReplyStoresNewText(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "n1@x"}.raw())
	body := "추가로 여쭙니다. 서류는 무엇이 필요한가요?\r\n\r\n-----Original Message-----\r\nFrom: fta-pass@origin.or.kr\r\nSent: Wednesday, November 25, 2026 2:00 PM\r\nSubject: [FTA-PASS #1] 문의\r\n\r\n문의가 접수되었습니다.\r\n"
	f.deliver("fta-pass", 1, 2, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "RE: [FTA-PASS #1] 문의", id: "n2@x", body: body}.raw())
	ms := f.state("fta-pass").messages[1]
	var last *store.Message
	for _, m := range ms {
		if m.Direction == store.In {
			last = m
		}
	}
	if strings.TrimSpace(last.NewText) != "추가로 여쭙니다. 서류는 무엇이 필요한가요?" || !strings.Contains(last.Text, "Original Message") {
		t.Errorf("new text %q, full text %q", last.NewText, last.Text)
	}
}

// nonStaff leaves out the handlers' notices.
func nonStaff(ms []*store.Message) []*store.Message {
	var out []*store.Message
	for _, m := range ms {
		if m.Kind != KindStaffNotice {
			out = append(out, m)
		}
	}
	return out
}

func capturedTo(sys *localmail.System, rcpt string) []localmail.Captured {
	var out []localmail.Captured
	for _, c := range sys.Captured() {
		if len(c.To) == 1 && c.To[0] == rcpt {
			out = append(out, c)
		}
	}
	return out
}
