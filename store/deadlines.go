package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// DueNotices lists open tickets whose delay notice is due at now and not
// yet sent for the current window, earliest first, at most limit.
func (tx *Tx) DueNotices(ctx context.Context, now time.Time, limit int) ([]*Ticket, error) {
	return tx.ticketsWhere(ctx, `status = 'open' AND notice_sent_at IS NULL AND notice_at IS NOT NULL AND notice_at <= ?
		ORDER BY notice_at, id LIMIT ?`, fmtTime(now), limit)
}

// DueAlerts lists open tickets whose deadline has passed at now and that
// are not marked overdue yet, earliest first, at most limit.
func (tx *Tx) DueAlerts(ctx context.Context, now time.Time, limit int) ([]*Ticket, error) {
	return tx.ticketsWhere(ctx, `status = 'open' AND overdue_at IS NULL AND due_at IS NOT NULL AND due_at <= ?
		ORDER BY due_at, id LIMIT ?`, fmtTime(now), limit)
}

// NextDeadline returns the earliest pending notice or deadline of an open
// ticket, or note to a handler back from an absence; ErrNotFound when
// nothing is pending. The deadline clock sleeps
// until then.
func (tx *Tx) NextDeadline(ctx context.Context) (time.Time, error) {
	var s sql.NullString
	err := tx.queryRow(ctx, `SELECT min(t) FROM (
		SELECT min(notice_at) AS t FROM tickets WHERE status = 'open' AND notice_sent_at IS NULL
		UNION ALL
		SELECT min(due_at) FROM tickets WHERE status = 'open' AND overdue_at IS NULL
		UNION ALL
		SELECT min(due_at) FROM fyi WHERE sent_at IS NULL) AS pending`).Scan(&s)
	if err != nil {
		return time.Time{}, fmt.Errorf("next deadline: %w", err)
	}
	if !s.Valid {
		return time.Time{}, ErrNotFound
	}
	return parseTime(s.String)
}

func (tx *Tx) ticketsWhere(ctx context.Context, where string, args ...any) ([]*Ticket, error) {
	rows, err := tx.query(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("select tickets: %w", err)
	}
	defer rows.Close()
	var ts []*Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("select tickets: %w", err)
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// ThreadIDs returns the Message-IDs of a ticket's first and newest messages
// from the customer (kinds inquiry and followup): what a mail of ours names in References and In-Reply-To so that
// it threads in the customer's client. ErrNotFound when none has an id.
func (tx *Tx) ThreadIDs(ctx context.Context, ticketID int64) (first, latest string, err error) {
	err = tx.queryRow(ctx, `SELECT
		(SELECT message_id FROM messages WHERE ticket_id = ?1 AND kind IN ('inquiry', 'followup') AND message_id <> '' ORDER BY id LIMIT 1),
		(SELECT message_id FROM messages WHERE ticket_id = ?1 AND kind IN ('inquiry', 'followup') AND message_id <> '' ORDER BY id DESC LIMIT 1)`,
		ticketID).Scan(&sqlString{&first}, &sqlString{&latest})
	if err != nil {
		return "", "", fmt.Errorf("thread ids of ticket %d: %w", ticketID, err)
	}
	if latest == "" {
		return "", "", ErrNotFound
	}
	return first, latest, nil
}

// sqlString scans a nullable text column into a string ("" for NULL).
type sqlString struct{ s *string }

func (v *sqlString) Scan(src any) error {
	var ns sql.NullString
	if err := ns.Scan(src); err != nil {
		return err
	}
	*v.s = ns.String
	return nil
}

// FYI is a ticket a delegate took while its handler was away, to tell the
// handler of when back.
type FYI struct {
	ID       int64
	Handler  Contact // ID, Name and Email are set
	TicketID int64
	DueAt    time.Time
}

// AddFYI records that h should hear of ticket at due.
func (tx *Tx) AddFYI(ctx context.Context, h Contact, ticketID int64, due time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO fyi (handler_id, handler_name, handler_email, ticket_id, due_at)
		VALUES (?, ?, ?, ?, ?)`, h.ID, h.Name, h.Email, ticketID, fmtTime(due))
	if err != nil {
		return fmt.Errorf("add fyi for %s: %w", h.ID, err)
	}
	return nil
}

// DueFYIs lists the unsent notes due at now, by handler, then ticket.
func (tx *Tx) DueFYIs(ctx context.Context, now time.Time) ([]FYI, error) {
	rows, err := tx.query(ctx, `SELECT id, handler_id, handler_name, handler_email, ticket_id, due_at
		FROM fyi WHERE sent_at IS NULL AND due_at <= ? ORDER BY handler_id, ticket_id`, fmtTime(now))
	if err != nil {
		return nil, fmt.Errorf("due fyis: %w", err)
	}
	defer rows.Close()
	var fs []FYI
	for rows.Next() {
		var f FYI
		if err := rows.Scan(&f.ID, &f.Handler.ID, &f.Handler.Name, &f.Handler.Email, &f.TicketID, timeCol{&f.DueAt}); err != nil {
			return nil, fmt.Errorf("due fyis: %w", err)
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

// MarkFYISent records a note as sent.
func (tx *Tx) MarkFYISent(ctx context.Context, id int64, at time.Time) error {
	return tx.execOne(ctx, fmt.Sprintf("mark fyi %d sent", id), `UPDATE fyi SET sent_at = ? WHERE id = ?`, fmtTime(at), id)
}
