package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kioi/maildesk/examples"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

// TestOversizedMailFailingIntakeIsQuarantined: an oversized mail goes the
// way every other mail does: its intake fails while the fault lasts, and
// after intakeTries failures it is quarantined and the cursor moves past
// it. DeliverOversized once had its own copy of intake that neither failed
// with the fault nor counted failures.
func TestOversizedMailFailingIntakeIsQuarantined(t *testing.T) {
	f := newFixture(t)
	setIntakeFault(t, func(uid uint32) error { return errors.New("injected fault") })
	header := []byte("From: kim@example.co.kr\r\nTo: fta-pass@origin.or.kr\r\nSubject: 도면\r\nMessage-ID: <big@example.co.kr>\r\n\r\n")
	ctx := context.Background()
	for i := range intakeTries - 1 {
		if err := f.desk.DeliverOversized(ctx, "fta-pass", 1, 1, header, 50<<20); err == nil {
			t.Fatalf("attempt %d: got nil, want the injected fault", i+1)
		}
		if c := f.state("fta-pass").cursor; c.LastUID != 0 {
			t.Fatalf("attempt %d: cursor moved to %+v", i+1, c)
		}
	}
	if err := f.desk.DeliverOversized(ctx, "fta-pass", 1, 1, header, 50<<20); err != nil {
		t.Fatalf("attempt %d: %v, want it quarantined", intakeTries, err)
	}
	s := f.state("fta-pass")
	if s.cursor.LastUID != 1 || len(s.tickets) != 1 || s.tickets[0].Status != store.StatusQuarantined {
		t.Fatalf("cursor %+v, tickets %+v; want past uid 1, one quarantined", s.cursor, s.tickets)
	}
}

