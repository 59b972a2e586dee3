package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Closing by itself (auto_close) and the satisfaction survey: the rows of
// migration 0014. A ticket's auto_close_at is written only here, so
// UpdateTicket leaves it alone.

// UnplannedAutoClose lists answered tickets whose automatic closing has
// not been worked out yet, oldest first, at most limit.
func (tx *Tx) UnplannedAutoClose(ctx context.Context, limit int) ([]*Ticket, error) {
	// INDEXED BY (SQLite's): without statistics its planner takes
	// tickets_status, which walks every answered ticket.
	return tx.listTickets(ctx, `SELECT `+ticketColumns+` FROM tickets`+tx.s.indexedBy("tickets_auto_close")+`
		WHERE status = 'answered' AND auto_close_at IS NULL ORDER BY id LIMIT ?`, limit)
}

// DueAutoClose lists answered tickets whose automatic closing is due at
// now, earliest first, at most limit.
func (tx *Tx) DueAutoClose(ctx context.Context, now time.Time, limit int) ([]*Ticket, error) {
	return tx.listTickets(ctx, `SELECT `+ticketColumns+` FROM tickets`+tx.s.indexedBy("tickets_auto_close")+`
		WHERE status = 'answered' AND auto_close_at > '' AND auto_close_at <= ? ORDER BY auto_close_at, id LIMIT ?`, fmtTime(now), limit)
}

// SetAutoClose records when ticket id closes by itself: at, or never
// when at is nil.
func (tx *Tx) SetAutoClose(ctx context.Context, id int64, at *time.Time) error {
	v := any("")
	if at != nil {
		v = fmtTime(*at)
	}
	return tx.execOne(ctx, fmt.Sprintf("set auto-close of ticket %d", id), `UPDATE tickets SET auto_close_at = ? WHERE id = ?`, v, id)
}

// ForgetAutoClose clears ticket id's automatic closing, to be worked out
// again the next time it is answered.
func (tx *Tx) ForgetAutoClose(ctx context.Context, id int64) error {
	return tx.execOne(ctx, fmt.Sprintf("clear auto-close of ticket %d", id), `UPDATE tickets SET auto_close_at = NULL WHERE id = ?`, id)
}

// LastAnswerAt returns when the newest answer (a message of one of kinds)
// on ticket id was stored, and whether the customer wrote after it (a
// message received of one of customerKinds). ErrNotFound when there is no
// answer.
func (tx *Tx) LastAnswerAt(ctx context.Context, id int64, kinds, customerKinds []string) (at time.Time, customerAfter bool, err error) {
	var ansID, custID int64
	var ans sql.NullString
	err = tx.queryRow(ctx, `SELECT
		(SELECT id FROM messages WHERE ticket_id = ?1 AND kind IN (?2, ?3) ORDER BY id DESC LIMIT 1),
		(SELECT created_at FROM messages WHERE ticket_id = ?1 AND kind IN (?2, ?3) ORDER BY id DESC LIMIT 1),
		(SELECT id FROM messages WHERE ticket_id = ?1 AND direction = 'in' AND kind IN (?4, ?5) ORDER BY id DESC LIMIT 1)`,
		id, at2(kinds, 0), at2(kinds, 1), at2(customerKinds, 0), at2(customerKinds, 1)).Scan(&nullInt{&ansID}, &ans, &nullInt{&custID})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last answer of ticket %d: %w", id, err)
	}
	if !ans.Valid {
		return time.Time{}, false, fmt.Errorf("last answer of ticket %d: %w", id, ErrNotFound)
	}
	at, err = parseTime(ans.String)
	return at, custID > ansID, err
}

// at2 is the i-th of two kinds, repeating the first when there is one.
func at2(kinds []string, i int) string {
	if len(kinds) == 0 {
		return ""
	}
	if i < len(kinds) {
		return kinds[i]
	}
	return kinds[0]
}

type nullInt struct{ n *int64 }

func (v *nullInt) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*v.n = n.Int64
	return nil
}

