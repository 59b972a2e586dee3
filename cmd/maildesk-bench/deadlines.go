package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/kioi/maildesk/store"
)

// fixedClock is a desk.Clock that stands still.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// benchDeadlines fills a store with o.open open tickets, o.burst of them
// with their delay notice due now, and times the deadline clock: finding
// the next deadline, and queueing the burst of notices.
func benchDeadlines(ctx context.Context, o options, dir string) ([]result, error) {
	st, err := store.Open(ctx, filepath.Join(dir, "deadlines.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	sizes, _ := messageSizes(o.corpus)
	now := time.Now().UTC()
	g, err := generateStore(ctx, st, o.open, o.open, 1, sizes, now)
	if err != nil {
		return nil, err
	}
	// Bring o.burst notices due: the earliest notices, moved just before now.
	rng := rand.New(rand.NewPCG(7, 7))
	due := 0
	err = st.Write(ctx, func(tx *store.Tx) error {
		for _, id := range rng.Perm(o.open)[:o.burst] {
			t, err := tx.Ticket(ctx, int64(id+1))
			if err != nil {
				return err
			}
			notice := now.Add(-time.Duration(1+rng.IntN(3600)) * time.Second)
			dueAt := notice.Add(12 * time.Hour)
			t.NoticeAt, t.DueAt = &notice, &dueAt
			if err := tx.UpdateTicket(ctx, t); err != nil {
				return err
			}
			due++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rs := []result{{"4 deadlines", "generated", fmt.Sprintf("%d open tickets (%d notices due now) in %s", g.open, due, fmtDur(g.took)), ""}}

	next, err := timed(1000, func(int) error {
		return st.Read(ctx, func(tx *store.Tx) error { _, err := tx.NextDeadline(ctx); return err })
	})
	if err != nil {
		return nil, err
	}
	scan, err := timed(200, func(int) error {
		return st.Read(ctx, func(tx *store.Tx) error { _, err := tx.DueNotices(ctx, now, 100); return err })
	})
	if err != nil {
		return nil, err
	}
	rs = append(rs,
		result{"4 deadlines", "find the next deadline (NextDeadline)", dist(next), ""},
		result{"4 deadlines", "find due notices (DueNotices, batch of 100)", dist(scan), ""})

	// One pass of the real deadline clock: it queues every due notice, in
	// batches of 100 per transaction, then finds the next deadline.
	pass := make(chan struct{}, 1)
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	d, err := loadDesk(dir, st, fixedClock(now), func() {
		select {
		case pass <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- d.RunDeadlines(dctx) }()
	select {
	case <-pass:
	case err := <-done:
		return nil, fmt.Errorf("deadline clock stopped: %v", err)
	case <-time.After(10 * time.Minute):
		return nil, fmt.Errorf("deadline clock: no pass in 10 minutes")
	}
	burst := time.Since(start)
	cancel()
	<-done
	var queued int
	err = st.Read(ctx, func(tx *store.Tx) error {
		ds, err := tx.Deliveries(ctx, store.Queued)
		for _, dl := range ds {
			if dl.Kind == "notice" {
				queued++
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if queued != due {
		return nil, fmt.Errorf("deadline clock queued %d notices, want %d", queued, due)
	}
	return append(rs, result{"4 deadlines", fmt.Sprintf("queue a burst of %d due notices (one clock pass)", due),
		fmt.Sprintf("%s (%.0f notices/s)", fmtDur(burst), float64(due)/burst.Seconds()), ""}), nil
}
