package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReportTo(t *testing.T) {
	const handlers = "[[handler]]\nid = \"kioi\"\nname = \"김이오\"\nemail = \"kioi@origin.or.kr\"\n"
	tests := []struct {
		name  string
		files map[string]string
		want  []string // ReportTo, or nil
		err   string   // a problem, file:line: message without the directory
	}{
		{"none", map[string]string{"a.toml": handlers}, nil, ""},
		{"one", map[string]string{"a.toml": "report_to = [\"kioi\"]\n" + handlers}, []string{"kioi"}, ""},
		{"twice in one list", map[string]string{"a.toml": "report_to = [\"kioi\", \"kioi\"]\n" + handlers}, []string{"kioi"}, ""},
		{"unknown handler", map[string]string{"a.toml": "report_to = [\"nobody\"]\n" + handlers}, nil, `a.toml:1: report_to: unknown handler "nobody"`},
		{"in two files", map[string]string{"a.toml": "report_to = [\"kioi\"]\n" + handlers, "b.toml": "report_to = [\"kioi\"]\n"}, nil,
			`b.toml:1: [report_to] already defined at DIR/a.toml:1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Load(dir)
			if tt.err != "" {
				want := filepath.Join(dir, strings.ReplaceAll(tt.err, "DIR", dir))
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %v, want %s", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.ReportTo, tt.want) {
				t.Errorf("ReportTo: got %v, want %v", s.ReportTo, tt.want)
			}
		})
	}
}
