package faulttest

import (
	"testing"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
)

// TestCrashMidBatch: a backlog waits in Dovecot before the daemon starts,
// so the watcher hands it to intake in FETCH batches of 100, each taken in
// by one transaction (group commit). The daemon is SIGKILLed while those
// batches are being stored, and after every kill the database must hold
// whole batches only: every UID up to the cursor stored, none above it (a
// batch cut short leaves nothing, not its first half). After the last
// run every mail is stored once, every conversation (replies often fall
// into the batch of their inquiry) is one ticket, and no ticket has two
// acknowledgements.
func TestCrashMidBatch(t *testing.T) {
	needDovecot(t)
	rng := seed(t)
	n := envInt(t, "MAILDESK_FAULT_BATCH_MESSAGES", 800)
	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	e := newEnv(t, dv.Addr(), sk.addr)
	convs, mails := planConversations(rng, n, []string{"fta-pass"})
	for _, m := range mails {
		if err := dv.Deliver(m.user, m.from, m.raw); err != nil {
			t.Fatal(err)
		}
	}

	kills, midBacklog := 0, 0
	for kills < 10 {
		before, err := e.progress(t)
		if err != nil {
			before = progress{cursors: map[string]int{}}
		}
		if before.cursors["fta-pass"] >= n {
			break
		}
		p := e.start(t)
		// Wait for this run's intake to move, then kill it a moment later:
		// a batch of 100 takes a few hundred milliseconds to store.
		deadline := time.Now().Add(maildesktest.WaitLimit)
		for {
			if p.exited() {
				t.Fatalf("maildesk exited on its own after restart %d: %v", kills, p.err)
			}
			if pr, err := e.progress(t); err == nil && pr.in > before.in {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: intake did not move within %v", kills+1, maildesktest.WaitLimit)
			}
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		p.kill()
		kills++
		pr, err := e.progress(t)
		if err != nil {
			t.Fatal(err)
		}
		if pr.in < n {
			midBacklog++
		}
		checkConsistent(t, e, map[string]int{"fta-pass": n})
		if t.Failed() {
			t.Fatalf("after kill %d: the database holds part of a batch (see above)", kills)
		}
	}
	t.Logf("%d kills, %d of them with mail still to store", kills, midBacklog)

	e.advanceRetries(t)
	p := e.startReady(t)
	e.waitProgress(t, "every mail stored and the outbox drained", func(pr progress) bool {
		return pr.cursors["fta-pass"] >= n && pr.queued == 0
	})
	p.stop(t)

	checkConsistent(t, e, map[string]int{"fta-pass": n})
	s := e.snapshot(t)
	checkStoredOnce(t, s, convs)
	for _, tk := range s.tickets {
		if a := maildesktest.CountKind(s.messages[tk.ID], desk.KindAck); a > 1 {
			t.Errorf("ticket %d: got %d acknowledgements, want at most 1", tk.ID, a)
		}
	}
	if len(s.queued) != 0 || len(s.failed) != 0 {
		t.Errorf("outbox: got %d queued and %d failed, want none", len(s.queued), len(s.failed))
	}
}
