package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/rules"
)

// englishRules are deadlineRules with English names for the handlers, a
// second handler to transfer to, and a route that makes mail from
// kotra.or.kr English first whatever it is written in.
var englishRules = map[string]string{"rules.toml": strings.Replace(deadlineRules["rules.toml"], `name = "임민수"
`, `name = "임민수"
name_en = "Minsu Lim"
department_en = "FTA-PASS Operations Team"
`, 1) + `
[[handler]]
id = "bslee"
name = "이보성"
name_en = "Boseong Lee"
department = "원산지관리사 자격시험팀"
phone = "031-600-0745"
email = "bslee@origin.or.kr"

[[route]]
from = "kotra.or.kr"
language = "en"
`}

// TestLanguageOfTheAck: an inquiry in English is acknowledged English
// first, naming the handler in English; a Korean one as always; a route
// can make it English first; quoted Korean does not count.
func TestLanguageOfTheAck(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mail    mail
		lang    string
		starts  string   // the ack's text starts with it
		has     []string // and has these, in this order
		subject string
		from    string // the ack's sender name
	}{
		{"English", mail{from: "John Smith <john@example.com>", subject: "Certificate of origin question",
			body: "Hello,\r\nhow do I apply for a certificate of origin in FTA-PASS?\r\n"},
			rules.LangEnglish, "Dear John Smith,", []string{"Minsu Lim", "FTA-PASS Operations Team", "John Smith 님, 안녕하십니까.", "담당자: 임민수"},
			"[FTA-PASS #1] Certificate of origin question", "FTA-PASS inquiry"},
		{"Korean", mail{from: "김고객 <kim@example.co.kr>", subject: "원산지 증명서 문의", body: "발급 방법을 알려 주세요.\r\n"},
			rules.LangKorean, "김고객 님, 안녕하십니까.", []string{"담당자: 임민수", "Dear 김고객,", "Minsu Lim"},
			"[FTA-PASS #1] 원산지 증명서 문의", "FTA-PASS 문의"},
		{"route says English", mail{from: "박과장 <park@kotra.or.kr>", subject: "원산지 문의", body: "해외 바이어 문의입니다.\r\n"},
			rules.LangEnglish, "Dear 박과장,", []string{"Minsu Lim", "박과장 님, 안녕하십니까."},
			"[FTA-PASS #1] 원산지 문의", "FTA-PASS inquiry"},
		{"English with Korean quoted", mail{from: "john@example.com", subject: "Re: Origin question",
			body: "Thank you, one more question.\r\n\r\nOn Tue, 24 Nov 2026, 임민수 wrote:\r\n> 안녕하십니까. 답변드립니다.\r\n"},
			rules.LangEnglish, "Dear john@example.com,", []string{"Minsu Lim"},
			"[FTA-PASS #1] Origin question", "FTA-PASS inquiry"},
		{"English, no subject", mail{from: "john@example.com", subject: "", body: "Where do I apply?\r\n"},
			rules.LangEnglish, "Dear john@example.com,", []string{"(no subject)"},
			"[FTA-PASS #1] (no subject)", "FTA-PASS inquiry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, rulesFrom(t, englishRules))
			tt.mail.to, tt.mail.id = "fta-pass@origin.or.kr", "lang1@x"
			f.deliver("fta-pass", 1, 1, tt.mail.raw())
			if got := f.ticket(1).Language; got != tt.lang {
				t.Errorf("ticket language: got %q, want %q", got, tt.lang)
			}
			ack := f.ackOf(0)
			if !strings.HasPrefix(ack.Text, tt.starts) {
				t.Errorf("ack starts %q, want %q:\n%s", ack.Text[:min(len(ack.Text), 60)], tt.starts, ack.Text)
			}
			at := 0
			for _, want := range tt.has {
				i := strings.Index(ack.Text[at:], want)
				if i < 0 {
					t.Errorf("ack lacks %q after byte %d:\n%s", want, at, ack.Text)
					break
				}
				at += i + len(want)
			}
			if ack.Subject != tt.subject || ack.From.Name != tt.from {
				t.Errorf("ack: subject %q from %q, want %q from %q", ack.Subject, ack.From.Name, tt.subject, tt.from)
			}
			// The handler's notice stays Korean first.
			if notice := f.staffOf(0); !strings.HasPrefix(notice.Text, "임민수 님, 새 문의가 접수되었습니다.") {
				t.Errorf("staff notice:\n%s", notice.Text)
			}
		})
	}
}

