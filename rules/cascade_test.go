package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSyntaxErrorDoesNotCascade: a file that cannot be read is one
// problem, not one "unknown category" for each reference other files make
// to what it defines; a line says the references were not checked.
func TestSyntaxErrorDoesNotCascade(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"categories.toml": "[[category]\nid = \"fta-pass\"\n",
		"handlers.toml":   "[[handler]]\nid = \"mslim\"\nname = \"임민수\"\nemail = \"mslim@origin.or.kr\"\n",
		"mailboxes.toml":  "[[mailbox]]\nname = \"fta-pass\"\ncategory = \"fta-pass\"\nhandler = \"mslim\"\n",
		"routes.toml":     "[[route]]\nsubject = \"VOC\"\ncategory = \"voc\"\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(dir)
	if err == nil {
		t.Fatal("a syntax error: loaded")
	}
	got := strings.Split(err.Error(), "\n")
	want := []string{
		filepath.Join(dir, "categories.toml") + ":1: syntax error",
		dir + ": references between rule files (categories, handlers, delegates, absences) not checked, because " + filepath.Join(dir, "categories.toml") + " could not be read",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d: got %q, want it to start %q", i+1, got[i], want[i])
		}
	}
}