// TestStaffNoticeLimitCountsOneCustomer: the per-customer limit on a
// handler's notices counts every spelling of one mailbox (a +tag, case,
// mailto: and a trailing dot) as one customer, as the acknowledgement
// limit does. Counted by the raw address, each spelling had a limit of its
// own.
func TestStaffNoticeLimitCountsOneCustomer(t *testing.T) {
	f := newFixture(t)
	f.desk.staffLimit = 2
	spellings := []string{"kim+a@example.com", "Kim@EXAMPLE.com", "<mailto:kim@example.com.>", "KIM+b@example.com"}
	for i, from := range spellings {
		f.deliver("fta-pass", 1, uint32(i+1), mail{from: from, to: "fta-pass@origin.or.kr",
			subject: fmt.Sprintf("문의 %d", i), id: fmt.Sprintf("s%d@example.com", i)}.raw())
	}
	s := f.state("fta-pass")
	if len(s.tickets) != len(spellings) {
		t.Fatalf("tickets: got %d, want %d", len(s.tickets), len(spellings))
	}
	// The limit's notice, the one at the limit (it says so) and no more.
	if got, want := len(s.staff), f.desk.staffLimit+1; got != want {
		t.Errorf("handler notices: got %d, want %d", got, want)
	}
	held := 0
	for _, tk := range s.tickets {
		err := f.store.Read(context.Background(), func(tx *store.Tx) error {
			evs, err := tx.Events(context.Background(), tk.ID)
			for _, e := range evs {
				if e.Kind == "staff-notice-held" {
					held++
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if held != 1 {
		t.Errorf("notices held: got %d, want 1", held)
	}
}

// TestThreadingByCanonicalSender: the lookups by sender that threading
// makes (a reply by subject, a reference shared with an earlier mail)
// take any spelling of the customer's address for theirs.
func TestThreadingByCanonicalSender(t *testing.T) {
	tests := []struct {
		name    string
		subject string // of the second mail
		headers []string
	}{
		{"reply by subject", "Re: 원산지 문의", nil},
		{"shared reference", "추가 질문", []string{"References: <elsewhere@example.com>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			first := mail{from: "Kim+a@Example.com", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "first@example.com"}
			if tt.headers != nil {
				first.headers = tt.headers
			}
			f.deliver("fta-pass", 1, 1, first.raw())
			f.deliver("fta-pass", 1, 2, mail{from: "<mailto:kim@example.com.>", to: "fta-pass@origin.or.kr",
				subject: tt.subject, id: "second@example.com", headers: tt.headers}.raw())
			if s := f.state("fta-pass"); len(s.tickets) != 1 {
				t.Errorf("tickets: got %d, want 1 (the second mail continues the first)", len(s.tickets))
			}
		})
	}
}

// TestRoutesMatchCanonicalSender: the rules see the sender in its
// canonical form, so a route for a domain takes every spelling of an
// address in it; a trailing dot once kept a mail from the route.
func TestRoutesMatchCanonicalSender(t *testing.T) {
	for _, from := range []string{"lee@customs.go.kr", "Lee+x@Customs.go.kr", "<mailto:lee@customs.go.kr.>"} {
		t.Run(from, func(t *testing.T) {
			f := newFixture(t)
			f.deliver("fta-pass", 1, 1, mail{from: from, to: "fta-pass@origin.or.kr", subject: "협조 요청", id: "c@customs.go.kr"}.raw())
			s := f.state("fta-pass")
			if len(s.tickets) != 1 || s.tickets[0].Priority != "high" {
				t.Fatalf("tickets %+v: want one of priority high (the customs route)", s.tickets)
			}
		})
	}
}

// TestCustomerLabel: staff see "name <address>", or the address alone,
// in the handler's notice and in the supervisor's alert alike (the two
// once trimmed differently, and the notice showed "<address>" without a
// name).
func TestCustomerLabel(t *testing.T) {
	tests := []struct{ name, addr, want string }{
		{"김고객", "kim@example.co.kr", "김고객 <kim@example.co.kr>"},
		{"  김고객 ", "kim@example.co.kr", "김고객 <kim@example.co.kr>"},
		{"", "kim@example.co.kr", "kim@example.co.kr"},
		{"   ", "kim@example.co.kr", "kim@example.co.kr"},
	}
	for _, tt := range tests {
		if got := customerLabel(&store.Ticket{CustomerName: tt.name, Customer: tt.addr}); got != tt.want {
			t.Errorf("customerLabel(%q, %q): got %q, want %q", tt.name, tt.addr, got, tt.want)
		}
	}
}

// TestPreviewShowsReopen: `rules test` says when a follow-up reopens its
// ticket, and intake then does just that: after the answer it does; on an
// open ticket, or one whose category has left the rules (no window to
// start), it does not. The category check was once made in apply only,
// after classify had said "reopen".
func TestPreviewShowsReopen(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		category string // "" keeps the ticket's
		reopens  bool
	}{
		{"after the answer", store.StatusAnswered, "", true},
		{"closed", store.StatusClosed, "", true},
		{"still open", store.StatusOpen, "", false},
		{"category left the rules", store.StatusAnswered, "no-such-category", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "r1@x"}.raw())
			err := f.store.Write(ctx, func(tx *store.Tx) error {
				tk, err := tx.Ticket(ctx, 1)
				if err != nil {
					return err
				}
				tk.Status = tt.status
				if tt.category != "" {
					tk.Category = tt.category
				}
				return tx.UpdateTicket(ctx, tk)
			})
			if err != nil {
				t.Fatal(err)
			}
			raw := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 원산지 문의", id: "r2@x",
				headers: []string{"In-Reply-To: <r1@x>"}}.raw()
			p, err := Preview(ctx, PreviewInput{Store: f.store, Rules: f.desk.rules.Load(), Templates: f.desk.templates.Load(),
				Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}}, Location: f.desk.loc,
				Mailbox: "fta-pass", Raw: raw, Now: f.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if p.Action != ActFollowUp || p.Reopens != tt.reopens {
				t.Errorf("preview: got %s, reopens %v; want %s, reopens %v", p.Action, p.Reopens, ActFollowUp, tt.reopens)
			}
			f.deliver("fta-pass", 1, 2, raw)
			if got := f.ticket(1).Status; (got == store.StatusOpen && tt.status != store.StatusOpen) != tt.reopens {
				t.Errorf("after intake the ticket is %s (was %s); reopens %v", got, tt.status, tt.reopens)
			}
		})
	}
}

// TestStaffHandlerFollowsReload: the handlers-by-address index is built
// once per rule set, and a reload that changes a handler's address is
// seen at once: the new address is staff, the old one no longer.
func TestStaffHandlerFollowsReload(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	files := map[string]string{}
	entries, err := examples.FS.ReadDir("rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := examples.FS.ReadFile("rules/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = strings.ReplaceAll(string(b), "mslim@origin.or.kr", "mslim@new.example")
	}
	tests := []struct {
		rules      *rules.Set
		addr, want string // want: the handler's ID, "" for none
	}{
		{f.desk.rules.Load(), "MSLim+x@Origin.or.kr", "mslim"},
		{f.desk.rules.Load(), "mslim@new.example", ""},
		{rulesFrom(t, files), "mslim@origin.or.kr", ""},
		{nil, "<mailto:mslim@new.example.>", "mslim"}, // nil: the rule set before
	}
	var rs *rules.Set
	for i, tt := range tests {
		if tt.rules != nil {
			rs = tt.rules
			f.desk.SetRules(rs)
		}
		for _, c := range []context.Context{ctx, f.desk.withSnapshot(ctx)} {
			got := ""
			if h := f.desk.staffHandler(c, tt.addr); h != nil {
				got = h.ID
			}
			if got != tt.want {
				t.Errorf("%d: staffHandler(%q): got %q, want %q", i, tt.addr, got, tt.want)
			}
		}
	}
}
