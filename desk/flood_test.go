package desk

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/store"
)

// TestStaffNoticeFlood: a customer who mails far more than a conversation
// needs gets every mail stored, but the handler gets DefaultStaffNoticeLimit
// notices and one last notice that says the rest is held, not one per mail;
// other customers' mail is untouched, and an hour later notices resume.
func TestStaffNoticeFlood(t *testing.T) {
	f := newFixture(t)
	const flooder = "script@customer.example"
	const n = DefaultStaffNoticeLimit + 10
	uid := uint32(0)
	send := func(from, subject string) {
		t.Helper()
		uid++
		f.deliver("fta-pass", 1, uid, mail{from: from, to: "fta-pass@origin.or.kr", subject: subject,
			id: fmt.Sprintf("flood%d@x", uid)}.raw())
	}
	for i := range n {
		send(flooder, fmt.Sprintf("자동 발송 %d", i))
	}
	// A follow-up in the flood is held too: it is the same customer.
	uid++
	f.deliver("fta-pass", 1, uid, mail{from: flooder, to: "fta-pass@origin.or.kr", subject: "Re: [FTA-PASS #1] 자동 발송 0",
		id: fmt.Sprintf("flood%d@x", uid), headers: []string{"In-Reply-To: <flood1@x>"}}.raw())

	s := f.state("fta-pass")
	if len(s.tickets) != n {
		t.Fatalf("got %d tickets, want %d: every mail is stored", len(s.tickets), n)
	}
	if len(s.staff) != DefaultStaffNoticeLimit+1 {
		t.Fatalf("handler notices: got %d, want %d", len(s.staff), DefaultStaffNoticeLimit+1)
	}
	for i := range s.staff {
		m := f.staffOf(i)
		last := i == DefaultStaffNoticeLimit
		says := strings.Contains(m.Text, "메일을 너무 많이 보냈습니다") && strings.Contains(m.Text, "too much mail")
		if says != last {
			t.Errorf("notice %d: says the rest is held: %v, want %v", i, says, last)
		}
	}
	held := 0
	ctx := context.Background()
	err := f.store.Read(ctx, func(tx *store.Tx) error {
		for _, tk := range s.tickets {
			evs, err := tx.Events(ctx, tk.ID)
			if err != nil {
				return err
			}
			for _, e := range evs {
				if e.Kind == "staff-notice-held" {
					held++
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 30 inquiries and a follow-up, 21 notices: 10 held.
	if want := n + 1 - (DefaultStaffNoticeLimit + 1); held != want {
		t.Errorf("staff-notice-held events: got %d, want %d", held, want)
	}

	send("kim@example.co.kr", "다른 고객의 문의")
	if got := len(f.state("fta-pass").staff); got != DefaultStaffNoticeLimit+2 {
		t.Errorf("another customer's inquiry: %d notices in all, want %d", got, DefaultStaffNoticeLimit+2)
	}
	f.clock.Add(61 * time.Minute)
	send(flooder, "한 시간 뒤")
	s = f.state("fta-pass")
	if got := len(s.staff); got != DefaultStaffNoticeLimit+3 {
		t.Fatalf("an hour later: %d notices in all, want %d", got, DefaultStaffNoticeLimit+3)
	}
	if m := f.staffOf(len(s.staff) - 1); strings.Contains(m.Text, "too much mail") {
		t.Errorf("an hour later the notice still says the customer floods:\n%s", m.Text)
	}
}
