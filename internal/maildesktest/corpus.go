package maildesktest

// The shared mail corpus: real mail from other projects' test suites (reply-quoting fixtures,
// bounces, auto-replies, MIME and charset samples, Korean Outlook threads),
// kept beside the repository in ../shared/corpus and read in place, never
// copied into the repository.
//
// Where the corpus is absent, the tests that need it skip with a message;
// with CI set they fail instead, because there it must be.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// CorpusEnv names a corpus directory that replaces the default.
const CorpusEnv = "MAILDESK_CORPUS"

// FindCorpus returns the corpus directory: $MAILDESK_CORPUS when set, otherwise
// shared/corpus beside the repository (the module root is found from the
// working directory, so it works from any package). The directory must
// hold the corpus's SOURCES.md.
func FindCorpus() (string, error) {
	dir := os.Getenv(CorpusEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		return dir, fmt.Errorf("the shared corpus is not at %s (set %s): %w", dir, CorpusEnv, err)
	}
	return dir, nil
}

// Corpus returns the corpus directory for t, or skips t without it (fails
// it when CI is set).
func Corpus(t testing.TB) string {
	t.Helper()
	dir, err := FindCorpus()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return dir
}

// CorpusFile joins elem to the corpus directory of t (see Corpus).
func CorpusFile(t testing.TB, elem ...string) string {
	t.Helper()
	return filepath.Join(append([]string{Corpus(t)}, elem...)...)
}

// moduleRoot is the nearest directory at or above the working directory
// that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
