package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// The attacks of issue 12, one test each, against the real intake on a
// real database. docs/reliability.md lists them with their results.

// twoHandlerRules: FTA-PASS with two handlers who can take each other's
// tickets.
var twoHandlerRules = map[string]string{
	"rules.toml": deadlineRules["rules.toml"] + `
[[handler]]
id = "bslee"
name = "이보성"
email = "bslee@origin.or.kr"
`,
}

// TestReferencesFlood: a mail naming 40,000 Message-IDs in References is
// taken in and the inquiry after it is acknowledged; before, the threading
// query exceeded SQLite's variable limit, the batch rolled back and the
// mailbox stopped for good.
func TestReferencesFlood(t *testing.T) {
	f := newFixture(t)
	var refs strings.Builder
	refs.WriteString("References:")
	for i := range 40000 {
		fmt.Fprintf(&refs, " <r%d@flood.example>", i)
	}
	flood := mail{from: "flood@example.com", to: "fta-pass@origin.or.kr", subject: "flood", id: "flood@example.com",
		headers: []string{refs.String()}}.raw()
	normal := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "after@example.co.kr"}.raw()
	n, err := f.desk.DeliverBatch(context.Background(), "fta-pass", 1, []mailbox.Fetched{{UID: 1, Raw: flood}, {UID: 2, Raw: normal}})
	if err != nil || n != 2 {
		t.Fatalf("DeliverBatch: got %d, %v; want 2, nil", n, err)
	}
	s := f.state("fta-pass")
	if s.cursor.LastUID != 2 {
		t.Errorf("cursor: got %d, want 2", s.cursor.LastUID)
	}
	acked := false
	for _, d := range s.outbox {
		if d.Kind == KindAck && d.To[0] == "kim@example.co.kr" {
			acked = true
		}
	}
	if !acked {
		t.Errorf("the inquiry after the flood was not acknowledged: %v", f.queued())
	}
}

// TestNoMessageHoldsTheCursor: a message whose intake keeps failing (here a
// fault injected in the transaction, as a store bug would) is quarantined
// raw after intakeTries attempts, its handler told, and the mailbox goes on.
// A transient failure (disk full) is never quarantined.
func TestNoMessageHoldsTheCursor(t *testing.T) {
	f := newFixture(t)
	intakeFault = func(uid uint32) error {
		if uid == 1 {
			return errors.New("too many SQL variables")
		}
		return nil
	}
	t.Cleanup(func() { intakeFault = nil })
	bad := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "bad@example.co.kr"}.raw()
	for i := 1; i < intakeTries; i++ {
		if err := f.desk.Deliver(context.Background(), "fta-pass", 1, 1, bad); err == nil {
			t.Fatalf("attempt %d: got nil, want the error (it may yet be transient)", i)
		}
		if c := f.state("fta-pass").cursor; c.LastUID != 0 {
			t.Fatalf("attempt %d: cursor moved to %d before the retries ran out", i, c.LastUID)
		}
	}
	if err := f.desk.Deliver(context.Background(), "fta-pass", 1, 1, bad); err != nil {
		t.Fatalf("attempt %d: got %v, want the message quarantined", intakeTries, err)
	}
	f.deliver("fta-pass", 1, 2, mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "다른 문의", id: "next@example.co.kr"}.raw())
	s := f.state("fta-pass")
	if s.cursor.LastUID != 2 {
		t.Fatalf("cursor: got %d, want 2", s.cursor.LastUID)
	}
	var q *store.Ticket
	for _, tk := range s.tickets {
		if tk.Status == store.StatusQuarantined {
			q = tk
		}
	}
	if q == nil {
		t.Fatalf("no quarantined ticket: %+v", s.tickets)
	}
	ms := s.messages[q.ID]
	if len(ms) == 0 || ms[0].Kind != KindQuarantined || !strings.Contains(ms[0].Quarantine, "too many SQL variables") {
		t.Fatalf("quarantined message: %+v", ms)
	}
	if raw := f.raw(ms[0].ID); string(raw) != string(bad) {
		t.Errorf("raw bytes not kept verbatim")
	}
	told := false
	for _, d := range s.outbox {
		if d.Kind == KindQuarantineNotice && d.To[0] == "mslim@origin.or.kr" {
			told = true
		}
	}
	if !told {
		t.Errorf("the handler was not told of the quarantined mail: %v", f.queued())
	}
}

