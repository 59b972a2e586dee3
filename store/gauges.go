package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Gauges is the state /metrics shows of the database, read at scrape time.
type Gauges struct {
	Open    map[string]int // open tickets by category
	Overdue map[string]int // open tickets whose due_at is at or before now, by category
	// OutboxPending counts queued deliveries; OutboxOldest is the
	// creation time of the oldest, zero when none is queued.
	OutboxPending int
	OutboxOldest  time.Time
}

// Gauges reads the ticket and outbox gauges at now in two grouped queries.
// Both read only rows still pending (tickets_status and outbox_due lead
// with the status), so their cost follows the open work, not the history.
func (tx *Tx) Gauges(ctx context.Context, now time.Time) (*Gauges, error) {
	g := &Gauges{Open: map[string]int{}, Overdue: map[string]int{}}
	rows, err := tx.query(ctx, `SELECT category, count(*),
		count(CASE WHEN due_at IS NOT NULL AND due_at <= ? THEN 1 END)
		FROM tickets WHERE status = 'open' GROUP BY category`, fmtTime(now))
	if err != nil {
		return nil, fmt.Errorf("ticket gauges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cat string
		var open, overdue int
		if err := rows.Scan(&cat, &open, &overdue); err != nil {
			return nil, fmt.Errorf("ticket gauges: %w", err)
		}
		g.Open[cat], g.Overdue[cat] = open, overdue
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ticket gauges: %w", err)
	}
	var oldest sql.NullString
	if err := tx.queryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE state = 'queued'`).
		Scan(&g.OutboxPending, &oldest); err != nil {
		return nil, fmt.Errorf("outbox gauges: %w", err)
	}
	if oldest.Valid {
		if g.OutboxOldest, err = parseTime(oldest.String); err != nil {
			return nil, fmt.Errorf("outbox gauges: %w", err)
		}
	}
	return g, nil
}
