package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLedgerOnce: a correction request is decided once (a second #uphold
// pays nothing), a ledger entry is paid once, and the figures count what
// was received and decided in the period.
func TestLedgerOnce(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	now := time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)
	var ids []int64
	err := s.Write(ctx, func(tx *Tx) error {
		for i, ch := range []string{"", "phone", ""} {
			tk := &Ticket{Tag: "CORR", Mailbox: "correction", Category: "correction", Status: StatusOpen,
				Customer: "kim@example.com", Subject: "불친절", CreatedAt: now, UpdatedAt: now, Channel: ch}
			if err := tx.InsertTicket(ctx, tk); err != nil {
				return err
			}
			if i < 2 {
				if err := tx.OpenCorrection(ctx, tk.ID, now); err != nil {
					return err
				}
			}
			ids = append(ids, tk.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	tests := []struct {
		name    string
		ticket  int64
		outcome string
		amount  int64
		wantErr error
	}{
		{"uphold", ids[0], CorrectionUpheld, 10000, nil},
		{"second uphold", ids[0], CorrectionUpheld, 10000, ErrDecided},
		{"dismiss after uphold", ids[0], CorrectionDismissed, 0, ErrDecided},
		{"negative", ids[1], CorrectionUpheld, -5, errors.New("amount")},
		{"dismiss", ids[1], CorrectionDismissed, 0, nil},
		{"dismiss twice", ids[1], CorrectionDismissed, 0, ErrDecided},
		{"no row yet (opened before)", ids[2], CorrectionUpheld, 0, nil},
		{"uphold after dismiss (contested)", ids[1], CorrectionUpheld, 5000, nil},
		{"uphold after that", ids[1], CorrectionUpheld, 5000, ErrDecided},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Write(ctx, func(tx *Tx) error {
				_, err := tx.DecideCorrection(ctx, tt.ticket, now, tt.outcome, tt.amount, "kioi", "사유", later)
				return err
			})
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("got %v, want no error", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("got no error, want %v", tt.wantErr)
			case errors.Is(tt.wantErr, ErrDecided) && !errors.Is(err, ErrDecided):
				t.Fatalf("got %v, want ErrDecided", err)
			}
		})
	}
	var ledger []*Correction
	var counts CorrectionCounts
	err = s.Write(ctx, func(tx *Tx) (err error) {
		if ledger, err = tx.Ledger(ctx, time.Time{}, time.Time{}); err != nil {
			return err
		}
		if counts, err = tx.CorrectionCounts(ctx, now, now.Add(24*time.Hour), ""); err != nil {
			return err
		}
		if len(ledger) == 0 {
			return nil
		}
		if _, err := tx.MarkPaid(ctx, ledger[0].ID, "계좌이체", later); err != nil {
			return err
		}
		if _, err := tx.MarkPaid(ctx, ledger[0].ID, "again", later); !errors.Is(err, ErrPaid) {
			t.Errorf("second MarkPaid: got %v, want ErrPaid", err)
		}
		if _, err := tx.MarkPaid(ctx, 999, "", later); !errors.Is(err, ErrNotFound) {
			t.Errorf("MarkPaid of no entry: got %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 2 || ledger[0].Amount != 10000 || ledger[0].Tag != "[CORR #1]" || ledger[0].Handler != "kioi" || ledger[0].Paid() ||
		ledger[1].Amount != 5000 {
		t.Fatalf("ledger: got %+v, want unpaid entries of 10000 for [CORR #1] and 5000", ledger)
	}
	want := CorrectionCounts{Received: 3, Upheld: 3, Dismissed: 0, Compensation: 15000, Unpaid: 2}
	if counts != want {
		t.Errorf("counts: got %+v, want %+v", counts, want)
	}
	// After the first entry is paid; and for a category with none.
	err = s.Read(ctx, func(tx *Tx) (err error) {
		if counts, err = tx.CorrectionCounts(ctx, now, now.Add(24*time.Hour), ""); err != nil {
			return err
		}
		if c, err := tx.CorrectionCounts(ctx, now, now.Add(24*time.Hour), "fta-pass"); err != nil || c != (CorrectionCounts{}) {
			t.Errorf("counts of a category without requests: got %+v, %v", c, err)
		}
		return nil
	})
	if want.Paid, want.Unpaid = 1, 1; err != nil || counts != want {
		t.Errorf("counts after a payment: got %+v, %v; want %+v", counts, err, want)
	}
	if got, _ := s.ledgerOf(ctx); len(got) != 2 || !got[0].Paid() || got[0].PaidNote != "계좌이체" || got[1].Paid() {
		t.Errorf("after MarkPaid: got %+v", got)
	}
	var tk *Ticket
	if err := s.Read(ctx, func(tx *Tx) (err error) { tk, err = tx.Ticket(ctx, ids[1]); return err }); err != nil || tk.Channel != "phone" {
		t.Errorf("channel: got %v %v, want phone", tk, err)
	}
}

func (s *Store) ledgerOf(ctx context.Context) (l []*Correction, err error) {
	err = s.Read(ctx, func(tx *Tx) error { l, err = tx.Ledger(ctx, time.Time{}, time.Time{}); return err })
	return l, err
}
