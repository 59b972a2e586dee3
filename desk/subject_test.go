package desk

import "testing"

func TestBaseSubject(t *testing.T) {
	tests := []struct{ in, want string }{
		{"원산지 문의", "원산지 문의"},
		{"Re: 원산지 문의", "원산지 문의"},
		{"RE: RE: 원산지 문의", "원산지 문의"},
		{"Re[2]: question", "question"},
		{"RE(3): question", "question"},
		{"Fwd: FW: Fw: question", "question"},
		{"AW: WG: SV: question", "question"},
		{"답장: 회신: 전달: 문의", "문의"},
		{"회신： 문의", "문의"},
		{"RE: [FTA-PASS #12] 문의", "문의"},
		{"[FTA-PASS #12] RE: 회신: [FTA-PASS #12] 문의", "문의"},
		{"  re:question  ", "question"},
		{"Report: March figures", "Report: March figures"}, // not a prefix word
		{"Re: ", ""},
		{"Re[x]: not a counter", "Re[x]: not a counter"},
		{"[", "["},
		{"Research: results", "Research: results"},
	}
	for _, tt := range tests {
		if got := baseSubject(tt.in); got != tt.want {
			t.Errorf("baseSubject(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkedReply(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"Re: 문의", true},
		{"[FTA-PASS #3] 회신: 문의", true},
		{"[FTA-PASS #3] 문의", false},
		{"문의", false},
		{"Report: x", false},
	}
	for _, tt := range tests {
		if got := markedReply(tt.in); got != tt.want {
			t.Errorf("markedReply(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzBaseSubject(f *testing.F) {
	for _, s := range []string{"Re: [FTA-PASS #1] 문의", "RE(3):x", "[", "회신： 문의"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := baseSubject(s)
		if len(got) > len(s) {
			t.Fatalf("baseSubject(%q) = %q grew", s, got)
		}
		if baseSubject(got) != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, baseSubject(got))
		}
	})
}
