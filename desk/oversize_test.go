package desk

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kioi/maildesk/store"
)

// TestOversizedMailIsQuarantined: a mail above max_message_size, of which
// the watcher hands over only the header, is stored as that header,
// quarantined with a reason that names the limit and where the whole mail
// is, and the handler is told; the cursor moves on, and a second delivery
// changes nothing. An oversized bounce is recorded without telling anyone.
func TestOversizedMailIsQuarantined(t *testing.T) {
	f := newFixture(t)
	header := []byte("From: 김고객 <kim@example.co.kr>\r\nTo: fta-pass@origin.or.kr\r\nSubject: 도면 첨부\r\nMessage-ID: <big1@example.co.kr>\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n")
	const size = 50 << 20
	for range 2 { // the second time: already stored
		if err := f.desk.DeliverOversized(context.Background(), "fta-pass", 1, 1, header, size); err != nil {
			t.Fatal(err)
		}
	}
	s := f.state("fta-pass")
	if len(s.tickets) != 1 || s.tickets[0].Status != store.StatusQuarantined {
		t.Fatalf("tickets: got %+v, want one quarantined", s.tickets)
	}
	ms := s.messages[s.tickets[0].ID]
	if len(ms) != 2 || ms[0].Kind != KindQuarantined || ms[1].Kind != KindQuarantineNotice {
		t.Fatalf("messages: got %d, want the quarantined mail and the handler's notice", len(ms))
	}
	reason := ms[0].Quarantine
	for _, want := range []string{"max_message_size", fmt.Sprint(size), "UID 1", "stays on the IMAP server"} {
		if !strings.Contains(reason, want) {
			t.Errorf("reason %q lacks %q", reason, want)
		}
	}
	if raw := f.rawOf(&store.Delivery{MessageID: ms[0].ID}); !bytes.Equal(raw, header) {
		t.Errorf("stored raw: got %q, want the header verbatim", raw)
	}
	if s.cursor.LastUID != 1 {
		t.Errorf("cursor: got %+v, want past uid 1", s.cursor)
	}
	if len(s.outbox) != 1 || s.outbox[0].To[0] != "mslim@origin.or.kr" || f.acksQueued() != 0 {
		t.Fatalf("queued: got %+v, want only the notice to the handler", s.outbox)
	}
	if note := f.ackOf(0); !strings.Contains(note.Text, "max_message_size") {
		t.Errorf("the handler's notice does not give the reason:\n%s", note.Text)
	}

	bounce := []byte("From: MAILER-DAEMON@mx.example.com\r\nReturn-Path: <>\r\nTo: fta-pass@origin.or.kr\r\nSubject: Undelivered\r\nMessage-ID: <bigdsn@mx>\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n")
	if err := f.desk.DeliverOversized(context.Background(), "fta-pass", 1, 2, bounce, size); err != nil {
		t.Fatal(err)
	}
	if s := f.state("fta-pass"); len(s.outbox) != 1 || s.cursor.LastUID != 2 {
		t.Errorf("oversized bounce: %d queued (want still 1), cursor %+v", len(s.outbox), s.cursor)
	}
}

// TestTenThousandRecipients: a mail addressed to 10,000 people (a leaked
// mailing, a spam run with the helpdesk among them) is stored with every
// recipient, opens one ticket, and is acknowledged to its sender only.
func TestTenThousandRecipients(t *testing.T) {
	f := newFixture(t)
	var to strings.Builder
	to.WriteString("fta-pass@origin.or.kr")
	for i := range 9999 {
		fmt.Fprintf(&to, ",\r\n user%d@example.com", i)
	}
	f.deliver("fta-pass", 1, 1, mail{from: "sender@example.com", to: to.String(), subject: "공지", id: "many@example.com"}.raw())
	s := f.state("fta-pass")
	if len(s.tickets) != 1 {
		t.Fatalf("tickets: got %d, want 1", len(s.tickets))
	}
	ms := s.messages[s.tickets[0].ID]
	if len(ms[0].To) != 10000 {
		t.Errorf("recipients stored: got %d, want 10000", len(ms[0].To))
	}
	if len(s.outbox) != 1 || len(s.outbox[0].To) != 1 || s.outbox[0].To[0] != "sender@example.com" {
		t.Fatalf("queued: got %d mails (first to %v), want one acknowledgement to the sender only", len(s.outbox), s.outbox[0].To)
	}
	ack := f.ackOf(0)
	if len(ack.To)+len(ack.Cc) != 1 {
		t.Errorf("acknowledgement addressed to %d people, want 1", len(ack.To)+len(ack.Cc))
	}
}
