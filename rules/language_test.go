package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDecideLanguage: the language of a new ticket comes from the deciding
// route, else from whether the customer wrote Hangul.
func TestDecideLanguage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.toml"), []byte(`
[[handler]]
id = "mslim"
name = "임민수"
name_en = "Minsu Lim"
department = "FTA-PASS 운영팀"
department_en = "FTA-PASS Operations Team"
email = "mslim@origin.or.kr"

[[category]]
id = "fta-pass"
name = "FTA-PASS 문의"
tag = "FTA-PASS"
window = "48h"

[[mailbox]]
name = "fta-pass"
category = "fta-pass"
handler = "mslim"

[[route]]
from = "kotra.or.kr"
language = "en"

[[route]]
from = "example.co.kr"
language = "ko"

[[route]]
from = "example.de"
priority = "high"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h := set.Handlers["mslim"]; h.NameEn != "Minsu Lim" || h.DepartmentEn != "FTA-PASS Operations Team" {
		t.Errorf("handler: got NameEn %q, DepartmentEn %q", h.NameEn, h.DepartmentEn)
	}
	tests := []struct {
		name     string
		in       Input
		lang, by string
	}{
		{"English inquiry", Input{Subject: "Certificate of origin question", Text: "How do I apply?"},
			LangEnglish, "no Hangul in subject and text"},
		{"Korean inquiry", Input{Subject: "원산지 증명서 문의", Text: "발급 방법을 알려 주세요."},
			LangKorean, "Hangul in the mail"},
		{"Korean text, English subject", Input{Subject: "FTA-PASS login", Text: "로그인이 안 됩니다."},
			LangKorean, "Hangul in the mail"},
		{"compatibility jamo", Input{Subject: "Question ㅠㅠ"}, LangKorean, "Hangul in the mail"},
		{"Chinese", Input{Subject: "原产地证书", Text: "请问"}, LangEnglish, "no Hangul in subject and text"},
		{"no letters", Input{Subject: "", Text: "2026-11-25 #12"}, LangKorean, "no letters to tell by (default)"},
		{"route says English", Input{From: "kim@kotra.or.kr", Subject: "원산지 문의"},
			LangEnglish, "route rules.toml:21"},
		{"route says Korean", Input{From: "kim@example.co.kr", Subject: "Origin question"},
			LangKorean, "route rules.toml:25"},
		{"route without language", Input{From: "hans@example.de", Subject: "Origin question"},
			LangEnglish, "no Hangul in subject and text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Mailbox = "fta-pass"
			d, err := set.Decide(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Language != tt.lang || d.LanguageBy != tt.by {
				t.Errorf("got %s (%s), want %s (%s)", d.Language, d.LanguageBy, tt.lang, tt.by)
			}
		})
	}
}
