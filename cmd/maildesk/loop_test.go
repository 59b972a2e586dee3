package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// responderCap stops a runaway auto-responder in a failing test: far above
// any bound the test asserts, so reaching it is a failure, not a pass.
const responderCap = 60

// TestMailLoopWithAutoResponder runs the daemon against a customer whose
// mail system answers every mail maildesk sends them, straight back into
// the helpdesk's IMAP inbox, and counts the mails exchanged. However the
// responder marks (or fails to mark) its answers, the exchange must stop
// on its own: an answer that threads is a follow-up (never acknowledged),
// one that does not thread is a new ticket, and acknowledgements to one
// sender are limited to desk.DefaultAckLimit an hour.
func TestMailLoopWithAutoResponder(t *testing.T) {
	tests := []struct {
		name string
		// reply builds the responder's answer to maildesk's mail m.
		reply func(n int, m *message.Message) (subject string, headers []string)
		// maxToCustomer is how many mails the customer may get in all.
		maxToCustomer int
	}{
		{"RFC 3834 auto-reply", func(n int, m *message.Message) (string, []string) {
			return "Auto: " + m.Subject, []string{"Auto-Submitted: auto-replied", "In-Reply-To: <" + m.MessageID + ">"}
		}, 1},
		{"unmarked reply that threads", func(n int, m *message.Message) (string, []string) {
			return "Re: " + m.Subject, []string{"In-Reply-To: <" + m.MessageID + ">", "References: <" + m.MessageID + ">"}
		}, 1},
		{"unmarked, unthreaded, new subject every time", func(n int, m *message.Message) (string, []string) {
			return fmt.Sprintf("부재중 안내 %d", n), nil
		}, desk.DefaultAckLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const customer = "loop@customer.example"
			s := newStack(t)
			var mu sync.Mutex
			responded, toCustomer := 0, 0
			s.mail.OnCapture(func(c localmail.Captured) {
				mine := false
				for _, r := range c.To {
					mine = mine || strings.EqualFold(r, customer)
				}
				if !mine {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				toCustomer++
				if responded >= responderCap {
					return
				}
				m, err := message.Parse(c.Raw)
				if err != nil {
					t.Errorf("maildesk sent an unparsable mail: %v", err)
					return
				}
				responded++
				subj, hdrs := tt.reply(responded, m)
				raw := maildesktest.Inquiry(customer, "fta-pass@origin.or.kr", subj, fmt.Sprintf("auto%d@customer.example", responded),
					"I am out of the office.\r\n", hdrs...)
				if err := s.mail.Deliver("fta-pass@origin.or.kr", raw); err != nil {
					t.Errorf("responder: %v", err)
				}
			})
			startDaemon(t, s.configPath)
			st := s.db()
			s.send(customer, []string{"fta-pass@origin.or.kr"},
				maildesktest.Inquiry(customer, "fta-pass@origin.or.kr", "원산지 문의", "first@customer.example", "문의드립니다.\r\n"))

			// Quiet means: every mail in the inbox stored (the cursor is at
			// the inquiry plus every answer), nothing queued, and every
			// mail that reached the customer answered. Nothing can move
			// after that.
			snap := s.waitFor(st, "the exchange to end", func(sn snapshot) bool {
				mu.Lock()
				defer mu.Unlock()
				for _, d := range append(sn.outbox, sn.staff...) {
					if d.State == store.Queued {
						return false
					}
				}
				return int(sn.cursors["fta-pass"]) == 1+responded && (toCustomer == responded || responded == responderCap)
			})
			mu.Lock()
			defer mu.Unlock()
			acks := 0
			for _, d := range snap.outbox {
				if d.Kind == desk.KindAck {
					acks++
				}
			}
			t.Logf("%s: customer got %d mails (%d acknowledgements), answered %d times; %d tickets, %d handler notices",
				tt.name, toCustomer, acks, responded, len(snap.tickets), len(snap.staff))
			if toCustomer > tt.maxToCustomer {
				t.Errorf("mails to the auto-responding customer: got %d, want at most %d", toCustomer, tt.maxToCustomer)
			}
			if acks > desk.DefaultAckLimit {
				t.Errorf("acknowledgements: got %d, want at most %d", acks, desk.DefaultAckLimit)
			}
			if responded >= responderCap {
				t.Errorf("the loop did not stop: %d answers", responded)
			}
		})
	}
}

// floodMessages is how many mails TestFloodFromOneSender delivers: 1,000
// by default, MAILDESK_FLOOD_MESSAGES for another figure.
func floodMessages(t *testing.T) int {
	t.Helper()
	v := os.Getenv("MAILDESK_FLOOD_MESSAGES")
	if v == "" {
		return 1000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("MAILDESK_FLOOD_MESSAGES=%q: want a positive number", v)
	}
	return n
}

// TestFloodFromOneSender: a thousand different mails from one sender within
// a minute (a script gone wrong, a mail bomb) are all stored, once each,
// but the sender gets no more than desk.DefaultAckLimit acknowledgements.
func TestFloodFromOneSender(t *testing.T) {
	n := floodMessages(t)
	s := newStack(t)
	const sender = "flood@customer.example"
	for i := range n {
		raw := []byte(fmt.Sprintf("From: %s\r\nTo: fta-pass@origin.or.kr\r\nSubject: 문의 %d\r\nDate: Wed, 25 Nov 2026 10:%02d:%02d +0900\r\nMessage-ID: <flood%d@customer.example>\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n질문 %d\r\n", sender, i, i*60/n, i%60, i, i))
		if err := s.mail.Deliver("fta-pass@origin.or.kr", raw); err != nil {
			t.Fatal(err)
		}
	}
	startDaemon(t, s.configPath)
	st := s.db()
	snap := s.waitFor(st, "the flood to be stored and the outbox drained", func(sn snapshot) bool {
		if int(sn.cursors["fta-pass"]) != n {
			return false
		}
		for _, d := range append(sn.outbox, sn.staff...) {
			if d.State == store.Queued {
				return false
			}
		}
		return true
	})
	ids := map[string]int{}
	for _, ms := range snap.messages {
		for _, m := range ms {
			if m.Direction == store.In {
				ids[m.MessageID]++
			}
		}
	}
	twice := 0
	for _, c := range ids {
		if c > 1 {
			twice++
		}
	}
	acks, toSender := 0, 0
	for _, d := range snap.outbox {
		if d.Kind == desk.KindAck {
			acks++
		}
		for _, r := range d.To {
			if strings.EqualFold(r, sender) {
				toSender++
			}
		}
	}
	t.Logf("flood of %d mails from one sender: %d stored, %d twice, %d tickets, %d acknowledgements, %d mails to the sender, %d handler notices",
		n, len(ids), twice, len(snap.tickets), acks, toSender, len(snap.staff))
	if len(ids) != n || twice != 0 {
		t.Errorf("stored: got %d distinct mails (%d twice), want %d once each", len(ids), twice, n)
	}
	if want := min(n, desk.DefaultStaffNoticeLimit+1); len(snap.staff) != want {
		t.Errorf("handler notices: got %d, want %d (the limit and the one saying the rest is held)", len(snap.staff), want)
	}
	if acks != min(n, desk.DefaultAckLimit) || toSender != acks {
		t.Errorf("acknowledgements: got %d (%d mails to the sender), want %d", acks, toSender, min(n, desk.DefaultAckLimit))
	}
}
