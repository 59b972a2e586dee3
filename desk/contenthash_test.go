package desk

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestContentHashStable holds contentHash to the hashes stored by earlier
// releases: SHA-256 of the body after the header, CRLFs made LFs (of the
// whole mail when it has no Message-ID). A changed hash would make every
// mail fetched again after an upgrade look new.
func TestContentHashStable(t *testing.T) {
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	for _, c := range []struct {
		raw   string
		msgID bool
		want  string
	}{
		{"Subject: a\r\n\r\nline 1\r\nline 2\r\n", true, sum("line 1\nline 2\n")},
		{"Subject: a\n\nbare\nLF\n", true, sum("bare\nLF\n")},
		{"Subject: a\r\n\r\nlone \r and \r\r\n end\r", true, sum("lone \r and \r\n end\r")},
		{"Subject: a\r\n\r\n", true, sum("")},
		{"no header end\r\nat all", true, sum("no header end\nat all")},
		{"Subject: a\r\n\r\nbody\r\n", false, sum("Subject: a\r\n\r\nbody\r\n")},
		{"Subject: a\r\n\r\n원산지\r\n\r\n\r\n", true, sum("원산지\n\n\n")},
	} {
		if got := contentHash([]byte(c.raw), c.msgID); got != c.want {
			t.Errorf("contentHash(%q, %v) = %s, want %s", c.raw, c.msgID, got, c.want)
		}
	}
}
