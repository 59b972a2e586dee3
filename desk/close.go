package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kioi/maildesk/store"
)

// Closing: a ticket closes by #close, by `maildesk ticket close ID`, or by
// itself auto_close after an answer the customer did not reply to. Every
// close goes through closeTicket, which plans the survey in the same
// transaction. A customer's mail after the close reopens the ticket, as
// after an answer (classify's Reopen).

// lateClose is how long after its due time an automatic close may come
// and still be followed by a survey: longer means maildesk was down, or
// started for the first time after an upgrade with many old answered
// tickets, and a batch of surveys about old inquiries would surprise.
const lateClose = 24 * time.Hour

// closeTicket closes t at now in tx, by whom (a handler id, "cli", or
// "auto_close"), and plans its survey; the caller writes t
// (UpdateTicket). late: see planSurvey.
func (d *Desk) closeTicket(ctx context.Context, tx *store.Tx, t *store.Ticket, by, detail string, late bool, now time.Time) error {
	t.Status, t.ClosedAt, t.UpdatedAt = store.StatusClosed, &now, now
	if detail == "" {
		detail = "by " + by
	}
	if err := tx.AddEvent(ctx, t.ID, now, "closed", detail); err != nil {
		return err
	}
	if err := tx.ForgetAutoClose(ctx, t.ID); err != nil {
		return err
	}
	return d.planSurvey(ctx, tx, t, late, now)
}

// ErrClosed is returned by Close for a ticket closed already.
var ErrClosed = errors.New("closed already")

// Close closes ticket id as `maildesk ticket close` does: the customer
// gets nothing but the survey, when the category has one.
func (d *Desk) Close(ctx context.Context, id int64, by string) (*store.Ticket, error) {
	ctx = d.withSnapshot(ctx)
	var t *store.Ticket
	err := d.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = tx.Ticket(ctx, id); err != nil {
			return err
		}
		if t.Status == store.StatusClosed {
			return fmt.Errorf("close ticket %d: %w", id, ErrClosed)
		}
		now := d.clock.Now()
		if err := d.closeTicket(ctx, tx, t, by, "", false, now); err != nil {
			return err
		}
		return tx.UpdateTicket(ctx, t)
	})
	if err != nil {
		return nil, err
	}
	d.Wake()
	return t, nil
}

// answerKinds are the messages that answer a customer; customerMailKinds
// theirs after the answer.
var (
	answerKinds       = []string{KindAnswer, KindStaffDirect}
	customerMailKinds = []string{KindFollowUp, KindInquiry}
)

// queueClosing is the deadline clock's closing step: it works out when
// newly answered tickets close by themselves, closes those due, and sends
// the surveys due. It reports how many rows it handled.
func (d *Desk) queueClosing(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	n, err := d.planAutoClose(ctx, tx)
	if err != nil {
		return 0, err
	}
	m, err := d.autoClose(ctx, tx, now)
	if err != nil {
		return 0, err
	}
	k, err := d.queueSurveys(ctx, tx, now)
	if err != nil {
		return 0, err
	}
	return max(n, m, k), nil
}

// autoCloseAt is when t, answered last at its newest answer, closes by
// itself; nil for never (the category says "0", or is gone, or the
// customer wrote after the answer).
func (d *Desk) autoCloseAt(ctx context.Context, tx *store.Tx, t *store.Ticket) (*time.Time, error) {
	cat := d.rulesOf(ctx).Categories[t.Category]
	if cat == nil {
		return nil, nil
	}
	last, after, err := tx.LastAnswerAt(ctx, t.ID, answerKinds, customerMailKinds)
	switch {
	case errors.Is(err, store.ErrNotFound):
		last = t.UpdatedAt
		if t.AnsweredAt != nil {
			last = *t.AnsweredAt
		}
	case err != nil:
		return nil, err
	case after:
		return nil, nil
	}
	at, ok := cat.AutoCloseAt(last)
	if !ok {
		return nil, nil
	}
	return &at, nil
}

// planAutoClose works out when the answered tickets without a plan close.
func (d *Desk) planAutoClose(ctx context.Context, tx *store.Tx) (int, error) {
	ts, err := tx.UnplannedAutoClose(ctx, deadlineBatch)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		at, err := d.autoCloseAt(ctx, tx, t)
		if err != nil {
			return 0, err
		}
		if err := tx.SetAutoClose(ctx, t.ID, at); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

// autoClose closes the answered tickets due to close at now. The time is
// worked out again first: a ticket answered again since (reopened by a
// follow-up, then answered) closes later.
func (d *Desk) autoClose(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	ts, err := tx.DueAutoClose(ctx, now, deadlineBatch)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		at, err := d.autoCloseAt(ctx, tx, t)
		if err != nil {
			return 0, err
		}
		if at == nil || at.After(now) {
			if err := tx.SetAutoClose(ctx, t.ID, at); err != nil {
				return 0, err
			}
			continue
		}
		late := now.Sub(*at) > lateClose
		detail := "automatically (auto_close): no reply from the customer since the answer"
		if err := d.closeTicket(ctx, tx, t, "auto_close", detail, late, now); err != nil {
			return 0, err
		}
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return 0, err
		}
		d.log.Info("ticket closed automatically", "ticket", t.ID, "due", at)
	}
	return len(ts), nil
}
