package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrFileReplaced is returned (wrapped, naming the file) by CheckFile and
// by Write when the database file was deleted or replaced while open: by a
// rename over it, a restore from backup or an rm. SQLite goes on writing
// to the file it opened, which then is no longer the one at the path, so
// every commit after that would be lost at the next start.
var ErrFileReplaced = errors.New("database file was deleted or replaced while open")

type fileReplacedError struct {
	path, what string
}

func (e *fileReplacedError) Error() string {
	return fmt.Sprintf("database file %s was deleted or replaced while open (%s)", e.path, e.what)
}

func (e *fileReplacedError) Is(target error) bool { return target == ErrFileReplaced }

// prepareFile makes sure the database file exists before SQLite opens it,
// so that it is created 0600 whatever the umask: it holds every customer's
// mail and the reply-token key. SQLite creates the -wal and -shm files with
// the main file's permissions. A missing directory is created 0700. For a
// file that was there already it returns the warning Warnings gives, if
// any: changing an admin's file modes silently is not ours to do.
func prepareFile(path string) (warnings []string, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		// SQLite takes an empty file for a new database.
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("create database file: %w", err)
		}
		return nil, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("create database file: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("database file: %w", err)
	}
	if w := modeWarning(path, fi.Mode()); w != "" {
		warnings = append(warnings, w)
	}
	return warnings, nil
}

// sideFileWarnings warns of a -wal or -shm file open to others when the
// main file is not (a warning of the main file covers them: SQLite gives
// them its mode). Such a file is left over from before: SQLite keeps the
// mode of a -wal or -shm it finds.
func sideFileWarnings(path string) []string {
	var ws []string
	for _, suffix := range []string{"-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			continue // none, or SQLite would have failed to open it
		}
		if w := modeWarning(path+suffix, fi.Mode()); w != "" {
			ws = append(ws, w)
		}
	}
	return ws
}

func modeWarning(path string, mode fs.FileMode) string {
	perm := mode.Perm()
	switch {
	case perm&0o044 != 0:
		return fmt.Sprintf("database file %s is readable by group or others (mode %04o): chmod 600 it", path, perm)
	case perm&0o077 != 0:
		return fmt.Sprintf("database file %s is open to group or others (mode %04o): chmod 600 it", path, perm)
	}
	return ""
}

// Warnings returns what Open found wrong but did not refuse, as sentences
// for the daemon to log at start: a database file (or its -wal or -shm)
// that group or others can read. Nil when all is well.
func (s *Store) Warnings() []string {
	return append([]string(nil), s.warnings...)
}

// CheckFile returns an error wrapping ErrFileReplaced when the database
// file was deleted or another file was put at its path since Open. Write
// checks it before each transaction; a daemon can also call it from a
// health check, to notice while idle.
//
// On PostgreSQL there is no file, and it always returns nil.
func (s *Store) CheckFile() error {
	if s.pg {
		return nil
	}
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &fileReplacedError{s.path, "no file at its path now"}
	}
	if err != nil {
		return fmt.Errorf("check database file: %w", err)
	}
	if !os.SameFile(fi, s.file) {
		return &fileReplacedError{s.path, "another file at its path now"}
	}
	return nil
}
