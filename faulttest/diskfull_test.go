package faulttest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// smallDisk mounts a tmpfs of size bytes on a fresh directory, for the
// life of the test. It needs root and the right to mount; where that is
// missing (a container without CAP_SYS_ADMIN) the test is skipped with the
// reason, also under CI: a failure there would say nothing about maildesk.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs (no mount privilege in this container?): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file on dir's filesystem until it is full and returns its
// path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
}

// TestDiskFull puts the database on a small filesystem, fills it while mail
// arrives, and gives the space back. While the disk is full maildesk must
// say so in its log, the IMAP cursor must not move past anything it did not
// store, and it must not exit; once there is room again, every mail is
// stored exactly once.
func TestDiskFull(t *testing.T) {
	needDovecot(t)
	disk := smallDisk(t, 32<<20)
	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	e := newEnv(t, dv.Addr(), sk.addr)
	// Only the database lives on the small disk: the log must go on.
	e.db = filepath.Join(disk, "maildesk.db")
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.config, []byte(strings.Replace(string(cfg), `database = "maildesk.db"`, fmt.Sprintf("database = %q", e.db), 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := e.startReady(t)

	var convs []conversation
	send := func(i int, body string) {
		t.Helper()
		c := fmt.Sprintf("full%d@example.com", i)
		id := fmt.Sprintf("full%d@example.com", i)
		if err := dv.Deliver("fta-pass", c, maildesktest.Inquiry(c, "fta-pass@origin.or.kr", "문의", id, body)); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, conversation{customer: c, ids: []string{id}})
	}
	const before, during = 3, 10
	for i := 1; i <= before; i++ {
		send(i, "문의\r\n")
	}
	e.waitProgress(t, "mail before the disk fills", func(pr progress) bool { return pr.cursors["fta-pass"] == before && pr.queued == 0 })

	filler := fill(t, disk)
	// Each mail (~100 KB) larger than any slack SQLite may hold in its
	// files, all of them together (stored raw and as text) well within the
	// disk once the filler is gone.
	big := strings.Repeat("Certificate of origin: please see the attached documents.\r\n", 1700)
	for i := before + 1; i <= before+during; i++ {
		send(i, big)
	}
	deadline := time.Now().Add(maildesktest.WaitLimit)
	for e.countLog("database disk is full") < 2 {
		if p.exited() {
			t.Fatalf("maildesk exited on a full disk: %v", p.err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no word of the full disk in the log")
		}
		time.Sleep(50 * time.Millisecond)
	}
	pr, err := e.progress(t)
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, e, map[string]int{"fta-pass": before + during})
	stuck := pr.cursors["fta-pass"]
	if stuck >= before+during {
		t.Errorf("cursor while the disk is full: %d, want below %d (the big mails cannot all fit)", stuck, before+during)
	}
	line := ""
	for _, l := range strings.Split(e.logText(), "\n") {
		if strings.Contains(l, "database disk is full") {
			line = l
			break
		}
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	e.waitProgress(t, "every mail stored once there is room", func(pr progress) bool {
		return pr.cursors["fta-pass"] == before+during && pr.queued == 0
	})
	if p.exited() {
		t.Fatalf("maildesk exited: %v", p.err)
	}
	p.stop(t)
	s := e.snapshot(t)
	checkStoredOnce(t, s, convs)
	checkConsistent(t, e, map[string]int{"fta-pass": before + during})
	dups := sinkDuplicates(t, sk, s)
	t.Logf("disk full: cursor held at UID %d of %d while full (%d log lines say so), all %d stored once after space came back; %d sent, %d duplicate deliveries",
		stuck, before+during, e.countLog("database disk is full"), before+during, len(s.sent), dups)
	t.Logf("  the log said: %s", line)
}
