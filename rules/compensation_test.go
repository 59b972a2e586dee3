package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompensation: a category's compensation key makes it one of
// correction requests; a negative, absurd or non-numeric amount is refused
// with its line.
func TestCompensation(t *testing.T) {
	tests := []struct {
		name, line string
		want       string // a problem; "" when it loads
		corr       bool
		amount     int64
	}{
		{"none", "", "", false, 0},
		{"charter", "compensation = 10000", "", true, 10000},
		{"zero", "compensation = 0", "", true, 0},
		{"negative", "compensation = -10000", "rules.toml:9: compensation = -10000: want KRW from 0 to 1000000", false, 0},
		{"absurd", "compensation = 100000000000", "rules.toml:9: compensation = 100000000000: want KRW from 0 to 1000000", false, 0},
		{"text", `compensation = "10,000"`, `rules.toml:9: "compensation" must be an integer`, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := `[[handler]]
id = "kioi"
name = "김지원"
email = "kioi@origin.or.kr"

[[category]]
id = "correction"
name = "시정요청"
` + tt.line + `
tag = "CORR"
window = "48h"

[[mailbox]]
name = "correction"
category = "correction"
handler = "kioi"
`
			if err := os.WriteFile(filepath.Join(dir, "rules.toml"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(dir)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want a problem %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := s.Categories["correction"]
			if c.Corrections != tt.corr || c.Compensation != tt.amount {
				t.Errorf("got corrections %v, compensation %d; want %v, %d", c.Corrections, c.Compensation, tt.corr, tt.amount)
			}
		})
	}
}
