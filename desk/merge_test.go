package desk

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestTicketNumbersPerTag: each tag counts its own tickets, and a reply
// with the tag finds the ticket by that number, not by the id.
func TestTicketNumbersPerTag(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "n1@x"}.raw())
	f.deliver("qualification", 1, 1, mail{from: "lee@example.co.kr", to: "qualification@origin.or.kr", subject: "자격 문의", id: "n2@x"}.raw())
	f.deliver("fta-pass", 1, 2, mail{from: "park@example.co.kr", to: "fta-pass@origin.or.kr", subject: "확인서 문의", id: "n3@x"}.raw())
	s := f.state("")
	var tags []string
	for _, tk := range s.tickets {
		tags = append(tags, fmt.Sprintf("%d:%s", tk.ID, tk.FullTag()))
	}
	slices.Sort(tags)
	if got, want := strings.Join(tags, " "), "1:[FTA-PASS #1] 2:[QUAL #1] 3:[FTA-PASS #2]"; got != want {
		t.Fatalf("tickets: got %s, want %s", got, want)
	}
	if ack := f.ackOf(2); !strings.Contains(ack.Subject, "[FTA-PASS #2]") {
		t.Errorf("the third ticket's ack: subject %q", ack.Subject)
	}
	// park's reply naming [FTA-PASS #2] (id 3) joins it.
	f.deliver("fta-pass", 1, 3, mail{from: "park@example.co.kr", to: "fta-pass@origin.or.kr", subject: "RE: [FTA-PASS #2] 확인서 문의", id: "n4@x"}.raw())
	s = f.state("")
	if len(s.tickets) != 3 || maildesktest.CountKind(s.messages[3], KindFollowUp) != 1 {
		t.Fatalf("the tagged reply: got %d tickets, %d follow-ups on [FTA-PASS #2]; want it there", len(s.tickets), maildesktest.CountKind(s.messages[3], KindFollowUp))
	}
}

func byID(ts []*store.Ticket, id int64) *store.Ticket {
	for _, t := range ts {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// TestMergeColleagueMail: a colleague writing for a customer with the
// customer's tag opens a ticket of its own (a tag joins only its
// customer), whose notice names the tag; the handler's #merge moves that
// mail onto the customer's ticket and closes the new one, with no mail to
// either customer.
func TestMergeColleagueMail(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "m1@x"}.raw())
	f.deliver("fta-pass", 1, 2, mail{from: "park@example.co.kr", to: "fta-pass@origin.or.kr", subject: "RE: [FTA-PASS #1] 원산지 문의",
		id: "m2@x", body: "김 대리 대신 자료를 보냅니다.\r\n"}.raw())
	s := f.state("")
	if len(s.tickets) != 2 {
		t.Fatalf("got %d tickets, want the colleague's mail on a ticket of its own", len(s.tickets))
	}
	notice := f.staffOf(1)
	if !strings.Contains(notice.Text, "#merge [FTA-PASS #1]") {
		t.Fatalf("the new ticket's notice does not offer #merge [FTA-PASS #1]:\n%s", notice.Text)
	}
	acksBefore := len(s.outbox)

	for _, tt := range []struct{ body, problem string }{
		{"#merge [FTA-PASS #2]\r\n", "that is this ticket"},
		{"#merge [FTA-PASS #9]\r\n", "no ticket [FTA-PASS #9]"},
		{"#merge 원산지\r\n", "is not a ticket"},
		{"#merge [FTA-PASS #1]\r\n\r\n자료 잘 받았습니다.\r\n", "write the answer on the ticket it joins"},
	} {
		f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, tt.body)
		s = f.state("")
		if len(s.messages[2]) == 0 || byID(s.tickets, 2).Status == store.StatusClosed {
			t.Fatalf("%q: the ticket was merged", tt.body)
		}
		if last := f.staffOf(len(s.staff) - 1); !strings.Contains(last.Text, tt.problem) {
			t.Errorf("%q: the handler was not told %q:\n%s", tt.body, tt.problem, last.Text)
		}
	}

	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#merge FTA-PASS-1\r\n")
	s = f.state("")
	from, into := byID(s.tickets, 2), byID(s.tickets, 1)
	if from.Status != store.StatusClosed || len(s.messages[from.ID]) != 0 {
		t.Errorf("merged ticket: status %s with %d messages; want closed and empty", from.Status, len(s.messages[from.ID]))
	}
	found := false
	for _, m := range s.messages[into.ID] {
		found = found || m.MessageID == "m2@x"
	}
	if !found {
		t.Errorf("the colleague's mail is not on [FTA-PASS #1]")
	}
	if len(s.outbox) != acksBefore {
		t.Errorf("mail to customers: %d before the merge, %d after; want none new", acksBefore, len(s.outbox))
	}
	var events []store.Event
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		events, err = tx.Events(context.Background(), into.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	merged := false
	for _, e := range events {
		merged = merged || (e.Kind == "merged" && strings.Contains(e.Detail, "[FTA-PASS #2]"))
	}
	if !merged {
		t.Errorf("[FTA-PASS #1] has no merged event: %+v", events)
	}

	// The colleague's next reply to their own acknowledgement threads to
	// the ticket their mail joined.
	f.deliver("fta-pass", 1, 500, mail{from: "park@example.co.kr", to: "fta-pass@origin.or.kr", subject: "RE: 원산지 문의", id: "m9@x",
		headers: []string{"In-Reply-To: <m2@x>"}}.raw())
	s = f.state("")
	if len(s.tickets) != 2 {
		t.Errorf("after the merge a reply opened ticket %d", len(s.tickets))
	}
}
