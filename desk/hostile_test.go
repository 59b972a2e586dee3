package desk

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/store"
)

// b64word RFC 2047-encodes s, which may hold anything, CR and LF included.
func b64word(s string) string {
	return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

// headerBlock returns the header lines of raw, unfolded.
func headerBlock(t *testing.T, raw []byte) []string {
	t.Helper()
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatalf("no end of header in %q", raw)
	}
	h := string(raw[:i])
	if strings.Count(h, "\r") != strings.Count(h, "\r\n") || strings.Count(h, "\n") != strings.Count(h, "\r\n") {
		t.Errorf("bare CR or LF in the header:\n%q", h)
	}
	var lines []string
	for _, l := range strings.Split(h, "\r\n") {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(lines) > 0 {
			lines[len(lines)-1] += l
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

// TestHeaderInjection: CR and LF smuggled into a subject or a display name
// (RFC 2047 encoded, or a bare CR in the raw header) never reach a header
// maildesk writes: the acknowledgement, the handler's notice, the relayed
// answer and the delay notice each keep exactly their own header fields and
// recipients.
func TestHeaderInjection(t *testing.T) {
	const inject = "\r\nBcc: victim@evil.example\r\nX-Injected: yes"
	tests := []struct {
		name, from, subject string
	}{
		{"encoded subject", "김고객 <kim@example.co.kr>", b64word("원산지 문의" + inject)},
		{"encoded display name", b64word("김고객"+inject) + " <kim@example.co.kr>", "원산지 문의"},
		{"LF only", b64word("김고객\nBcc: victim@evil.example") + " <kim@example.co.kr>", b64word("문의\nX-Injected: yes")},
		{"bare CR in the raw subject", "kim@example.co.kr", "원산지 문의\rBcc: victim@evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, rulesFrom(t, deadlineRules))
			f.deliver("fta-pass", 1, 1, mail{from: tt.from, to: "fta-pass@origin.or.kr", subject: tt.subject, id: "h1@example.co.kr"}.raw())
			notice := f.staffOf(0)
			f.reply(notice, "임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, "답변드립니다.\r\n")
			// A second inquiry left unanswered gets the delay notice.
			f.deliver("fta-pass", 1, 2, mail{from: tt.from, to: "fta-pass@origin.or.kr", subject: tt.subject + "2", id: "h2@example.co.kr"}.raw())
			f.clock.Add(47 * time.Hour)
			f.tick()

			s := f.state("fta-pass")
			kinds := map[string]int{}
			for _, d := range append(s.outbox, s.staff...) {
				kinds[d.Kind]++
				raw := f.rawOf(d)
				names := map[string]int{}
				for _, l := range headerBlock(t, raw) {
					name, _, ok := strings.Cut(l, ":")
					if !ok {
						t.Errorf("%s: header line without a field name: %q", d.Kind, l)
						continue
					}
					names[strings.ToLower(name)]++
				}
				for _, bad := range []string{"bcc", "x-injected"} {
					if names[bad] > 0 {
						t.Errorf("%s: injected header %s:\n%s", d.Kind, bad, raw)
					}
				}
				for _, one := range []string{"to", "from", "subject", "message-id"} {
					if names[one] != 1 {
						t.Errorf("%s: %d %s fields, want 1", d.Kind, names[one], one)
					}
				}
				m := f.parsed(d)
				if len(m.To) != 1 || len(m.Cc) != 0 || len(d.To) != 1 || m.To[0].Addr != d.To[0] {
					t.Errorf("%s: recipients To %v Cc %v, envelope %v; want the one intended", d.Kind, m.To, m.Cc, d.To)
				}
				if strings.ContainsAny(m.Subject, "\r\n") {
					t.Errorf("%s: subject %q keeps a line break", d.Kind, m.Subject)
				}
			}
			for _, k := range []string{KindAck, KindStaffNotice, KindAnswer, KindNotice} {
				if kinds[k] == 0 {
					t.Errorf("no %s was composed (got %v): the test must see every kind", k, kinds)
				}
			}
		})
	}
}

func (f *fixture) rawOf(d *store.Delivery) []byte {
	f.t.Helper()
	var raw []byte
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		raw, err = tx.MessageRaw(context.Background(), d.MessageID)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

// TestInjectionThroughMailFields puts SQL and template syntax in every field
// a customer controls (subject, display name, body, Message-ID's neighbour
// headers). The ticket stores them as text, the database keeps its tables,
// and the mails maildesk writes show them literally, never executed.
func TestInjectionThroughMailFields(t *testing.T) {
	const sqlInj = `'); DROP TABLE tickets;--`
	const tmplInj = `{{.Secret}} {{template "staff" .}} {{.Handler.Email}}`
	f := newFixture(t)
	body := "본문 " + sqlInj + "\r\n" + tmplInj + "\r\n"
	f.deliver("fta-pass", 1, 1, mail{
		from:    b64word("Robert"+sqlInj+tmplInj) + " <bobby@example.com>",
		to:      "fta-pass@origin.or.kr",
		subject: b64word("문의 " + sqlInj + " " + tmplInj),
		id:      "inj1@example.com",
		body:    body,
	}.raw())
	// A second mail, so that the tables are used after the first.
	f.deliver("fta-pass", 1, 2, mail{from: "lee@example.com", to: "fta-pass@origin.or.kr", subject: "평범한 문의", id: "inj2@example.com"}.raw())

	s := f.state("fta-pass")
	if len(s.tickets) != 2 {
		t.Fatalf("tickets: got %d, want 2 (the table is still there and in use)", len(s.tickets))
	}
	tk := s.tickets[0]
	if tk.ID != 1 {
		tk = s.tickets[1]
	}
	if want := "문의 " + sqlInj + " " + tmplInj; tk.Subject != want {
		t.Errorf("ticket subject: got %q, want %q", tk.Subject, want)
	}
	if !strings.Contains(tk.CustomerName, sqlInj) || !strings.Contains(tk.CustomerName, tmplInj) {
		t.Errorf("customer name: got %q, want the literal text", tk.CustomerName)
	}
	ack := f.ackOf(0)
	if !strings.Contains(ack.Subject, sqlInj) || !strings.Contains(ack.Subject, tmplInj) {
		t.Errorf("ack subject: got %q, want the literal text", ack.Subject)
	}
	if !strings.Contains(ack.Text, tmplInj) || strings.Contains(ack.Text, "<no value>") {
		t.Errorf("ack text does not show the subject literally:\n%s", ack.Text)
	}
	notice := f.staffOf(0)
	if !strings.Contains(notice.Text, sqlInj) || !strings.Contains(notice.Text, tmplInj) {
		t.Errorf("handler notice does not show the body literally:\n%s", notice.Text)
	}
	// The handler's address must not have been rendered into the customer's
	// mail by the {{.Handler.Email}} in the subject: it is in the ack only
	// as the template puts it, once per language.
	if n := strings.Count(ack.Text, "{{.Handler.Email}}"); n == 0 {
		t.Errorf("ack lost the literal {{.Handler.Email}}")
	}
}
