package store

import (
	"context"
	"sync"
	"time"
)

// SQLite's WAL grows with every commit until a checkpoint copies it into
// the database file. Left to SQLite, the checkpoint runs inside the commit
// that crosses its threshold, on the one writer everything waits for: in
// the backlog's profile that was a tenth of the writer's time, with an
// fsync of the database in it. Here a goroutine of the Store checkpoints
// instead, on its own connection and beside the writer (a PASSIVE
// checkpoint takes no lock a writer needs), and SQLite's own is kept only
// as a backstop far above the usual size.

const (
	// checkpointSpacing is the least time between two checkpoints, so that
	// a trickle of small commits does not cost two fsyncs each.
	checkpointSpacing = 250 * time.Millisecond
	// autoCheckpointPages is SQLite's wal_autocheckpoint: the backstop,
	// reached only when the checkpointer falls behind (a reader holding an
	// old snapshot, say); 40 MB of WAL at 4 KiB pages.
	autoCheckpointPages = 10000
)

// checkpointer runs PASSIVE checkpoints after commits.
type checkpointer struct {
	kick chan struct{} // a commit wrote to the WAL
	stop chan struct{}
	once sync.Once
	done sync.WaitGroup
}

func (s *Store) startCheckpointer() {
	c := &checkpointer{kick: make(chan struct{}, 1), stop: make(chan struct{})}
	s.ckpt = c
	c.done.Go(func() {
		for {
			select {
			case <-c.stop:
				return
			case <-c.kick:
			}
			// An error (a full disk, say) leaves the frames in the WAL
			// for the next try; the commits themselves report it.
			_, _ = s.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
			select {
			case <-c.stop:
				return
			case <-time.After(checkpointSpacing):
			}
		}
	})
}

// committed tells the checkpointer of a commit; it never blocks the writer.
func (c *checkpointer) committed() {
	if c == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close stops the checkpointer; closing the database's last connection
// checkpoints what is left.
func (c *checkpointer) close() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.stop) })
	c.done.Wait()
}
