package desk

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// staffFixture has one open FTA-PASS ticket from kim, with the handler's
// notice queued.
func staffFixture(t *testing.T) (*fixture, *message.Message) {
	t.Helper()
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	f.deliver("fta-pass", 1, 1, mail{from: "김고객 <kim@example.co.kr>", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "s1@x",
		body: "원산지확인서 발급 방법을 알려 주세요.\r\n"}.raw())
	notice := f.staffOf(0)
	if len(notice.ReplyTo) != 1 || !strings.HasPrefix(notice.ReplyTo[0].Addr, "fta-pass+t1.") {
		t.Fatalf("staff notice Reply-To: got %v", notice.ReplyTo)
	}
	if notice.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(notice.Text, "원산지확인서 발급 방법을 알려 주세요.") {
		t.Fatalf("staff notice to %v:\n%s", notice.To, notice.Text)
	}
	return f, notice
}

var uidSeq uint32 = 100

// reply delivers a handler's reply to the notice.
func (f *fixture) reply(notice *message.Message, from, to, body string, headers ...string) {
	f.t.Helper()
	uidSeq++
	h := append([]string{"In-Reply-To: <" + notice.MessageID + ">", "References: <" + notice.MessageID + ">"}, headers...)
	f.deliver("fta-pass", 1, uidSeq, mail{from: from, to: to, subject: "RE: " + notice.Subject, id: fmt.Sprintf("staff%d@origin.or.kr", uidSeq),
		headers: h, body: body}.raw())
}

func outlookQuote(notice *message.Message) string {
	return "\r\n\r\n-----Original Message-----\r\nFrom: maildesk <fta-pass@origin.or.kr>\r\nSent: Wednesday, November 25, 2026 2:00 PM\r\nTo: 임민수 <mslim@origin.or.kr>\r\nSubject: " +
		notice.Subject + "\r\n\r\n" + strings.ReplaceAll(notice.Text, "\n", "\r\n")
}

func gmailQuote(notice *message.Message) string {
	var q strings.Builder
	q.WriteString("\r\n\r\n2026년 11월 25일 (수) 오후 2:00, maildesk <" + notice.ReplyTo[0].Addr + ">님이 작성:\r\n")
	for _, l := range strings.Split(notice.Text, "\n") {
		q.WriteString("> " + l + "\r\n")
	}
	return q.String()
}

