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
