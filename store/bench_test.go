package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchDB is a store of tickets with messagesPer messages each, generated
// in large transactions. The default is small so that the CI smoke run
// (-benchtime 1x) stays quick; cmd/maildesk-bench measures 1,000,000
// messages.
type benchDB struct {
	st      *Store
	tickets int
	ids     [][]string // Message-IDs by ticket id
	now     time.Time
}

func newBenchDB(b *testing.B, messagesPer int) *benchDB {
	b.Helper()
	tickets := 4000
	if testing.Short() {
		tickets = 500
	}
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	db := &benchDB{st: st, tickets: tickets, ids: make([][]string, tickets+1), now: time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)}
	body := strings.Repeat("원산지확인서 발급 문의입니다. ", 100)
	err = st.Write(ctx, func(tx *Tx) error {
		for i := 1; i <= tickets; i++ {
			created := db.now.Add(-time.Duration(tickets-i) * time.Minute)
			due := created.Add(48 * time.Hour)
			notice := due.Add(-12 * time.Hour)
			t := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: StatusOpen,
				Customer: fmt.Sprintf("c%d@example.com", i), Subject: "문의", CreatedAt: created, UpdatedAt: created,
				DueAt: &due, NoticeAt: &notice}
			if i%5 != 0 {
				t.Status, t.AnsweredAt = StatusAnswered, &created
			}
			if err := tx.InsertTicket(ctx, t); err != nil {
				return err
			}
			var ids []string
			for k := range messagesPer {
				dir, kind, to := In, "inquiry", "fta-pass@origin.or.kr"
				if k%2 == 1 {
					dir, kind, to = Out, "ack", t.Customer
				}
				id := fmt.Sprintf("m%d.%d@example.com", i, k)
				m := &Message{TicketID: t.ID, Direction: dir, Kind: kind, Mailbox: "fta-pass", MessageID: id,
					ContentHash: id, From: t.Customer, To: []string{to}, Subject: t.Subject, Text: body,
					Refs: ids, Raw: []byte(body), CreatedAt: created}
				if dir == Out {
					m.ToKey = to
				}
				if dir == In {
					m.UIDValidity, m.UID = 1, uint32(i*messagesPer+k)
				}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			db.ids[i] = ids
			if err := tx.AddEvent(ctx, t.ID, created, "opened", "bench"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func (db *benchDB) read(b *testing.B, fn func(context.Context, *Tx) error) {
	ctx := context.Background()
	if err := db.st.Read(ctx, func(tx *Tx) error { return fn(ctx, tx) }); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkThreadByReferences is threading rule 1: a reply's In-Reply-To
// and References against every stored Message-ID.
func BenchmarkThreadByReferences(b *testing.B) {
	db := newBenchDB(b, 5)
	i := 0
	for b.Loop() {
		i++
		ids := db.ids[1+i%db.tickets]
		db.read(b, func(ctx context.Context, tx *Tx) error {
			_, err := tx.TicketByReferences(ctx, []string{ids[len(ids)-1], ids[0]})
			return err
		})
	}
}

// BenchmarkAckRateCount is the acknowledgement rate limit's count, run for
// every new inquiry.
func BenchmarkAckRateCount(b *testing.B) {
	db := newBenchDB(b, 5)
	i := 0
	for b.Loop() {
		i++
		db.read(b, func(ctx context.Context, tx *Tx) error {
			_, err := tx.CountSentSince(ctx, "ack", fmt.Sprintf("c%d@example.com", 1+i%db.tickets), db.now.Add(-time.Hour))
			return err
		})
	}
}

// BenchmarkListOpenTickets lists the newest 50 open tickets, as a ticket
// list page would.
func BenchmarkListOpenTickets(b *testing.B) {
	db := newBenchDB(b, 5)
	for b.Loop() {
		db.read(b, func(ctx context.Context, tx *Tx) error {
			_, err := tx.Tickets(ctx, TicketFilter{Status: []string{StatusOpen}, Limit: 50})
			return err
		})
	}
}

// BenchmarkShowTicket reads one ticket with its messages and events, as
// `maildesk ticket ID` does.
func BenchmarkShowTicket(b *testing.B) {
	db := newBenchDB(b, 5)
	i := 0
	for b.Loop() {
		i++
		id := int64(1 + i%db.tickets)
		db.read(b, func(ctx context.Context, tx *Tx) error {
			if _, err := tx.Ticket(ctx, id); err != nil {
				return err
			}
			if _, err := tx.Messages(ctx, id); err != nil {
				return err
			}
			_, err := tx.Events(ctx, id)
			return err
		})
	}
}

// BenchmarkNextDeadline is what the deadline clock asks after every pass.
func BenchmarkNextDeadline(b *testing.B) {
	db := newBenchDB(b, 1)
	for b.Loop() {
		db.read(b, func(ctx context.Context, tx *Tx) error {
			_, err := tx.NextDeadline(ctx)
			return err
		})
	}
}

// BenchmarkDueNotices finds a batch of due delay notices among the open
// tickets.
func BenchmarkDueNotices(b *testing.B) {
	db := newBenchDB(b, 1)
	at := db.now.Add(48 * time.Hour)
	for b.Loop() {
		db.read(b, func(ctx context.Context, tx *Tx) error {
			_, err := tx.DueNotices(ctx, at, 100)
			return err
		})
	}
}

// BenchmarkInsertMessage stores one received message with two references
// in its own transaction, as intake does.
func BenchmarkInsertMessage(b *testing.B) {
	db := newBenchDB(b, 1)
	ctx := context.Background()
	raw := []byte(strings.Repeat("x", 4000))
	i := 0
	for b.Loop() {
		i++
		err := db.st.Write(ctx, func(tx *Tx) error {
			return tx.InsertMessage(ctx, &Message{Direction: In, Kind: "inquiry", Mailbox: "bench", UIDValidity: 1,
				UID: uint32(i), MessageID: fmt.Sprintf("ins%d@example.com", i), ContentHash: fmt.Sprint(i),
				Refs: []string{"a@example.com", "b@example.com"}, Raw: raw, CreatedAt: db.now})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStaffHistory is what a handler's notice reads of its ticket's
// history: all messages with their texts (Messages, what it read before)
// or the last 12 without them (RecentMessages), on tickets of 5 and of
// 1,000 messages whose raw bytes (8 KB) lie in overflow pages.
func BenchmarkStaffHistory(b *testing.B) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	raw := []byte(strings.Repeat("x", 8<<10))
	sizes := []int{5, 1000}
	ids := map[int]int64{}
	err = st.Write(ctx, func(tx *Tx) error {
		for _, n := range sizes {
			t := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "c@x", CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertTicket(ctx, t); err != nil {
				return err
			}
			ids[n] = t.ID
			for k := range n {
				m := &Message{TicketID: t.ID, Direction: In, Kind: "followup", Mailbox: "m",
					MessageID: fmt.Sprintf("%d.%d@x", n, k), ContentHash: fmt.Sprint(n, k), From: "c@x",
					Text: "문의드립니다.", Raw: raw, CreatedAt: now}
				if err := tx.InsertMessage(ctx, m); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("all/%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := st.Read(ctx, func(tx *Tx) error { _, err := tx.Messages(ctx, ids[n]); return err }); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("recent/%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := st.Read(ctx, func(tx *Tx) error { _, err := tx.RecentMessages(ctx, ids[n], 12); return err }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
