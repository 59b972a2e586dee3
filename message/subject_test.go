package message

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCutReplyPrefixEveryWord checks every marker of both lists maildesk
// once kept (the automatic-mail check's eight and desk's nineteen), in the
// spellings clients use.
func TestCutReplyPrefixEveryWord(t *testing.T) {
	words := []string{
		// the automatic-mail check's list
		"re", "fw", "fwd", "aw", "wg", "tr", "sv", "vs",
		// desk's list
		"re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rif", "r", "res", "enc",
		"답장", "회신", "전달", "답변", "转发", "回复",
	}
	for _, w := range words {
		for _, p := range []string{
			w + ":", strings.ToUpper(w) + ":", title(w) + ":",
			w + "[2]:", w + "(3):", w + " :", w + "：", w + "[12]：",
		} {
			rest, ok := CutReplyPrefix(p + " 문의")
			if !ok || rest != "문의" {
				t.Errorf("CutReplyPrefix(%q): got %q, %v, want %q, true", p+" 문의", rest, ok, "문의")
			}
			if !IsReply(p + "x") {
				t.Errorf("IsReply(%q): got false, want true", p+"x")
			}
		}
	}
}

// title upper-cases the first letter of w: "Re", "Fwd".
func title(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	return strings.ToUpper(string(r)) + w[n:]
}

func TestCutReplyPrefix(t *testing.T) {
	tests := []struct {
		in, rest string
		ok       bool
	}{
		{"Re: x", "x", true},
		{"  RE:x", "x", true},
		{"Re: Fwd: x", "Fwd: x", true}, // one at a time
		{"Re:", "", true},
		{"x", "x", false},
		{"", "", false},
		{"Report: March figures", "Report: March figures", false},
		{"Research: results", "Research: results", false},
		{"Re[x]: not a counter", "Re[x]: not a counter", false},
		{"Re[2 x", "Re[2 x", false},
		{"Re(2]: x", "Re(2]: x", false},
		{"Re - x", "Re - x", false},
		{"[FTA-PASS #1] Re: x", "[FTA-PASS #1] Re: x", false}, // tags are desk's
		{"Hello", "Hello", false},
		{"Undeliverable: x", "Undeliverable: x", false},
	}
	for _, tt := range tests {
		rest, ok := CutReplyPrefix(tt.in)
		if rest != tt.rest || ok != tt.ok {
			t.Errorf("CutReplyPrefix(%q): got %q, %v, want %q, %v", tt.in, rest, ok, tt.rest, tt.ok)
		}
		if got := IsReply(tt.in); got != tt.ok {
			t.Errorf("IsReply(%q): got %v, want %v", tt.in, got, tt.ok)
		}
	}
}

func TestBaseSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"원산지 문의", "원산지 문의"},
		{"Re: 원산지 문의", "원산지 문의"},
		{"RE: RE: 원산지 문의", "원산지 문의"},
		{"Re[2]: question", "question"},
		{"RE(3): question", "question"},
		{"Fwd: FW: Fw: question", "question"},
		{"AW: WG: SV: VS: TR: question", "question"},
		{"Antw: RIF: R: RES: ENC: question", "question"},
		{"답장: 회신: 전달: 답변: 문의", "문의"},
		{"转发: 回复: 问题", "问题"},
		{"회신： 문의", "문의"},
		{"  re:question  ", "question"},
		{"Report: March figures", "Report: March figures"},
		{"Re: ", ""},
		{"Re: [FTA-PASS #12] 문의", "[FTA-PASS #12] 문의"},
		{"회신: Undeliverable: 문의", "Undeliverable: 문의"},
	}
	for _, tt := range tests {
		if got := BaseSubject(tt.in); got != tt.want {
			t.Errorf("BaseSubject(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{"Re: 문의", "RE(3):x", "Re[", "회신： 문의", "  AW: WG: x ", "Re[2]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := BaseSubject(s)
		if len(got) > len(s) {
			t.Fatalf("BaseSubject(%q) = %q grew", s, got)
		}
		if BaseSubject(got) != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, BaseSubject(got))
		}
		if IsReply(got) {
			t.Fatalf("BaseSubject(%q) = %q still starts with a marker", s, got)
		}
		if rest, ok := CutReplyPrefix(s); ok == (rest == s) {
			t.Fatalf("CutReplyPrefix(%q) = %q, %v: ok must say whether it cut", s, rest, ok)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("BaseSubject(%q) = %q is not UTF-8", s, got)
		}
	})
}
