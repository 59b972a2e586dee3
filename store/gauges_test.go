package store

import (
	"context"
	"maps"
	"testing"
	"time"
)

func TestGauges(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	tickets := []struct {
		category, status string
		due              *time.Time
	}{
		{"fta-pass", StatusOpen, &past},
		{"fta-pass", StatusOpen, &future},
		{"fta-pass", StatusOpen, &now}, // due at now: overdue, as DueAlerts counts it
		{"fta-pass", StatusAnswered, &past},
		{"fta-pass", StatusClosed, &past},
		{"voc", StatusOpen, nil},
		{"voc", StatusQuarantined, &past},
	}
	err := s.Write(ctx, func(tx *Tx) error {
		for i, tc := range tickets {
			tk := &Ticket{Tag: "T", Mailbox: "fta-pass", Category: tc.category, Status: tc.status,
				Customer: "c@x", CreatedAt: now, UpdatedAt: now, DueAt: tc.due}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			// Three deliveries: queued at -2m and -1m, one sent.
			if i < 3 {
				m := &Message{TicketID: tk.ID, Direction: Out, Kind: "ack", ContentHash: "h", Raw: []byte("x"), CreatedAt: now}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
				id, err := tx.Enqueue(ctx, m.ID, "a@b", []string{"c@x"}, now.Add(time.Duration(i-3)*time.Minute))
				if err != nil {
					return err
				}
				if i == 0 {
					if err := tx.MarkSent(ctx, id, now); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var g *Gauges
	if err := s.Read(ctx, func(tx *Tx) (err error) { g, err = tx.Gauges(ctx, now); return err }); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"open", g.Open, map[string]int{"fta-pass": 3, "voc": 1}},
		{"overdue", g.Overdue, map[string]int{"fta-pass": 2, "voc": 0}},
		{"pending", g.OutboxPending, 2},
		{"oldest", g.OutboxOldest, now.Add(-2 * time.Minute)},
	}
	for _, c := range checks {
		equal := false
		switch got := c.got.(type) {
		case map[string]int:
			equal = maps.Equal(got, c.want.(map[string]int))
		case time.Time:
			equal = got.Equal(c.want.(time.Time))
		default:
			equal = c.got == c.want
		}
		if !equal {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}

	// An empty outbox has no oldest row.
	empty := openTest(t)
	if err := empty.Read(ctx, func(tx *Tx) (err error) { g, err = tx.Gauges(ctx, now); return err }); err != nil {
		t.Fatal(err)
	}
	if g.OutboxPending != 0 || !g.OutboxOldest.IsZero() || len(g.Open) != 0 {
		t.Errorf("empty store: got %+v", g)
	}
}

// BenchmarkGauges is the cost of one /metrics scrape's store read on a
// database of 10,000 tickets, all open (the worst case: the query reads
// every open ticket), and 1,000 queued deliveries.
func BenchmarkGauges(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cats := []string{"fta-pass", "qualification", "education", "correction", "voc"}
	err = s.Write(ctx, func(tx *Tx) error {
		for i := range 10000 {
			due := now.Add(time.Duration(i-5000) * time.Minute)
			tk := &Ticket{Tag: "T", Mailbox: "fta-pass", Category: cats[i%len(cats)], Status: StatusOpen,
				Customer: "c@x", CreatedAt: now, UpdatedAt: now, DueAt: &due}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			if i%10 == 0 {
				m := &Message{TicketID: tk.ID, Direction: Out, Kind: "ack", ContentHash: "h", Raw: []byte("x"), CreatedAt: now}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
				if _, err := tx.Enqueue(ctx, m.ID, "a@b", []string{"c@x"}, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := s.Read(ctx, func(tx *Tx) error { _, err := tx.Gauges(ctx, now); return err }); err != nil {
			b.Fatal(err)
		}
	}
}
