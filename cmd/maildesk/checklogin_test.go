package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckLogin: `run -check-login` logs in to every mailbox and the
// relay once; a refused password is exit status 1, naming the mailbox and
// where the password came from, and the others are still checked.
func TestCheckLogin(t *testing.T) {
	s := newStack(t)
	out, err := runCLI(t, "run", "-config", s.configPath, "-check-login")
	if err != nil {
		t.Fatalf("good passwords: %v\n%s", err, out)
	}
	if n := strings.Count(out, "ok "); n != len(s.mboxes)+1 {
		t.Errorf("good passwords: %d ok lines, want %d:\n%s", n, len(s.mboxes)+1, out)
	}

	if err := os.WriteFile(filepath.Join(s.dir, "wrong.secret"), []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(s.configPath)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(cfg), `password_file = "demo.secret"`, `password_file = "wrong.secret"`, 1)
	if err := os.WriteFile(s.configPath, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, "run", "-config", s.configPath, "-check-login")
	if exitCode(err) != 1 {
		t.Fatalf("a wrong password: exit %d (%v), want 1\n%s", exitCode(err), err, out)
	}
	first := s.mboxes[0].Name
	if !strings.Contains(out, "FAILED  imap "+first) || !strings.Contains(out, "wrong.secret") || !strings.Contains(out, "login refused") {
		t.Errorf("a wrong password: want the mailbox %s, the password file and the refusal named:\n%s", first, out)
	}
	if n := strings.Count(out, "ok "); n != len(s.mboxes) {
		t.Errorf("a wrong password: %d ok lines, want the other %d checked:\n%s", n, len(s.mboxes), out)
	}
}
