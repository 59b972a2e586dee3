package rules

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"unicode/utf8"
)

var foldSeeds = []string{
	"", "abc", "ABC Def", "원산지 문의", "원산지 FTA-PASS 문의입니다", "ㅋㅋ 감사합니다 ㅠㅠ",
	// Decomposed Hangul (macOS): conjoining jamo compose into a syllable.
	"\u1100\u1161\u11a8 문의", "가\u11a8", // a syllable followed by a trailing consonant
	"cafe\u0301 Café", "İstanbul ΣΑΣ", "Ｆｕｌｌｗｉｄｔｈ", "민원\u00a0불친절", "…“인용”…",
	"\xff\xfe broken \xc3", "한\xed\x9f", "\u3164 \u318e \u3131\u3130",
}

// TestFoldFastPath: fold gives what the general way gives, on edge cases
// and on every line of the shared corpus's mail (raw: UTF-8, EUC-KR bytes,
// base64, whatever it holds).
func TestFoldFastPath(t *testing.T) {
	inputs := append([]string(nil), foldSeeds...)
	dir, err := maildesktest.FindCorpus()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Logf("%v; edge cases only", err)
	}
	files := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".eml") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files++
		inputs = append(inputs, string(b))
		inputs = append(inputs, strings.Split(string(b), "\n")...)
		return nil
	})
	fast := 0
	for _, s := range inputs {
		got, want := fold(s), foldGeneral(s)
		if got != want {
			t.Errorf("fold(%.60q): got %.60q, want %.60q", s, got, want)
		}
		if isFastFold(s) {
			fast++
		}
	}
	t.Logf("%d inputs from %d corpus files and the edge cases; %d took the fast way", len(inputs), files, fast)
	if files > 0 && fast == 0 {
		t.Errorf("no input took the fast way: the test checks nothing of it")
	}
}

// isFastFold tells whether fold takes its fast way for s.
func isFastFold(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && !(r >= 0xAC00 && r <= 0xD7A3) && !(r >= 0x3131 && r <= 0x318E) {
			return false
		}
	}
	return true
}

func FuzzFold(f *testing.F) {
	for _, s := range foldSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := fold(s), foldGeneral(s); got != want {
			t.Errorf("fold(%q): got %q, want %q (valid UTF-8: %v)", s, got, want, utf8.ValidString(s))
		}
	})
}

// BenchmarkFold folds a Korean inquiry's body (2 KB) the fast way and the
// general way.
func BenchmarkFold(b *testing.B) {
	body := strings.Repeat("안녕하세요. FTA 원산지확인서 발급 관련하여 문의드립니다. HS code 8471.30 품목입니다.\r\n", 20)
	for name, fn := range map[string]func(string) string{"fast": fold, "general": foldGeneral} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				fn(body)
			}
		})
	}
}
