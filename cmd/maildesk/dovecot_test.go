package main

import (
	"bytes"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/store"
)

// dovecot is a throwaway Dovecot instance on a loopback port.
type dovecot struct {
	dir, conf string
	addr      string
	cmd       *exec.Cmd
}

// needDovecot skips the test where Dovecot cannot run, except in CI, where
// the Dovecot tests are the end-to-end proof and must not silently vanish.
func needDovecot(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/dovecot"); serr == nil {
			bin, err = "/usr/sbin/dovecot", nil
		}
	}
	why := ""
	switch {
	case err != nil:
		why = "dovecot is not installed (apt-get install dovecot-imapd)"
	case os.Geteuid() != 0:
		why = "the throwaway dovecot instance needs root"
	}
	if why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the Dovecot end-to-end tests: %s", why)
		}
		t.Skip(why)
	}
	return bin
}

func startDovecot(t *testing.T, users []string) *dovecot {
	t.Helper()
	bin := needDovecot(t)
	dir := t.TempDir()
	// Dovecot's unprivileged processes must reach the mail under dir.
	// t.TempDir makes its directory and the one above it 0700.
	for _, p := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	var passwd strings.Builder
	for _, u := range users {
		home := filepath.Join(dir, "mail", u)
		if err := os.MkdirAll(home, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(home, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s:65534:65534::%s::\n", u, demoPassword, home)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(passwd.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := strings.NewReplacer("DIR", dir, "PORT", strconv.Itoa(port)).Replace(dovecotConf)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf, "-F")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dv := &dovecot{dir: dir, conf: conf, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Logf("dovecot output:\n%s\ndovecot.log:\n%s", out.String(), log)
		}
	})
	deadline := time.Now().Add(waitLimit)
	for {
		c, err := net.Dial("tcp", dv.addr)
		if err == nil {
			c.Close()
			return dv
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot did not listen on %s: %v\n%s\n%s", dv.addr, err, out.String(), log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const dovecotConf = `instance_name = maildesk-test
base_dir = DIR/run
state_dir = DIR/state
log_path = DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u DIR/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = PORT
  }
  inet_listener imaps {
    port = 0
  }
}
`

// deliver hands raw to Dovecot's LDA, as the institute's MTA would.
func (dv *dovecot) deliver(t *testing.T, user, from string, raw []byte) {
	t.Helper()
	cmd := exec.Command("/usr/lib/dovecot/dovecot-lda", "-c", dv.conf, "-d", user, "-f", from)
	cmd.Stdin = bytes.NewReader(raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("dovecot-lda to %s: %v\n%s", user, err, out)
	}
}

// seenFlags reports, for each message in user's INBOX, whether it is \Seen.
func (dv *dovecot) seenFlags(t *testing.T, user string) []bool {
	t.Helper()
	c, err := imapclient.DialInsecure(dv.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, demoPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel.NumMessages == 0 {
		return nil
	}
	var all imap.SeqSet
	all.AddRange(1, sel.NumMessages)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, UID: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var seen []bool
	for _, m := range msgs {
		s := false
		for _, f := range m.Flags {
			s = s || f == imap.FlagSeen
		}
		seen = append(seen, s)
	}
	return seen
}

func newDovecotStack(t *testing.T) (*stack, *dovecot) {
	t.Helper()
	needDovecot(t)
	dir := t.TempDir()
	mboxes, err := exampleMailboxes(dir)
	if err != nil {
		t.Fatal(err)
	}
	dv := startDovecot(t, names(mboxes))
	sys, err := localmail.Start(localmail.Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close() })
	cfg, err := writeDemoConfig(dir, dv.addr, sys.SMTPAddr(), mboxes)
	if err != nil {
		t.Fatal(err)
	}
	return &stack{t: t, dir: dir, mail: sys, configPath: cfg, mboxes: mboxes}, dv
}

// TestDovecotEndToEnd runs the whole chain against a real IMAP server:
// delivery into Dovecot, IDLE, fetch, ticket, acknowledgement over SMTP,
// threading, automatic mail, duplicates and a restart.
func TestDovecotEndToEnd(t *testing.T) {
	s, dv := newDovecotStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))

	// Several inquiries one after another: each must be acknowledged; the
	// time from delivery to the ack reaching SMTP is logged for the record.
	const n = 5
	var lat []time.Duration
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("dq%d@example.co.kr", i)
		// kim first, then other customers: one address gets at most
		// desk.DefaultAckLimit acknowledgements an hour.
		cust := "kim@example.co.kr"
		if i > 1 {
			cust = fmt.Sprintf("kim%d@example.co.kr", i)
		}
		raw := inquiry("=?UTF-8?B?6rmA6rOg6rCd?= <"+cust+">", "fta-pass@origin.or.kr",
			"=?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?= "+strconv.Itoa(i), id, "원산지확인서 발급 문의입니다.\r\n")
		start := time.Now()
		dv.deliver(t, "fta-pass", cust, raw)
		caps := s.waitCaptured(i)
		lat = append(lat, caps[i-1].At.Sub(start))
		checkAck(t, caps[i-1], cust, id, fmt.Sprintf("[FTA-PASS #%d]", i), "031-600-0722")
	}
	sorted := append([]time.Duration(nil), lat...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	t.Logf("delivery into Dovecot -> acknowledgement at SMTP: median %v, min %v, max %v (n=%d)",
		sorted[len(sorted)/2], sorted[0], sorted[len(sorted)-1], n)

	// A reply threads into its ticket without a new acknowledgement.
	first := s.captured()[0]
	ack := checkAck(t, first, "kim@example.co.kr", "dq1@example.co.kr", "[FTA-PASS #1]", "031-600-0722")
	dv.deliver(t, "fta-pass", "kim@example.co.kr", inquiry("kim@example.co.kr", "fta-pass@origin.or.kr",
		"RE: "+ack.Subject, "dr1@example.co.kr", "답변 기다립니다.\r\n", "In-Reply-To: <"+ack.MessageID+">"))
	// An auto-reply is stored and never answered.
	dv.deliver(t, "education", "robot@example.com", inquiry("robot@example.com", "education@origin.or.kr",
		"Automatic reply", "dauto@example.com", "away\r\n", "Auto-Submitted: auto-replied"))
	// The same mail delivered twice is one ticket and one ack.
	dup := inquiry("park@example.com", "qualification@origin.or.kr", "=?UTF-8?B?7Iuc7KCV7JqU7LKt?=", "ddup@example.com", "자격시험 문의\r\n")
	dv.deliver(t, "qualification", "park@example.com", dup)
	dv.deliver(t, "qualification", "park@example.com", dup)

	caps := s.waitCaptured(n + 1)
	checkAck(t, caps[n], "park@example.com", "ddup@example.com", fmt.Sprintf("[QUAL #%d]", n+1), "031-600-0745")
	wantCursors := map[string]uint32{"fta-pass": n + 1, "qualification": 2, "education": 1, "correction": 0}
	snap := s.waitFor(st, "all stored", func(sn snapshot) bool {
		if len(sn.tickets) != n+1 || !maps.Equal(sn.cursors, wantCursors) {
			return false
		}
		for _, o := range sn.outbox {
			if o.State != store.Sent {
				return false
			}
		}
		return countKind(sn.messages[1], desk.KindFollowUp) == 1
	})
	if got := len(s.captured()); got != n+1 {
		t.Fatalf("mails sent: got %d, want %d", got, n+1)
	}
	for _, seen := range dv.seenFlags(t, "qualification") {
		if !seen {
			t.Errorf("a stored message is not flagged \\Seen on the server")
		}
	}
	if got := len(dv.seenFlags(t, "qualification")); got != 2 {
		t.Errorf("messages left on the server: got %d, want 2 (nothing is deleted)", got)
	}

	// A restart fetches nothing again and sends nothing again.
	d.stop()
	d = startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	after := s.snapshot(st)
	if len(after.tickets) != len(snap.tickets) || len(after.outbox) != len(snap.outbox) {
		t.Fatalf("after restart: got %d tickets %d outbox rows, want %d and %d",
			len(after.tickets), len(after.outbox), len(snap.tickets), len(snap.outbox))
	}
	if got := len(s.captured()); got != n+1 {
		t.Fatalf("mails sent after restart: got %d, want %d", got, n+1)
	}
}

// TestDovecotLoreThreads delivers the 16 real Outlook/Korean mailing-list
// threads of the corpus into one Dovecot mailbox, in archive order, while
// the daemon runs: each thread must become exactly one ticket.
func TestDovecotLoreThreads(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "lore-linux-samsung-soc-threads")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the shared corpus is missing: %v", err)
		}
		t.Skip("the shared corpus is absent")
	}
	s, dv := newDovecotStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	threads, err := filepath.Glob(filepath.Join(dir, "thread*"))
	if err != nil || len(threads) != 16 {
		t.Fatalf("threads: got %d, %v; want 16", len(threads), err)
	}
	n := uint32(0)
	for _, td := range threads {
		files, err := filepath.Glob(filepath.Join(td, "*.eml"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files) // NN.eml: archive order
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dv.deliver(t, "fta-pass", "list@vger.kernel.org", raw)
			n++
		}
	}
	snap := s.waitFor(st, "every thread message stored", func(sn snapshot) bool { return sn.cursors["fta-pass"] == n })
	if len(snap.tickets) != len(threads) {
		t.Errorf("tickets: got %d, want %d (one per thread)", len(snap.tickets), len(threads))
	}
	stored := 0
	for _, ms := range snap.messages {
		for _, m := range ms {
			if m.Direction == store.In {
				stored++
			}
		}
	}
	if stored != int(n) || len(snap.outbox) != 0 {
		t.Errorf("got %d messages on tickets and %d queued mails; want %d and 0 (list mail is never answered)", stored, len(snap.outbox), n)
	}
	t.Logf("%d lore messages in %d threads -> %d tickets", n, len(threads), len(snap.tickets))
	d.stop()
}