// raw returns the stored bytes of message id.
func (f *fixture) raw(id int64) []byte {
	f.t.Helper()
	var raw []byte
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		raw, err = tx.MessageRaw(context.Background(), id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

// TestEmptyStaffReplyRelaysNothing: a handler's reply with no new text
// (only the quoted notice, or only an attribution line that carries the
// reply address) sends nothing to the customer; the handler is told why,
// in a mail they can answer (it carries their token).
func TestEmptyStaffReplyRelaysNothing(t *testing.T) {
	tests := map[string]func(*message.Message) string{
		"gmail quote only":   gmailQuote,
		"outlook quote only": outlookQuote,
		"attribution only": func(n *message.Message) string {
			return "On Thu, Dec 3, 2026 at 2:00 PM maildesk <" + n.ReplyTo[0].Addr + "> wrote:\r\n"
		},
		"blank lines and attribution": func(n *message.Message) string {
			return "\r\n\r\n\r\n2026년 12월 3일 (목) 오후 2:00, maildesk <" + n.ReplyTo[0].Addr + ">님이 작성:\r\n"
		},
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			f, notice := staffFixture(t)
			f.reply(notice, "임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, body(notice))
			s := f.state("fta-pass")
			if len(s.outbox) != 1 || s.outbox[0].Kind != KindAck {
				t.Fatalf("queued for the customer: got %v, want only the ack", f.queued())
			}
			if s.tickets[0].Status != store.StatusOpen {
				t.Errorf("ticket status %s, want open (nothing was answered)", s.tickets[0].Status)
			}
			told := f.staffOf(len(s.staff) - 1)
			if !strings.Contains(told.Text, "had no new text") && !strings.Contains(told.Text, "Your answer was not sent") {
				t.Errorf("the handler was not told why:\n%s", told.Text)
			}
			if len(told.ReplyTo) != 1 || !strings.HasPrefix(told.ReplyTo[0].Addr, "fta-pass+t1.") {
				t.Errorf("the mail telling the handler carries no token: Reply-To %v", told.ReplyTo)
			}
		})
	}
}

// TestGuardWithholdsLeaks: an answer whose new text carries the reply
// address or a line of the staff notice is not sent; the handler is told,
// and the ticket stays unanswered.
func TestGuardWithholdsLeaks(t *testing.T) {
	tests := map[string]func(*message.Message) string{
		"reply address": func(n *message.Message) string {
			return "답변입니다. 다음에는 " + n.ReplyTo[0].Addr + " 로 보내 주세요.\r\n"
		},
		"reply address in upper case": func(n *message.Message) string {
			return "ANSWER: WRITE TO " + strings.ToUpper(n.ReplyTo[0].Addr) + "\r\n"
		},
		"a line of the notice": func(n *message.Message) string {
			return "답변입니다.\r\n고객에게는 새로 쓰신 내용과 담당자 서명만 보내지고, 이 안내문은 보내지지 않습니다.\r\n"
		},
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			f, notice := staffFixture(t)
			f.reply(notice, "임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, body(notice))
			s := f.state("fta-pass")
			if len(s.outbox) != 1 {
				t.Fatalf("queued for the customer: got %v, want only the ack", f.queued())
			}
			if s.tickets[0].Status != store.StatusOpen || s.tickets[0].AnsweredAt != nil {
				t.Errorf("ticket %s answered %v: a withheld answer answers nothing", s.tickets[0].Status, s.tickets[0].AnsweredAt)
			}
			if told := f.staffOf(len(s.staff) - 1); !strings.Contains(told.Text, "Your answer was not sent") {
				t.Errorf("the handler was not told:\n%s", told.Text)
			}
		})
	}
	// The same answer without the leak goes out.
	f, notice := staffFixture(t)
	f.reply(notice, "임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, "답변입니다. 발급 메뉴를 이용해 주십시오.\r\n"+gmailQuote(notice))
	if s := f.state("fta-pass"); len(s.outbox) != 2 || s.outbox[1].Kind != KindAnswer {
		t.Fatalf("a clean answer: got %v, want the ack and the answer", f.queued())
	}
}

// TestAckLimitBySpelling: eight spellings of one mailbox (case, +tags, a
// trailing dot) are one address for the acknowledgement limit.
func TestAckLimitBySpelling(t *testing.T) {
	f := newFixture(t)
	spellings := []string{"kim@naver.com", "Kim@naver.com", "KIM@NAVER.COM", "kim+1@naver.com",
		"kim+promo@Naver.com", "kIm+x@naver.com", "kim@naver.com.", "KIM+zz@naver.COM"}
	for i, from := range spellings {
		f.deliver("fta-pass", 1, uint32(i+1), mail{from: from, to: "fta-pass@origin.or.kr",
			subject: fmt.Sprintf("문의 %d", i), id: fmt.Sprintf("sp%d@naver.com", i)}.raw())
	}
	s := f.state("fta-pass")
	acks := 0
	for _, d := range s.outbox {
		if d.Kind == KindAck {
			acks++
		}
	}
	if len(s.tickets) != len(spellings) || acks != DefaultAckLimit {
		t.Fatalf("got %d tickets and %d acks, want %d and %d", len(s.tickets), acks, len(spellings), DefaultAckLimit)
	}
}

// TestAckRepeatsLittle: what an acknowledgement repeats of the sender's
// input is bounded: the subject is cut, References are the last few ids,
// and a display name that is not plain text is not repeated.
func TestAckRepeatsLittle(t *testing.T) {
	f := newFixture(t)
	var refs strings.Builder
	refs.WriteString("References:")
	for i := range 500 {
		fmt.Fprintf(&refs, " <r%d@x>", i)
	}
	subject := strings.Repeat("문의", 1<<20) // 6 MB
	name := b64word("Visit https://evil.example/win now " + strings.Repeat("!", 200))
	f.deliver("fta-pass", 1, 1, mail{from: name + " <kim@example.co.kr>", to: "fta-pass@origin.or.kr",
		subject: subject, id: "big@example.co.kr", headers: []string{refs.String()}}.raw())
	s := f.state("fta-pass")
	if len(s.outbox) != 1 {
		t.Fatalf("queued: %v", f.queued())
	}
	raw := f.raw(s.outbox[0].MessageID)
	if len(raw) > 64<<10 {
		t.Errorf("ack is %d bytes, want at most 64 KiB", len(raw))
	}
	ack := f.ackOf(0)
	if n := len([]rune(ack.Subject)); n > maxSubjectRunes+40 {
		t.Errorf("ack subject has %d characters", n)
	}
	if len(ack.References) > maxCopiedRefs || ack.References[len(ack.References)-1] != "big@example.co.kr" {
		t.Errorf("ack References: %d ids ending %v, want at most %d ending with the inquiry", len(ack.References), ack.References[len(ack.References)-1:], maxCopiedRefs)
	}
	if strings.Contains(ack.Text, "evil.example") || strings.Contains(ack.To[0].Name, "evil") {
		t.Errorf("ack repeats the display name: To %q\n%s", ack.To[0].Name, ack.Text)
	}
	if len(s.tickets[0].Subject) > 4*maxSubjectRunes+8 {
		t.Errorf("ticket subject is %d bytes", len(s.tickets[0].Subject))
	}
}

func TestPlainName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"김고객", "김고객"},
		{"Kim, Minsu (Trade Dept.)", "Kim, Minsu (Trade Dept.)"},
		{"  홍길동  ", "홍길동"},
		{"https://evil.example", ""},
		{"kim@example.com", ""},
		{"<b>bold</b>", ""},
		{"bell\a", ""},
		{"esc\x1b[31m", ""},
		{strings.Repeat("가", maxNameRunes), strings.Repeat("가", maxNameRunes)},
		{strings.Repeat("가", maxNameRunes+1), ""},
		{"\xff\xfe", ""},
	}
	for _, tt := range tests {
		if got := plainName(tt.in); got != tt.want {
			t.Errorf("plainName(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTokenActsOnlyForTheHandler: after #assign the old handler's token no
// longer acts: their reply is not relayed, runs no command, and reaches
// the new handler as a note. The new handler's reply acts.
func TestTokenActsOnlyForTheHandler(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, twoHandlerRules))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "s1@x"}.raw())
	old := f.staffOf(0)
	f.reply(old, "mslim@origin.or.kr", old.ReplyTo[0].Addr, "#assign bslee\r\n")
	s := f.state("fta-pass")
	if s.tickets[0].Handler.ID != "bslee" {
		t.Fatalf("handler after #assign: %s", s.tickets[0].Handler.ID)
	}
	before := len(f.queued())
	f.reply(old, "mslim@origin.or.kr", old.ReplyTo[0].Addr, "#close\r\n제가 답변드립니다: 메뉴를 이용하세요.\r\n")
	s = f.state("fta-pass")
	if got := f.queued(); len(got) != before {
		t.Fatalf("the old handler's reply queued customer mail: %v", got[before:])
	}
	if s.tickets[0].Status == store.StatusClosed {
		t.Fatalf("the old handler's #close ran")
	}
	var toNew *message.Message
	for i := range s.staff {
		if m := f.staffOf(i); m.To[0].Addr == "bslee@origin.or.kr" && strings.Contains(m.Text, "제가 답변드립니다") {
			toNew = m
		}
	}
	if toNew == nil {
		t.Fatalf("the new handler did not get the old handler's text as a note")
	}
	// The new handler's token acts.
	f.reply(toNew, "bslee@origin.or.kr", toNew.ReplyTo[0].Addr, "메뉴를 이용하세요.\r\n")
	if got := f.queued(); len(got) != before+1 || !strings.HasPrefix(got[len(got)-1], KindAnswer) {
		t.Fatalf("the new handler's answer: queued %v", got)
	}
}

