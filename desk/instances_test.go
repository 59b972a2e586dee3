package desk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// Two desks on one PostgreSQL database, as two instances: the same mails
// taken in through both at once are stored once, with dense ticket
// numbers and one acknowledgement each; their deadline clocks, run at
// once and again, queue each delay notice once. This is what the writer
// lock (store.Write) buys across processes; without it the two intakes
// of one mail, or the two clocks, would each decide on their own.
func TestTwoInstancesDecideOnce(t *testing.T) {
	maildesktest.PostgresOnly(t)
	url := maildesktest.Postgres(t)
	ctx := context.Background()
	rs := rulesFrom(t, deadlineRules)
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	seoul, _ := time.LoadLocation("Asia/Seoul")
	clock := &fakeClock{t: start}
	newDesk := func(instance string) *Desk {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		d, err := New(Options{Store: st, Rules: rs, Templates: tmpl, Location: seoul, Clock: clock, Instance: instance,
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
			Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}}})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	desks := []*Desk{newDesk("A"), newDesk("B")}

	// Both take in the same 30 mails (as when a stalled holder overlaps
	// its successor), each in its own order.
	const n = 30
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = mail{from: fmt.Sprintf("고객%d <c%d@example.co.kr>", i, i), to: "fta-pass@origin.or.kr",
			subject: fmt.Sprintf("원산지 문의 %d", i), id: fmt.Sprintf("two-%d@x", i)}.raw()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for k, d := range desks {
		wg.Go(func() {
			for j := range n {
				i := j
				if k == 1 {
					i = n - 1 - j
				}
				if err := d.Deliver(ctx, "fta-pass", 1, uint32(i+1), raws[i]); err != nil {
					errs <- fmt.Errorf("instance %s, uid %d: %w", d.Instance(), i+1, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Up to the notice time of every ticket, then both clocks at once,
	// three passes each.
	clock.Add(40 * time.Hour)
	errs = make(chan error, 6)
	for _, d := range desks {
		wg.Go(func() {
			for range 3 {
				if _, err := d.processDeadlines(ctx); err != nil {
					errs <- fmt.Errorf("instance %s: %w", d.Instance(), err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	var tickets []*store.Ticket
	kinds := map[int64]map[string]int{}
	err = desks[0].store.Read(ctx, func(tx *store.Tx) error {
		var err error
		if tickets, err = tx.Tickets(ctx, store.TicketFilter{}); err != nil {
			return err
		}
		for _, tk := range tickets {
			ms, err := tx.Messages(ctx, tk.ID)
			if err != nil {
				return err
			}
			kinds[tk.ID] = map[string]int{}
			for _, m := range ms {
				kinds[tk.ID][m.Kind]++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) != n {
		t.Fatalf("%d tickets from %d mails taken in twice, want %d", len(tickets), n, n)
	}
	numbers := map[int64]bool{}
	for _, tk := range tickets {
		numbers[tk.Number] = true
		k := kinds[tk.ID]
		if k[KindAck] != 1 || k[KindNotice] != 1 || k[KindInquiry] != 1 {
			t.Errorf("ticket #%d: %v, want one inquiry, one ack, one notice", tk.Number, k)
		}
	}
	for i := int64(1); i <= n; i++ {
		if !numbers[i] {
			t.Errorf("ticket number %d missing: numbers not dense (%v)", i, numbers)
		}
	}
}
