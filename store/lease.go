package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Lease is one row of the leases table: who holds a named piece of work
// (a mailbox to watch) and until when, on the database's clock.
type Lease struct {
	Name    string
	Holder  string
	Since   time.Time // when Holder took it
	Expires time.Time // when it lapses unless renewed
}

// nowMillis is the database's clock in Unix milliseconds, as SQL: the one
// clock every instance sharing the database reads alike.
func (s *Store) nowMillis() string {
	if s.pg {
		return `CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)`
	}
	return `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`
}

// TakeLease takes the lease name for holder for ttl, or renews it when
// holder has it already. It succeeds when the lease is free, lapsed or
// holder's; otherwise it reports the current holder's lease and held is
// false. Each call is its own short transaction apart from the writer
// (see Write): renewing must not wait behind another instance's intake.
func (s *Store) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (held bool, cur Lease, err error) {
	if !s.pg {
		// SQLite has one writer inside the process; a lease row is
		// written as any other row is.
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	now := s.nowMillis()
	err = s.run(ctx, false, func(tx *Tx) error {
		var got string
		// The update applies only when the lease is holder's or has
		// lapsed: taking and renewing are one statement, so two
		// instances racing for a free lease cannot both win.
		err := tx.queryRow(ctx, `INSERT INTO leases (name, holder, since_ms, expires_ms)
			VALUES (?1, ?2, `+now+`, `+now+` + ?3)
			ON CONFLICT (name) DO UPDATE SET
				holder = excluded.holder,
				since_ms = CASE WHEN leases.holder = excluded.holder THEN leases.since_ms ELSE excluded.since_ms END,
				expires_ms = excluded.expires_ms
			WHERE leases.holder = excluded.holder OR leases.expires_ms < excluded.since_ms
			RETURNING holder`, name, holder, ttl.Milliseconds()).Scan(&got)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		default:
			held = true
		}
		cur, err = scanLease(tx.queryRow(ctx, `SELECT name, holder, since_ms, expires_ms FROM leases WHERE name = ?`, name))
		return err
	})
	if err != nil {
		return false, Lease{}, fmt.Errorf("take lease %s for %s: %w", name, holder, err)
	}
	return held && cur.Holder == holder, cur, nil
}

// DropLease gives the lease up when holder has it, so another instance can
// take it at once instead of waiting for it to lapse.
func (s *Store) DropLease(ctx context.Context, name, holder string) error {
	if !s.pg {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	err := s.run(ctx, false, func(tx *Tx) error {
		_, err := tx.exec(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder)
		return err
	})
	if err != nil {
		return fmt.Errorf("drop lease %s of %s: %w", name, holder, err)
	}
	return nil
}

// Leases lists every lease, lapsed ones included, by name.
func (tx *Tx) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := tx.query(ctx, `SELECT name, holder, since_ms, expires_ms FROM leases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	defer rows.Close()
	var ls []Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("leases: %w", err)
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

func scanLease(row interface{ Scan(...any) error }) (Lease, error) {
	var l Lease
	var since, expires int64
	if err := row.Scan(&l.Name, &l.Holder, &since, &expires); err != nil {
		return Lease{}, err
	}
	l.Since, l.Expires = time.UnixMilli(since).UTC(), time.UnixMilli(expires).UTC()
	return l, nil
}
