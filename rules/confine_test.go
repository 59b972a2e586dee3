package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyGood copies testdata/rules/good into a fresh directory the test may
// change.
func copyGood(t *testing.T) string {
	t.Helper()
	src := filepath.Join("testdata", "rules", "good")
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(b))
	}
	return dst
}

// TestRulesStayInTheirDirectory: a rule file is read only from inside the
// rules directory. A symlink that leads out of it (to a secret, to another
// installation's rules) is refused by name, while one that stays inside is
// followed; and a template name cannot be a path.
func TestRulesStayInTheirDirectory(t *testing.T) {
	outside := t.TempDir()
	// Valid rules: were they read, the load would succeed and silently
	// include them.
	writeFile(t, filepath.Join(outside, "extra.toml"), "[[handler]]\nid = \"mallory\"\nname = \"M\"\nemail = \"m@evil.example\"\n")

	tests := []struct {
		name    string
		link    string // target, relative to the rules directory or absolute
		wantErr string // "" when the load must succeed
	}{
		{"absolute symlink out", filepath.Join(outside, "extra.toml"), "extra.toml"},
		{"relative symlink out", "", "extra.toml"},
		{"symlink inside", "handlers.toml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyGood(t)
			if tt.wantErr == "" {
				// A link to a file inside: rename the original so the
				// handlers are defined once, through the link.
				if err := os.Rename(filepath.Join(dir, "handlers.toml"), filepath.Join(dir, "handlers.real")); err != nil {
					t.Fatal(err)
				}
				tt.link = "handlers.real"
			}
			link := tt.link
			if tt.name == "relative symlink out" {
				rel, err := filepath.Rel(dir, filepath.Join(outside, "extra.toml"))
				if err != nil {
					t.Fatal(err)
				}
				link = rel // ../../…/extra.toml
			}
			if err := os.Symlink(link, filepath.Join(dir, "extra.toml")); err != nil {
				t.Fatal(err)
			}
			set, err := Load(dir)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("symlink inside the directory: %v", err)
				}
				if set.Handlers["mslim"] == nil {
					t.Errorf("handlers read through the inside link: got %v", set.Handlers)
				}
				return
			}
			if err == nil {
				t.Fatalf("rules with a symlink out of the directory loaded (handlers %v); want a problem", set.Handlers)
			}
			got := problemStrings(t, err)
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tt.wantErr) || !strings.Contains(strings.Join(got, "\n"), "escapes") {
				t.Errorf("problems: got %q, want one naming %s and saying it escapes the directory", got, tt.wantErr)
			}
		})
	}

	for _, name := range []string{"../../etc/passwd", "/etc/passwd", "ack/../../x", "ack.txt"} {
		t.Run("ack_template "+name, func(t *testing.T) {
			dir := copyGood(t)
			b, err := os.ReadFile(filepath.Join(dir, "categories.toml"))
			if err != nil {
				t.Fatal(err)
			}
			s := strings.Replace(string(b), "[[category]]\n", "[[category]]\nack_template = \""+name+"\"\n", 1)
			if s == string(b) {
				t.Fatal("no [[category]] in the good rules")
			}
			writeFile(t, filepath.Join(dir, "categories.toml"), s)
			_, err = Load(dir)
			if err == nil {
				t.Fatalf("ack_template %q accepted; want a problem", name)
			}
			if got := strings.Join(problemStrings(t, err), "\n"); !strings.Contains(got, "categories.toml:") || !strings.Contains(got, "ack_template") {
				t.Errorf("problems: got %q, want categories.toml:LINE naming ack_template", got)
			}
		})
	}
}
