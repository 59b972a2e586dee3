package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/store"
)

// oldMail is n mails of n senders that arrived ten days before the
// fixture's clock, with UIDs from first.
func oldMail(f *fixture, first uint32, n int) []mailbox.Fetched {
	var out []mailbox.Fetched
	for i := range n {
		uid := first + uint32(i)
		out = append(out, mailbox.Fetched{UID: uid, InternalDate: f.clock.Now().Add(-10 * 24 * time.Hour),
			Raw: mail{from: fmt.Sprintf("old%d@example.com", uid), to: "fta-pass@origin.or.kr",
				subject: "지난 문의", id: fmt.Sprintf("old%d@example.com", uid)}.raw()})
	}
	return out
}

// TestFirstStartStoresHistory: the first start on a folder with twenty
// ten-day-old mails sends no acknowledgement and no notice; after the
// catch-up pass the handler gets one summary; a new mail then is
// acknowledged, and a customer who writes again on an old ticket reopens
// it and is answered as usual.
func TestFirstStartStoresHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if n, err := f.desk.DeliverBatch(ctx, "fta-pass", 1, oldMail(f, 1, 20)); err != nil || n != 20 {
		t.Fatalf("DeliverBatch: %d, %v", n, err)
	}
	s := f.state("fta-pass")
	if len(s.tickets) != 20 || len(s.outbox) != 0 || len(s.staff) != 0 {
		t.Fatalf("after the import: %d tickets, %d customer mails, %d notices; want 20, 0, 0", len(s.tickets), len(s.outbox), len(s.staff))
	}
	for _, tk := range s.tickets {
		if tk.Status != store.StatusClosed {
			t.Errorf("ticket %d is %s, want closed (history)", tk.ID, tk.Status)
		}
	}
	for range 2 {
		if err := f.desk.Synced(ctx, "fta-pass"); err != nil {
			t.Fatal(err)
		}
	}
	s = f.state("fta-pass")
	if len(s.staff) != 1 {
		t.Fatalf("summaries: got %d, want 1", len(s.staff))
	}
	if sum := f.staffOf(0); sum.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(sum.Text, "20") {
		t.Errorf("summary to %v:\n%s", sum.To, sum.Text)
	}
	now := f.clock.Now()
	f.desk.DeliverBatch(ctx, "fta-pass", 1, []mailbox.Fetched{{UID: 21, InternalDate: now,
		Raw: mail{from: "new@example.com", to: "fta-pass@origin.or.kr", subject: "새 문의", id: "new@example.com"}.raw()}})
	f.desk.DeliverBatch(ctx, "fta-pass", 1, []mailbox.Fetched{{UID: 22, InternalDate: now,
		Raw: mail{from: "old1@example.com", to: "fta-pass@origin.or.kr", subject: "Re: 지난 문의", id: "again@example.com",
			headers: []string{"In-Reply-To: <old1@example.com>"}}.raw()}})
	s = f.state("fta-pass")
	if len(s.outbox) != 1 || s.outbox[0].To[0] != "new@example.com" {
		t.Fatalf("after the import: queued %v, want the new inquiry's ack", f.queued())
	}
	if tk := f.ticket(1); tk.Status != store.StatusOpen {
		t.Errorf("the old ticket written to again is %s, want open", tk.Status)
	}
}

// TestFirstStartSurvivesACrash: the cutoff is fixed at the first intake, so
// a restart half-way through the import (a new Desk on the same database,
// its clock a day on) still takes the rest as history.
func TestFirstStartSurvivesACrash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	all := oldMail(f, 1, 20)
	if _, err := f.desk.DeliverBatch(ctx, "fta-pass", 1, all[:10]); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(24 * time.Hour) // the old mail is now only ten days old... and more
	d2, err := New(Options{Store: f.store, Rules: f.desk.rules.Load(), Templates: f.desk.templates.Load(), Clock: f.clock,
		Logger: discardLogger, Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr", History: config.History{Age: 24 * time.Hour}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.DeliverBatch(ctx, "fta-pass", 1, all[10:]); err != nil {
		t.Fatal(err)
	}
	if err := d2.Synced(ctx, "fta-pass"); err != nil {
		t.Fatal(err)
	}
	s := f.state("fta-pass")
	if len(s.tickets) != 20 || len(s.outbox) != 0 || len(s.staff) != 1 {
		t.Fatalf("%d tickets, %d customer mails, %d notices; want 20, 0, 1", len(s.tickets), len(s.outbox), len(s.staff))
	}
	if sum := f.staffOf(0); !strings.Contains(sum.Text, "20") {
		t.Errorf("summary does not count all 20:\n%s", sum.Text)
	}
}

