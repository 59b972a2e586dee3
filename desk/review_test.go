package desk

import (
	"context"
	"errors"
	"testing"

	"github.com/kioi/maildesk/store"
)

// TestOversizedMailFailingIntakeIsQuarantined: an oversized mail goes the
// way every other mail does: its intake fails while the fault lasts, and
// after intakeTries failures it is quarantined and the cursor moves past
// it. DeliverOversized once had its own copy of intake that neither failed
// with the fault nor counted failures.
func TestOversizedMailFailingIntakeIsQuarantined(t *testing.T) {
	f := newFixture(t)
	setIntakeFault(t, func(uid uint32) error { return errors.New("injected fault") })
	header := []byte("From: kim@example.co.kr\r\nTo: fta-pass@origin.or.kr\r\nSubject: 도면\r\nMessage-ID: <big@example.co.kr>\r\n\r\n")
	ctx := context.Background()
	for i := range intakeTries - 1 {
		if err := f.desk.DeliverOversized(ctx, "fta-pass", 1, 1, header, 50<<20); err == nil {
			t.Fatalf("attempt %d: got nil, want the injected fault", i+1)
		}
		if c := f.state("fta-pass").cursor; c.LastUID != 0 {
			t.Fatalf("attempt %d: cursor moved to %+v", i+1, c)
		}
	}
	if err := f.desk.DeliverOversized(ctx, "fta-pass", 1, 1, header, 50<<20); err != nil {
		t.Fatalf("attempt %d: %v, want it quarantined", intakeTries, err)
	}
	s := f.state("fta-pass")
	if s.cursor.LastUID != 1 || len(s.tickets) != 1 || s.tickets[0].Status != store.StatusQuarantined {
		t.Fatalf("cursor %+v, tickets %+v; want past uid 1, one quarantined", s.cursor, s.tickets)
	}
}
