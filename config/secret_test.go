package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The secret readers commands share with the configuration's *_env and
// *_file keys: the value without its line break, errors that name the
// source and never the value.
func TestSecretFromEnvAndFile(t *testing.T) {
	t.Setenv("MAILDESK_TEST_SECRET", "s3cret")
	t.Setenv("MAILDESK_TEST_SECRET_EMPTY", "")
	os.Unsetenv("MAILDESK_TEST_SECRET_UNSET")
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	empty := filepath.Join(dir, "empty")
	os.WriteFile(good, []byte("s3cret\r\n"), 0o600)
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, c := range []struct {
		name    string
		read    func() (Secret, error)
		want    string
		wantErr string
	}{
		{"env", func() (Secret, error) { return SecretFromEnv("MAILDESK_TEST_SECRET") }, "s3cret", ""},
		{"env unset", func() (Secret, error) { return SecretFromEnv("MAILDESK_TEST_SECRET_UNSET") }, "", "environment variable MAILDESK_TEST_SECRET_UNSET is not set"},
		{"env empty", func() (Secret, error) { return SecretFromEnv("MAILDESK_TEST_SECRET_EMPTY") }, "", "environment variable MAILDESK_TEST_SECRET_EMPTY is empty"},
		{"file", func() (Secret, error) { return SecretFromFile(good) }, "s3cret", ""},
		{"file empty", func() (Secret, error) { return SecretFromFile(empty) }, "", empty + ": the file is empty"},
		{"file missing", func() (Secret, error) { return SecretFromFile(filepath.Join(dir, "none")) }, "", "no such file"},
	} {
		s, err := c.read()
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.wantErr)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("%s: the error shows the secret: %v", c.name, err)
		case s.Reveal() != c.want:
			t.Errorf("%s: got %q, want %q", c.name, s.Reveal(), c.want)
		}
	}
}

func TestURLHasPassword(t *testing.T) {
	for in, want := range map[string]bool{
		"postgres://desk@db.example.org/maildesk":                  false,
		"postgres://desk:hunter2@db.example.org/maildesk":          true,
		"postgresql://db.example.org/maildesk?password=hunter2":    true,
		"postgres://db.example.org/maildesk?sslmode=require":       false,
		"postgres://desk:@db.example.org/maildesk":                 true,
		"postgres://db.example.org/maildesk?search_path=x&user=me": false,
	} {
		if got := URLHasPassword(in); got != want {
			t.Errorf("URLHasPassword(%q): got %v, want %v", in, got, want)
		}
	}
}