func TestStaffReplyIsRelayed(t *testing.T) {
	for name, quote := range map[string]func(*message.Message) string{"outlook": outlookQuote, "gmail": gmailQuote} {
		t.Run(name, func(t *testing.T) {
			f, notice := staffFixture(t)
			answer := "안녕하십니까.\r\nFTA-PASS에서 [원산지확인서] 메뉴를 이용하시면 됩니다.\r\n감사합니다."
			f.reply(notice, "임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, answer+quote(notice))
			s := f.state("fta-pass")
			if len(s.outbox) != 2 {
				t.Fatalf("queued for the customer: got %d, want the ack and the answer", len(s.outbox))
			}
			got := f.ackOf(1)
			if got.To[0].Addr != "kim@example.co.kr" || got.From.Addr != "fta-pass@origin.or.kr" || got.InReplyTo[0] != "s1@x" {
				t.Errorf("answer from %v to %v in-reply-to %v", got.From, got.To, got.InReplyTo)
			}
			if got.Subject != "Re: [FTA-PASS #1] 원산지 문의" || got.Header.Get("Auto-Submitted") != "" {
				t.Errorf("answer subject %q, Auto-Submitted %q", got.Subject, got.Header.Get("Auto-Submitted"))
			}
			for _, want := range []string{"[원산지확인서] 메뉴를 이용하시면 됩니다.", "임민수 / FTA-PASS 운영팀", "전화 031-600-0722", "mslim@origin.or.kr"} {
				if !strings.Contains(got.Text, want) {
					t.Errorf("answer lacks %q:\n%s", want, got.Text)
				}
			}
			for _, leak := range []string{"Original Message", "님이 작성", "#assign", "고객이 보낸 내용"} {
				if strings.Contains(got.Text, leak) {
					t.Errorf("answer leaks the notice (%q):\n%s", leak, got.Text)
				}
			}
			tk := f.ticket(1)
			if tk.Status != store.StatusAnswered || tk.AnsweredAt == nil {
				t.Errorf("ticket: status %s answered %v", tk.Status, tk.AnsweredAt)
			}
			// The deadline stopped: no notice, no alert.
			f.clock.Add(72 * time.Hour)
			if next := f.tick(); !next.IsZero() {
				t.Errorf("deadline clock still pending: %v", next)
			}
			if n := len(f.state("fta-pass").outbox); n != 2 {
				t.Errorf("after the deadline: %d queued, want still 2", n)
			}
		})
	}
}

func TestStaffReplyWithAttachment(t *testing.T) {
	f, notice := staffFixture(t)
	uidSeq++
	raw := "From: mslim@origin.or.kr\r\nTo: " + notice.ReplyTo[0].Addr + "\r\nSubject: RE: x\r\nMessage-ID: <att" + fmt.Sprint(uidSeq) + "@origin.or.kr>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n서식을 보내 드립니다.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%EC%84%9C%EC%8B%9D.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"
	f.deliver("fta-pass", 1, uidSeq, []byte(raw))
	got := f.ackOf(1)
	if len(got.Attachments) != 1 || got.Attachments[0].Name != "서식.pdf" || string(got.Attachments[0].Data) != "%PDF-1.4\n" {
		t.Fatalf("relayed attachments: %+v", got.Attachments)
	}
}

func TestStaffCommands(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		status    string
		relayed   bool
		events    []string // kinds that must appear
		staffMail string   // text the handler gets back, "" for none
	}{
		{"note only", "#note 고객과 통화함. 서류 보완 예정\r\n", store.StatusOpen, false, []string{"note"}, ""},
		{"status then answer", "#status 관세청에 확인 중\r\n답변 드립니다.\r\n", store.StatusAnswered, true, []string{"status"}, ""},
		{"close with answer", "#close\r\n마지막 답변입니다.\r\n", store.StatusClosed, true, []string{"closed"}, ""},
		{"close only", "#close\r\n", store.StatusClosed, false, []string{"closed"}, ""},
		{"noreply", "#noreply\r\n기록만 남깁니다.\r\n", store.StatusOpen, false, []string{"recorded"}, ""},
		{"defer", "#defer 2026-12-10 관세청 회신 대기\r\n", store.StatusOpen, false, []string{"deferred"}, ""},
		{"unknown command", "#cloze\r\n답변\r\n", store.StatusOpen, false, []string{"command-error"}, "unknown command #cloze"},
		{"bad defer", "#defer 내일 기다려 주세요\r\n답변\r\n", store.StatusOpen, false, []string{"command-error"}, "#defer needs a date"},
		{"assign to nobody", "#assign nobody\r\n", store.StatusOpen, false, []string{"command-error"}, "no such handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, notice := staffFixture(t)
			f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, tt.body)
			s := f.state("fta-pass")
			tk := f.ticket(1)
			if tk.Status != tt.status {
				t.Errorf("status: got %s, want %s", tk.Status, tt.status)
			}
			if relayed := len(s.outbox) == 2; relayed != tt.relayed {
				t.Errorf("relayed: got %v (%d queued), want %v", relayed, len(s.outbox), tt.relayed)
			}
			var events []string
			f.store.Read(context.Background(), func(tx *store.Tx) error {
				for _, e := range must(tx.Events(context.Background(), 1)) {
					events = append(events, e.Kind)
				}
				return nil
			})
			for _, want := range tt.events {
				if !strings.Contains(strings.Join(events, " "), want) {
					t.Errorf("events %v lack %q", events, want)
				}
			}
			if tt.staffMail != "" {
				back := f.staffOf(len(s.staff) - 1)
				if back.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(back.Text, tt.staffMail) {
					t.Errorf("reply to the handler (to %v):\n%s", back.To, back.Text)
				}
			}
			if tt.name == "defer" {
				seoul, _ := time.LoadLocation("Asia/Seoul")
				if want := time.Date(2026, 12, 10, 18, 0, 0, 0, seoul); tk.ExpectedAt == nil || !tk.ExpectedAt.Equal(want) || tk.DelayReason != "관세청 회신 대기" {
					t.Errorf("deferred: expected %v reason %q", tk.ExpectedAt, tk.DelayReason)
				}
			}
		})
	}
}

