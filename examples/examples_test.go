package examples

import (
	"io/fs"
	"testing"
)

// TestFS checks the files the demo copies out are embedded.
func TestFS(t *testing.T) {
	for _, name := range []string{
		"maildesk.toml",
		"rules/handlers.toml",
		"rules/categories.toml",
		"rules/mailboxes.toml",
		"rules/routes.toml",
		"rules/calendar.toml",
	} {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(b) == 0 {
			t.Errorf("%s: got an empty file", name)
		}
	}
}
