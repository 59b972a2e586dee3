package corpustest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	with := t.TempDir()
	if err := os.WriteFile(filepath.Join(with, "SOURCES.md"), []byte("# sources\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	without := t.TempDir()

	t.Setenv(Env, with)
	if dir, err := Find(); err != nil || dir != with {
		t.Errorf("%s=%s: got %q, %v", Env, with, dir, err)
	}
	t.Setenv(Env, without)
	if _, err := Find(); err == nil || !strings.Contains(err.Error(), without) || !strings.Contains(err.Error(), Env) {
		t.Errorf("a directory without SOURCES.md: got %v, want an error naming it and %s", err, Env)
	}
	// By default: shared/corpus beside the repository, from any package.
	t.Setenv(Env, "")
	dir, _ := Find()
	if want := filepath.Join("shared", "corpus"); !strings.HasSuffix(dir, want) {
		t.Errorf("default: got %q, want a path ending in %s", dir, want)
	}
	if root, err := moduleRoot(); err != nil || filepath.Dir(dir) != filepath.Join(filepath.Dir(root), "shared") {
		t.Errorf("default %q is not beside the module root %q (%v)", dir, root, err)
	}
}
