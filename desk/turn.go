package desk

import (
	"context"
	"time"
)

// The store has one writer at a time, and a backlog's intake holds it for
// a whole FETCH batch. The outbox needs it twice per mail (the attempt
// before the SMTP conversation, the outcome after it), so left to the
// mutex it got one or two mails through per batch and acknowledgements
// waited for the backlog to end (issue 21). The writer's turn alternates
// instead: the outbox sends for up to outboxTurn, then a batch goes in.
const (
	// outboxTurn is how long the outbox may keep starting new mails in
	// one turn; a mail it has started is finished, and recorded.
	outboxTurn = 50 * time.Millisecond
	// intakeYield bounds how long a batch waits for the outbox's turn to
	// end, so a slow relay (or an outcome retried on a full disk) cannot
	// hold intake up for more than that.
	intakeYield = 100 * time.Millisecond
)

// intakeTurn waits, for at most intakeYield, until the outbox is not in
// its turn, and returns what ends the intake's own.
func (d *Desk) intakeTurn(ctx context.Context) (release func()) {
	release = func() { <-d.turn }
	select {
	case d.turn <- struct{}{}:
		return release
	default:
	}
	t := time.NewTimer(intakeYield)
	defer t.Stop()
	select {
	case d.turn <- struct{}{}:
		return release
	case <-t.C:
	case <-ctx.Done():
	}
	return func() {}
}

// outboxTakeTurn waits until intake is not in its turn; false when ctx
// ends first.
func (d *Desk) outboxTakeTurn(ctx context.Context) bool {
	select {
	case d.turn <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}
