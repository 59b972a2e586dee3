package desk

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestBackupDuringIntake: `maildesk backup` (store.Backup) taken while
// 1,000 inquiries are taken in, batch by batch, is a database that opens and
// holds a prefix of the work: the cursor's UIDs exactly, each with its
// ticket and its acknowledgement (and the handler's notices up to the
// hour's limit); nothing after it.
func TestBackupDuringIntake(t *testing.T) {
	maildesktest.SQLiteOnly(t) // PostgreSQL is backed up with pg_dump
	f := newFixture(t)
	ctx := context.Background()
	const n, batch = 1000, 50
	path := filepath.Join(t.TempDir(), "copy.db")
	backedUp := make(chan error, 1)
	for first := 1; first <= n; first += batch {
		raws := make([][]byte, batch)
		for i := range raws {
			uid := first + i
			raws[i] = mail{from: fmt.Sprintf("c%d@example.co.kr", uid), to: "fta-pass@origin.or.kr",
				subject: fmt.Sprintf("문의 %d", uid), id: fmt.Sprintf("bk%d@x", uid)}.raw()
		}
		if _, err := f.deliverBatch("fta-pass", 1, uint32(first), raws...); err != nil {
			t.Fatal(err)
		}
		if first == 1+4*batch {
			go func() { backedUp <- f.store.Backup(ctx, path) }()
		}
	}
	if err := <-backedUp; err != nil {
		t.Fatal(err)
	}
	c, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var cursor uint32
	var tickets []*store.Ticket
	counts := map[string]int{}
	err = c.Read(ctx, func(tx *store.Tx) error {
		var err error
		if _, cursor, err = tx.Cursor(ctx, "fta-pass"); err != nil {
			return err
		}
		if tickets, err = tx.Tickets(ctx, store.TicketFilter{}); err != nil {
			return err
		}
		counts, err = tx.MessageCounts(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the copy: cursor at %d of %d, %d tickets, messages %v", cursor, n, len(tickets), counts)
	k := int(cursor)
	if k < 5*batch || k%batch != 0 || len(tickets) != k ||
		counts["in/inquiry"] != k || counts["out/ack"] != k || counts["out/staff"] != min(k, DefaultHandlerNoticeLimit) {
		t.Errorf("the copy is not the prefix of whole batches up to its cursor %d: %d tickets, messages %v", k, len(tickets), counts)
	}
}
