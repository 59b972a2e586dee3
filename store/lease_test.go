package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// openTwice opens the test database twice, as two instances sharing it
// would: two pools, two writers' mutexes.
func openTwice(t *testing.T) (*Store, *Store) {
	t.Helper()
	ctx := context.Background()
	db := testDatabase(t)
	var ss [2]*Store
	for i := range ss {
		s, err := Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ss[i] = s
	}
	return ss[0], ss[1]
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	take := func(s *Store, holder string, ttl time.Duration) (bool, Lease) {
		t.Helper()
		held, cur, err := s.TakeLease(ctx, "mailbox fta-pass", holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return held, cur
	}

	if held, cur := take(a, "A", time.Minute); !held || cur.Holder != "A" {
		t.Fatalf("free lease: held %v by %q, want taken by A", held, cur.Holder)
	}
	_, first := take(a, "A", time.Minute)
	if held, cur := take(b, "B", time.Minute); held || cur.Holder != "A" {
		t.Fatalf("lease of a live holder: B got it (%v), holder %q; want A keeps it", held, cur.Holder)
	}
	// A renewal keeps the holder's start and moves the expiry on.
	held, renewed := take(a, "A", time.Hour)
	if !held || !renewed.Since.Equal(first.Since) || !renewed.Expires.After(first.Expires) {
		t.Fatalf("renewal: held %v, since %v (was %v), expires %v (was %v)", held, renewed.Since, first.Since, renewed.Expires, first.Expires)
	}

	// A lease that has lapsed (here: renewed with a past expiry, the
	// database's clock deciding) goes to the next who asks.
	take(a, "A", -time.Second)
	if held, cur := take(b, "B", time.Minute); !held || cur.Holder != "B" {
		t.Fatalf("lapsed lease: B held %v, holder %q; want B", held, cur.Holder)
	}
	if held, _ := take(a, "A", time.Minute); held {
		t.Fatal("A took back a lease B holds")
	}

	// Dropping: only the holder's drop frees it.
	if err := a.DropLease(ctx, "mailbox fta-pass", "A"); err != nil {
		t.Fatal(err)
	}
	if held, _ := take(a, "A", time.Minute); held {
		t.Fatal("A's drop of B's lease freed it")
	}
	if err := b.DropLease(ctx, "mailbox fta-pass", "B"); err != nil {
		t.Fatal(err)
	}
	if held, _ := take(a, "A", time.Minute); !held {
		t.Fatal("after B dropped it, A did not get the lease")
	}

	take(b, "B", time.Minute) // another lease, for the listing
	if _, _, err := b.TakeLease(ctx, "mailbox education", "B", time.Minute); err != nil {
		t.Fatal(err)
	}
	var ls []Lease
	if err := a.Read(ctx, func(tx *Tx) (err error) { ls, err = tx.Leases(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%d %s %s %s %s", len(ls), ls[0].Name, ls[0].Holder, ls[1].Name, ls[1].Holder)
	if want := "2 mailbox education B mailbox fta-pass A"; got != want {
		t.Errorf("leases: got %s, want %s", got, want)
	}
}

// Many contenders from two instances ask for one free lease at once:
// exactly one gets it.
func TestLeaseRace(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	for round := range 5 {
		name := "mailbox race" + strconv.Itoa(round)
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners := map[string]bool{}
		for i := range 8 {
			s := a
			if i%2 == 1 {
				s = b
			}
			holder := "holder" + strconv.Itoa(i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				held, _, err := s.TakeLease(ctx, name, holder, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if held {
					mu.Lock()
					winners[holder] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Errorf("round %d: %d holders got the lease (%v), want 1", round, len(winners), winners)
		}
	}
}

// Two instances' writers read a value, decide and write it back, many
// times at once. Each Write sees the other's last commit (the writer
// lock on PostgreSQL, the file's one writer on SQLite): no update is
// lost. Without the writer lock, READ COMMITTED loses most of them.
func TestWritersOfTwoInstancesTakeTurns(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	const perWriter, writers = 25, 4
	var wg sync.WaitGroup
	for i := range writers {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWriter {
				err := s.Write(ctx, func(tx *Tx) error {
					v, err := tx.Setting(ctx, "counter")
					if err != nil && !errors.Is(err, ErrNotFound) {
						return err
					}
					n, _ := strconv.Atoi(string(v))
					return tx.SetSetting(ctx, "counter", []byte(strconv.Itoa(n+1)))
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var v []byte
	if err := a.Read(ctx, func(tx *Tx) (err error) { v, err = tx.Setting(ctx, "counter"); return err }); err != nil {
		t.Fatal(err)
	}
	if got, want := string(v), strconv.Itoa(perWriter*writers); got != want {
		t.Errorf("counter after %d read-and-write transactions: got %s, want %s (updates lost)", perWriter*writers, got, want)
	}
}

// Two instances' outboxes claim due rows at the same time, in Claim as
// desk does: between them they take every row, and none twice.
func TestClaimDueDeliveriesOnce(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	const rows = 60
	err := a.Write(ctx, func(tx *Tx) error {
		for i := range rows {
			m := &Message{Direction: Out, Kind: "ack", MessageID: fmt.Sprintf("ack%d@x", i), ContentHash: "h",
				To: []string{"c@x"}, Raw: []byte("raw"), CreatedAt: now}
			if err := tx.InsertMessage(ctx, m); err != nil {
				return err
			}
			if _, err := tx.Enqueue(ctx, m.ID, "fta-pass@origin.or.kr", []string{"c@x"}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	claimAll(t, []*Store{a, a, b, b}, now, rows)
}

// claimAll claims every due delivery, three at a time, from a goroutine
// per store in stores (one store may be given more than once), until
// none is left; it fails t unless each of want rows is claimed once.
func claimAll(t *testing.T, stores []*Store, now time.Time, want int) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for {
				var due []*Delivery
				err := s.Claim(ctx, func(tx *Tx) error {
					var err error
					if due, err = tx.DueDeliveries(ctx, now, now.Add(time.Hour), 3); err != nil {
						return err
					}
					for _, d := range due {
						if err := tx.RecordAttempt(ctx, d.ID, now.Add(time.Hour)); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Errorf("claim: %v", err)
					return
				}
				if len(due) == 0 {
					return
				}
				mu.Lock()
				for _, d := range due {
					claimed[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != want {
		t.Errorf("claimed %d distinct rows, want all %d", len(claimed), want)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times, want once", id, n)
		}
	}
}

// Two instances open tickets of one tag at once, some in transactions
// that roll back: the numbers the customers see are 1..n, each once.
func TestTicketNumbersDenseAcrossInstances(t *testing.T) {
	ctx := context.Background()
	a, b := openTwice(t)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	const perWriter, writers = 15, 4
	var wg sync.WaitGroup
	for i := range writers {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perWriter {
				err := s.Write(ctx, func(tx *Tx) error {
					tk := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "general", Status: "open",
						Customer: fmt.Sprintf("c%d.%d@example.com", i, j), CreatedAt: now, UpdatedAt: now}
					if err := tx.InsertTicket(ctx, tk); err != nil {
						return err
					}
					if j%5 == 4 {
						return errRolledBack
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRolledBack) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var ts []*Ticket
	if err := a.Read(ctx, func(tx *Tx) (err error) { ts, err = tx.Tickets(ctx, TicketFilter{}); return err }); err != nil {
		t.Fatal(err)
	}
	want := writers * (perWriter - perWriter/5)
	seen := map[int64]bool{}
	for _, tk := range ts {
		if tk.Number < 1 || tk.Number > int64(want) || seen[tk.Number] {
			t.Errorf("ticket %d: number %d (a duplicate, or outside 1..%d)", tk.ID, tk.Number, want)
		}
		seen[tk.Number] = true
	}
	if len(ts) != want || len(seen) != want {
		t.Errorf("tickets: %d with %d distinct numbers, want %d numbered 1..%d", len(ts), len(seen), want, want)
	}
}

var errRolledBack = errors.New("rolled back on purpose")
