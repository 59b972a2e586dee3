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

// correctionFixture has one correction request from kim on the example
// rules (correction@, handler kioi, compensation 10000), and returns the
// handler's notice.
func correctionFixture(t *testing.T) (*fixture, *message.Message) {
	t.Helper()
	f := newFixture(t)
	f.deliver("correction", 1, 1, mail{from: "김고객 <kim@example.co.kr>", to: "correction@origin.or.kr", subject: "상담원 응대가 불친절했습니다",
		id: "c1@example.co.kr", body: "어제 전화 상담에서 불친절한 응대를 받았습니다. 시정을 요청합니다.\r\n"}.raw())
	notice := f.staffOf(0)
	if notice.To[0].Addr != "kioi@origin.or.kr" {
		t.Fatalf("notice to %v, want kioi", notice.To)
	}
	return f, notice
}

// kindsOut lists the X-Maildesk-Kind of every mail queued for customers.
func (f *fixture) customerMail(kind string) []*message.Message {
	f.t.Helper()
	var out []*message.Message
	for _, d := range f.state("").outbox {
		if m := f.parsed(d); m.Header.Get("X-Maildesk-Kind") == kind {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) ledger() []*store.Correction {
	f.t.Helper()
	l, err := Ledger(context.Background(), f.store, time.Time{}, time.Time{})
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// TestCorrectionAckApologises: a mail to correction@ gets the
// correction-ack, which apologises at once and says it will be looked into.
func TestCorrectionAckApologises(t *testing.T) {
	f, _ := correctionFixture(t)
	acks := f.customerMail(KindAck)
	if len(acks) != 1 {
		t.Fatalf("got %d acks, want 1", len(acks))
	}
	for _, want := range []string{"진심으로 사과드립니다", "사실관계를 조사한 뒤", "apologies", "김지원", "[CORR #1]"} {
		if !strings.Contains(acks[0].Text, want) {
			t.Errorf("ack lacks %q:\n%s", want, acks[0].Text)
		}
	}
	r, err := CorrectionFigures(context.Background(), f.store, time.Time{}, time.Time{})
	if err != nil || r != (CorrectionsReport{Received: 1}) {
		t.Errorf("figures: got %+v, %v; want 1 received", r, err)
	}
}

// TestUphold: #uphold pays the category's compensation or the amount given,
// once, tells the customer, closes the ticket, and shows in the ledger and
// the figures; every bad #uphold or #dismiss pays nothing and tells the
// handler why.
func TestUphold(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantAmount int64 // -1: nothing decided
		wantStatus string
		wantText   []string
	}{
		{"default", "#uphold\r\n", 10000, store.StatusClosed, []string{"10,000원", "사과드리며", "10,000 KRW"}},
		{"amount", "#uphold 20,000원\r\n", 20000, store.StatusClosed, []string{"20,000원"}},
		{"zero", "#uphold 0\r\n", 0, store.StatusClosed, []string{"사과드리며"}},
		{"with words", "#uphold\r\n\r\n해당 직원에게 주의를 주었습니다.\r\n", 10000, store.StatusClosed, []string{"해당 직원에게 주의를 주었습니다."}},
		{"dismiss", "#dismiss 통화 녹음을 확인한 결과 안내 내용에 잘못이 없었습니다.\r\n", -2, store.StatusAnswered, []string{"통화 녹음을 확인한 결과", "시정 대상에 해당하지 않는"}},
		{"negative", "#uphold -10000\r\n", -1, store.StatusOpen, nil},
		{"absurd", "#uphold 100000000\r\n", -1, store.StatusOpen, nil},
		{"not a number", "#uphold 만원\r\n", -1, store.StatusOpen, nil},
		{"dismiss without reason", "#dismiss\r\n", -1, store.StatusOpen, nil},
		{"both", "#uphold\r\n#dismiss 이유\r\n", -1, store.StatusOpen, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, notice := correctionFixture(t)
			f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, tt.body)
			s := f.state("")
			tk := s.tickets[0]
			if tk.Status != tt.wantStatus {
				t.Errorf("status: got %s, want %s", tk.Status, tt.wantStatus)
			}
			results := f.customerMail(KindCorrectionResult)
			answers := f.customerMail(KindAnswer)
			if len(answers) != 0 {
				t.Errorf("got %d separate answers, want the text in the result only", len(answers))
			}
			l := f.ledger()
			r, err := CorrectionFigures(context.Background(), f.store, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantAmount == -1:
				if len(results) != 0 || len(l) != 0 || r.Upheld+r.Dismissed != 0 {
					t.Fatalf("a bad command decided: %d results, ledger %v, figures %+v", len(results), l, r)
				}
				errMail := f.staffOf(len(s.staff) - 1)
				if !strings.Contains(errMail.Subject, "Not processed") {
					t.Errorf("the handler was not told: last staff mail %q", errMail.Subject)
				}
				return
			case len(results) != 1:
				t.Fatalf("got %d correction results, want 1", len(results))
			}
			for _, want := range tt.wantText {
				if !strings.Contains(results[0].Text, want) {
					t.Errorf("result lacks %q:\n%s", want, results[0].Text)
				}
			}
			if results[0].To[0].Addr != "kim@example.co.kr" {
				t.Errorf("result to %v", results[0].To)
			}
			if tt.wantAmount == -2 {
				if len(l) != 0 || r != (CorrectionsReport{Received: 1, Dismissed: 1}) {
					t.Errorf("dismissed: ledger %v, figures %+v", l, r)
				}
				return
			}
			if tt.wantAmount == 0 {
				if len(l) != 0 || r != (CorrectionsReport{Received: 1, Upheld: 1}) {
					t.Errorf("upheld without compensation: ledger %v, figures %+v", l, r)
				}
				return
			}
			if len(l) != 1 || l[0].Amount != tt.wantAmount || l[0].Handler != "kioi" || l[0].Paid() || l[0].Customer != "kim@example.co.kr" {
				t.Fatalf("ledger: got %+v, want one unpaid entry of %d by kioi", l, tt.wantAmount)
			}
			want := CorrectionsReport{Received: 1, Upheld: 1, CompensationKRW: tt.wantAmount, Unpaid: 1}
			if r != want {
				t.Errorf("figures: got %+v, want %+v", r, want)
			}
		})
	}
}