// TestHandlerNoticeLimit: mail from many senders gives a handler at most
// DefaultHandlerNoticeLimit notices an hour; everything is stored.
func TestHandlerNoticeLimit(t *testing.T) {
	f := newFixture(t)
	f.desk.ackLimit = 1 << 30
	const n = DefaultHandlerNoticeLimit + 30
	for i := range n {
		f.deliver("fta-pass", 1, uint32(i+1), mail{from: fmt.Sprintf("c%d@example.com", i), to: "fta-pass@origin.or.kr",
			subject: "문의", id: fmt.Sprintf("hn%d@example.com", i)}.raw())
	}
	s := f.state("fta-pass")
	if len(s.tickets) != n {
		t.Fatalf("tickets: got %d, want %d", len(s.tickets), n)
	}
	if len(s.staff) != DefaultHandlerNoticeLimit {
		t.Fatalf("notices to the handler: got %d, want %d", len(s.staff), DefaultHandlerNoticeLimit)
	}
	f.clock.Add(61 * time.Minute)
	f.deliver("fta-pass", 1, n+1, mail{from: "later@example.com", to: "fta-pass@origin.or.kr", subject: "문의", id: "later@example.com"}.raw())
	if s := f.state("fta-pass"); len(s.staff) != DefaultHandlerNoticeLimit+1 {
		t.Fatalf("an hour later: %d notices, want %d", len(s.staff), DefaultHandlerNoticeLimit+1)
	}
}

