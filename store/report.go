package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The rows `maildesk report` computes its figures from: one per ticket
// received in the period, one per survey. The figures themselves are
// worked out in desk, once, for every rendering.

// channelColumn is the SQL expression of a ticket's channel (email,
// phone, …), blank as email.
func channelColumn() string { return "coalesce(nullif(t.channel, ''), '" + ChannelEmail + "')" }

// ReportTicket is what the report needs of one ticket.
type ReportTicket struct {
	ID         int64
	Tag        string
	Number     int64
	Category   string
	Channel    string
	Handler    Contact // ID and Name
	Status     string
	CreatedAt  time.Time
	AnsweredAt *time.Time
	// PromisedAt is the first deadline the customer was told (kept when a
	// reopening promised another): what the first answer is on time for.
	PromisedAt *time.Time
	DueAt      *time.Time
	// FirstAnswerAt is when the first staff answer (a message of one of
	// the answer kinds) was stored; nil without one.
	FirstAnswerAt *time.Time
	Notices       int // mails of the notice kind on the ticket
	Alerts        int // mails of the alert kind
	Reopened      int // events of the reopened kind
}

// ReportKinds names the message and event kinds ReportTickets counts;
// they belong to desk.
type ReportKinds struct {
	Answers        []string // at most 4 message kinds: staff answers to the customer
	Notice, Alert  string   // message kinds
	ReopenedEvents string   // event kind
}

// ReportTickets lists the tickets received at or after from and before to
// (quarantined ones left out), oldest first, with what the report counts
// of each.
func (tx *Tx) ReportTickets(ctx context.Context, from, to time.Time, k ReportKinds) ([]*ReportTicket, error) {
	if len(k.Answers) == 0 || len(k.Answers) > 4 {
		return nil, fmt.Errorf("report tickets: %d answer kinds, want 1 to 4", len(k.Answers))
	}
	ans := make([]any, 4)
	for i := range ans {
		ans[i] = k.Answers[min(i, len(k.Answers)-1)]
	}
	rows, err := tx.query(ctx, `SELECT t.id, t.tag, coalesce(t.number, t.id), t.category, `+channelColumn()+`,
		t.handler_id, t.handler_name, t.status, t.created_at, t.answered_at, coalesce(t.first_promised_at, t.promised_at), t.due_at,
		(SELECT min(m.created_at) FROM messages m WHERE m.ticket_id = t.id AND m.kind IN (?3, ?4, ?5, ?6)),
		(SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out' AND m.kind = ?7),
		(SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'out' AND m.kind = ?8),
		(SELECT count(*) FROM events e WHERE e.ticket_id = t.id AND e.kind = ?9)
		FROM tickets t WHERE t.created_at >= ?1 AND t.created_at < ?2 AND t.status <> 'quarantined'
		ORDER BY t.created_at, t.id`,
		fmtTime(from), fmtTime(to), ans[0], ans[1], ans[2], ans[3], k.Notice, k.Alert, k.ReopenedEvents)
	if err != nil {
		return nil, fmt.Errorf("report tickets: %w", err)
	}
	defer rows.Close()
	var out []*ReportTicket
	for rows.Next() {
		var r ReportTicket
		err := rows.Scan(&r.ID, &r.Tag, &r.Number, &r.Category, &r.Channel, &r.Handler.ID, &r.Handler.Name, &r.Status,
			timeCol{&r.CreatedAt}, nullTime{&r.AnsweredAt}, nullTime{&r.PromisedAt}, nullTime{&r.DueAt},
			nullTime{&r.FirstAnswerAt}, &r.Notices, &r.Alerts, &r.Reopened)
		if err != nil {
			return nil, fmt.Errorf("report tickets: %w", err)
		}
		out = append(out, &r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report tickets: %w", err)
	}
	return out, nil
}

// ReportSurvey is one sent survey and its current rating.
type ReportSurvey struct {
	TicketID int64
	Category string // the ticket's
	SentAt   time.Time
	Rating   *Rating // nil when not answered
}

// ReportSurveys lists the surveys sent at or after from and before to, and
// those of the tickets received in that time wherever they were sent, by
// ticket, with their current ratings.
func (tx *Tx) ReportSurveys(ctx context.Context, from, to time.Time) ([]*ReportSurvey, error) {
	rows, err := tx.query(ctx, `SELECT s.ticket_id, t.category, s.sent_at,
		r.id, r.message_id, r.rating, r.comment, r.handler_id, r.handler_name, r.category, r.at
		FROM surveys s JOIN tickets t ON t.id = s.ticket_id
		LEFT JOIN ratings r ON r.ticket_id = s.ticket_id AND r.replaced_at IS NULL
		WHERE s.sent_at IS NOT NULL AND ((s.sent_at >= ?1 AND s.sent_at < ?2) OR (t.created_at >= ?1 AND t.created_at < ?2))
		ORDER BY s.ticket_id`, fmtTime(from), fmtTime(to))
	if err != nil {
		return nil, fmt.Errorf("report surveys: %w", err)
	}
	defer rows.Close()
	var out []*ReportSurvey
	for rows.Next() {
		var s ReportSurvey
		var id, rating sql.NullInt64
		var r Rating
		var comment, hid, hname, cat, at sql.NullString
		err := rows.Scan(&s.TicketID, &s.Category, timeCol{&s.SentAt},
			&id, &nullInt{&r.MessageID}, &rating, &comment, &hid, &hname, &cat, &at)
		if err != nil {
			return nil, fmt.Errorf("report surveys: %w", err)
		}
		if id.Valid {
			r.ID, r.TicketID, r.Rating, r.Comment = id.Int64, s.TicketID, int(rating.Int64), comment.String
			r.Handler.ID, r.Handler.Name, r.Category = hid.String, hname.String, cat.String
			if r.At, err = parseTime(at.String); err != nil {
				return nil, fmt.Errorf("report surveys: %w", err)
			}
			s.Rating = &r
		}
		out = append(out, &s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report surveys: %w", err)
	}
	return out, nil
}
