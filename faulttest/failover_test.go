package faulttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// takeoverLimit is how soon after its watcher dies a mailbox must be
// watched again by another instance (issue 20).
const takeoverLimit = 30 * time.Second

// TestFailover runs two `maildesk run` on one PostgreSQL database and one
// Dovecot while 300 mails from 100 customers arrive, and SIGKILLs the
// instance watching the mailboxes several times (restarting it each
// time, to stand by). Every mailbox must be watched again by the other
// within takeoverLimit of each kill, and at the end every mail is stored
// once, every customer has one ticket with one acknowledgement, and the
// outbox has drained. MAILDESK_FAILOVER_KILLS sets the number of kills
// (default 3; each costs up to LeaseTTL and a renewal of waiting).
func TestFailover(t *testing.T) {
	needDovecot(t)
	url := maildesktest.Postgres(t)
	rng := seed(t)
	kills := envInt(t, "MAILDESK_FAILOVER_KILLS", 3)
	const customers, perCustomer = 100, 3

	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	insts := []*env{newEnv(t, dv.Addr(), sk.addr), newEnv(t, dv.Addr(), sk.addr)}
	for _, e := range insts {
		e.useDatabase(t, url)
	}
	convs, mails := planCustomers(rng, customers, perCustomer, []string{"fta-pass", "qualification", "education"})

	ctx := context.Background()
	// The test's own look at the database, beside the daemons'.
	obs, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()

	procs := []*proc{insts[0].start(t), insts[1].start(t)}
	delivered := make(chan error, 1)
	// Spread over the kills (each about a lease's time) rather than all in
	// Dovecot before the first: mail arrives while a mailbox waits for its
	// new watcher, and while the new one catches up.
	gap := time.Duration(kills) * desk.LeaseTTL / time.Duration(len(mails))
	pause := make([]time.Duration, len(mails))
	for i := range pause {
		pause[i] = time.Duration(rng.Int64N(int64(2 * gap)))
	}
	go func() {
		for i, m := range mails {
			if err := dv.Deliver(m.user, m.from, m.raw); err != nil {
				delivered <- err
				return
			}
			time.Sleep(pause[i])
		}
		delivered <- nil
	}()

	maildesktest.WaitUntil(t, "every mailbox watched", func() bool {
		n := watchedBy(t, obs, procs)
		return n[0]+n[1] == len(mailboxNames)
	})
	var takeovers []time.Duration
	for k := range kills {
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		// The victim is the instance watching the most mailboxes: the
		// failover under test is the other one taking them.
		leases := watchedBy(t, obs, procs)
		victim := 0
		if leases[1] > leases[0] {
			victim = 1
		}
		if procs[victim].exited() {
			t.Fatalf("instance %d exited on its own: %v", victim, procs[victim].err)
		}
		before, _ := storedIn(ctx, obs)
		procs[victim].kill()
		killed := time.Now()
		survivor := procs[1-victim]
		var took time.Duration
		for {
			if n := watchedBy(t, obs, procs)[1-victim]; n == len(mailboxNames) {
				took = time.Since(killed)
				break
			}
			if survivor.exited() {
				t.Fatalf("the surviving instance exited: %v", survivor.err)
			}
			if time.Since(killed) > takeoverLimit {
				t.Fatalf("kill %d: %v after killing instance %d, the other watches %d of %d mailboxes (leases %v)",
					k+1, takeoverLimit, victim, watchedBy(t, obs, procs)[1-victim], len(mailboxNames), leaseList(t, obs))
			}
			time.Sleep(100 * time.Millisecond)
		}
		takeovers = append(takeovers, took)
		t.Logf("kill %d: instance %d (watching %d mailboxes) killed with %d mails stored; every mailbox watched by the other %v later",
			k+1, victim, leases[victim], before, took.Round(10*time.Millisecond))
		procs[victim] = insts[victim].start(t) // back, standing by
	}
	if err := <-delivered; err != nil {
		t.Fatal(err)
	}

	// No more kills: everything is stored and sent. A row whose attempt
	// a kill cut short waits for its first retry (30 s) before the
	// other instance sends it.
	want := customers * perCustomer
	deadline := time.Now().Add(maildesktest.WaitLimit)
	for {
		in, queued := storedIn(ctx, obs)
		if in == want && queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the kills: %d of %d mails stored, %d mails queued", in, want, queued)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, p := range procs {
		p.stop(t)
	}

	s := insts[0].snapshot(t)
	checkStoredOnce(t, s, convs)
	dups := sinkDuplicates(t, sk, s)
	atSMTP := sk.byMessageID()
	for _, tk := range s.tickets {
		var acks []*store.Message
		for _, m := range s.messages[tk.ID] {
			if m.Kind == desk.KindAck {
				acks = append(acks, m)
			}
		}
		if len(acks) != 1 {
			t.Errorf("ticket %d: %d acknowledgements, want 1", tk.ID, len(acks))
			continue
		}
		if atSMTP[acks[0].MessageID] == 0 {
			t.Errorf("ticket %d: its acknowledgement %s never reached SMTP", tk.ID, acks[0].MessageID)
		}
	}
	// A kill between the server's 250 and the commit of the outcome
	// resends that one mail, with its stored Message-ID
	// (docs/reliability.md): at most one per kill.
	if dups > kills {
		t.Errorf("duplicate deliveries: %d, want at most one per kill (%d)", dups, kills)
	}
	slices.Sort(takeovers)
	t.Logf("failover: 2 instances, %d mails from %d customers, %d kills; stored %d, %d tickets; "+
		"takeover of every mailbox after a kill: max %v (limit %v); SMTP got %d mails, %d duplicate deliveries",
		want, customers, kills, s.counts["in/inquiry"]+s.counts["in/followup"], len(s.tickets),
		takeovers[len(takeovers)-1].Round(10*time.Millisecond), takeoverLimit, len(sk.mails()), dups)
}

