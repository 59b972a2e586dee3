package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// withUmask runs the test under a umask of 022, the usual one, under which
// files are created 0644 unless asked otherwise. The umask is the
// process's: tests using it do not run in parallel.
func withUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func writeCursor(s *Store, uid uint32) error {
	ctx := context.Background()
	return s.Write(ctx, func(tx *Tx) error { return tx.SetCursor(ctx, "m", 1, uid, time.Now()) })
}

// TestNewDatabaseIsPrivate: the database holds every customer's mail and
// the reply-token key, so a new one is the owner's alone, its -wal and
// -shm too, in a directory of the owner's alone when Open makes it.
func TestNewDatabaseIsPrivate(t *testing.T) {
	sqliteOnly(t)
	withUmask(t)
	dir := filepath.Join(t.TempDir(), "var", "maildesk")
	path := filepath.Join(dir, "maildesk.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := writeCursor(s, 1); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if got := mode(t, p); got != 0o600 {
			t.Errorf("%s: got mode %04o, want 0600", filepath.Base(p), got)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if got := mode(t, d); got != 0o700 {
			t.Errorf("created directory %s: got mode %04o, want 0700", d, got)
		}
	}
	if ws := s.Warnings(); len(ws) != 0 {
		t.Errorf("warnings of a new database: got %q, want none", ws)
	}
}

// TestOpenWarnsOfReadableDatabase: a database others can read is not
// chmodded behind the admin's back but reported, once, with the fix.
func TestOpenWarnsOfReadableDatabase(t *testing.T) {
	sqliteOnly(t)
	withUmask(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "maildesk.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := "database file " + path + " is readable by group or others (mode 0644): chmod 600 it"
	if ws := s.Warnings(); len(ws) != 1 || ws[0] != want {
		t.Errorf("warnings: got %q, want [%q]", ws, want)
	}
	if got := mode(t, path); got != 0o644 {
		t.Errorf("mode after open: got %04o, want 0644 as the admin left it", got)
	}
	if err := writeCursor(s, 1); err != nil {
		t.Errorf("write to a readable database: %v", err)
	}
}

// TestOpenWarnsOfReadableSideFile: a -wal left open to others by an
// earlier run is reported even though the main file is private.
func TestOpenWarnsOfReadableSideFile(t *testing.T) {
	sqliteOnly(t)
	withUmask(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "maildesk.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := writeCursor(s, 1); err != nil {
		t.Fatal(err)
	}
	// The first Store keeps the -wal in use, as a crashed run leaves it.
	if err := os.Chmod(path+"-wal", 0o640); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ws := s2.Warnings()
	if len(ws) != 1 || !strings.Contains(ws[0], path+"-wal is readable by group or others (mode 0640)") {
		t.Errorf("warnings: got %q, want one of the -wal", ws)
	}
}

// TestWriteRefusesReplacedFile: once the file at the path is not the one
// opened, no write may go to the orphan; ordinary writes are unaffected.
func TestWriteRefusesReplacedFile(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		replace func(t *testing.T, path string)
	}{
		{"deleted", func(t *testing.T, path string) {
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
			}
		}},
		{"renamed over", func(t *testing.T, path string) {
			// Another database, as a restore from backup puts it there.
			other := filepath.Join(t.TempDir(), "backup.db")
			o, err := Open(ctx, other)
			if err != nil {
				t.Fatal(err)
			}
			o.Close()
			if err := os.Rename(other, path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "maildesk.db")
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for uid := range uint32(3) {
				if err := writeCursor(s, uid+1); err != nil {
					t.Fatalf("ordinary write %d: %v", uid, err)
				}
			}
			if err := s.CheckFile(); err != nil {
				t.Fatalf("CheckFile before: %v", err)
			}
			tc.replace(t, path)
			err = s.CheckFile()
			if !errors.Is(err, ErrFileReplaced) {
				t.Errorf("CheckFile: got %v, want ErrFileReplaced", err)
			}
			ran := false
			err = s.Write(ctx, func(tx *Tx) error { ran = true; return tx.SetCursor(ctx, "m", 1, 9, time.Now()) })
			if !errors.Is(err, ErrFileReplaced) || ran {
				t.Fatalf("Write: got %v (fn ran: %v), want ErrFileReplaced before the transaction", err, ran)
			}
			if want := "database file " + path + " was deleted or replaced while open"; !strings.Contains(err.Error(), want) {
				t.Errorf("Write error: got %q, want it to say %q", err, want)
			}
		})
	}
}
