package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupWhileWriting: a backup taken while 1,000 intake transactions
// commit is a sound database (integrity check, schema version), owner-only,
// holding a prefix of the work: every ticket up to some point with its
// message, none after it.
func TestBackupWhileWriting(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	s := openTest(t)
	const n = 1000
	body := strings.Repeat("원산지확인서 발급 문의입니다. ", 50)
	now := time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)
	backedUp := make(chan error, 1)
	path := filepath.Join(t.TempDir(), "copy.db")
	for i := 1; i <= n; i++ {
		err := s.Write(ctx, func(tx *Tx) error {
			tk := &Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: StatusOpen,
				Customer: fmt.Sprintf("c%d@example.com", i), Subject: "문의", CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			id := fmt.Sprintf("m%d@example.com", i)
			return tx.InsertMessage(ctx, &Message{TicketID: tk.ID, Direction: In, Kind: "inquiry", Mailbox: "fta-pass",
				MessageID: id, ContentHash: id, From: tk.Customer, Subject: "문의", Text: body, Raw: []byte(body), CreatedAt: now})
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == n/3 {
			go func() { backedUp <- s.Backup(ctx, path) }()
		}
	}
	if err := <-backedUp; err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, %v; want mode 0600", fi, err)
	}
	c, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var tickets, messages, maxTicket, orphans int
	err = c.Read(ctx, func(tx *Tx) error {
		return tx.tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM messages),
			(SELECT coalesce(max(id), 0) FROM tickets),
			(SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id))`).
			Scan(&tickets, &messages, &maxTicket, &orphans)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the copy holds %d of %d tickets", tickets, n)
	if tickets < n/3 || tickets != maxTicket || messages != tickets || orphans != 0 {
		t.Errorf("the copy: %d tickets (max id %d), %d messages, %d tickets without their message; want a prefix of at least %d, whole",
			tickets, maxTicket, messages, orphans, n/3)
	}
	if err := s.Backup(ctx, path); err == nil || !os.IsExist(unwrapAll(err)) {
		t.Errorf("a backup onto an existing file: got %v, want it refused", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}
