package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kioi/maildesk/examples"
)

// benchMailboxes are the example configuration's mailboxes; every one needs
// an account, because the example rules name them all.
var benchMailboxes = []struct{ name, address string }{
	{"fta-pass", "fta-pass@origin.or.kr"},
	{"qualification", "qualification@origin.or.kr"},
	{"education", "education@origin.or.kr"},
	{"correction", "correction@origin.or.kr"},
}

func mailboxNames() []string {
	var s []string
	for _, m := range benchMailboxes {
		s = append(s, m.name)
	}
	return s
}

// buildMaildesk builds the daemon being measured, so that the figures are
// those of the shipped binary and its own process.
func buildMaildesk(dir string) (string, error) {
	out := filepath.Join(dir, "maildesk")
	cmd := exec.Command("go", "build", "-o", out, "github.com/kioi/maildesk/cmd/maildesk")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/maildesk (or pass -maildesk): %v\n%s", err, b)
	}
	return out, nil
}

// writeConfig writes a maildesk.toml in dir using the example rules, the
// given database, IMAP on imapAddr and SMTP on smtpAddr, all in plain text
// on loopback.
func writeConfig(dir, database, imapAddr, smtpAddr string) (string, error) {
	rulesDir := filepath.Join(dir, "rules")
	if err := os.MkdirAll(rulesDir, 0o755); err != nil {
		return "", err
	}
	files, err := fs.Glob(examples.FS, "rules/*.toml")
	if err != nil {
		return "", err
	}
	for _, f := range files {
		b, err := examples.FS.ReadFile(f)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(rulesDir, filepath.Base(f)), b, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "imap.secret"), []byte(benchPassword+"\n"), 0o600); err != nil {
		return "", err
	}
	imapHost, imapPort, _ := net.SplitHostPort(imapAddr)
	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddr)
	var b strings.Builder
	fmt.Fprintf(&b, "database = %q\nrules = \"rules\"\ntimezone = \"Asia/Seoul\"\n\n[smtp]\nhost = %q\nport = %s\nsecurity = \"none\"\n\n",
		database, smtpHost, smtpPort)
	for _, m := range benchMailboxes {
		fmt.Fprintf(&b, "[[mailbox]]\nname = %q\naddress = %q\nhost = %q\nport = %s\nsecurity = \"none\"\nusername = %q\npassword_file = \"imap.secret\"\n\n",
			m.name, m.address, imapHost, imapPort, m.name)
	}
	path := filepath.Join(dir, "maildesk.toml")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// child is `maildesk run` in its own process, so that its resident memory
// is its own and not the benchmark's.
type child struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
	done chan error
	// peakRSS is the highest VmRSS seen by sample, in KiB.
	peakRSS int64
}

func startChild(bin, config string, extraEnv ...string) (*child, error) {
	c := &child{done: make(chan error, 1)}
	c.cmd = exec.Command(bin, "run", "-config", config)
	c.cmd.Env = append(os.Environ(), extraEnv...)
	c.cmd.Stdout, c.cmd.Stderr = &lockedWriter{c}, &lockedWriter{c}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start maildesk: %w", err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	return c, nil
}

type lockedWriter struct{ c *child }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	return w.c.logs.Write(p)
}

func (c *child) log() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.String()
}

// rss returns the child's resident set size in KiB, and records the peak.
func (c *child) rss() int64 {
	kb := vmRSS(c.cmd.Process.Pid)
	c.mu.Lock()
	c.peakRSS = max(c.peakRSS, kb)
	c.mu.Unlock()
	return kb
}

// sampleRSS records the child's peak memory every interval until ctx ends.
func (c *child) sampleRSS(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		c.rss()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *child) stop() error {
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		return fmt.Errorf("maildesk did not stop on SIGTERM")
	}
}

// vmRSS reads VmRSS of a process from /proc, in KiB; 0 when unknown.
func vmRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