// TestUpholdOnce: a second #uphold (or a #dismiss after it), a replayed
// reply, a reply from a former handler and a forged one never pay.
func TestUpholdOnce(t *testing.T) {
	f, notice := correctionFixture(t)
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
	for i, body := range []string{"#uphold\r\n", "#uphold 50000\r\n", "#dismiss 다시 보니 아닙니다\r\n"} {
		f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, body)
		if n := len(f.customerMail(KindCorrectionResult)); n != 1 {
			t.Fatalf("reply %d (%q): %d results, want still 1", i, body, n)
		}
	}
	// The same reply fetched again is a duplicate.
	raw := mail{from: "kioi@origin.or.kr", to: notice.ReplyTo[0].Addr, subject: "RE: " + notice.Subject, id: "again@origin.or.kr",
		headers: []string{"In-Reply-To: <" + notice.MessageID + ">"}, body: "#uphold\r\n"}.raw()
	f.deliver("correction", 1, 50, raw)
	f.deliver("correction", 1, 51, raw)
	if l := f.ledger(); len(l) != 1 || l[0].Amount != 10000 {
		t.Fatalf("ledger after repeats: got %+v, want one entry of 10000", l)
	}
	last := f.staffOf(len(f.state("").staff) - 1)
	if !strings.Contains(last.Text, "upheld already by kioi") {
		t.Errorf("the handler was not told it was decided:\n%s", last.Text)
	}
}

