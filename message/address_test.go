package message

import "testing"

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"kim@example.com", "kim@example.com"},
		{"  Kim@Example.COM ", "kim@example.com"},
		{"<kim@example.com>", "kim@example.com"},
		{"mailto:Kim@example.com", "kim@example.com"},
		{"MAILTO:kim@example.com", "kim@example.com"},
		{"kim+x@example.com", "kim@example.com"},
		{"KIM+Tag+more@EXAMPLE.com", "kim@example.com"},
		{"fta-pass+t12.k3j9xq2mfa@origin.or.kr", "fta-pass@origin.or.kr"},
		{"kim@example.com.", "kim@example.com"},
		{"+x@example.com", "+x@example.com"}, // a local part of only a tag is kept
		{"\"a@b\"@example.com", "\"a@b\"@example.com"},
		{"user2", "user2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Canonical(tt.in); got != tt.want {
			t.Errorf("Canonical(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSameAddress(t *testing.T) {
	spellings := []string{
		"kim@naver.com", "Kim@naver.com", "KIM@NAVER.COM", "kim+1@naver.com",
		"kim+promo@Naver.com", "<kim@naver.com>", "kim@naver.com.", "mailto:kim+a@naver.com",
	}
	for _, s := range spellings {
		if !SameAddress(s, spellings[0]) {
			t.Errorf("SameAddress(%q, %q): got false, want true", s, spellings[0])
		}
	}
	for _, pair := range [][2]string{{"kim@naver.com", "kim@daum.net"}, {"kim@naver.com", "lee@naver.com"}, {"", ""}, {"", "kim@naver.com"}} {
		if SameAddress(pair[0], pair[1]) {
			t.Errorf("SameAddress(%q, %q): got true, want false", pair[0], pair[1])
		}
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{"kim@example.com", "Kim+x@Example.com.", "<mailto:a@b>", "", "@", "+@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Canonical(s)
		if Canonical(c) != c {
			t.Errorf("Canonical is not idempotent on %q: %q then %q", s, c, Canonical(c))
		}
	})
}
