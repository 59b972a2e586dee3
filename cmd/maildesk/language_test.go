package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// TestRulesTestShowsLanguage: `rules test` says which language a new
// ticket's mail leads with and why, and its acknowledgement shows it.
func TestRulesTestShowsLanguage(t *testing.T) {
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	for _, tt := range []struct {
		name, from, subject, body string
		want                      []string // in the output, in this order
	}{
		{"English", "John Smith <john@example.com>", "Certificate of origin question", "How do I apply for a certificate of origin?\r\n",
			[]string{"language:     en (no Hangul in subject and text)\n",
				"--- acknowledgement: [FTA-PASS #0] Certificate of origin question\nDear John Smith,",
				"Name:       Minsu Lim\n  Department: FTA-PASS Operations Team", "John Smith 님, 안녕하십니까."}},
		{"Korean", "김철수 <kim@example.co.kr>", "원산지 증명서 발급 문의", "발급 방법을 알려 주세요.\r\n",
			[]string{"language:     ko (Hangul in the mail)\n",
				"--- acknowledgement: [FTA-PASS #0] 원산지 증명서 발급 문의\n김철수 님, 안녕하십니까.", "Dear 김철수,", "Minsu Lim"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			eml := filepath.Join(t.TempDir(), "q.eml")
			if err := os.WriteFile(eml, maildesktest.Inquiry(tt.from, "fta-pass@origin.or.kr", tt.subject, "lang@x", tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := runCLI(t, "rules", "test", "-config", "../../examples/maildesk.toml", "-at", "2026-11-25T10:00", eml)
			if err != nil {
				t.Fatal(err)
			}
			rest := out
			for _, want := range tt.want {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("rules test output lacks %q (in this order):\n%s", want, out)
				}
				rest = rest[i+len(want):]
			}
		})
	}
}

// TestEndToEndEnglishInquiry: through the real daemon and mail servers, an
// inquiry in English is acknowledged English first with the example
// handler's English name, and the ticket says it is English.
func TestEndToEndEnglishInquiry(t *testing.T) {
	s := newStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	s.send("john@example.com", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("John Smith <john@example.com>", "fta-pass@origin.or.kr", "Certificate of origin question", "en1@example.com",
			"Hello,\r\nhow do I apply for a certificate of origin?\r\n\r\n-- \r\n홍길동 / Sales\r\n"))
	caps := s.waitCaptured(1)
	ack := checkAck(t, caps[0], "john@example.com", "en1@example.com", "[FTA-PASS #1]", "031-600-0722")
	en, ko := strings.Index(ack.Text, "Name:       Minsu Lim"), strings.Index(ack.Text, "담당자: 임민수")
	if !strings.HasPrefix(ack.Text, "Dear John Smith,") || en < 0 || ko < en {
		t.Errorf("ack, English first with the English name (the signature's Hangul does not count):\n%s", ack.Text)
	}
	if ack.From.Name != "FTA-PASS inquiry" {
		t.Errorf("ack from %q, want the category's English name", ack.From.Name)
	}
	s.waitFor(st, "ticket stored", func(sn snapshot) bool { return len(sn.tickets) == 1 })
	d.stop()
	out, err := runCLI(t, "ticket", "-config", s.configPath, "-json", "1")
	if err != nil {
		t.Fatal(err)
	}
	var tk struct {
		Language string `json:"language"`
		Handler  struct {
			NameEn string `json:"name_en"`
		} `json:"handler"`
	}
	if err := json.Unmarshal([]byte(out), &tk); err != nil {
		t.Fatal(err)
	}
	if tk.Language != "en" || tk.Handler.NameEn != "Minsu Lim" {
		t.Errorf("ticket -json: language %q, handler %+v:\n%s", tk.Language, tk.Handler, out)
	}
}
