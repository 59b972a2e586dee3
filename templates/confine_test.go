package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOverridesStayInTheirDirectory: an override file is read only from
// inside the template directory. A symlink out of it would let whoever can
// write there mail any file the daemon can read (a password file, another
// service's key) to a customer; it must be refused by name. A symlink that
// stays inside works.
func TestOverridesStayInTheirDirectory(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.txt")
	const secretText = "SMTP password: hunter2"
	if err := os.WriteFile(secret, []byte(secretText), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		target func(dir string) string
		ok     bool
	}{
		{"absolute symlink out", func(string) string { return secret }, false},
		{"relative symlink out", func(dir string) string {
			rel, err := filepath.Rel(dir, secret)
			if err != nil {
				t.Fatal(err)
			}
			return rel
		}, false},
		{"symlink inside", func(string) string { return "mine.txt" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("접수: {{.Tag}}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tt.target(dir), filepath.Join(dir, "ack.txt")); err != nil {
				t.Fatal(err)
			}
			s, err := Load(dir)
			if !tt.ok {
				if err == nil {
					text, _, _ := s.Render("ack", sampleAck(t))
					t.Fatalf("override through a symlink out of the directory loaded; ack renders %q", text)
				}
				if !strings.Contains(err.Error(), "ack.txt") || !strings.Contains(err.Error(), "escapes") {
					t.Errorf("error: got %q, want one naming ack.txt and saying it escapes the directory", err)
				}
				if strings.Contains(err.Error(), secretText) {
					t.Errorf("error leaks the file's content: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("symlink inside the directory: %v", err)
			}
			text, _, err := s.Render("ack", sampleAck(t))
			if err != nil || !strings.HasPrefix(text, "접수: [FTA-PASS #12]") {
				t.Errorf("ack through the inside link: got %q, %v", text, err)
			}
		})
	}
}

// TestDataIsNeverTemplate: text from a mail (a subject, a name) is data:
// template actions in it are printed as they are, never executed.
func TestDataIsNeverTemplate(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, evil := range []string{`{{.Handler.Email}}`, `{{template "staff" .}}`, `{{printf "%s" .Mailbox}}`, `{{define "x"}}y{{end}}`} {
		a := sampleAck(t)
		a.Subject, a.Customer = evil, evil
		text, html, err := s.Render("ack", a)
		if err != nil {
			t.Fatalf("%s: %v", evil, err)
		}
		if !strings.Contains(text, evil) {
			t.Errorf("text with subject %s: the literal text is missing:\n%s", evil, text)
		}
		if html != "" && !strings.Contains(html, "{{") {
			t.Errorf("html with subject %s: the literal text is missing", evil)
		}
	}
}
