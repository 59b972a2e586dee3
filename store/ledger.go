package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outcomes of a correction request.
const (
	CorrectionPending   = "pending"
	CorrectionUpheld    = "upheld"
	CorrectionDismissed = "dismissed"
)

// ErrDecided is returned (wrapped) when a correction request that was
// decided already is decided again: a second #uphold must not pay twice.
var ErrDecided = errors.New("correction request decided already")

// ErrPaid is returned (wrapped) when a ledger entry paid already is
// marked paid again.
var ErrPaid = errors.New("ledger entry paid already")

// Correction is a correction request (시정요청) and its decision. An upheld
// one with an amount is an entry of the compensation ledger.
type Correction struct {
	ID         int64      `json:"entry"`
	TicketID   int64      `json:"ticket_id"`
	Tag        string     `json:"tag"` // "[CORR #3]"
	Customer   string     `json:"customer"`
	Name       string     `json:"customer_name"`
	ReceivedAt time.Time  `json:"received_at"`
	Outcome    string     `json:"outcome"`
	Amount     int64      `json:"amount_krw"`
	Handler    string     `json:"handler"` // who decided
	Reason     string     `json:"reason,omitempty"`
	DecidedAt  *time.Time `json:"decided_at"`
	PaidAt     *time.Time `json:"paid_at"`
	PaidNote   string     `json:"paid_note,omitempty"`
}

// Paid reports whether the entry was marked paid.
func (c *Correction) Paid() bool { return c.PaidAt != nil }

// OpenCorrection records that ticket is a correction request received at;
// a ticket recorded before is left as it is.
func (tx *Tx) OpenCorrection(ctx context.Context, ticket int64, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO corrections (ticket_id, received_at) VALUES (?, ?)
		ON CONFLICT (ticket_id) DO NOTHING`, ticket, fmtTime(at))
	if err != nil {
		return fmt.Errorf("open correction request of ticket %d: %w", ticket, err)
	}
	return nil
}

// DecideCorrection records the outcome (CorrectionUpheld with amount, or
// CorrectionDismissed with reason) of ticket's correction request, once:
// a request upheld before, or dismissed before and dismissed again, fails
// with ErrDecided, and nothing changes (a dismissed one may be upheld). A
// ticket with no row yet (opened before corrections were recorded) gets
// one, received at received.
func (tx *Tx) DecideCorrection(ctx context.Context, ticket int64, received time.Time, outcome string, amount int64, handler, reason string, at time.Time) (*Correction, error) {
	if outcome != CorrectionUpheld && outcome != CorrectionDismissed {
		return nil, fmt.Errorf("decide correction request of ticket %d: outcome %q", ticket, outcome)
	}
	if amount < 0 || (outcome == CorrectionDismissed && amount != 0) {
		return nil, fmt.Errorf("decide correction request of ticket %d: amount %d", ticket, amount)
	}
	if err := tx.OpenCorrection(ctx, ticket, received); err != nil {
		return nil, err
	}
	// A dismissed request the customer contested may be upheld after all;
	// an upheld one is never decided again, and nothing is dismissed twice.
	from := "'pending'"
	if outcome == CorrectionUpheld {
		from = "'pending', 'dismissed'"
	}
	res, err := tx.exec(ctx, `UPDATE corrections SET outcome = ?, amount = ?, handler_id = ?, reason = ?, decided_at = ?
		WHERE ticket_id = ? AND outcome IN (`+from+`)`, outcome, amount, handler, reason, fmtTime(at), ticket)
	if err != nil {
		return nil, fmt.Errorf("decide correction request of ticket %d: %w", ticket, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("decide correction request of ticket %d: %w", ticket, ErrDecided)
	}
	return tx.CorrectionOf(ctx, ticket)
}

const correctionColumns = `c.id, c.ticket_id, t.tag, coalesce(t.number, t.id), t.customer, t.customer_name, c.received_at,
	c.outcome, c.amount, c.handler_id, c.reason, c.decided_at, c.paid_at, c.paid_note`

func scanCorrection(row interface{ Scan(...any) error }) (*Correction, error) {
	var c Correction
	var tag string
	var number int64
	err := row.Scan(&c.ID, &c.TicketID, &tag, &number, &c.Customer, &c.Name, timeCol{&c.ReceivedAt},
		&c.Outcome, &c.Amount, &c.Handler, &c.Reason, nullTime{&c.DecidedAt}, nullTime{&c.PaidAt}, &c.PaidNote)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	c.Tag = fmt.Sprintf("[%s #%d]", tag, number)
	return &c, nil
}

// CorrectionOf returns ticket's correction request, or ErrNotFound.
func (tx *Tx) CorrectionOf(ctx context.Context, ticket int64) (*Correction, error) {
	c, err := scanCorrection(tx.queryRow(ctx, `SELECT `+correctionColumns+`
		FROM corrections c JOIN tickets t ON t.id = c.ticket_id WHERE c.ticket_id = ?`, ticket))
	if err != nil {
		return nil, fmt.Errorf("correction request of ticket %d: %w", ticket, err)
	}
	return c, nil
}

// Ledger lists the compensation ledger: the upheld requests with an
// amount, decided in [from, to) (a zero bound is open), oldest first.
func (tx *Tx) Ledger(ctx context.Context, from, to time.Time) ([]*Correction, error) {
	q := `SELECT ` + correctionColumns + ` FROM corrections c JOIN tickets t ON t.id = c.ticket_id
		WHERE c.outcome = 'upheld' AND c.amount > 0`
	var args []any
	if !from.IsZero() {
		q += ` AND c.decided_at >= ?`
		args = append(args, fmtTime(from))
	}
	if !to.IsZero() {
		q += ` AND c.decided_at < ?`
		args = append(args, fmtTime(to))
	}
	rows, err := tx.query(ctx, q+` ORDER BY c.decided_at, c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	defer rows.Close()
	var out []*Correction
	for rows.Next() {
		c, err := scanCorrection(rows)
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MarkPaid marks ledger entry id paid at, with a note; an entry that is
// not in the ledger fails with ErrNotFound, one paid before with ErrPaid.
func (tx *Tx) MarkPaid(ctx context.Context, id int64, note string, at time.Time) (*Correction, error) {
	res, err := tx.exec(ctx, `UPDATE corrections SET paid_at = ?, paid_note = ?
		WHERE id = ? AND outcome = 'upheld' AND amount > 0 AND paid_at IS NULL`, fmtTime(at), note, id)
	if err != nil {
		return nil, fmt.Errorf("mark ledger entry %d paid: %w", id, err)
	}
	n, _ := res.RowsAffected()
	c, err := scanCorrection(tx.queryRow(ctx, `SELECT `+correctionColumns+`
		FROM corrections c JOIN tickets t ON t.id = c.ticket_id WHERE c.id = ?`, id))
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && (c.Outcome != CorrectionUpheld || c.Amount == 0)):
		return nil, fmt.Errorf("ledger entry %d: %w", id, ErrNotFound)
	case err != nil:
		return nil, fmt.Errorf("ledger entry %d: %w", id, err)
	case n == 0:
		return c, fmt.Errorf("ledger entry %d (paid %s): %w", id, c.PaidAt.Format(time.RFC3339), ErrPaid)
	}
	return c, nil
}

