package store

import (
	"errors"

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
	return errors.As(err, &se) && se.Code()&0xff == sqliteFull
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
func IsTransient(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqliteFull, sqliteBusy, sqliteLocked:
		return true
	}
	return false
}
