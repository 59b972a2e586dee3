package message

import (
	"strings"
	"testing"
)

// mailWithAuthResults is a mail whose header starts with the given
// Authentication-Results values, topmost first.
func mailWithAuthResults(vals ...string) []byte {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString("Authentication-Results: " + v + "\r\n")
	}
	b.WriteString("From: staff@origin.or.kr\r\nSubject: s\r\n\r\nbody\r\n")
	return []byte(b.String())
}

func TestAuthenticated(t *testing.T) {
	const id, domain = "mx.origin.or.kr", "origin.or.kr"
	for _, tt := range []struct {
		name string
		vals []string
		id   string // "" means id
		dom  string // "" means domain
		want bool
	}{
		// The cases desk's own check accepted and refused.
		{"dkim pass", []string{"mx.origin.or.kr; dkim=pass header.d=origin.or.kr header.s=s1; spf=pass"}, "", "", true},
		{"dmarc pass", []string{"mx.origin.or.kr; spf=fail; dmarc=pass (p=reject) header.from=origin.or.kr"}, "", "", true},
		{"wrong authserv-id", []string{"mx.evil.example; dkim=pass header.d=origin.or.kr"}, "", "", false},
		{"dkim pass for another domain", []string{"mx.origin.or.kr; dkim=pass header.d=evil.example"}, "", "", false},
		{"dkim fail", []string{"mx.origin.or.kr; dkim=fail header.d=origin.or.kr"}, "", "", false},
		{"forged header below the real one", []string{"mx.origin.or.kr; dkim=none", "mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, "", "", false},
		{"right id only in the second header", []string{"mx.other.example; dkim=pass header.d=origin.or.kr", "mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, "", "", false},
		{"dmarc fail", []string{"mx.origin.or.kr; dmarc=fail header.from=origin.or.kr"}, "", "", false},
		{"dmarc pass for another domain", []string{"mx.origin.or.kr; dmarc=pass header.from=evil.example"}, "", "", false},
		{"spf pass is not enough", []string{"mx.origin.or.kr; spf=pass smtp.mailfrom=staff@origin.or.kr"}, "", "", false},
		{"none", []string{"mx.origin.or.kr; none"}, "", "", false},
		{"no header", nil, "", "", false},
		// Case, quoting, comments, folding.
		{"case-insensitive", []string{"MX.Origin.OR.KR; DKIM=Pass Header.D=Origin.OR.KR"}, "", "", true},
		{"configured id in upper case", []string{"mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, "MX.ORIGIN.OR.KR", "", true},
		{"version", []string{"mx.origin.or.kr 1; dkim=pass header.d=origin.or.kr"}, "", "", true},
		{"quoted values", []string{`"mx.origin.or.kr"; dkim=pass header.d="origin.or.kr" header.b="ab/cd"`}, "", "", true},
		{"header.i in the domain", []string{"mx.origin.or.kr; dkim=pass header.i=@origin.or.kr"}, "", "", true},
		{"header.i with a local part", []string{"mx.origin.or.kr; dkim=pass header.i=staff@origin.or.kr"}, "", "", true},
		{"header.i in a look-alike domain", []string{"mx.origin.or.kr; dkim=pass header.i=@evilorigin.or.kr"}, "", "", false},
		{"comment with a semicolon", []string{"mx.origin.or.kr; dkim=pass (2048-bit key; unprotected) header.d=origin.or.kr"}, "", "", true},
		{"comment after the authserv-id", []string{"mx.origin.or.kr (Postfix); dkim=pass header.d=origin.or.kr"}, "", "", true},
		{"nested comment", []string{"mx.origin.or.kr; dkim=pass (a (b; c) d) header.d=origin.or.kr"}, "", "", true},
		{"comment naming the domain does not count", []string{"mx.origin.or.kr; dkim=pass header.d=evil.example ( header.d=origin.or.kr )"}, "", "", false},
		{"quoted local part cannot add a result", []string{`mx.origin.or.kr; spf=pass smtp.mailfrom="x;dkim=pass header.d=origin.or.kr"@evil.example`}, "", "", false},
		{"quoted local part closing its own result", []string{`mx.origin.or.kr; spf=pass smtp.mailfrom="x;dkim=pass header.d=origin.or.kr;"@evil.example`}, "", "", false},
		{"quoted local part with a blank", []string{`mx.origin.or.kr; spf=pass smtp.mailfrom="x dmarc=pass header.from=origin.or.kr"@evil.example; dkim=fail header.d=origin.or.kr`}, "", "", false},
		{"folded", []string{"mx.origin.or.kr;\r\n\tdkim=pass\r\n header.d=origin.or.kr;\r\n spf=pass"}, "", "", true},
		{"comment holding a folded line", []string{"mx.origin.or.kr; spf=pass (mx.origin.or.kr: domain of x designates\r\n 192.0.2.10 as permitted sender) smtp.mailfrom=x@origin.or.kr; dkim=pass header.d=origin.or.kr"}, "", "", true},
		// What must give false.
		{"empty authserv-id", []string{"mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, "-", "", false},
		{"empty domain", []string{"mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, "", "-", false},
		{"an address for a domain", []string{"mx.origin.or.kr; dkim=pass header.d=origin.or.kr"}, "", "staff@origin.or.kr", false},
		{"unsupported version", []string{"mx.origin.or.kr 2; dkim=pass header.d=origin.or.kr"}, "", "", false},
		{"garbage", []string{"mx.origin.or.kr; dkim pass header.d origin.or.kr"}, "", "", false},
		{"garbage after a pass", []string{"mx.origin.or.kr; dkim=pass header.d=origin.or.kr; ???"}, "", "", false},
		{"only an id", []string{"mx.origin.or.kr"}, "", "", false},
		{"empty", []string{""}, "", "", false},
		{"binary", []string{"\x00\xff\xfe; dkim=pass header.d=origin.or.kr"}, "", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(mailWithAuthResults(tt.vals...))
			if err != nil && len(tt.vals) > 0 && tt.name != "binary" {
				t.Fatal(err)
			}
			id, dom := id, domain
			if tt.id != "" {
				id = strings.TrimPrefix(tt.id, "-")
			}
			if tt.dom != "" {
				dom = strings.TrimPrefix(tt.dom, "-")
			}
			if got := m.Authenticated(id, dom); got != tt.want {
				t.Errorf("Authenticated(%q, %q) with %q: got %v, want %v", id, dom, tt.vals, got, tt.want)
			}
		})
	}
}

// A real trace: the border server's verdict on top, OpenDKIM and
// policyd-spf comments in it, a header the sender wrote further down.
func TestAuthenticatedTrace(t *testing.T) {
	m, err := Parse(readFixture(t, "authres-trace.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, domain string
		want       bool
	}{
		{"mx.origin.or.kr", "origin.or.kr", true},
		{"mx.origin.or.kr", "evil.example", false},
		{"mx.evil.example", "evil.example", false},
		{"", "origin.or.kr", false},
	} {
		if got := m.Authenticated(tt.id, tt.domain); got != tt.want {
			t.Errorf("Authenticated(%q, %q): got %v, want %v", tt.id, tt.domain, got, tt.want)
		}
	}
	var zero *Message
	if zero.Authenticated("mx.origin.or.kr", "origin.or.kr") {
		t.Error("nil Message: got true, want false")
	}
}

func FuzzAuthenticated(f *testing.F) {
	for _, s := range []string{
		"mx.origin.or.kr; dkim=pass header.d=origin.or.kr",
		"mx.origin.or.kr 1; dkim=pass (2048-bit key; unprotected) header.d=\"origin.or.kr\" header.i=@origin.or.kr",
		`mx.origin.or.kr; spf=pass smtp.mailfrom="a;b (c"@x; dmarc=pass header.from=origin.or.kr`,
		"mx.origin.or.kr;\r\n\tarc=pass header.oldest-pass=0",
		"(\\", "\"", "a;=;", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		m, _ := Parse(mailWithAuthResults(v))
		got := m.Authenticated("mx.origin.or.kr", "origin.or.kr")
		n := normalizeAuthResults(v)
		if strings.ContainsAny(n, "(\"\r\n") {
			t.Fatalf("normalizeAuthResults(%q) = %q: a comment, quote or line break left", v, n)
		}
		// A pass needs the domain outside any comment.
		if got && !strings.Contains(strings.ToLower(n), "origin.or.kr") {
			t.Fatalf("got true for %q (normalized %q)", v, n)
		}
		if m.Authenticated("", "origin.or.kr") || m.Authenticated("mx.origin.or.kr", "") {
			t.Fatalf("got true with an empty argument for %q", v)
		}
	})
}
