package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// sqliteFull is SQLITE_FULL, the primary result code of a write that found
// no room on the disk (or reached max_page_count).
const sqliteFull = 13

// IsDiskFull reports whether err comes from a write that failed because the
// database's disk is full. Nothing was written then: the caller can keep
// what it was storing (a mail stays on the IMAP server) and try again once
// there is room.
func IsDiskFull(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqliteFull
	}
	return pgCode(err) == pgDiskFull
}

// PostgreSQL's SQLSTATEs of the same failures: disk_full, and those of a
// transaction that lost to another or found the server going away.
const (
	pgDiskFull          = "53100"
	pgOutOfMemory       = "53200"
	pgTooManyConns      = "53300"
	pgSerialization     = "40001"
	pgDeadlock          = "40P01"
	pgLockNotAvailable  = "55P03"
	pgAdminShutdown     = "57P01"
	pgCannotConnect     = "57P03"
	pgConnectionFailure = "08006"
)

// pgCode is the SQLSTATE of a PostgreSQL error in err's chain, "" if none.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// SQLite's primary result codes of a write that found the database in use.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// IsTransient reports whether err is a failure that says nothing about the
// data being written: a full disk, or the database busy or locked by
// another connection (a backup, a second process) beyond the busy timeout.
// Such a write can be retried as it was.
//
// On PostgreSQL: a full disk, a serialization failure or deadlock, a lock
// not available, too many connections, and a server shutting down or not
// reachable (a failover, a restart; pgconn.SafeToRetry says nothing was
// sent).
func IsTransient(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		switch pgCode(err) {
		case pgDiskFull, pgOutOfMemory, pgTooManyConns, pgSerialization, pgDeadlock,
			pgLockNotAvailable, pgAdminShutdown, pgCannotConnect, pgConnectionFailure:
			return true
		}
		return err != nil && pgconn.SafeToRetry(err)
	}
	switch se.Code() & 0xff {
	case sqliteFull, sqliteBusy, sqliteLocked:
		return true
	}
	return false
}
