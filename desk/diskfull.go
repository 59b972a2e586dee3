package desk

import (
	"context"
	"fmt"
	"time"

	"github.com/kioi/maildesk/store"
)

// diskFull rewords a write that failed for want of disk space so that an
// admin reading the log knows what to do and that nothing is lost: intake
// keeps the mail on the IMAP server (the cursor did not move) and the
// outbox keeps its rows; both try again with backoff.
func (d *Desk) diskFull(err error, what string) error {
	if err == nil || !store.IsDiskFull(err) {
		return err
	}
	return fmt.Errorf("database disk is full (%s): free some space; %s is kept and retried, nothing is lost: %w",
		d.store.Path(), what, err)
}

// recordRetry is the wait between attempts to record a delivery's outcome
// when the database refuses the write (a full disk, a lock held too long).
var recordRetry = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second}

// writeUntilDone runs write until it succeeds or ctx ends. It is for what
// must not be forgotten: that the SMTP server accepted a mail. Giving up
// would leave the row queued, and the mail would be sent again.
func (d *Desk) writeUntilDone(ctx context.Context, what string, write func() error) error {
	for i := 0; ; i++ {
		err := write()
		if err == nil {
			return nil
		}
		wait := recordRetry[min(i, len(recordRetry)-1)]
		d.log.Error(what+"; retrying", "err", d.diskFull(err, "the outcome"), "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}