// TestEnglishTicketStaysEnglish: the delay notice, the transfer and the
// answer of a ticket opened in English lead with English, days after the
// acknowledgement, and name the handlers in English.
func TestEnglishTicketStaysEnglish(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, englishRules))
	f.deliver("fta-pass", 1, 1, mail{from: "John Smith <john@example.com>", to: "fta-pass@origin.or.kr",
		subject: "Certificate of origin question", id: "en1@x", body: "How do I apply?\r\n"}.raw())
	f.clock.Add(40 * time.Hour)
	f.tick()
	if got := f.queued(); !sameList(got, []string{"ack john@example.com", "notice john@example.com"}) {
		t.Fatalf("queued: got %v", got)
	}
	notice := f.ackOf(1)
	if !strings.HasPrefix(notice.Text, "Dear John Smith,\n\nOur answer to your inquiry [FTA-PASS #1]") ||
		!strings.Contains(notice.Text, "Minsu Lim continues to handle your inquiry (FTA-PASS Operations Team)") ||
		!strings.Contains(notice.Text, "More time is needed to review your inquiry.") ||
		strings.Index(notice.Text, "답변이 약속드린 기한인") < strings.Index(notice.Text, "We apologise") {
		t.Errorf("delay notice, English first:\n%s", notice.Text)
	}
	if want := "[FTA-PASS #1] Delayed answer / 답변 지연 안내: Certificate of origin question"; notice.Subject != want {
		t.Errorf("notice subject: got %q, want %q", notice.Subject, want)
	}

	staff := f.staffOf(0)
	f.reply(staff, "mslim@origin.or.kr", staff.ReplyTo[0].Addr, "#assign bslee\r\n")
	transfer := f.ackOf(2)
	if !strings.HasPrefix(transfer.Text, "Your inquiry [FTA-PASS #1] (Certificate of origin question) is now handled by Boseong Lee (원산지관리사 자격시험팀), phone 031-600-0745") ||
		!strings.Contains(transfer.Text, "담당자: 이보성") {
		t.Errorf("transfer, English first (no department_en: the Korean one):\n%s", transfer.Text)
	}
	if want := "[FTA-PASS #1] New handler / 담당자 변경 안내: Certificate of origin question"; transfer.Subject != want {
		t.Errorf("transfer subject: got %q, want %q", transfer.Subject, want)
	}
	if f.ticket(1).Handler.NameEn != "Boseong Lee" {
		t.Errorf("ticket handler after the transfer: %+v", f.ticket(1).Handler)
	}

	s := f.state("fta-pass")
	bslee := f.staffOf(len(s.staff) - 1)
	f.reply(bslee, "bslee@origin.or.kr", bslee.ReplyTo[0].Addr, "Please use the Certificate menu.\r\n")
	answer := f.ackOf(3)
	// The mail's parser trims the space of the signature's "-- " line.
	if want := "\nBoseong Lee / 원산지관리사 자격시험팀\nPhone 031-600-0745\nbslee@origin.or.kr\nFTA Origin Support Center"; !strings.HasPrefix(answer.Text, "Please use the Certificate menu.") ||
		!strings.Contains(answer.Text, want) || strings.Contains(answer.Text, "전화") {
		t.Errorf("answer: got\n%s\nwant the English signature\n%s", answer.Text, want)
	}
}

// TestPreviewShowsLanguage: rules test says which language a new ticket
// gets and why, and that a follow-up keeps its ticket's.
func TestPreviewShowsLanguage(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, englishRules))
	f.deliver("fta-pass", 1, 1, mail{from: "john@example.com", to: "fta-pass@origin.or.kr",
		subject: "Certificate of origin question", id: "pv1@x", body: "How do I apply?\r\n"}.raw())
	for _, tt := range []struct {
		name     string
		mail     mail
		lang, by string
		ack      string // the acknowledgement's text starts with it
	}{
		{"English", mail{from: "jane@example.com", subject: "Origin question", body: "Hello\r\n"},
			"en", "no Hangul in subject and text", "Dear jane@example.com,"},
		{"Korean", mail{from: "kim@example.co.kr", subject: "원산지 문의"}, "ko", "Hangul in the mail", "kim@example.co.kr 님, 안녕하십니까."},
		{"route", mail{from: "park@kotra.or.kr", subject: "원산지 문의"}, "en", "route rules.toml:39", "Dear park@kotra.or.kr,"},
		{"follow-up", mail{from: "john@example.com", subject: "RE: [FTA-PASS #1] Certificate of origin question", body: "다시 문의드립니다."},
			"en", "the ticket's, since its first mail", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.mail.to, tt.mail.id = "fta-pass@origin.or.kr", "pv-"+tt.name+"@x"
			seoul, _ := time.LoadLocation("Asia/Seoul")
			r, err := Preview(context.Background(), PreviewInput{Store: f.store, Rules: f.desk.rulesOf(context.Background()),
				Templates: f.desk.templates.Load(), Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}},
				Location: seoul, Raw: tt.mail.raw(), Now: f.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if r.Language != tt.lang || r.LanguageBy != tt.by || !strings.HasPrefix(r.AckText, tt.ack) {
				t.Errorf("got %s (%s), ack %.40q; want %s (%s), ack %q", r.Language, r.LanguageBy, r.AckText, tt.lang, tt.by, tt.ack)
			}
		})
	}
}
