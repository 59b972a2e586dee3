package message

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/message/internal/charset"
)

// TestCorpusCJKEncodings decodes CPython's Korean codec test texts and
// compares with their UTF-8 versions, as text (charset.Decode) and as
// 8-bit mail bodies (Parse).
func TestCorpusCJKEncodings(t *testing.T) {
	dir := filepath.Join(maildesktest.Corpus(t), "cpython-cjkencodings-korean", "Lib", "test", "cjkencodings")
	n, ok := 0, 0
	for file, label := range map[string]string{
		"euc_kr": "euc-kr", "cp949": "cp949", "iso2022_kr": "iso-2022-kr", "johab": "johab",
	} {
		in, err := os.ReadFile(filepath.Join(dir, file+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, file+"-utf8.txt"))
		if err != nil {
			t.Fatal(err)
		}
		n++
		good := true
		if got := charset.Decode(label, in); got != string(want) {
			good = false
			t.Errorf("%s: decoded text differs:\n got %q\nwant %q", file, got, want)
		}
		// The same bytes as an 8-bit mail body.
		raw := append([]byte("Subject: "+file+"\r\nContent-Type: text/plain; charset="+label+"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"), in...)
		m, err := Parse(raw)
		if err != nil {
			t.Errorf("%s: %v", file, err)
		}
		if wantText := tidyFragment(normalizeNewlines(string(want))); m.Text != wantText {
			good = false
			t.Errorf("%s: Text = %q, want %q", file, m.Text, wantText)
		}
		if good {
			ok++
		}
	}
	// Measured: 4/4 (euc_kr, cp949, iso2022_kr, johab), as text and as mail.
	if n != 4 || ok != 4 {
		t.Errorf("got %d of %d texts right, want 4 of 4", ok, n)
	}
}
