package desk

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// acksQueued counts the acknowledgements in the outbox.
func (f *fixture) acksQueued() int {
	f.t.Helper()
	n := 0
	for _, d := range f.state("").outbox {
		if d.Kind == KindAck {
			n++
		}
	}
	return n
}

// TestCorpusBouncesGetNoAck delivers every bounce, delivery report,
// complaint and auto-reply of the shared corpus (sisimai's set of emails but
// its "not a bounce" folder, mailgun/flanker's bounces and complaints,
// chatwoot's helpdesk-loop DSN) and demands that not one of them is
// acknowledged: an answer to automatic mail is how mail loops start
// (RFC 3834, DESIGN invariant 5). The rate limit is lifted so that it
// cannot hide an acknowledgement.
func TestCorpusBouncesGetNoAck(t *testing.T) {
	dir := maildesktest.Corpus(t)
	sets := []struct {
		name string
		glob []string
		min  int // files expected, so that a moved corpus cannot pass empty
	}{
		{"sisimai-set-of-emails", []string{
			"sisimai-set-of-emails/maildir/bsd/*", "sisimai-set-of-emails/maildir/dos/*", "sisimai-set-of-emails/maildir/mac/*",
			"sisimai-set-of-emails/maildir/err/*", "sisimai-set-of-emails/maildir/tmp/*",
		}, 800},
		{"mailgun-flanker", []string{
			"mailgun-flanker/tests/fixtures/messages/bounce/*", "mailgun-flanker/tests/fixtures/messages/complaints/*",
		}, 11},
		{"chatwoot-selected", []string{"chatwoot-selected/spec/fixtures/files/bounced_with_no_from.eml"}, 1},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			f := newFixture(t)
			f.desk.ackLimit = 1 << 30
			var files []string
			for _, g := range set.glob {
				m, err := filepath.Glob(filepath.Join(dir, g))
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, m...)
			}
			if len(files) < set.min {
				t.Fatalf("%d files, want at least %d", len(files), set.min)
			}
			var acked []string
			acks, stored := 0, 0
			for i, file := range files {
				raw, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				f.deliver("fta-pass", 1, uint32(i+1), raw)
				if n := f.acksQueued(); n != acks {
					rel, _ := filepath.Rel(dir, file)
					acked = append(acked, rel)
					acks = n
				}
				stored++
			}
			var counts map[string]int
			err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
				counts, err = tx.MessageCounts(context.Background())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d files delivered, %d acknowledgements; messages stored %v", set.name, stored, acks, counts)
			if len(acked) > 0 {
				t.Errorf("%d automatic mails were acknowledged:\n  %s", len(acked), strings.Join(acked, "\n  "))
			}
		})
	}
}

// dsn is a delivery status notification from an MTA returning the mail
// whose header is returned (as text/rfc822-headers, or as a whole
// message/rfc822 when full).
func dsn(id, rcpt, returned string, full bool) []byte {
	part := "Content-Type: text/rfc822-headers\r\n\r\n" + returned
	if full {
		part = "Content-Type: message/rfc822\r\n\r\n" + returned + "\r\n본문\r\n"
	}
	return []byte("Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: fta-pass@origin.or.kr\r\n" +
		"Subject: Undelivered Mail Returned to Sender\r\nDate: Wed, 25 Nov 2026 14:05:00 +0900\r\nMessage-ID: <" + id + ">\r\n" +
		"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown\r\n" +
		"--B\r\n" + part + "\r\n--B--\r\n")
}