// Survey is the satisfaction survey of one ticket: at most one, ever.
type Survey struct {
	TicketID    int64      `json:"ticket_id"`
	CustomerKey string     `json:"-"`
	DueAt       *time.Time `json:"due_at"`  // when it goes out; nil once sent or skipped, or while the ticket is open again
	SentAt      *time.Time `json:"sent_at"` // when it was queued
	MessageID   string     `json:"message_id,omitempty"`
	Skipped     string     `json:"skipped,omitempty"` // why none goes out
	ThankedAt   *time.Time `json:"thanked_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

const surveyColumns = `ticket_id, customer_key, due_at, sent_at, message_id, skipped, thanked_at, created_at`

func scanSurvey(row interface{ Scan(...any) error }) (*Survey, error) {
	var s Survey
	err := row.Scan(&s.TicketID, &s.CustomerKey, nullTime{&s.DueAt}, nullTime{&s.SentAt}, &s.MessageID, &s.Skipped,
		nullTime{&s.ThankedAt}, timeCol{&s.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &s, err
}

// Survey returns ticket id's survey; ErrNotFound when it has none.
func (tx *Tx) Survey(ctx context.Context, id int64) (*Survey, error) {
	s, err := scanSurvey(tx.queryRow(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE ticket_id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("survey of ticket %d: %w", id, err)
	}
	return s, nil
}

// PutSurvey inserts or rewrites s.
func (tx *Tx) PutSurvey(ctx context.Context, s *Survey) error {
	_, err := tx.exec(ctx, `INSERT INTO surveys (`+surveyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ticket_id) DO UPDATE SET customer_key = excluded.customer_key, due_at = excluded.due_at,
		sent_at = excluded.sent_at, message_id = excluded.message_id, skipped = excluded.skipped, thanked_at = excluded.thanked_at`,
		s.TicketID, s.CustomerKey, fmtTimePtr(s.DueAt), fmtTimePtr(s.SentAt), s.MessageID, s.Skipped, fmtTimePtr(s.ThankedAt), fmtTime(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("store survey of ticket %d: %w", s.TicketID, err)
	}
	return nil
}

// DueSurveys lists the surveys due at now, earliest first, at most limit.
func (tx *Tx) DueSurveys(ctx context.Context, now time.Time, limit int) ([]*Survey, error) {
	rows, err := tx.query(ctx, `SELECT `+surveyColumns+` FROM surveys WHERE due_at IS NOT NULL AND due_at <= ?
		ORDER BY due_at, ticket_id LIMIT ?`, fmtTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due surveys: %w", err)
	}
	defer rows.Close()
	var ss []*Survey
	for rows.Next() {
		s, err := scanSurvey(rows)
		if err != nil {
			return nil, fmt.Errorf("due surveys: %w", err)
		}
		ss = append(ss, s)
	}
	return ss, rows.Err()
}

// SurveysTo counts the surveys of tickets other than except planned for or
// sent to the customer key since since (skipped ones not counted).
func (tx *Tx) SurveysTo(ctx context.Context, customerKey string, since time.Time, except int64) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM surveys WHERE customer_key = ? AND created_at >= ? AND skipped = '' AND ticket_id <> ?`,
		customerKey, fmtTime(since), except).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("surveys to %s: %w", customerKey, err)
	}
	return n, nil
}

// Rating is a customer's answer to a survey.
type Rating struct {
	ID         int64      `json:"-"`
	TicketID   int64      `json:"ticket_id"`
	MessageID  int64      `json:"-"` // the reply it came in; 0 for none
	Rating     int        `json:"rating"`
	Comment    string     `json:"comment,omitempty"`
	Handler    Contact    `json:"handler"` // ID and Name: who had the ticket when it was rated
	Category   string     `json:"category"`
	At         time.Time  `json:"at"`
	ReplacedAt *time.Time `json:"replaced_at,omitempty"`
}

const ratingColumns = `id, ticket_id, message_id, rating, comment, handler_id, handler_name, category, at, replaced_at`

func scanRating(row interface{ Scan(...any) error }) (*Rating, error) {
	var r Rating
	err := row.Scan(&r.ID, &r.TicketID, &nullInt{&r.MessageID}, &r.Rating, &r.Comment, &r.Handler.ID, &r.Handler.Name,
		&r.Category, timeCol{&r.At}, nullTime{&r.ReplacedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &r, err
}

// AddRating stores r as its ticket's rating and sets r.ID. A rating the
// ticket had is marked replaced and returned (nil when none).
func (tx *Tx) AddRating(ctx context.Context, r *Rating) (replaced *Rating, err error) {
	old, err := scanRating(tx.queryRow(ctx, `SELECT `+ratingColumns+` FROM ratings WHERE ticket_id = ? AND replaced_at IS NULL`, r.TicketID))
	switch {
	case errors.Is(err, ErrNotFound):
		old = nil
	case err != nil:
		return nil, fmt.Errorf("rating of ticket %d: %w", r.TicketID, err)
	default:
		at := r.At
		old.ReplacedAt = &at
		if err := tx.execOne(ctx, fmt.Sprintf("replace rating %d", old.ID), `UPDATE ratings SET replaced_at = ? WHERE id = ?`, fmtTime(at), old.ID); err != nil {
			return nil, err
		}
	}
	var mid any
	if r.MessageID != 0 {
		mid = r.MessageID
	}
	err = tx.queryRow(ctx, `INSERT INTO ratings (ticket_id, message_id, rating, comment, handler_id, handler_name, category, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.TicketID, mid, r.Rating, r.Comment, r.Handler.ID, r.Handler.Name, r.Category, fmtTime(r.At)).Scan(&r.ID)
	if err != nil {
		return nil, fmt.Errorf("store rating of ticket %d: %w", r.TicketID, err)
	}
	return old, nil
}

