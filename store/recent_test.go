package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestRecentMessages: a handler's notice shows the last lines of a
// ticket's history, oldest first, and the latest customer text; both are
// read without the messages' texts and raw bytes.
func TestRecentMessages(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	err := s.Write(ctx, func(tx *Tx) error {
		tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "c@x", CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertTicket(ctx, tk); err != nil {
			return err
		}
		other := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "d@x", CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertTicket(ctx, other); err != nil {
			return err
		}
		if got, err := tx.LastReceivedText(ctx, tk.ID, "inquiry", "followup"); err != nil || got != "" {
			t.Errorf("LastReceivedText of an empty ticket: got %q, %v; want \"\", nil", got, err)
		}
		add := func(tid int64, i int, dir, kind, text, newText string) {
			m := &Message{TicketID: tid, Direction: dir, Kind: kind, Mailbox: "m", MessageID: fmt.Sprintf("%d.%d@x", tid, i),
				ContentHash: fmt.Sprint(tid, i), From: fmt.Sprintf("from%d@x", i), Text: text, NewText: newText,
				Raw: make([]byte, 20000), CreatedAt: now.Add(time.Duration(i) * time.Minute)}
			if err := tx.InsertMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		add(tk.ID, 0, In, "inquiry", "inquiry text", "")
		for i := 1; i <= 14; i++ {
			if i%3 == 0 {
				add(tk.ID, i, In, "followup", fmt.Sprintf("whole %d", i), fmt.Sprintf("new %d", i))
			} else {
				add(tk.ID, i, Out, "staff", fmt.Sprintf("notice %d", i), "")
			}
		}
		add(tk.ID, 15, In, "automatic", "auto-reply", "")
		add(other.ID, 16, In, "followup", "another ticket's", "")

		ms, err := tx.RecentMessages(ctx, tk.ID, 12)
		if err != nil {
			return err
		}
		if len(ms) != 12 {
			t.Fatalf("RecentMessages: got %d, want 12", len(ms))
		}
		for i, m := range ms {
			want := i + 4 // messages 4..15
			if m.From != fmt.Sprintf("from%d@x", want) || !m.CreatedAt.Equal(now.Add(time.Duration(want)*time.Minute)) || m.TicketID != tk.ID {
				t.Errorf("RecentMessages[%d]: got from %s at %v, want message %d", i, m.From, m.CreatedAt, want)
			}
		}
		if ms[11].Direction != In || ms[11].Kind != "automatic" || ms[10].Direction != Out || ms[10].Kind != "staff" {
			t.Errorf("RecentMessages: last two %s/%s, %s/%s; want out/staff, in/automatic",
				ms[10].Direction, ms[10].Kind, ms[11].Direction, ms[11].Kind)
		}
		// The latest inquiry or follow-up, not the automatic mail after it
		// nor another ticket's; its new text when it has one.
		if got, err := tx.LastReceivedText(ctx, tk.ID, "inquiry", "followup"); err != nil || got != "new 12" {
			t.Errorf("LastReceivedText: got %q, %v; want \"new 12\"", got, err)
		}
		if got, err := tx.LastReceivedText(ctx, tk.ID, "inquiry"); err != nil || got != "inquiry text" {
			t.Errorf("LastReceivedText without new text: got %q, %v; want the whole text", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLastReceivedRaw: the customer's files come from the raw bytes of the
// latest inquiry or follow-up, not from an automatic mail after it, our
// own mail, or another ticket's.
func TestLastReceivedRaw(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	err := s.Write(ctx, func(tx *Tx) error {
		tk := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "c@x", CreatedAt: now, UpdatedAt: now}
		other := &Ticket{Tag: "T", Mailbox: "m", Status: StatusOpen, Customer: "d@x", CreatedAt: now, UpdatedAt: now}
		for _, x := range []*Ticket{tk, other} {
			if err := tx.InsertTicket(ctx, x); err != nil {
				return err
			}
		}
		if _, _, err := tx.LastReceivedRaw(ctx, tk.ID, "inquiry", "followup"); !errors.Is(err, ErrNotFound) {
			t.Errorf("LastReceivedRaw of an empty ticket: got %v, want ErrNotFound", err)
		}
		var want int64
		for i, m := range []struct {
			tid       int64
			dir, kind string
		}{{tk.ID, In, "inquiry"}, {tk.ID, In, "followup"}, {tk.ID, Out, "staff"}, {tk.ID, In, "automatic"}, {other.ID, In, "followup"}} {
			msg := &Message{TicketID: m.tid, Direction: m.dir, Kind: m.kind, MessageID: fmt.Sprintf("%d@x", i),
				ContentHash: fmt.Sprint(i), Raw: []byte(fmt.Sprintf("raw %d", i)), CreatedAt: now}
			if err := tx.InsertMessage(ctx, msg); err != nil {
				return err
			}
			if i == 1 {
				want = msg.ID
			}
		}
		id, raw, err := tx.LastReceivedRaw(ctx, tk.ID, "inquiry", "followup")
		if err != nil || id != want || string(raw) != "raw 1" {
			t.Errorf("LastReceivedRaw: got %d %q %v, want %d \"raw 1\"", id, raw, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