// TestBounceOfOurMail: a bounce that returns a mail maildesk sent lands on
// that mail's ticket as kind "bounce" with a "bounce" event naming the
// recipient and the reason, is never answered, and the handler hears that
// the customer did not get the mail. A bounce of the handler's own notice
// is recorded without another notice (that could loop); a bounce naming
// nothing of ours stays ordinary automatic mail.
func TestBounceOfOurMail(t *testing.T) {
	tests := []struct {
		name        string
		returnKind  string // which of our mails comes back: ack or staff
		full        bool
		wantBounce  bool
		wantNotices int // handler notices after the bounce (1: the new-inquiry one)
	}{
		{"ack, headers returned", KindAck, false, true, 2},
		{"ack, whole mail returned", KindAck, true, true, 2},
		{"handler notice", KindStaffNotice, false, true, 1},
		{"unknown mail", "", false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.deliver("fta-pass", 1, 1, mail{from: "김고객 <kim@example.co.kr>", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "b1@example.co.kr"}.raw())
			s := f.state("fta-pass")
			if len(s.outbox) != 1 || len(s.staff) != 1 {
				t.Fatalf("before the bounce: %d queued for the customer, %d notices; want 1 and 1", len(s.outbox), len(s.staff))
			}
			var ours *store.Delivery
			rcpt := "kim@example.co.kr"
			switch tt.returnKind {
			case KindAck:
				ours = s.outbox[0]
			case KindStaffNotice:
				ours, rcpt = s.staff[0], s.staff[0].To[0]
			}
			returnedID := "never-sent@origin.or.kr"
			if ours != nil {
				returnedID = f.parsed(ours).MessageID
			}
			returned := "From: fta-pass@origin.or.kr\r\nTo: " + rcpt + "\r\nSubject: [FTA-PASS #1] 원산지 문의\r\nMessage-ID: <" + returnedID + ">\r\n"
			f.deliver("fta-pass", 1, 2, dsn("dsn1@mx.example.com", rcpt, returned, tt.full))

			s = f.state("fta-pass")
			if len(s.tickets) != 1 {
				t.Fatalf("tickets: got %d, want the inquiry's only", len(s.tickets))
			}
			if n := f.acksQueued(); n != 1 {
				t.Errorf("acknowledgements: got %d, want 1 (the inquiry's; never one to a bounce)", n)
			}
			if s.cursor.LastUID != 2 {
				t.Errorf("cursor: got %+v, want past the bounce", s.cursor)
			}
			var kinds []string
			for _, m := range s.messages[1] {
				kinds = append(kinds, m.Direction+"/"+m.Kind)
			}
			hasBounce := strings.Contains(strings.Join(kinds, " "), "in/"+KindBounce)
			if hasBounce != tt.wantBounce {
				t.Errorf("messages on the ticket: %v; want an in/%s: %v", kinds, KindBounce, tt.wantBounce)
			}
			events := f.events(1)
			var bounceEvents []string
			for _, e := range events {
				if e.Kind == "bounce" {
					bounceEvents = append(bounceEvents, e.Detail)
				}
			}
			if tt.wantBounce {
				if len(bounceEvents) != 1 || !strings.Contains(bounceEvents[0], rcpt) || !strings.Contains(bounceEvents[0], "User unknown") ||
					!strings.Contains(bounceEvents[0], tt.returnKind) {
					t.Errorf("bounce events: got %q, want one naming %s, the %s and the reason", bounceEvents, rcpt, tt.returnKind)
				}
			} else if len(bounceEvents) != 0 {
				t.Errorf("bounce events for a bounce of a mail not ours: %q", bounceEvents)
			}
			if len(s.staff) != tt.wantNotices {
				t.Fatalf("handler notices: got %d, want %d", len(s.staff), tt.wantNotices)
			}
			if tt.wantNotices == 2 {
				n := f.staffOf(1)
				if n.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(n.Text, "반송") || !strings.Contains(n.Text, "bounced") || !strings.Contains(n.Text, "User unknown") {
					t.Errorf("bounce notice to %v:\n%s", n.To, n.Text)
				}
			}
		})
	}
}

// events returns ticket id's events.
func (f *fixture) events(id int64) []store.Event {
	f.t.Helper()
	var evs []store.Event
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		evs, err = tx.Events(context.Background(), id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}
