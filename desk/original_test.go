package desk

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestOriginalCommand: #original sends the handler the customer's mail
// exactly as received, as a message/rfc822 attachment; what cannot be sent
// is a staff-error, and then none of the reply's commands runs.
func TestOriginalCommand(t *testing.T) {
	tests := []struct {
		name    string
		reply   string
		max     int64  // the Desk's attachMax; 0 keeps the default
		problem string // in the staff-error; "" when the original is sent
	}{
		{name: "latest", reply: "#original\r\n#close\r\n"},
		{name: "by number", reply: "#original 1\r\n#close\r\n"},
		{name: "our own mail", reply: "#original 2\r\n#close\r\n", problem: "#original 2: message 2 is out ack, not the customer's mail"},
		{name: "no such message", reply: "#original 99\r\n#close\r\n", problem: "#original 99: ticket 1 has messages 1 to"},
		{name: "not a number", reply: "#original first\r\n#close\r\n", problem: `#original takes nothing, or a message number from maildesk ticket (got "first")`},
		{name: "attaching off", max: -1, reply: "#original\r\n#close\r\n", problem: "maildesk ticket 1 -raw 1"},
		{name: "too large", max: 1 << 10, reply: "#original\r\n#close\r\n", problem: "more than the 1 KB a mail to staff may carry; an admin can write it out with: maildesk ticket 1 -raw 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, rulesFrom(t, deadlineRules))
			if tt.max != 0 {
				f.desk.attachMax = tt.max
			}
			raw := maildesktest.InquiryWithFiles("김고객 <kim@example.co.kr>", "fta-pass@origin.or.kr", "오류 문의", "o1@example.co.kr",
				"화면을 첨부합니다.\r\n", maildesktest.File{Name: "오류화면.png", ContentType: "image/png", Data: pngBytes, Encoding: "rfc2231"})
			f.deliver("fta-pass", 1, 1, raw)
			notice := f.staffOf(0)
			f.reply(notice, "임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, tt.reply)
			s := f.state("fta-pass")
			if len(s.staff) != 2 {
				t.Fatalf("handler's mails: got %d, want the notice and one answer to the reply", len(s.staff))
			}
			got := f.parsed(s.staff[1])
			if len(s.outbox) != 1 {
				t.Errorf("customer's mails: got %d, want the acknowledgement only", len(s.outbox))
			}
			closed := s.tickets[0].Status == store.StatusClosed
			if tt.problem != "" {
				if !strings.Contains(got.Subject, "처리하지 못한 회신") || !strings.Contains(got.Text, tt.problem) {
					t.Errorf("want a staff-error with %q; got %q:\n%s", tt.problem, got.Subject, got.Text)
				}
				if closed || len(got.Attachments) != 0 {
					t.Errorf("a refused reply ran: closed %v, %d attachments", closed, len(got.Attachments))
				}
				return
			}
			if !strings.Contains(got.Subject, "[FTA-PASS #1] 원본 메일 / Original mail 1: 오류 문의") || got.To[0].Addr != "mslim@origin.or.kr" {
				t.Errorf("original to %v, subject %q", got.To, got.Subject)
			}
			if len(got.ReplyTo) != 1 || !strings.HasPrefix(got.ReplyTo[0].Addr, "fta-pass+t1.") {
				t.Errorf("Reply-To: got %v, want the handler's token", got.ReplyTo)
			}
			if len(got.Attachments) != 1 || got.Attachments[0].ContentType != "message/rfc822" || !bytes.Equal(got.Attachments[0].Data, raw) {
				t.Fatalf("attachment: got %d, want the mail as received as message/rfc822", len(got.Attachments))
			}
			if a := got.Attachments[0]; a.Name != "ticket-1-message-1.eml" {
				t.Errorf("attachment name: got %q", a.Name)
			}
			// The forwarded mail is read as one too: its file is there.
			if len(got.Forwarded) != 1 || len(got.Forwarded[0].Attachments) != 1 || !bytes.Equal(got.Forwarded[0].Attachments[0].Data, pngBytes) {
				t.Errorf("the attached mail's own file is not intact")
			}
			for _, w := range []string{"1번 메일을 받은 그대로 첨부합니다", "kim@example.co.kr", "exactly as received"} {
				if !strings.Contains(got.Text, w) {
					t.Errorf("original's text lacks %q:\n%s", w, got.Text)
				}
			}
			if !closed {
				t.Errorf("#close with #original: ticket %s, want closed", s.tickets[0].Status)
			}
		})
	}
}
