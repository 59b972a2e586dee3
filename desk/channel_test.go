package desk

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/store"
)

func (f *fixture) register(r Registration) *store.Ticket {
	f.t.Helper()
	t, err := f.desk.Register(context.Background(), r)
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func phoneComplaint(email string, received time.Time) Registration {
	return Registration{Category: "voc", Channel: "phone", Name: "홍길동", Email: email, Phone: "010-1234-5678",
		Subject: "민원 처리 지연", Text: "지난주 신청한 원산지확인서 처리가 늦어 항의합니다.", Received: received}
}

// TestRegisterWithEmail: a phone complaint with an email address opens a
// VOC ticket on the VOC clock from when it was received; the customer is
// acknowledged by mail and the handler gets the usual notice.
func TestRegisterWithEmail(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	tests := []struct {
		name     string
		received time.Time
		wantDue  time.Time
	}{
		// 40 working hours (8 a day, 09:00-18:00 less lunch) from
		// Wednesday 14:00 is the next Wednesday 14:00.
		{"now", time.Time{}, time.Date(2026, 12, 2, 14, 0, 0, 0, seoul)},
		// From Monday 10:00: Monday 7 h, Tuesday to Friday 32 h, then
		// the next Monday's first hour.
		{"received Monday", time.Date(2026, 11, 23, 10, 0, 0, 0, seoul), time.Date(2026, 11, 30, 10, 0, 0, 0, seoul)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tk := f.register(phoneComplaint("hong@example.com", tt.received))
			if tk.Channel != "phone" || tk.Category != "voc" || tk.Handler.ID != "kioi" || tk.Customer != "hong@example.com" || tk.Tag != "VOC" {
				t.Fatalf("ticket: %+v", tk)
			}
			if !tk.DueAt.Equal(tt.wantDue) {
				t.Errorf("due: got %v, want %v", tk.DueAt.In(seoul), tt.wantDue)
			}
			acks := f.customerMail(KindAck)
			if len(acks) != 1 || acks[0].To[0].Addr != "hong@example.com" || !strings.Contains(acks[0].Text, "홍길동 님") {
				t.Fatalf("acks: %v", acks)
			}
			if n := len(f.customerMail(KindReminder)); n != 0 {
				t.Errorf("%d reminders for a customer with an address", n)
			}
			notice := f.staffOf(0)
			if notice.To[0].Addr != "kioi@origin.or.kr" || !strings.Contains(notice.Text, "처리가 늦어 항의합니다") {
				t.Errorf("handler's notice to %v:\n%s", notice.To, notice.Text)
			}
			got := f.ticket(tk.ID)
			if got.Channel != "phone" || got.CustomerPhone != "010-1234-5678" {
				t.Errorf("stored: channel %q phone %q", got.Channel, got.CustomerPhone)
			}
			ms := f.state("").messages[tk.ID]
			if len(ms) == 0 || ms[0].Kind != KindRegistered || ms[0].Direction != store.In {
				t.Fatalf("first message: %+v", ms[0])
			}
			m := f.parsed(&store.Delivery{MessageID: ms[0].ID})
			if m.Header.Get("X-Maildesk-Channel") != "phone" || m.From.Name != "홍길동" || !strings.Contains(m.Text, "항의합니다") {
				t.Errorf("first message parsed: from %v, channel %q, text %q", m.From, m.Header.Get("X-Maildesk-Channel"), m.Text)
			}
		})
	}
}

