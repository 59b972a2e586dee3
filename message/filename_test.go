package message

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSafeFileNames: each hostile name a sender can choose comes out as a
// plain name inside the directory.
func TestSafeFileNames(t *testing.T) {
	nfd := "\u110b\u1169\u1105\u1172\u1112\u116a\u1106\u1167\u11ab.png" // 오류화면.png as a Mac writes it
	tests := []struct {
		name string
		in   []Attachment
		want []string
	}{
		{"korean", []Attachment{{Name: "오류화면.png"}, {Name: "품목목록.xlsx"}}, []string{"오류화면.png", "품목목록.xlsx"}},
		{"nfd korean", []Attachment{{Name: nfd}}, []string{"오류화면.png"}},
		{"traversal", []Attachment{{Name: "../../etc/passwd"}}, []string{"_.._etc_passwd"}},
		{"subdirectory", []Attachment{{Name: "a/b"}}, []string{"a_b"}},
		{"backslash", []Attachment{{Name: `..\..\win.ini`}}, []string{`_.._win.ini`}},
		{"dot dot", []Attachment{{Name: ".."}}, []string{"part-1.bin"}},
		{"hidden", []Attachment{{Name: ".bashrc"}}, []string{"bashrc"}},
		{"terminal escape", []Attachment{{Name: "\x1b[2J.png"}}, []string{"_[2J.png"}},
		{"bidi override", []Attachment{{Name: "invoice\u202egnp.exe"}}, []string{"invoice_gnp.exe"}},
		{"newline", []Attachment{{Name: "a\r\nb.txt"}}, []string{"a__b.txt"}},
		{"invalid utf-8", []Attachment{{Name: "a\xff.txt"}}, []string{"a_.txt"}},
		{"windows device", []Attachment{{Name: "CON.txt"}}, []string{"_CON.txt"}},
		{"trailing dots", []Attachment{{Name: "report.pdf. . "}}, []string{"report.pdf"}},
		{"unnamed", []Attachment{{Name: "보고서.pdf"}, {ContentType: "image/png"}, {ContentType: "application/x-foo"}},
			[]string{"보고서.pdf", "part-2.png", "part-3.bin"}},
		{"duplicates", []Attachment{{Name: "오류화면.png"}, {Name: "오류화면.png"}, {Name: "오류화면-2.png"}, {Name: "README"}, {Name: "readme"}},
			[]string{"오류화면.png", "오류화면-2.png", "오류화면-2-2.png", "README", "readme-2"}},
		{"only separators", []Attachment{{Name: "///"}}, []string{"part-1.bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SafeFileNames(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSafeFileNameLong(t *testing.T) {
	got := SafeFileNames([]Attachment{{Name: strings.Repeat("가", 300) + ".xlsx"}})[0]
	if len(got) > maxFileNameBytes || !strings.HasSuffix(got, "가.xlsx") || !utf8.ValidString(got) {
		t.Errorf("got %d bytes %q, want at most %d ending in 가.xlsx", len(got), got, maxFileNameBytes)
	}
}

// FuzzSafeFileNames: whatever the names, each result is one plain,
// distinct path element.
func FuzzSafeFileNames(f *testing.F) {
	for _, s := range []string{"오류화면.png", "../../etc/passwd", "a/b", "\x1b[2J.png", "..", "", "CON", "a\x00b"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		names := SafeFileNames([]Attachment{{Name: a}, {Name: b}, {Name: a}})
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00") || strings.HasPrefix(n, ".") ||
				len(n) > maxFileNameBytes+20 || !utf8.ValidString(n) {
				t.Fatalf("unsafe name %q from %q, %q", n, a, b)
			}
			for _, r := range n {
				if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
					t.Fatalf("control character in %q", n)
				}
			}
			if seen[strings.ToLower(n)] {
				t.Fatalf("duplicate name %q in %q", n, names)
			}
			seen[strings.ToLower(n)] = true
		}
	})
}
