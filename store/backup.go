package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// ErrBackupPostgres is Backup's error on PostgreSQL.
var ErrBackupPostgres = errors.New("backup: use pg_dump for PostgreSQL")

// Backup writes a consistent copy of the database to path while the
// daemon goes on writing: VACUUM INTO reads one snapshot of the WAL
// database, so the copy holds every transaction committed before it
// began and none after, and it is compact. path must not exist; it is
// created 0600 like the database, because the copy holds the same mail
// and the reply-token key. The copy is then opened on its own and must
// pass PRAGMA integrity_check and have this schema version; otherwise it
// is removed and the error says why.
//
// On PostgreSQL it fails with ErrBackupPostgres: pg_dump makes that copy,
// with the server's own guarantees, and pg_restore checks it.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.pg {
		return ErrBackupPostgres
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// SQLite writes into an empty file it is given.
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := checkCopy(ctx, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: the copy is not sound, removed: %w", path, err)
	}
	return nil
}

// checkCopy opens the database copy at path read-only and checks it.
func checkCopy(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?"+url.Values{"mode": {"ro"}}.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check: %s", result)
	}
	var version int
	if err := db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if version != SchemaVersion() {
		return fmt.Errorf("schema version %d, want %d", version, SchemaVersion())
	}
	return nil
}