// TestHistorySetting: "none" answers everything, "all" nothing that was
// there, a duration what is younger; a mailbox read before (it has a
// cursor) has no history at all.
func TestHistorySetting(t *testing.T) {
	tests := []struct {
		name    string
		history config.History
		cursor  bool
		acks    int
	}{
		{"default 24h", config.History{}, false, 1},
		{"none", config.History{None: true}, false, 3},
		{"all", config.History{All: true}, false, 0},
		{"7d", config.History{Age: 7 * 24 * time.Hour}, false, 2},
		{"read before", config.History{}, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.desk.mailboxes["fta-pass"] = Mailbox{Name: "fta-pass", Address: "fta-pass@origin.or.kr", History: tt.history}
			ctx := context.Background()
			if tt.cursor {
				if err := f.store.Write(ctx, func(tx *store.Tx) error { return tx.SetCursor(ctx, "fta-pass", 1, 0, f.clock.Now()) }); err != nil {
					t.Fatal(err)
				}
			}
			now := f.clock.Now()
			var batch []mailbox.Fetched
			for i, age := range []time.Duration{time.Hour, 3 * 24 * time.Hour, 10 * 24 * time.Hour} {
				batch = append(batch, mailbox.Fetched{UID: uint32(i + 1), InternalDate: now.Add(-age),
					Raw: mail{from: fmt.Sprintf("c%d@example.com", i), to: "fta-pass@origin.or.kr", subject: "문의", id: fmt.Sprintf("h%d@x", i)}.raw()})
			}
			if _, err := f.desk.DeliverBatch(ctx, "fta-pass", 1, batch); err != nil {
				t.Fatal(err)
			}
			if got := len(f.state("fta-pass").outbox); got != tt.acks {
				t.Errorf("acks: got %d, want %d", got, tt.acks)
			}
		})
	}
}

// TestFirstMailOffThePathStillFixesTheCutoff: the cursor must never move
// before the mailbox's history cutoff is fixed. When the first mail of a
// first start is oversized (DeliverOversized) or fails intake until it is
// quarantined, the old mail after it is still history: no acknowledgement
// and no handler notice for any of it. Both paths once set the cursor
// without the cutoff, and the old mail was answered as new.
func TestFirstMailOffThePathStillFixesTheCutoff(t *testing.T) {
	header := []byte("From: kim@example.co.kr\r\nTo: fta-pass@origin.or.kr\r\nSubject: 도면\r\nMessage-ID: <big@example.co.kr>\r\n\r\n")
	tests := []struct {
		name  string
		first func(f *fixture) error
	}{
		{"oversized", func(f *fixture) error {
			return f.desk.DeliverOversized(context.Background(), "fta-pass", 1, 1, header, 50<<20)
		}},
		{"quarantined after failing", func(f *fixture) error {
			setIntakeFault(t, func(uid uint32) error {
				if uid == 1 {
					return errors.New("injected fault")
				}
				return nil
			})
			raw := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "first@x"}.raw()
			for i := range intakeTries - 1 {
				if err := f.desk.Deliver(context.Background(), "fta-pass", 1, 1, raw); err == nil {
					return fmt.Errorf("attempt %d: got nil, want the injected fault", i+1)
				}
			}
			return f.desk.Deliver(context.Background(), "fta-pass", 1, 1, raw) // quarantined now
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if err := tt.first(f); err != nil {
				t.Fatal(err)
			}
			if s := f.state("fta-pass"); s.cursor.LastUID != 1 || len(s.tickets) != 1 || s.tickets[0].Status != store.StatusQuarantined {
				t.Fatalf("after the first mail: cursor %+v, tickets %+v; want past uid 1, one quarantined", s.cursor, s.tickets)
			}
			if n, err := f.desk.DeliverBatch(context.Background(), "fta-pass", 1, oldMail(f, 2, 5)); err != nil || n != 5 {
				t.Fatalf("DeliverBatch: %d, %v", n, err)
			}
			s := f.state("fta-pass")
			if acks := f.acksQueued(); acks != 0 || len(s.staff) != 0 {
				t.Errorf("old mail answered: %d acknowledgements, %d handler notices; want 0, 0", acks, len(s.staff))
			}
			if len(s.tickets) != 6 {
				t.Errorf("tickets: got %d, want 6 (the quarantined one and five of history)", len(s.tickets))
			}
		})
	}
}
