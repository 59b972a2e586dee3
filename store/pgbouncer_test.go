package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/postgres"
)

// startBouncer starts a throwaway cluster and PgBouncer in transaction
// mode in front of it with poolSize server connections, and returns the
// URL of a new database through it. PostgreSQL run only; without
// pgbouncer it skips, or fails when CI is set.
func startBouncer(t *testing.T, poolSize int) (bouncer *postgres.Bouncer, url string) {
	t.Helper()
	if !onPostgres() {
		t.Skip("PostgreSQL only")
	}
	return postgres.BouncerFor(t, poolSize)
}

// Behind PgBouncer in transaction mode, with one server connection that
// every client shares, two stores (as two instances) migrate, write with
// dense ticket numbers under the writer lock, hold leases and claim the
// outbox, in the store's default statement mode. The same with pgx's
// statement cache fails (named prepared statements meet on the shared
// connection), which shows the pool really is shared.
func TestBehindPgBouncer(t *testing.T) {
	b, url := startBouncer(t, 1)
	ctx := context.Background()
	open := func() *Store {
		t.Helper()
		s, err := Open(ctx, url)
		if err != nil {
			t.Fatalf("open through PgBouncer: %v\n%s", err, b.Logs(2000))
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, c := open(), open()

	const perStore = 20
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for k, s := range []*Store{a, c} {
		wg.Go(func() {
			for i := range perStore {
				err := s.Write(ctx, func(tx *Tx) error {
					tk := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "general", Status: "open",
						Customer: fmt.Sprintf("c%d.%d@example.com", k, i), Subject: "원산지 문의", CreatedAt: now, UpdatedAt: now}
					if err := tx.InsertTicket(ctx, tk); err != nil {
						return err
					}
					m := &Message{TicketID: tk.ID, Direction: Out, Kind: "ack", MessageID: fmt.Sprintf("ack%d.%d@x", k, i), ContentHash: "h",
						To: []string{tk.Customer}, Raw: []byte("raw"), CreatedAt: now}
					if err := tx.InsertMessage(ctx, m); err != nil {
						return err
					}
					_, err := tx.Enqueue(ctx, m.ID, "fta-pass@origin.or.kr", m.To, now)
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("write through PgBouncer: %v\n%s", err, b.Logs(2000))
	}
	var tickets []*Ticket
	if err := a.Read(ctx, func(tx *Tx) (err error) { tickets, err = tx.Tickets(ctx, TicketFilter{}); return err }); err != nil {
		t.Fatal(err)
	}
	numbers := map[int64]bool{}
	for _, tk := range tickets {
		numbers[tk.Number] = true
	}
	for n := int64(1); n <= 2*perStore; n++ {
		if !numbers[n] {
			t.Errorf("ticket number %d missing of %d tickets", n, len(tickets))
		}
	}

	// Leases: one holder at a time, renewed by it, free once dropped.
	if held, _, err := a.TakeLease(ctx, "mailbox fta-pass", "A", time.Minute); err != nil || !held {
		t.Fatalf("A takes the lease: held %v, err %v", held, err)
	}
	if held, cur, err := c.TakeLease(ctx, "mailbox fta-pass", "C", time.Minute); err != nil || held || cur.Holder != "A" {
		t.Fatalf("C takes A's lease: held %v, holder %q, err %v", held, cur.Holder, err)
	}
	if err := a.DropLease(ctx, "mailbox fta-pass", "A"); err != nil {
		t.Fatal(err)
	}
	if held, _, err := c.TakeLease(ctx, "mailbox fta-pass", "C", time.Minute); err != nil || !held {
		t.Fatalf("C takes the dropped lease: held %v, err %v", held, err)
	}

	// The outbox: every due row claimed once between the two.
	claimAll(t, []*Store{a, c}, now, 2*perStore)

	// The control: named prepared statements do not survive the pool.
	cached := url + "&default_query_exec_mode=cache_statement"
	var failed error
	for range 2 {
		s, err := Open(ctx, cached)
		if err != nil {
			failed = err
			break
		}
		defer s.Close()
		if err := s.Read(ctx, func(tx *Tx) (err error) { _, err = tx.Tickets(ctx, TicketFilter{}); return err }); err != nil {
			failed = err
			break
		}
	}
	if failed == nil {
		t.Fatal("two stores with pgx's statement cache share one PgBouncer connection without an error: the pool is not shared, so this test proves nothing")
	}
	if !strings.Contains(failed.Error(), "prepared statement") {
		t.Errorf("the statement cache through PgBouncer failed, but not on a prepared statement: %v", failed)
	}
	t.Logf("the control, as expected: %v", failed)
}

// PgBouncer does not pass search_path on from the URL: a schema chosen
// there must be the role's default instead (docs/scaling.md).
func TestPgBouncerRefusesSearchPath(t *testing.T) {
	_, url := startBouncer(t, 1)
	_, err := Open(context.Background(), url+"&search_path=other")
	if err == nil {
		t.Fatal("open through PgBouncer with search_path in the URL: no error")
	}
	t.Logf("as expected: %v", err)
}