// TestRegisterWithoutEmail: without an address nothing goes to the
// customer; the handler gets each mail they would have had (the
// acknowledgement, the interim notice, the answer) as a reminder with its
// text and the phone number.
func TestRegisterWithoutEmail(t *testing.T) {
	f := newFixture(t)
	tk := f.register(phoneComplaint("", time.Time{}))
	for _, q := range f.queued() {
		if !strings.HasPrefix(q, KindReminder+" ") {
			t.Errorf("queued %q; want only reminders to the handler", q)
		}
	}
	rem := f.customerMail(KindReminder)
	if len(rem) != 1 || rem[0].To[0].Addr != "kioi@origin.or.kr" {
		t.Fatalf("reminders: %v", rem)
	}
	for _, want := range []string{"010-1234-5678", "접수 안내", "접수번호는 [VOC #1]", "홍길동 님"} {
		if !strings.Contains(rem[0].Text, want) {
			t.Errorf("reminder lacks %q:\n%s", want, rem[0].Text)
		}
	}
	if !strings.HasPrefix(rem[0].ReplyTo[0].Addr, "fta-pass+t1.") {
		t.Errorf("reminder Reply-To: %v, want the handler's token", rem[0].ReplyTo)
	}
	// The interim notice falls due 8 working hours before the deadline.
	f.clock.Add(tk.NoticeAt.Sub(f.clock.Now()) + time.Minute)
	f.tick()
	rem = f.customerMail(KindReminder)
	if len(rem) != 2 || !strings.Contains(rem[1].Text, "답변 지연 안내") {
		t.Fatalf("after the notice time: %d reminders", len(rem))
	}
	// The handler's answer: told to them to give, and the ticket answered.
	notice := f.staffOf(0)
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "처리가 완료되었습니다. 불편을 드려 죄송합니다.\r\n")
	rem = f.customerMail(KindReminder)
	if len(rem) != 3 || !strings.Contains(rem[2].Text, "처리가 완료되었습니다") {
		t.Fatalf("after the answer: %d reminders", len(rem))
	}
	if got := f.ticket(tk.ID); got.Status != store.StatusAnswered {
		t.Errorf("status %s, want answered", got.Status)
	}
	for _, q := range f.queued() {
		if strings.HasSuffix(q, " ") {
			t.Errorf("a mail to no address: %q", q)
		}
	}
}

// TestRegisterCorrectionByPhone: a correction request by phone is upheld
// like one by mail; the outcome reaches the handler to give.
func TestRegisterCorrectionByPhone(t *testing.T) {
	f := newFixture(t)
	r := phoneComplaint("", time.Time{})
	r.Category, r.Subject = "correction", "상담원 불친절"
	f.register(r)
	notice := f.staffOf(0)
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
	rem := f.customerMail(KindReminder)
	if len(rem) != 2 || !strings.Contains(rem[0].Text, "사과드립니다") || !strings.Contains(rem[1].Text, "10,000원") {
		t.Fatalf("reminders: %d", len(rem))
	}
	if l := f.ledger(); len(l) != 1 || l[0].Amount != 10000 {
		t.Fatalf("ledger: %+v", l)
	}
}

// TestRegisterAbsence: routing and absences apply: a complaint received
// while the handler is away goes to the delegate.
func TestRegisterAbsence(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	f := newFixture(t)
	r := phoneComplaint("hong@example.com", time.Date(2026, 7, 28, 10, 0, 0, 0, seoul))
	r.Category = "fta-pass"
	tk := f.register(r)
	if tk.Handler.ID != "kioi" {
		t.Errorf("handler %s, want kioi (mslim's delegate)", tk.Handler.ID)
	}
}

