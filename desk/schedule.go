package desk

import (
	"context"
	"time"
)

// retryAfterError is how long a loop waits after a failed pass.
const retryAfterError = 5 * time.Second

// runScheduled is the shape of maildesk's loops (outbox, deadline clock):
// run a pass, which does what is due and says when the next thing is due;
// sleep until then, at most maxSleep, or until kicked; stop with ctx. The
// schedule lives in the database, so a restart resumes it.
func (d *Desk) runScheduled(ctx context.Context, name string, kick <-chan struct{}, maxSleep time.Duration,
	pass func(context.Context) (time.Time, error), after func()) error {
	for {
		next, err := pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if after != nil {
			after()
		}
		wait := maxSleep
		switch {
		case err != nil:
			d.log.Error(name, "err", err)
			wait = retryAfterError
		case !next.IsZero():
			wait = min(max(next.Sub(d.clock.Now()), 0), maxSleep)
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}
