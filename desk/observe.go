package desk

import (
	"context"
	"time"
)

// Observer is told what the desk did, for the daemon's metrics: desk
// calls it and never imports an exporter. Each call is made after the
// transaction that did it committed, so a rolled-back batch counts
// nothing. Calls must be cheap and must not block; label values are
// mailbox names of the configuration and kinds of closed sets.
type Observer interface {
	// Intake counts a message taken in at mailbox, of kind: KindInquiry,
	// KindFollowUp, KindAutomatic, KindBounce, KindQuarantined,
	// IntakeStaff, IntakeHistory or IntakeDuplicate.
	Intake(mailbox, kind string)
	// Sent counts a delivery the relay accepted, of a mail of kind (ack,
	// staff, notice, …), queued for the time given.
	Sent(kind string, queued time.Duration)
	// Failed counts a failed delivery attempt; permanent when it was given
	// up, otherwise it is retried.
	Failed(kind string, permanent bool)
	// DeadlineNotices counts n mails of kind the deadline clock queued
	// (KindNotice, KindAlert, DeadlineFYI).
	DeadlineNotices(kind string, n int)
}

// Intake kinds that are actions rather than a stored message's kind.
const (
	IntakeStaff     = "staff"     // a handler's reply, former handler's reply or proven direct answer
	IntakeHistory   = "history"   // in the folder before the first start: stored silently
	IntakeDuplicate = "duplicate" // fetched before: nothing done
	DeadlineFYI     = "fyi"       // the note to a handler back from an absence
)

// intakeKind is the Intake kind of an action.
func intakeKind(a Action) string {
	switch a {
	case ActNewTicket:
		return KindInquiry
	case ActFollowUp:
		return KindFollowUp
	case ActAutomatic:
		return KindAutomatic
	case ActBounce:
		return KindBounce
	case ActQuarantine:
		return KindQuarantined
	case ActStaffReply, ActFormerStaff, ActDirectAnswer, ActStaffNew:
		return IntakeStaff
	case ActHistory:
		return IntakeHistory
	case ActDuplicate:
		return IntakeDuplicate
	}
	return string(a)
}

type nopObserver struct{}

func (nopObserver) Intake(string, string)              {}
func (nopObserver) Sent(string, time.Duration)         {}
func (nopObserver) Failed(string, bool)                {}
func (nopObserver) DeadlineNotices(kind string, n int) {}

// tallyKey carries an intake's tally through classify, inside the
// transaction, to the caller that reports it after the commit.
type tallyKey struct{}

// intakeTally is the kinds taken in by one transaction.
type intakeTally struct {
	mailbox string
	kinds   []string
}

// withTally gives ctx a tally for mbox's intake.
func withTally(ctx context.Context, mbox string) (context.Context, *intakeTally) {
	t := &intakeTally{mailbox: mbox}
	return context.WithValue(ctx, tallyKey{}, t), t
}

// noteIntake adds a decision to ctx's tally, if it has one.
func noteIntake(ctx context.Context, a Action) {
	if t, ok := ctx.Value(tallyKey{}).(*intakeTally); ok {
		t.kinds = append(t.kinds, intakeKind(a))
	}
}

// observed reports a committed tally to the observer.
func (d *Desk) observed(t *intakeTally) {
	for _, k := range t.kinds {
		d.observer.Intake(t.mailbox, k)
	}
}