// TestRegisterRefuses: every bad registration is refused with what is
// wrong, and nothing is stored.
func TestRegisterRefuses(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *Registration)
		want string
	}{
		{"channel", func(r *Registration) { r.Channel = "sms" }, `channel "sms"`},
		{"email channel", func(r *Registration) { r.Channel = "email" }, `channel "email"`},
		{"category", func(r *Registration) { r.Category = "nope" }, `category "nope"`},
		{"handler", func(r *Registration) { r.Handler = "nobody" }, `handler "nobody"`},
		{"no name", func(r *Registration) { r.Name = " " }, "name is required"},
		{"no text", func(r *Registration) { r.Text = "" }, "text is required"},
		{"subject lines", func(r *Registration) { r.Subject = "a\r\nBcc: x@y" }, "subject: one line"},
		{"bad email", func(r *Registration) { r.Email = "hong at example" }, "email"},
		{"email with name", func(r *Registration) { r.Email = "Hong <hong@example.com>" }, "email"},
		{"our own address", func(r *Registration) { r.Email = "fta-pass@origin.or.kr" }, "email"},
		{"a staff address", func(r *Registration) { r.Email = "kioi@origin.or.kr" }, "email"},
		{"future", func(r *Registration) { r.Received = start.Add(48 * time.Hour) }, "in the future"},
		{"long ago", func(r *Registration) { r.Received = start.AddDate(-2, 0, 0) }, "more than a year ago"},
		{"mailbox", func(r *Registration) { r.Mailbox = "nope" }, `mailbox "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := phoneComplaint("", time.Time{})
			tt.edit(&r)
			_, err := f.desk.Register(context.Background(), r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %q", err, tt.want)
			}
			if s := f.state(""); len(s.tickets) != 0 || len(s.outbox) != 0 {
				t.Errorf("stored %d tickets, %d mails", len(s.tickets), len(s.outbox))
			}
		})
	}
}

// TestStaffNewByMail: a handler's verified mail "#new voc phone 홍길동
// 010-…" registers the complaint below it; unverified, or with a mistake,
// it registers nothing.
func TestStaffNewByMail(t *testing.T) {
	const pass = "Authentication-Results: mx.origin.or.kr; dkim=pass header.d=origin.or.kr header.s=s1"
	tests := []struct {
		name    string
		headers []string
		first   string
		want    string // the new ticket's channel; "" for none
		wantErr string // in the handler's error mail
	}{
		{"verified", []string{pass}, "#new voc phone 홍길동 010-1234-5678", "phone", ""},
		{"with email", []string{pass}, "#NEW voc visit 홍 길동 hong@example.com", "visit", ""},
		{"unverified", nil, "#new voc phone 홍길동 010-1234-5678", "", ""},
		{"another server's verdict", []string{"Authentication-Results: mx.evil.example; dkim=pass header.d=origin.or.kr"}, "#new voc phone 홍길동", "", ""},
		{"bad channel", []string{pass}, "#new voc sms 홍길동", "", `channel "sms"`},
		{"no name", []string{pass}, "#new voc phone", "", "#new needs"},
		{"bad category", []string{pass}, "#new nope phone 홍길동", "", `category "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.desk.trustedAuth = "mx.origin.or.kr"
			f.deliver("fta-pass", 1, 1, mail{from: "김지원 <kioi@origin.or.kr>", to: "fta-pass@origin.or.kr", subject: "전화 민원: 처리 지연",
				id: "new1@origin.or.kr", headers: tt.headers, body: tt.first + "\r\n\r\n신청 처리가 늦어 항의하셨습니다.\r\n"}.raw())
			s := f.state("")
			var registered *store.Ticket
			for _, tk := range s.tickets {
				if tk.Channel != store.ChannelEmail {
					registered = tk
				}
			}
			switch {
			case tt.want == "" && registered != nil:
				t.Fatalf("registered %+v", registered)
			case tt.want != "" && (registered == nil || registered.Channel != tt.want || registered.Category != "voc" || registered.Subject != "전화 민원: 처리 지연"):
				t.Fatalf("registered %+v, want a %s VOC ticket", registered, tt.want)
			}
			if tt.want == "phone" {
				if registered.CustomerName != "홍길동" || registered.CustomerPhone != "010-1234-5678" || registered.Customer != "" {
					t.Errorf("customer %q %q %q", registered.CustomerName, registered.CustomerPhone, registered.Customer)
				}
				if rem := f.customerMail(KindReminder); len(rem) != 1 || !strings.Contains(rem[0].Text, "010-1234-5678") {
					t.Errorf("reminders: %d", len(rem))
				}
			}
			if tt.want == "visit" && (registered.Customer != "hong@example.com" || registered.CustomerName != "홍 길동" || len(f.customerMail(KindAck)) != 1) {
				t.Errorf("with email: %+v", registered)
			}
			if tt.wantErr != "" {
				last := f.staffOf(len(s.staff) - 1)
				if !strings.Contains(last.Text, tt.wantErr) || last.To[0].Addr != "kioi@origin.or.kr" {
					t.Errorf("error mail to %v lacks %q:\n%s", last.To, tt.wantErr, last.Text)
				}
			}
		})
	}
}

// TestRegisteredTakesNoStrayMail: mail without a sender whose subject is a
// reply to a registered ticket's (which has no customer address to match)
// does not join it.
func TestRegisteredTakesNoStrayMail(t *testing.T) {
	f := newFixture(t)
	tk := f.register(phoneComplaint("", time.Time{}))
	for i, from := range []string{"", "<>", "undisclosed-recipients:;"} {
		f.deliver("fta-pass", 1, uint32(10+i), mail{from: from, to: "fta-pass@origin.or.kr", subject: "Re: 민원 처리 지연", body: "추가 내용\r\n"}.raw())
	}
	if ms := f.state("").messages[tk.ID]; len(ms) != 1+len(f.customerMail(KindReminder))+1 {
		for _, m := range ms {
			t.Logf("%s %s %s", m.Direction, m.Kind, m.From)
		}
		t.Errorf("the registered ticket has %d messages", len(ms))
	}
}

// TestRegisterManyByPhone: complaints registered without an email address
// are not one customer's flood: every one reaches the handler.
func TestRegisterManyByPhone(t *testing.T) {
	f := newFixture(t)
	n := DefaultStaffNoticeLimit + 5
	for i := 0; i < n; i++ {
		r := phoneComplaint("", time.Time{})
		r.Name = fmt.Sprintf("고객%d", i)
		f.register(r)
	}
	if got := len(f.state("").staff); got != n {
		t.Errorf("%d handler notices for %d complaints", got, n)
	}
}
