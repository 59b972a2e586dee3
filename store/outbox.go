package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Outbox states.
const (
	Queued = "queued"
	Sent   = "sent"
	Failed = "failed"
)

// Delivery is one outbox row: a stored outgoing message to deliver.
type Delivery struct {
	ID            int64
	MessageID     int64 // the messages row holding the raw bytes
	TicketID      int64
	Kind          string // of the message: ack, notice, staff, …
	From          string
	To            []string
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
	Raw           []byte
}

// Enqueue adds a delivery of stored message messageID. It is written in the
// transaction of the event that causes the mail, so the promise to send and
// the cause commit together.
func (tx *Tx) Enqueue(ctx context.Context, messageID int64, from string, to []string, at time.Time) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO outbox (message_id, mail_from, rcpt_to, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, messageID, from, strings.Join(to, "\n"), fmtTime(at), fmtTime(at)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("enqueue message %d: %w", messageID, err)
	}
	return id, nil
}

const deliveryColumns = `o.id, o.message_id, coalesce(m.ticket_id, 0), m.kind, o.mail_from, o.rcpt_to, o.state,
	o.attempts, o.next_attempt_at, o.last_error, o.created_at, o.sent_at`

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (*Delivery, error) {
	var d Delivery
	var to string
	dest := append([]any{&d.ID, &d.MessageID, &d.TicketID, &d.Kind, &d.From, &to, &d.State, &d.Attempts,
		timeCol{&d.NextAttemptAt}, &d.LastError, timeCol{&d.CreatedAt}, nullTime{&d.SentAt}}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	d.To = strings.Split(to, "\n")
	return &d, nil
}

// NextDue returns the queued delivery with the earliest next attempt at or
// before now, with its raw bytes; ErrNotFound when none is due. A delivery
// planned after horizon is due as well: no attempt made by a right clock
// plans that far ahead, so the clock was stepped back since, and without
// this the mail would wait for the clock to catch up (a day, or a year).
func (tx *Tx) NextDue(ctx context.Context, now, horizon time.Time) (*Delivery, error) {
	ds, err := tx.DueDeliveries(ctx, now, horizon, 1)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, ErrNotFound
	}
	return ds[0], nil
}

// DueDeliveries returns up to limit deliveries due as NextDue says, earliest
// first, with their raw bytes; none when none is due. On PostgreSQL the
// rows are locked for the transaction and rows another transaction holds
// are passed over: run it in Claim and record the attempts before the
// commit, and two instances never take the same row.
func (tx *Tx) DueDeliveries(ctx context.Context, now, horizon time.Time, limit int) ([]*Delivery, error) {
	rows, err := tx.query(ctx, `SELECT `+deliveryColumns+`, m.raw
		FROM outbox o JOIN messages m ON m.id = o.message_id
		WHERE o.state = 'queued' AND (o.next_attempt_at <= ? OR o.next_attempt_at > ?)
		ORDER BY o.next_attempt_at, o.id LIMIT ?`+tx.s.skipLocked("o"), fmtTime(now), fmtTime(horizon), limit)
	if err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	defer rows.Close()
	var ds []*Delivery
	for rows.Next() {
		var raw []byte
		d, err := scanDelivery(rows, &raw)
		if err != nil {
			return nil, fmt.Errorf("due deliveries: %w", err)
		}
		d.Raw = raw
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due deliveries: %w", err)
	}
	return ds, nil
}

// NextAttemptAt returns when the earliest queued delivery is due; ErrNotFound
// when the outbox is empty. The sender sleeps until then.
func (tx *Tx) NextAttemptAt(ctx context.Context) (time.Time, error) {
	var s sql.NullString
	if err := tx.queryRow(ctx, `SELECT min(next_attempt_at) FROM outbox WHERE state = 'queued'`).Scan(&s); err != nil {
		return time.Time{}, fmt.Errorf("next attempt: %w", err)
	}
	if !s.Valid {
		return time.Time{}, ErrNotFound
	}
	return parseTime(s.String)
}

// RecordAttempt counts an attempt and sets the time of the next one. It is
// committed before the SMTP conversation, so a crash mid-send cannot make the
// row due again at once: a restart waits for next.
func (tx *Tx) RecordAttempt(ctx context.Context, id int64, next time.Time) error {
	return tx.execOne(ctx, fmt.Sprintf("record attempt of delivery %d", id),
		`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ? AND state = 'queued'`,
		fmtTime(next), id)
}

// MarkSent records a delivery the server accepted.
func (tx *Tx) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return tx.execOne(ctx, fmt.Sprintf("mark delivery %d sent", id),
		`UPDATE outbox SET state = 'sent', sent_at = ?, last_error = '' WHERE id = ?`, fmtTime(at), id)
}

// MarkRetry records a temporary failure; the next attempt stays as recorded.
func (tx *Tx) MarkRetry(ctx context.Context, id int64, reason string) error {
	return tx.execOne(ctx, fmt.Sprintf("mark delivery %d for retry", id),
		`UPDATE outbox SET last_error = ? WHERE id = ?`, reason, id)
}

// MarkFailed records a permanent failure: the delivery is given up.
func (tx *Tx) MarkFailed(ctx context.Context, id int64, reason string) error {
	return tx.execOne(ctx, fmt.Sprintf("mark delivery %d failed", id),
		`UPDATE outbox SET state = 'failed', last_error = ? WHERE id = ?`, reason, id)
}

// Deliveries lists outbox rows in a state ("" for all), oldest first, without raw bytes.
func (tx *Tx) Deliveries(ctx context.Context, state string) ([]*Delivery, error) {
	rows, err := tx.query(ctx, `SELECT `+deliveryColumns+`
		FROM outbox o JOIN messages m ON m.id = o.message_id
		WHERE ? = '' OR o.state = ? ORDER BY o.id`, state, state)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var ds []*Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries: %w", err)
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

func (tx *Tx) execOne(ctx context.Context, what, q string, args ...any) error {
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}