func TestStaffAssignTellsTheCustomer(t *testing.T) {
	rs := map[string]string{"rules.toml": deadlineRules["rules.toml"] + `
[[handler]]
id = "bslee"
name = "이보선"
department = "원산지관리사 자격시험팀"
phone = "031-600-0745"
email = "bslee@origin.or.kr"
`}
	f := newFixtureWith(t, rulesFrom(t, rs))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "자격시험 문의", id: "as1@x"}.raw())
	notice := f.staffOf(0)
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#assign bslee\r\n#note 자격시험 건이라 넘깁니다\r\n")
	tk := f.ticket(1)
	if tk.Handler.ID != "bslee" || tk.Handler.Phone != "031-600-0745" {
		t.Fatalf("handler: got %+v", tk.Handler)
	}
	s := f.state("fta-pass")
	transfer := f.ackOf(1)
	if len(s.outbox) != 2 || transfer.To[0].Addr != "kim@example.co.kr" {
		t.Fatalf("customer mails: %d, last to %v", len(s.outbox), transfer.To)
	}
	t.Logf("transfer notice as the customer receives it: From %s, To %s, Subject %q, In-Reply-To %v, Auto-Submitted %q, X-Maildesk-Kind %q\n%s",
		transfer.From, transfer.To, transfer.Subject, transfer.InReplyTo, transfer.Header.Get("Auto-Submitted"), transfer.Header.Get("X-Maildesk-Kind"), transfer.Text)
	for _, want := range []string{"이보선", "원산지관리사 자격시험팀", "031-600-0745"} {
		if !strings.Contains(transfer.Text, want) {
			t.Errorf("transfer notice lacks %q:\n%s", want, transfer.Text)
		}
	}
	newNotice := f.staffOf(len(s.staff) - 1)
	if newNotice.To[0].Addr != "bslee@origin.or.kr" || !strings.Contains(newNotice.Text, "넘어왔습니다") {
		t.Fatalf("new handler's notice to %v:\n%s", newNotice.To, newNotice.Text)
	}
	// The new handler answers with their own token; the old one's token no
	// longer belongs to them... but still proves mslim: it stays valid for
	// mslim, so test the new one.
	f.reply(newNotice, "bslee@origin.or.kr", newNotice.ReplyTo[0].Addr, "자격시험 일정은 다음과 같습니다.\r\n")
	if tk := f.ticket(1); tk.Status != store.StatusAnswered {
		t.Errorf("after the new handler's answer: status %s", tk.Status)
	}
	if got := f.ackOf(2); !strings.Contains(got.Text, "이보선 / 원산지관리사 자격시험팀") {
		t.Errorf("answer signature:\n%s", got.Text)
	}
}

func TestSpoofedStaffReply(t *testing.T) {
	f, notice := staffFixture(t)
	// The handler's address, but a token made up (or none at all).
	forged := strings.Replace(notice.ReplyTo[0].Addr, ".", ".x", 1)
	for i, to := range []string{"fta-pass@origin.or.kr", forged, "fta-pass+t1.aaaaaaaaaa@origin.or.kr"} {
		uidSeq++
		f.deliver("fta-pass", 1, uidSeq, mail{from: "mslim@origin.or.kr", to: to, subject: "RE: [FTA-PASS #1] 원산지 문의", id: fmt.Sprintf("spoof%d@evil", i),
			body: "#close\r\n고객님, 환불해 드리겠습니다.\r\n"}.raw())
	}
	tk := f.ticket(1)
	if tk.Status != store.StatusOpen {
		t.Fatalf("a spoofed command ran: status %s", tk.Status)
	}
	s := f.state("fta-pass")
	if len(s.outbox) != 1 {
		t.Fatalf("relayed a spoofed reply: %d queued for the customer", len(s.outbox))
	}
	warnings := 0
	for i := range s.staff {
		if m := f.staffOf(i); strings.Contains(m.Subject, "주소 사칭 경고") && m.To[0].Addr == "mslim@origin.or.kr" {
			warnings++
		}
	}
	if warnings != 3 {
		t.Errorf("warnings to the handler: got %d, want 3", warnings)
	}
}

