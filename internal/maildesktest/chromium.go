package maildesktest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Chromium returns the path of a headless-capable Chromium (Debian's
// `chromium`, or `chromium-browser`, `google-chrome`), or skips t without
// one, except when CI is set: there the browser tests are the proof that
// the HTML report renders, and must not silently vanish, so it fails.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run the browser tests: no chromium in PATH (apt-get install chromium)")
	}
	t.Skip("no chromium in PATH (apt-get install chromium)")
	return ""
}

// NeedChromium skips t without Chromium, or fails it when CI is set.
func NeedChromium(t testing.TB) { t.Helper(); Chromium(t) }

// Headless runs Chromium headless on args (--dump-dom, --screenshot=FILE,
// --print-to-pdf=FILE, …, then the page's URL) with a profile of its own
// in a temporary directory, and returns its standard output. It fails t if
// Chromium fails or takes more than a minute.
func Headless(t testing.TB, args ...string) []byte {
	t.Helper()
	bin := Chromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	all := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
		"--user-data-dir=" + filepath.Join(dir, "profile")}, args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// Chromium's crash handler and caches want a writable home.
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errOut.String())
	}
	return out.Bytes()
}