// TestUpholdHostile: #uphold from a handler the ticket has left, from a
// forged mail (a staff address without a valid token) or from the
// customer pays nothing.
func TestUpholdHostile(t *testing.T) {
	tests := []struct {
		name string
		send func(f *fixture, notice *message.Message)
	}{
		{"former handler", func(f *fixture, notice *message.Message) {
			f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#assign mslim\r\n")
			f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
		}},
		{"forged token", func(f *fixture, notice *message.Message) {
			forged := strings.Replace(notice.ReplyTo[0].Addr, ".", ".x", 1)
			f.reply(notice, "kioi@origin.or.kr", forged, "#uphold\r\n")
		}},
		{"no token", func(f *fixture, notice *message.Message) {
			f.reply(notice, "kioi@origin.or.kr", "correction@origin.or.kr", "#uphold\r\n")
		}},
		{"another handler's token", func(f *fixture, notice *message.Message) {
			f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
		}},
		{"the customer", func(f *fixture, notice *message.Message) {
			uidSeq++
			f.deliver("correction", 1, uidSeq, mail{from: "kim@example.co.kr", to: "correction@origin.or.kr", subject: "RE: [CORR #1] 상담원 응대가 불친절했습니다",
				id: fmt.Sprintf("cust%d@example.co.kr", uidSeq), body: "#uphold 1000000\r\n"}.raw())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, notice := correctionFixture(t)
			tt.send(f, notice)
			if l := f.ledger(); len(l) != 0 {
				t.Fatalf("paid: %+v", l)
			}
			if n := len(f.customerMail(KindCorrectionResult)); n != 0 {
				t.Fatalf("%d results went to the customer", n)
			}
		})
	}
}

// TestUpholdNotACorrection: #uphold on a ticket of a category without a
// compensation key is refused.
func TestUpholdNotACorrection(t *testing.T) {
	f, notice := staffFixture(t)
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
	if l := f.ledger(); len(l) != 0 || f.state("").tickets[0].Status != store.StatusOpen {
		t.Fatalf("an inquiry was upheld: %+v", l)
	}
	last := f.staffOf(len(f.state("").staff) - 1)
	if !strings.Contains(last.Text, "correction requests only") {
		t.Errorf("the handler was not told:\n%s", last.Text)
	}
}

// TestMarkPaid: paying an entry is an event on its ticket, once.
func TestMarkPaid(t *testing.T) {
	f, notice := correctionFixture(t)
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
	l := f.ledger()
	if len(l) != 1 {
		t.Fatalf("ledger: %+v", l)
	}
	ctx := context.Background()
	if _, err := f.desk.MarkPaid(ctx, l[0].ID, "계좌이체 2026-11-26"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.MarkPaid(ctx, l[0].ID, "again"); err == nil {
		t.Fatal("paid twice")
	}
	if _, err := f.desk.MarkPaid(ctx, l[0].ID+100, ""); err == nil {
		t.Fatal("paid an entry that is not there")
	}
	var events []store.Event
	if err := f.store.Read(ctx, func(tx *store.Tx) (err error) { events, err = tx.Events(ctx, l[0].TicketID); return err }); err != nil {
		t.Fatal(err)
	}
	var paid, upheld int
	for _, e := range events {
		switch e.Kind {
		case "paid":
			paid++
			if !strings.Contains(e.Detail, "10,000 KRW paid: 계좌이체") {
				t.Errorf("paid event: %q", e.Detail)
			}
		case "upheld":
			upheld++
		}
	}
	if paid != 1 || upheld != 1 {
		t.Errorf("events: %d paid, %d upheld; want 1 and 1", paid, upheld)
	}
	if l := f.ledger(); !l[0].Paid() {
		t.Errorf("not marked paid: %+v", l[0])
	}
}

// TestUpholdAfterDismiss: a dismissed request the customer contests may be
// upheld after all, once; it is not dismissed twice.
func TestUpholdAfterDismiss(t *testing.T) {
	f, notice := correctionFixture(t)
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#dismiss 녹취 확인 결과 문제가 없었습니다.\r\n")
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#dismiss 다시 봐도 문제가 없었습니다.\r\n")
	if n := len(f.customerMail(KindCorrectionResult)); n != 1 {
		t.Fatalf("dismissed twice: %d results", n)
	}
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
	f.reply(notice, "kioi@origin.or.kr", notice.ReplyTo[0].Addr, "#uphold\r\n")
	if n := len(f.customerMail(KindCorrectionResult)); n != 2 {
		t.Fatalf("%d results, want 2 (dismissed, then upheld)", n)
	}
	if l := f.ledger(); len(l) != 1 || l[0].Amount != 10000 {
		t.Fatalf("ledger: %+v", l)
	}
	r, _ := CorrectionFigures(context.Background(), f.store, time.Time{}, time.Time{})
	if r != (CorrectionsReport{Received: 1, Upheld: 1, CompensationKRW: 10000, Unpaid: 1}) {
		t.Errorf("figures: %+v", r)
	}
}