func TestDirectAnswerWithHelpdeskInCc(t *testing.T) {
	f, notice := staffFixture(t)
	// Verified: the handler answers the customer directly, Cc the helpdesk,
	// in the thread of maildesk's notice.
	f.reply(notice, "mslim@origin.or.kr", "kim@example.co.kr", "직접 답변드립니다.\r\n", "Cc: fta-pass@origin.or.kr")
	if tk := f.ticket(1); tk.Status != store.StatusAnswered {
		t.Fatalf("verified direct answer: status %s", tk.Status)
	}
	if s := f.state("fta-pass"); len(s.outbox) != 1 {
		t.Errorf("a direct answer must not be sent again: %d queued", len(s.outbox))
	}
	// Unverified: nothing in the thread proves it; recorded, clock runs on.
	g, _ := staffFixture(t)
	uidSeq++
	g.deliver("fta-pass", 1, uidSeq, mail{from: "mslim@origin.or.kr", to: "kim@example.co.kr", subject: "RE: 원산지 문의", id: "direct2@x",
		headers: []string{"Cc: fta-pass@origin.or.kr", "In-Reply-To: <s1@x>"}, body: "답변입니다.\r\n"}.raw())
	if tk := g.ticket(1); tk.Status != store.StatusOpen {
		t.Errorf("unverified direct answer stopped the clock: status %s", tk.Status)
	}
	if ms := g.state("fta-pass").messages[1]; ms[len(ms)-1].Kind == KindStaffDirect {
		t.Errorf("unverified direct answer recorded as verified")
	}
}

// TestAbsentHandler: on the days the FTA-PASS handler is away, a new
// inquiry goes to the delegate, the acknowledgement names the delegate, and
// the handler gets a short note of it on the morning after the absence.
func TestAbsentHandler(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, absenceRules(t, "2026-11-25", "2026-11-27")))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "휴가 중 문의", id: "ab1@x"}.raw())
	tk := f.ticket(1)
	if tk.Handler.ID != "boss" {
		t.Fatalf("handler: got %s, want the delegate boss", tk.Handler.ID)
	}
	if ack := f.ackOf(0); !strings.Contains(ack.Text, "김팀장") || strings.Contains(ack.Text, "임민수") {
		t.Errorf("the ack must name the delegate, not the absent handler:\n%s", ack.Text)
	}
	if n := f.staffOf(0); n.To[0].Addr != "boss@origin.or.kr" {
		t.Errorf("the delegate gets the notice; got %v", n.To)
	}
	// The answer comes in time; the FYI waits for Saturday 09:00 (the day
	// after the absence), then goes once.
	seoul, _ := time.LoadLocation("Asia/Seoul")
	back := time.Date(2026, 11, 28, 9, 0, 0, 0, seoul)
	f.clock.Add(back.Sub(f.clock.Now()) - time.Minute)
	f.tick()
	fyis := func() (n int, last *message.Message) {
		s := f.state("fta-pass")
		for i := range s.staff {
			if m := f.staffOf(i); strings.Contains(m.Subject, "부재 중 문의") {
				n, last = n+1, m
			}
		}
		return n, last
	}
	if n, _ := fyis(); n != 0 {
		t.Fatalf("FYI before the handler is back: %d", n)
	}
	f.clock.Add(time.Minute)
	f.tick()
	f.tick()
	n, fyi := fyis()
	if n != 1 || fyi.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(fyi.Text, "[FTA-PASS #1] 휴가 중 문의") {
		t.Fatalf("FYIs: %d, last %v", n, fyi)
	}
}

// absenceRules are deadlineRules with the FTA-PASS handler mslim away
// from one date to another (inclusive, "2026-11-25"), boss standing in.
func absenceRules(t *testing.T, from, to string) map[string]string {
	t.Helper()
	const handler = "email = \"mslim@origin.or.kr\"\n"
	if !strings.Contains(deadlineRules["rules.toml"], handler) {
		t.Fatalf("deadlineRules no longer has %q to add the absence to", handler)
	}
	return map[string]string{"rules.toml": strings.Replace(deadlineRules["rules.toml"], handler,
		handler+"\n[[handler.absence]]\nfrom = "+from+"\nto = "+to+"\ndelegate = \"boss\"\n", 1)}
}

