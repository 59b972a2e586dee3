package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/store"
)

// dovecotInstance is a throwaway Dovecot instance on a loopback port, with the
// demo's password on every account.
type dovecotInstance struct{ *dovecot.Server }

func startDovecot(t *testing.T, users []string) *dovecotInstance {
	t.Helper()
	return &dovecotInstance{maildesktest.Dovecot(t, users, demoPassword)}
}

// deliver hands raw to Dovecot's LDA, as the institute's MTA would.
func (dv *dovecotInstance) deliver(t *testing.T, user, from string, raw []byte) {
	t.Helper()
	if err := dv.Deliver(user, from, raw); err != nil {
		t.Fatal(err)
	}
}

// seenFlags reports, for each message in user's INBOX, whether it is \Seen.
func (dv *dovecotInstance) seenFlags(t *testing.T, user string) []bool {
	t.Helper()
	c, err := imapclient.DialInsecure(dv.Addr(), nil)
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

func newDovecotStack(t *testing.T) (*stack, *dovecotInstance) {
	t.Helper()
	maildesktest.NeedDovecot(t)
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
	t.Cleanup(func() { checkCustomerMail(t, sys) })
	cfg, err := writeDemoConfig(dir, dv.Addr(), sys.SMTPAddr(), mboxes)
	if err != nil {
		t.Fatal(err)
	}
	engineConfig(t, cfg)
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
		raw := maildesktest.Inquiry("=?UTF-8?B?6rmA6rOg6rCd?= <"+cust+">", "fta-pass@origin.or.kr",
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
	dv.deliver(t, "fta-pass", "kim@example.co.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr",
		"RE: "+ack.Subject, "dr1@example.co.kr", "답변 기다립니다.\r\n", "In-Reply-To: <"+ack.MessageID+">"))
	// An auto-reply is stored and never answered.
	dv.deliver(t, "education", "robot@example.com", maildesktest.Inquiry("robot@example.com", "education@origin.or.kr",
		"Automatic reply", "dauto@example.com", "away\r\n", "Auto-Submitted: auto-replied"))
	// The same mail delivered twice is one ticket and one ack.
	dup := maildesktest.Inquiry("park@example.com", "qualification@origin.or.kr", "=?UTF-8?B?7Iuc7KCV7JqU7LKt?=", "ddup@example.com", "자격시험 문의\r\n")
	dv.deliver(t, "qualification", "park@example.com", dup)
	dv.deliver(t, "qualification", "park@example.com", dup)

	caps := s.waitCaptured(n + 1)
	// Numbers count per tag: the first QUAL ticket after n FTA-PASS ones.
	checkAck(t, caps[n], "park@example.com", "ddup@example.com", "[QUAL #1]", "031-600-0745")
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
		return maildesktest.CountKind(sn.messages[1], desk.KindFollowUp) == 1
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
	dir := maildesktest.CorpusFile(t, "lore-linux-samsung-soc-threads")
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
