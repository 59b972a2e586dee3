package maildesktest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindCorpus(t *testing.T) {
	with := t.TempDir()
	if err := os.WriteFile(filepath.Join(with, "SOURCES.md"), []byte("# sources\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	without := t.TempDir()

	t.Setenv(CorpusEnv, with)
	if dir, err := FindCorpus(); err != nil || dir != with {
		t.Errorf("%s=%s: got %q, %v", CorpusEnv, with, dir, err)
	}
	t.Setenv(CorpusEnv, without)
	if _, err := FindCorpus(); err == nil || !strings.Contains(err.Error(), without) || !strings.Contains(err.Error(), CorpusEnv) {
		t.Errorf("a directory without SOURCES.md: got %v, want an error naming it and %s", err, CorpusEnv)
	}
	// By default: shared/corpus beside the repository, from any package.
	t.Setenv(CorpusEnv, "")
	dir, _ := FindCorpus()
	if want := filepath.Join("shared", "corpus"); !strings.HasSuffix(dir, want) {
		t.Errorf("default: got %q, want a path ending in %s", dir, want)
	}
	if root, err := moduleRoot(); err != nil || filepath.Dir(dir) != filepath.Join(filepath.Dir(root), "shared") {
		t.Errorf("default %q is not beside the module root %q (%v)", dir, root, err)
	}
}
