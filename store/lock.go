package store

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrLocked is returned by Lock when another process holds the lock.
var ErrLocked = errors.New("database is in use by another maildesk daemon")

// Lock takes the daemon's exclusive lock on the database at path: a lock
// file beside it (path + ".lock", 0600) held with flock(2) for as long as
// the process lives or until release is called. SQLite would let two
// daemons write one file side by side, each answering the same mail; the
// lock makes the second refuse to start. Commands that only read (tickets,
// backup) do not take it. The kernel drops the lock when the process dies,
// so a crash never leaves a stale lock behind.
//
// For a PostgreSQL database (a URL) it takes nothing and returns at once:
// there is no file to lock, and several instances on one database is
// where maildesk is going (docs/scaling.md says what does not work yet).
func Lock(path string) (release func(), err error) {
	if IsPostgres(path) {
		return func() {}, nil
	}
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked (%s); stop the other daemon first, or give this one its own database", ErrLocked, path, name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	// The holder's pid, for the admin who wonders which daemon it is.
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
