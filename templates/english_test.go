package templates

import (
	"strings"
	"testing"
)

// TestEnglishFirst: every template of mail to customers puts the English
// part first when EnglishFirst is set, naming the handler in English, and
// the Korean part first otherwise; without an English name the English
// part repeats the Korean one.
func TestEnglishFirst(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	ack := sampleAck(t)
	en := ack.Handler
	en.NameEn, en.DepartmentEn = "Minsu Lim", "FTA-PASS Operations Team"
	data := func(name string, c Contact, englishFirst bool) any {
		switch name {
		case "ack":
			a := ack
			a.Handler, a.EnglishFirst = c, englishFirst
			return a
		case "notice", "interim":
			return Notice{Tag: ack.Tag, Subject: "Certificate of origin question", Customer: "John Smith", Handler: c,
				Received: ack.Received, Due: ack.Due, Expected: ack.Due, Reason: "검토 중", ReasonEn: "Under review",
				Mailbox: ack.Mailbox, EnglishFirst: englishFirst}
		case "transfer":
			return Transfer{Tag: ack.Tag, Subject: "Certificate of origin question", Customer: "John Smith", Handler: c,
				Due: ack.Due, Mailbox: ack.Mailbox, EnglishFirst: englishFirst}
		case "correction-ack":
			a := ack
			a.Handler, a.EnglishFirst = c, englishFirst
			return a
		case "correction-result":
			return CorrectionResult{Tag: ack.Tag, Subject: "Rude answer on the phone", Customer: "John Smith", Handler: c, Upheld: true,
				Compensation: 10000, CompensationText: "10,000", Received: ack.Received, Mailbox: ack.Mailbox, EnglishFirst: englishFirst}
		default: // answer
			return Answer{Text: "Please use the Certificate menu.", Handler: c, Mailbox: ack.Mailbox, EnglishFirst: englishFirst}
		}
	}
	// What each template's parts start with (for answer: its signature).
	starts := map[string][2]string{
		"ack":               {"홍길동 님, 안녕하십니까.", "Dear 홍길동,"},
		"notice":            {"John Smith 님, 안녕하십니까.", "Dear John Smith,"},
		"interim":           {"John Smith 님, 안녕하십니까.", "Dear John Smith,"},
		"transfer":          {"John Smith 님, 안녕하십니까.", "Your inquiry [FTA-PASS #12]"},
		"correction-ack":    {"홍길동 님, 안녕하십니까.", "Dear 홍길동,"},
		"correction-result": {"John Smith 님, 안녕하십니까.", "Dear John Smith,"},
		"answer":            {"Please use the Certificate menu.\n\n-- \n임민수 / FTA-PASS 운영팀", "Please use the Certificate menu.\n\n-- \nMinsu Lim / FTA-PASS Operations Team"},
	}
	for name, start := range starts {
		for _, tt := range []struct {
			lang         string
			englishFirst bool
			contact      Contact
			want         string // the text starts with it
			wantName     string // the English name the text has
		}{
			{"ko", false, en, start[0], "Minsu Lim"},
			{"en", true, en, start[1], "Minsu Lim"},
			{"en without English name", true, ack.Handler, strings.NewReplacer("Minsu Lim", "임민수", "FTA-PASS Operations Team", "FTA-PASS 운영팀").Replace(start[1]), ""},
		} {
			t.Run(name+"/"+tt.lang, func(t *testing.T) {
				text, html, err := s.Render(name, data(name, tt.contact, tt.englishFirst))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(text, tt.want) {
					t.Errorf("text starts %q, want %q:\n%s", text[:min(len(text), 80)], tt.want, text)
				}
				if name == "answer" {
					if tt.englishFirst == strings.Contains(text, "전화") {
						t.Errorf("signature in the wrong language:\n%s", text)
					}
					return
				}
				if tt.wantName != "" && !strings.Contains(text, tt.wantName) {
					t.Errorf("text lacks the English name %q:\n%s", tt.wantName, text)
				}
				// Both parts, once each, the rule line between them.
				if strings.Count(text, "담당자") == 0 || strings.Count(text, strings.Repeat("-", 72)) != 1 {
					t.Errorf("want both parts and one rule line:\n%s", text)
				}
				if html != "" {
					ko, en := strings.Index(html, `<div lang="ko">`), strings.Index(html, `<div lang="en">`)
					if ko < 0 || en < 0 || (en < ko) != tt.englishFirst {
						t.Errorf("HTML parts in the wrong order (ko at %d, en at %d):\n%s", ko, en, html)
					}
					if tt.wantName != "" && !strings.Contains(html, "<td>"+tt.wantName+"</td>") {
						t.Errorf("HTML lacks the English name %q", tt.wantName)
					}
				}
			})
		}
	}
}
