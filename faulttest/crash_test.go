package faulttest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// conversation is one customer's thread: an inquiry and its replies.
type conversation struct {
	mailbox  string
	customer string
	ids      []string // Message-IDs, the inquiry first
}

// plannedMail is one mail to deliver into Dovecot.
type plannedMail struct {
	conv int
	user string
	from string
	raw  []byte
}

// planConversations makes n mails: new inquiries from distinct customers
// (so no acknowledgement rate limit applies) and replies naming an earlier
// mail of their conversation in In-Reply-To, mixed at random. Replies always
// follow their inquiry in the same mailbox, so UID order is thread order.
func planConversations(rng *rand.Rand, n int, mailboxes []string) ([]conversation, []plannedMail) {
	var convs []conversation
	var mails []plannedMail
	for i := range n {
		if len(convs) == 0 || rng.IntN(100) < 60 {
			c := conversation{
				mailbox:  mailboxes[rng.IntN(len(mailboxes))],
				customer: fmt.Sprintf("cust%d@example.com", len(convs)+1),
			}
			id := fmt.Sprintf("q%d.%d@example.com", len(convs)+1, i)
			c.ids = append(c.ids, id)
			convs = append(convs, c)
			mails = append(mails, plannedMail{conv: len(convs) - 1, user: c.mailbox, from: c.customer,
				raw: maildesktest.Inquiry(c.customer, c.mailbox+"@origin.or.kr", "원산지 문의 "+strconv.Itoa(len(convs)), id,
					"안녕하세요. 원산지확인서 발급 문의입니다.\r\n")})
			continue
		}
		k := rng.IntN(len(convs))
		c := &convs[k]
		parent := c.ids[rng.IntN(len(c.ids))]
		id := fmt.Sprintf("r%d.%d@example.com", k+1, i)
		c.ids = append(c.ids, id)
		mails = append(mails, plannedMail{conv: k, user: c.mailbox, from: c.customer,
			raw: maildesktest.Inquiry(c.customer, c.mailbox+"@origin.or.kr", "RE: 원산지 문의 "+strconv.Itoa(k+1), id,
				"추가 문의드립니다.\r\n", "In-Reply-To: <"+parent+">", "References: <"+parent+">")})
	}
	return convs, mails
}

// crashMessages is how many mails TestCrashDuringIntake delivers: 500 by
// default (the figure), MAILDESK_FAULT_MESSAGES for longer runs.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// TestCrashDuringIntake delivers mail into Dovecot while the real daemon is
// SIGKILLed at random moments and restarted, then lets it finish and checks
// that every mail is stored exactly once, every conversation is one ticket,
// no ticket got two acknowledgements and the outbox drained.
func TestCrashDuringIntake(t *testing.T) {
	needDovecot(t)
	rng := seed(t)
	n := envInt(t, "MAILDESK_FAULT_MESSAGES", 500)
	minKills := envInt(t, "MAILDESK_FAULT_KILLS", 20)

	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	e := newEnv(t, dv.Addr(), sk.addr)
	used := []string{"fta-pass", "qualification", "education"}
	convs, mails := planConversations(rng, n, used)

	delivered := make(chan error, 1)
	perMailbox := map[string]int{}
	for _, m := range mails {
		perMailbox[m.user]++
	}
	go func() {
		for _, m := range mails {
			if err := dv.Deliver(m.user, m.from, m.raw); err != nil {
				delivered <- err
				return
			}
		}
		delivered <- nil
	}()

	kills, midIntake, deliveryDone := 0, 0, false
	for kills < minKills || !deliveryDone {
		p := e.start(t)
		// Anywhere from during startup (migrations, first login) to deep
		// into a catch-up pass.
		time.Sleep(time.Duration(20+rng.IntN(700)) * time.Millisecond)
		if p.exited() {
			t.Fatalf("maildesk exited on its own after restart %d: %v", kills, p.err)
		}
		p.kill()
		kills++
		if pr, err := e.progress(t); err == nil && pr.in < n {
			midIntake++
		}
		select {
		case err := <-delivered:
			if err != nil {
				t.Fatal(err)
			}
			deliveryDone = true
		default:
		}
		if kills > 10*minKills+200 {
			t.Fatalf("delivery into Dovecot did not finish after %d kills", kills)
		}
	}
	before, _ := e.progress(t)
	t.Logf("after %d kills (%d with mail still to store): %d of %d mails stored, outbox %d sent %d queued", kills, midIntake, before.in, n, before.sent, before.queued)

	// The last run: no more kills. Retry times set by attempts cut short are
	// moved to now, as if their delay had passed.
	e.advanceRetries(t)
	p := e.startReady(t)
	e.waitProgress(t, "every mail stored and the outbox drained", func(pr progress) bool {
		for m, k := range perMailbox {
			if pr.cursors[m] < k {
				return false
			}
		}
		return pr.queued == 0
	})
	p.stop(t)

	s := e.snapshot(t)
	checkStoredOnce(t, s, convs)
	dups := sinkDuplicates(t, sk, s)
	acks := 0
	for _, tk := range s.tickets {
		a := maildesktest.CountKind(s.messages[tk.ID], desk.KindAck)
		acks += a
		if a > 1 {
			t.Errorf("ticket %d: got %d acknowledgements, want at most 1", tk.ID, a)
		}
	}
	if len(s.queued) != 0 || len(s.failed) != 0 {
		t.Errorf("outbox: got %d queued and %d failed, want none", len(s.queued), len(s.failed))
	}
	t.Logf("crash during intake: %d mails (%d conversations), %d kills; stored %d (lost 0, duplicated 0 if no error above); "+
		"%d tickets, %d acknowledgements (max 1 per ticket), outbox %d sent %d queued %d failed; SMTP saw %d mails, %d duplicate deliveries",
		n, len(convs), kills, s.counts["in/inquiry"]+s.counts["in/followup"], len(s.tickets), acks,
		len(s.sent), len(s.queued), len(s.failed), len(sk.mails()), dups)
}