// TestSpoofWarningLimit: sixty forged mails from a handler's address give
// that handler spoofWarningLimit warnings in the hour, not sixty.
func TestSpoofWarningLimit(t *testing.T) {
	f, _ := staffFixture(t)
	for i := range 60 {
		f.deliver("fta-pass", 1, uint32(200+i), mail{from: "mslim@origin.or.kr", to: "fta-pass@origin.or.kr",
			subject: "RE: [FTA-PASS #1] 원산지 문의", id: fmt.Sprintf("forged%d@evil", i), body: "#close\r\n"}.raw())
	}
	warnings := 0
	s := f.state("fta-pass")
	for i := range s.staff {
		if strings.HasPrefix(f.staffOf(i).Subject, "[maildesk] 주소 사칭 경고") {
			warnings++
		}
	}
	if warnings != spoofWarningLimit {
		t.Fatalf("spoof warnings: got %d, want %d", warnings, spoofWarningLimit)
	}
}

// TestLongTextIsCutInTheNotice: a 2 MB text reaches the handler cut, with
// the command that shows it all.
func TestLongTextIsCutInTheNotice(t *testing.T) {
	f := newFixture(t)
	body := strings.Repeat("아주 긴 문의 내용입니다. ", 200000)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "긴 문의", id: "long@x", body: body}.raw())
	n := f.staffOf(0)
	if got := len([]rune(n.Text)); got > maxNoticeTextRunes+5000 {
		t.Errorf("notice text has %d characters", got)
	}
	if !strings.Contains(n.Text, "maildesk ticket 1") {
		t.Errorf("the notice does not say how to read it all")
	}
	if s := f.state("fta-pass"); len(s.messages[1][0].Text) < len(body)/2 {
		t.Errorf("the stored text was cut too: %d bytes", len(s.messages[1][0].Text))
	}
}

// TestOutboxClockSteppedBack: mail queued (or retried) before the clock
// was stepped back a day is sent at once, not when the clock catches up.
// (TestOutboxDelivers holds that a row waiting for its retry is not sent
// early.)
func TestOutboxClockSteppedBack(t *testing.T) {
	f := newFixture(t)
	sys, sender := smtpSink(t)
	ctx := context.Background()

	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "c1@x"}.raw())
	f.deliver("fta-pass", 1, 2, mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "c2@x"}.raw())
	// lee's ack fails once and waits 30 s for its retry.
	sys.Refuse(451)
	if _, err := f.desk.deliverDue(ctx, sender); err != nil {
		t.Fatal(err)
	}
	sys.Refuse(0)
	f.deliver("fta-pass", 1, 3, mail{from: "park@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "c3@x"}.raw())
	f.clock.Add(-24 * time.Hour)
	if _, err := f.desk.deliverDue(ctx, sender); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"kim@example.co.kr", "lee@example.co.kr", "park@example.co.kr"} {
		if got := len(capturedTo(sys, to)); got != 1 {
			t.Errorf("ack to %s after the clock went back a day: sent %d, want 1", to, got)
		}
	}
}
