package desk

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// watchers records which instances are running a mailbox's watcher.
type watchers struct {
	mu      sync.Mutex
	running map[string]int // by instance
	starts  map[string]int
	overlap bool // two ran at once
}

func (w *watchers) run(instance string) func(context.Context) error {
	return func(ctx context.Context) error {
		w.mu.Lock()
		w.running[instance]++
		w.starts[instance]++
		n := 0
		for _, k := range w.running {
			n += k
		}
		w.overlap = w.overlap || n > 1
		w.mu.Unlock()
		<-ctx.Done()
		w.mu.Lock()
		w.running[instance]--
		w.mu.Unlock()
		return nil
	}
}

// holder is the one instance running the watcher, "" when none or two.
func (w *watchers) holder() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	who := ""
	for inst, k := range w.running {
		if k > 0 {
			if who != "" {
				return ""
			}
			who = inst
		}
	}
	return who
}

// Two desks on one PostgreSQL database each run the same mailbox under
// RunLeased: one watches, the other stands by; a lost lease stops the
// watcher; a clean stop hands the mailbox over at once.
func TestRunLeasedOnPostgres(t *testing.T) {
	maildesktest.PostgresOnly(t)
	url := maildesktest.Postgres(t)
	ctx := context.Background()
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	rs := exampleRules(t)
	newDesk := func(instance string) *Desk {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		d, err := New(Options{Store: st, Rules: rs, Templates: tmpl, Instance: instance,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		// A long lease renewed often: a lease changes hands here only
		// when dropped or made to lapse, never by the clock running out.
		d.leaseTTL, d.leaseRenew = time.Minute, 50*time.Millisecond
		return d
	}
	a, b := newDesk("A"), newDesk("B")
	w := &watchers{running: map[string]int{}, starts: map[string]int{}}
	var standbyMu sync.Mutex
	standby := map[string]string{}
	start := func(d *Desk) (stop func()) {
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- d.RunLeased(cctx, LeaseName("fta-pass"), w.run(d.Instance()), func(h string) {
				standbyMu.Lock()
				standby[d.Instance()] = h
				standbyMu.Unlock()
			})
		}()
		return func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("RunLeased of %s: %v", d.Instance(), err)
			}
		}
	}
	stopA := start(a)
	maildesktest.WaitUntil(t, "A watching", func() bool { return w.holder() == "A" })
	stopB := start(b)
	maildesktest.WaitUntil(t, "B standing by for A", func() bool {
		standbyMu.Lock()
		defer standbyMu.Unlock()
		return standby["B"] == "A"
	})
	if h := w.holder(); h != "A" {
		t.Fatalf("with B started: watcher run by %q, want A alone", h)
	}

	// The lease lapses under A (as when A stalled past its TTL) and an
	// intruder takes it: A's next renewal finds it gone and A stops
	// watching; B keeps standing by.
	st := a.store
	if _, _, err := st.TakeLease(ctx, LeaseName("fta-pass"), "A", -time.Second); err != nil {
		t.Fatal(err)
	}
	if held, _, err := st.TakeLease(ctx, LeaseName("fta-pass"), "intruder", time.Minute); err != nil || !held {
		t.Fatalf("intruder: held %v, err %v", held, err)
	}
	maildesktest.WaitUntil(t, "A to stop watching after losing the lease", func() bool { return w.holder() == "" })
	// The intruder gives it up: A or B takes it, one of them.
	if err := st.DropLease(ctx, LeaseName("fta-pass"), "intruder"); err != nil {
		t.Fatal(err)
	}
	maildesktest.WaitUntil(t, "A or B watching again", func() bool { return w.holder() != "" })

	// Whoever watches stops cleanly: the other takes over without
	// waiting for the lease to lapse (a minute).
	first, stopFirst, other := w.holder(), stopA, "B"
	if first == "B" {
		stopFirst, other = stopB, "A"
	}
	stopFirst()
	maildesktest.WaitUntil(t, other+" watching after "+first+" stopped", func() bool { return w.holder() == other })
	if other == "A" {
		stopA()
	} else {
		stopB()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.overlap {
		t.Error("two instances ran the watcher at the same time")
	}
	t.Logf("watcher starts: %v", w.starts)
}