// checkStoredOnce checks that each planned mail is stored exactly once and
// that each conversation is exactly one ticket of its own.
func checkStoredOnce(t *testing.T, s *snapshot, convs []conversation) {
	t.Helper()
	stored := map[string]int{}
	ticketOf := map[string]int64{}
	for tid, ms := range s.messages {
		for _, m := range ms {
			if m.Direction == store.In {
				stored[m.MessageID]++
				ticketOf[m.MessageID] = tid
			}
		}
	}
	want := 0
	lost, dup := 0, 0
	convOfTicket := map[int64]int{}
	for ci, c := range convs {
		tickets := map[int64]bool{}
		for _, id := range c.ids {
			want++
			switch stored[id] {
			case 0:
				lost++
				t.Errorf("message %s: not stored on any ticket", id)
				continue
			case 1:
			default:
				dup++
				t.Errorf("message %s: stored %d times, want once", id, stored[id])
			}
			tickets[ticketOf[id]] = true
		}
		if len(tickets) != 1 {
			t.Errorf("conversation %d (%s): spread over tickets %v, want one", ci+1, c.customer, keys(tickets))
		}
		for tid := range tickets {
			if other, ok := convOfTicket[tid]; ok && other != ci {
				t.Errorf("ticket %d holds conversations %d and %d", tid, other+1, ci+1)
			}
			convOfTicket[tid] = ci
		}
	}
	in := 0
	for k, v := range s.counts {
		if len(k) > 3 && k[:3] == "in/" {
			in += v
		}
	}
	if in != want {
		t.Errorf("messages received in the database: got %d (%v), want %d", in, s.counts, want)
	}
	if len(s.tickets) != len(convs) {
		t.Errorf("tickets: got %d, want %d (one per conversation)", len(s.tickets), len(convs))
	}
	t.Logf("stored: %d of %d messages, %d lost, %d duplicated", len(stored), want, lost, dup)
}

func keys(m map[int64]bool) []int64 {
	var ks []int64
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// sinkDuplicates compares what the SMTP server accepted with the outgoing
// mail in the database: every accepted mail must be one maildesk composed
// (a resend carries the stored Message-ID, never a new one) and every sent
// row must have arrived. It returns how many extra copies arrived.
func sinkDuplicates(t *testing.T, sk *sink, s *snapshot) int {
	t.Helper()
	out := map[string]bool{}
	for _, ms := range s.messages {
		for _, m := range ms {
			if m.Direction == store.Out {
				out[m.MessageID] = true
			}
		}
	}
	got := sk.byMessageID()
	dups := 0
	for id, k := range got {
		if !out[id] {
			t.Errorf("SMTP server got Message-ID %q, which no stored outgoing mail has", id)
		}
		dups += k - 1
	}
	// Rows without a ticket are not in s.messages; every sent row's mail
	// must still have reached the server.
	if len(got) < len(s.sent) {
		t.Errorf("distinct mails at the SMTP server: got %d, want %d (one per sent outbox row)", len(got), len(s.sent))
	}
	return dups
}

// TestCrashDuringSending kills the daemon while the outbox delivers to a
// slow SMTP server and measures how many duplicates a recipient sees. The
// goal is none; a kill between the server's 250 and the daemon's commit can
// still resend, and then the copy must carry the same Message-ID.
func TestCrashDuringSending(t *testing.T) {
	needDovecot(t)
	rng := seed(t)
	n := envInt(t, "MAILDESK_FAULT_SEND_INQUIRIES", 40)
	minKills := envInt(t, "MAILDESK_FAULT_KILLS", 20)

	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	sk.set(func(s *sink) { s.delay = 150 * time.Millisecond })
	e := newEnv(t, dv.Addr(), sk.addr)
	convs, mails := planConversations(rng, n, []string{"fta-pass"})
	for _, m := range mails {
		if err := dv.Deliver(m.user, m.from, m.raw); err != nil {
			t.Fatal(err)
		}
	}

	kills := 0
	for kills < minKills {
		p := e.start(t)
		time.Sleep(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		if p.exited() {
			t.Fatalf("maildesk exited on its own after restart %d: %v", kills, p.err)
		}
		p.kill()
		kills++
		// A delivery cut short waits for its retry time; let that pass.
		e.advanceRetries(t)
		pr, err := e.progress(t)
		if err == nil && pr.in == len(mails) && pr.queued == 0 {
			break
		}
	}
	e.advanceRetries(t)
	p := e.startReady(t)
	e.waitProgress(t, "the outbox drained", func(pr progress) bool { return pr.in == len(mails) && pr.queued == 0 })
	p.stop(t)

	s := e.snapshot(t)
	checkStoredOnce(t, s, convs)
	dups := sinkDuplicates(t, sk, s)
	attempts := 0
	for _, d := range s.sent {
		attempts += d.Attempts
	}
	t.Logf("crash during sending: %d kills, %d mails sent (%d attempts), SMTP accepted %d, duplicates seen by recipients %d (same Message-ID)",
		kills, len(s.sent), attempts, len(sk.mails()), dups)
}