// CorrectionCounts are a period's correction-request figures.
type CorrectionCounts struct {
	Received, Upheld, Dismissed int
	Compensation                int64 // KRW, of the requests upheld
	// Of the requests upheld with an amount: paid, and still to pay.
	Paid, Unpaid int
}

// CorrectionCounts counts the correction requests received in [from, to)
// and the ones decided in it, with the compensation upheld (a zero bound
// is open), for one category or all ("").
func (tx *Tx) CorrectionCounts(ctx context.Context, from, to time.Time, category string) (CorrectionCounts, error) {
	lo, hi := "", "9999"
	if !from.IsZero() {
		lo = fmtTime(from)
	}
	if !to.IsZero() {
		hi = fmtTime(to)
	}
	var c CorrectionCounts
	// The CAST: PostgreSQL's sum of a BIGINT is a NUMERIC.
	err := tx.queryRow(ctx, `SELECT
		count(*) FILTER (WHERE c.received_at >= ?1 AND c.received_at < ?2),
		count(*) FILTER (WHERE c.outcome = 'upheld' AND c.decided_at >= ?1 AND c.decided_at < ?2),
		count(*) FILTER (WHERE c.outcome = 'dismissed' AND c.decided_at >= ?1 AND c.decided_at < ?2),
		coalesce(CAST(sum(c.amount) FILTER (WHERE c.outcome = 'upheld' AND c.decided_at >= ?1 AND c.decided_at < ?2) AS BIGINT), 0),
		count(*) FILTER (WHERE c.outcome = 'upheld' AND c.amount > 0 AND c.paid_at IS NOT NULL AND c.decided_at >= ?1 AND c.decided_at < ?2),
		count(*) FILTER (WHERE c.outcome = 'upheld' AND c.amount > 0 AND c.paid_at IS NULL AND c.decided_at >= ?1 AND c.decided_at < ?2)
		FROM corrections c JOIN tickets t ON t.id = c.ticket_id WHERE ?3 = '' OR t.category = ?3`, lo, hi, category).
		Scan(&c.Received, &c.Upheld, &c.Dismissed, &c.Compensation, &c.Paid, &c.Unpaid)
	if err != nil {
		return c, fmt.Errorf("count correction requests: %w", err)
	}
	return c, nil
}