// planCustomers makes n customers' conversations of per mails each (an
// inquiry, then replies naming the mail before), each in one mailbox,
// interleaved at random with each customer's mails in order.
func planCustomers(rng *rand.Rand, n, per int, mailboxes []string) ([]conversation, []plannedMail) {
	convs := make([]conversation, n)
	var order []int
	for i := range convs {
		convs[i] = conversation{mailbox: mailboxes[rng.IntN(len(mailboxes))], customer: fmt.Sprintf("cust%d@example.com", i+1)}
		for range per {
			order = append(order, i)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var mails []plannedMail
	for k, i := range order {
		c := &convs[i]
		to := c.mailbox + "@origin.or.kr"
		if len(c.ids) == 0 {
			id := fmt.Sprintf("q%d.%d@example.com", i+1, k)
			c.ids = append(c.ids, id)
			mails = append(mails, plannedMail{conv: i, user: c.mailbox, from: c.customer,
				raw: maildesktest.Inquiry(c.customer, to, "원산지 문의 "+strconv.Itoa(i+1), id, "안녕하세요. 원산지확인서 발급 문의입니다.\r\n")})
			continue
		}
		parent := c.ids[len(c.ids)-1]
		id := fmt.Sprintf("r%d.%d@example.com", i+1, k)
		c.ids = append(c.ids, id)
		mails = append(mails, plannedMail{conv: i, user: c.mailbox, from: c.customer,
			raw: maildesktest.Inquiry(c.customer, to, "RE: 원산지 문의 "+strconv.Itoa(i+1), id, "추가 문의드립니다.\r\n",
				"In-Reply-To: <"+parent+">", "References: <"+parent+">")})
	}
	return convs, mails
}

// useDatabase points the installation at a PostgreSQL database.
func (e *env) useDatabase(t *testing.T, url string) {
	t.Helper()
	b, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), `database = "maildesk.db"`, fmt.Sprintf("database = %q", url), 1)
	if cfg == string(b) {
		t.Fatal("config: no database line to replace")
	}
	if err := os.WriteFile(e.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	e.db = url
}

// watchedBy counts the mailboxes whose lease each process holds, unlapsed.
func watchedBy(t *testing.T, st *store.Store, procs []*proc) []int {
	t.Helper()
	n := make([]int, len(procs))
	now := time.Now()
	for _, l := range leaseList(t, st) {
		parts := strings.Split(l.Holder, "/")
		if len(parts) != 3 || !l.Expires.After(now) {
			continue
		}
		for i, p := range procs {
			if !p.exited() && parts[1] == strconv.Itoa(p.cmd.Process.Pid) {
				n[i]++
			}
		}
	}
	return n
}

func leaseList(t *testing.T, st *store.Store) []store.Lease {
	t.Helper()
	ctx := context.Background()
	var ls []store.Lease
	if err := st.Read(ctx, func(tx *store.Tx) (err error) { ls, err = tx.Leases(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	return ls
}

// storedIn counts the customer mail stored and the outbox rows still
// queued.
func storedIn(ctx context.Context, st *store.Store) (in, queued int) {
	st.Read(ctx, func(tx *store.Tx) error {
		counts, err := tx.MessageCounts(ctx)
		if err != nil {
			return err
		}
		in = counts["in/inquiry"] + counts["in/followup"]
		q, err := tx.Deliveries(ctx, store.Queued)
		queued = len(q)
		return err
	})
	return in, queued
}