func TestDirectAnswerVerifiedByAuthenticationResults(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    string
	}{
		{"dkim pass from the trusted server", []string{"Authentication-Results: mx.origin.or.kr; dkim=pass header.d=origin.or.kr header.s=s1; spf=pass"}, store.StatusAnswered},
		{"dmarc pass", []string{"Authentication-Results: mx.origin.or.kr; spf=fail; dmarc=pass (p=reject) header.from=origin.or.kr"}, store.StatusAnswered},
		{"another server's verdict", []string{"Authentication-Results: mx.evil.example; dkim=pass header.d=origin.or.kr"}, store.StatusOpen},
		{"dkim pass for another domain", []string{"Authentication-Results: mx.origin.or.kr; dkim=pass header.d=evil.example"}, store.StatusOpen},
		{"dkim fail", []string{"Authentication-Results: mx.origin.or.kr; dkim=fail header.d=origin.or.kr"}, store.StatusOpen},
		{"forged header below the real one", []string{"Authentication-Results: mx.origin.or.kr; dkim=none", "Authentication-Results: mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, store.StatusOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := staffFixture(t)
			f.desk.trustedAuth = "mx.origin.or.kr"
			uidSeq++
			f.deliver("fta-pass", 1, uidSeq, mail{from: "mslim@origin.or.kr", to: "kim@example.co.kr", subject: "RE: 원산지 문의", id: fmt.Sprintf("ar%d@origin.or.kr", uidSeq),
				headers: append([]string{"Cc: fta-pass@origin.or.kr", "In-Reply-To: <s1@x>"}, tt.headers...), body: "직접 답변드립니다.\r\n"}.raw())
			if tk := f.ticket(1); tk.Status != tt.want {
				t.Errorf("status: got %s, want %s", tk.Status, tt.want)
			}
		})
	}
}

// TestFollowUpDuringAbsence: a ticket opened before its handler went away
// stays theirs, but while they are away each notice about it goes to their
// delegate too, with the delegate's own token, which acts.
func TestFollowUpDuringAbsence(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, absenceRules(t, "2026-11-26", "2026-11-30")))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "fa1@x"}.raw())
	if tk := f.ticket(1); tk.Handler.ID != "mslim" {
		t.Fatalf("handler before the absence: %s", tk.Handler.ID)
	}
	f.clock.Add(24 * time.Hour) // 2026-11-26: mslim is away
	f.deliver("fta-pass", 1, 2, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의", id: "fa2@x",
		headers: []string{"In-Reply-To: <fa1@x>"}, body: "추가 질문입니다.\r\n"}.raw())
	s := f.state("fta-pass")
	var toBoss *message.Message
	handlerGot := false
	for i := 1; i < len(s.staff); i++ {
		m := f.staffOf(i)
		switch m.To[0].Addr {
		case "boss@origin.or.kr":
			toBoss = m
		case "mslim@origin.or.kr":
			handlerGot = true
		}
	}
	if toBoss == nil || !strings.Contains(toBoss.Text, "추가 질문입니다.") || !strings.Contains(toBoss.Text, "delegate") {
		t.Fatalf("the delegate did not get the follow-up: %v", toBoss)
	}
	if !handlerGot {
		t.Errorf("the handler's own copy is gone")
	}
	f.reply(toBoss, "boss@origin.or.kr", toBoss.ReplyTo[0].Addr, "대신 답변드립니다.\r\n")
	if got := f.queued(); len(got) != 2 || !strings.HasPrefix(got[1], KindAnswer) {
		t.Fatalf("the delegate's answer: queued %v", got)
	}
}

// TestAlertDuringSupervisorAbsence: the alert of a missed deadline reaches
// the supervisor's delegate too while the supervisor is away.
func TestAlertDuringSupervisorAbsence(t *testing.T) {
	rs := map[string]string{"rules.toml": strings.Replace(deadlineRules["rules.toml"], `email = "boss@origin.or.kr"
`, `email = "boss@origin.or.kr"

[[handler.absence]]
from = 2026-11-26
to = 2026-11-30
delegate = "deputy"

[[handler]]
id = "deputy"
name = "박대리"
email = "deputy@origin.or.kr"
`, 1)}
	f := newFixtureWith(t, rulesFrom(t, rs))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "al1@x"}.raw())
	f.clock.Add(49 * time.Hour)
	f.tick()
	f.tick()
	got := f.queued()
	if len(got) != 3 || got[2] != "alert boss@origin.or.kr,deputy@origin.or.kr" {
		t.Fatalf("queued: %v, want the alert to the supervisor and their delegate", got)
	}
}

// TestNoticeExampleDateIsAhead: the example #defer line in a handler's
// notice names a date a week ahead, not a fixed one that has passed.
func TestNoticeExampleDateIsAhead(t *testing.T) {
	f, notice := staffFixture(t)
	want := "#defer " + f.clock.Now().In(f.desk.loc).AddDate(0, 0, 7).Format("2006-01-02")
	if !strings.Contains(notice.Text, want) {
		t.Errorf("notice lacks %q:\n%s", want, notice.Text)
	}
}
