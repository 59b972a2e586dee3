package desk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/store"
)

// Sender delivers composed mail; mailbox.Sender is the real one.
type Sender interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// retrySchedule is the wait before attempt n+1 after n failed attempts; the
// last entry repeats. Spread over hours like an MTA's queue, so a relay that
// is down for maintenance does not lose mail and is not hammered.
var retrySchedule = []time.Duration{
	30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
	20 * time.Minute, 30 * time.Minute, time.Hour,
}

// giveUpAfter is how long a temporary failure is retried before the delivery
// is recorded as failed.
const giveUpAfter = 72 * time.Hour

func retryDelay(attempts int) time.Duration {
	if attempts < 1 {
		attempts = 1
	}
	if attempts > len(retrySchedule) {
		return retrySchedule[len(retrySchedule)-1]
	}
	return retrySchedule[attempts-1]
}

// maxOutboxSleep bounds the outbox's sleep (see RunOutbox).
const maxOutboxSleep = 5 * time.Second

// RunOutbox delivers queued mail until ctx ends. It sleeps until the next row
// is due, and wakes early when intake queues something.
func (d *Desk) RunOutbox(ctx context.Context, s Sender) error {
	pass := func(ctx context.Context) (time.Time, error) { return d.deliverDue(ctx, s) }
	// The bound picks up rows another process queued (`maildesk ticket
	// defer`'s delay notice) within seconds; a pass with nothing due is
	// one indexed query.
	return d.runScheduled(ctx, "outbox", d.kick, maxOutboxSleep, pass, nil)
}

// deliverDue sends every due row and returns when the next one is due (zero
// when the outbox is empty).
func (d *Desk) deliverDue(ctx context.Context, s Sender) (next time.Time, err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("outbox panic", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("outbox panic: %v", r)
		}
	}()
	for ctx.Err() == nil {
		if !d.outboxTakeTurn(ctx) {
			break
		}
		more, err := func() (bool, error) {
			defer func() { <-d.turn }() // also on a panic, or intake would wait for every batch
			return d.deliverTurn(ctx, s)
		}()
		if err != nil {
			return time.Time{}, err
		}
		if !more {
			break
		}
	}
	err = d.store.Read(ctx, func(tx *store.Tx) error {
		var err error
		next, err = tx.NextAttemptAt(ctx)
		if errors.Is(err, store.ErrNotFound) {
			next, err = time.Time{}, nil
		}
		return err
	})
	return next, err
}

// claimBatch is how many due rows one transaction claims. Claiming is one
// of the outbox's two turns at the store's writer per mail; a batch makes
// it one per several. A crash or shutdown leaves at most this many claimed
// rows unsent, each waiting for its first retry time.
const claimBatch = 8

// deliverTurn sends due rows for up to outboxTurn (wall time, not
// d.clock: it shares the machine, not the business clock); more says
// whether a due row may be left.
func (d *Desk) deliverTurn(ctx context.Context, s Sender) (more bool, err error) {
	for begin := time.Now(); ctx.Err() == nil; {
		if time.Since(begin) >= outboxTurn {
			return true, nil
		}
		var due []*store.Delivery
		now := d.clock.Now()
		// The attempt and the time of the next one are committed before
		// the SMTP conversation: a crash during it leaves a row that waits
		// for its retry time instead of being sent again at once. Claimed
		// apart from the writer: on PostgreSQL another instance's outbox
		// claims other rows meanwhile, and neither waits for intake.
		err := d.store.Claim(ctx, func(tx *store.Tx) error {
			var err error
			// A row planned beyond the longest retry delay was planned
			// by a clock that has since been stepped back.
			due, err = tx.DueDeliveries(ctx, now, now.Add(retrySchedule[len(retrySchedule)-1]+time.Minute), claimBatch)
			if err != nil {
				return err
			}
			for _, dl := range due {
				if err := tx.RecordAttempt(ctx, dl.ID, now.Add(retryDelay(dl.Attempts+1))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return false, d.diskFull(err, "every queued mail")
		}
		if len(due) == 0 {
			return false, nil
		}
		// Each outcome is committed before the next conversation starts,
		// so a crash can resend at most the one mail in flight.
		for _, dl := range due {
			if ctx.Err() != nil {
				break
			}
			d.send(ctx, s, dl)
		}
	}
	return false, nil
}

func (d *Desk) send(ctx context.Context, s Sender, dl *store.Delivery) {
	ctx = d.withSnapshot(ctx)
	// A conversation that has started runs to its end (the sender has its
	// own timeout) even when shutdown begins: cutting it off is what opens
	// the window for a duplicate. Only the abort after the grace cuts it,
	// and then the row stays queued with its attempt recorded: retried
	// after the restart, at its retry time.
	sendErr := s.Send(d.abort, dl.From, dl.To, dl.Raw)
	log := d.log.With("delivery", dl.ID, "ticket", dl.TicketID, "to", dl.To, "attempt", dl.Attempts+1)
	// Record the outcome even when ctx is ending: the server may have
	// accepted the mail, and forgetting that would send it again.
	wctx := context.WithoutCancel(ctx)
	var observe func() // the metrics' part, once the outcome is committed
	// A mail accepted changes its own row and adds an event, so it is
	// recorded apart from the writer (Claim); a failure may tell the
	// handler, a decision like any other, made in Write.
	write := d.store.Claim
	if sendErr != nil {
		write = d.store.Write
	}
	record := func(tx *store.Tx) error {
		at := d.clock.Now()
		var se *mailbox.SendError
		switch {
		case sendErr == nil:
			observe = func() { d.observer.Sent(dl.Kind, at.Sub(dl.CreatedAt)) }
			if err := tx.MarkSent(wctx, dl.ID, at); err != nil {
				return err
			}
			return d.ticketEvent(wctx, tx, dl.TicketID, at, "sent", fmt.Sprintf("delivery %d accepted", dl.ID))
		case errors.As(sendErr, &se) && se.Permanent, at.Sub(dl.CreatedAt) > giveUpAfter:
			log.Error("delivery failed", "err", sendErr)
			observe = func() { d.observer.Failed(dl.Kind, true) }
			if err := tx.MarkFailed(wctx, dl.ID, sendErr.Error()); err != nil {
				return err
			}
			if err := d.ticketEvent(wctx, tx, dl.TicketID, at, "send-failed", sendErr.Error()); err != nil {
				return err
			}
			return d.failedToHandler(wctx, tx, dl, sendErr, at)
		default:
			log.Warn("delivery deferred", "err", sendErr, "retry_in", retryDelay(dl.Attempts+1))
			observe = func() { d.observer.Failed(dl.Kind, false) }
			return tx.MarkRetry(wctx, dl.ID, sendErr.Error())
		}
	}
	// Retried until it succeeds (or shutdown): a sent mail whose outcome
	// is lost would be sent again at its retry time.
	err := d.writeUntilDone(ctx, "record delivery outcome", func() error { return write(wctx, record) })
	if err != nil {
		log.Error("record delivery outcome", "err", err, "send_err", sendErr)
		return
	}
	observe()
	if sendErr == nil {
		log.Debug("delivered")
	}
}

func (d *Desk) ticketEvent(ctx context.Context, tx *store.Tx, ticketID int64, at time.Time, kind, detail string) error {
	if ticketID == 0 {
		return nil
	}
	return tx.AddEvent(ctx, ticketID, at, kind, detail)
}