// Ratings lists ticket id's ratings, the replaced ones included, oldest
// first.
func (tx *Tx) Ratings(ctx context.Context, id int64) ([]*Rating, error) {
	rows, err := tx.query(ctx, `SELECT `+ratingColumns+` FROM ratings WHERE ticket_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("ratings of ticket %d: %w", id, err)
	}
	defer rows.Close()
	var rs []*Rating
	for rows.Next() {
		r, err := scanRating(rows)
		if err != nil {
			return nil, fmt.Errorf("ratings of ticket %d: %w", id, err)
		}
		rs = append(rs, r)
	}
	return rs, rows.Err()
}

// SurveyCohort is what a report says of the surveys sent in a period:
// how many went out, and the current rating of each that was answered.
type SurveyCohort struct {
	Sent    int
	Ratings []*Rating
}

// SurveysSent returns the surveys sent at or after from and before to,
// with their current ratings.
func (tx *Tx) SurveysSent(ctx context.Context, from, to time.Time) (SurveyCohort, error) {
	var c SurveyCohort
	err := tx.queryRow(ctx, `SELECT count(*) FROM surveys WHERE sent_at IS NOT NULL AND sent_at >= ? AND sent_at < ?`,
		fmtTime(from), fmtTime(to)).Scan(&c.Sent)
	if err != nil {
		return c, fmt.Errorf("surveys sent: %w", err)
	}
	rows, err := tx.query(ctx, `SELECT r.id, r.ticket_id, r.message_id, r.rating, r.comment, r.handler_id, r.handler_name, r.category, r.at, r.replaced_at
		FROM surveys s JOIN ratings r ON r.ticket_id = s.ticket_id AND r.replaced_at IS NULL
		WHERE s.sent_at IS NOT NULL AND s.sent_at >= ? AND s.sent_at < ? ORDER BY r.ticket_id`, fmtTime(from), fmtTime(to))
	if err != nil {
		return c, fmt.Errorf("ratings of the surveys sent: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRating(rows)
		if err != nil {
			return c, fmt.Errorf("ratings of the surveys sent: %w", err)
		}
		c.Ratings = append(c.Ratings, r)
	}
	return c, rows.Err()
}
