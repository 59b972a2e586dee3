package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Ticket statuses.
const (
	StatusOpen        = "open"
	StatusAnswered    = "answered"
	StatusClosed      = "closed"
	StatusQuarantined = "quarantined"
)

// Contact is a handler as the customer was told of them.
type Contact struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Phone      string `json:"phone"`
	Email      string `json:"email"`
	// The English name and department, for the English part of a
	// customer's mail; "" when the rules gave none.
	NameEn       string `json:"name_en,omitempty"`
	DepartmentEn string `json:"department_en,omitempty"`
}

// Ticket is one conversation with one customer.
type Ticket struct {
	ID  int64  `json:"id"`
	Tag string `json:"tag"` // prefix, e.g. "FTA-PASS"
	// Number counts the tickets of one tag: [QUAL #2] is the second QUAL
	// ticket. InsertTicket assigns it; tickets from before numbers were
	// per tag have their id.
	Number   int64   `json:"number"`
	Mailbox  string  `json:"mailbox"`
	Category string  `json:"category"`
	Status   string  `json:"status"`
	Handler  Contact `json:"handler"`
	Customer string  `json:"customer"`
	// CustomerKey is Customer's canonical form, which the caller computes
	// (message.Canonical): lookups by customer compare it.
	CustomerKey  string     `json:"-"`
	CustomerName string     `json:"customer_name"`
	Subject      string     `json:"subject"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	DueAt        *time.Time `json:"due_at"`
	NoticeAt     *time.Time `json:"notice_at"`
	AnsweredAt   *time.Time `json:"answered_at"`
	ClosedAt     *time.Time `json:"closed_at"`
	// The deadline clock (see desk): when the delay notice of the current
	// window went out, when the deadline passed unanswered, and what staff
	// set in advance for the notice.
	NoticeSentAt *time.Time `json:"notice_sent_at"`
	OverdueAt    *time.Time `json:"overdue_at"`
	DelayReason  string     `json:"delay_reason,omitempty"`
	DelayStatus  string     `json:"delay_status,omitempty"`
	ExpectedAt   *time.Time `json:"expected_at"`
	// PromisedAt is the deadline the customer was told (acknowledgement,
	// or a new window on reopening). DueAt is the deadline in force: the
	// same, until staff set a later expected date.
	PromisedAt *time.Time `json:"promised_at"`
	Priority   string     `json:"priority,omitempty"` // as the rules gave it at opening
	// Language is what mail to the customer leads with, "ko" or "en"
	// (ISO 639-1), decided from the mail that opened the ticket and kept:
	// UpdateTicket does not change it. InsertTicket writes "" as "ko".
	Language string `json:"language"`
	// Channel is where the ticket came from: ChannelEmail, or the
	// channel `maildesk ticket new` registered it from ("phone", …).
	// InsertTicket writes "" as "email"; UpdateTicket does not change it.
	Channel string `json:"channel"`
	// CustomerPhone is the phone number given at registration; "" for
	// mail. Customer is "" for a ticket registered without an email
	// address: nothing is mailed to it (the handler is reminded instead).
	CustomerPhone string `json:"customer_phone,omitempty"`
}

// ChannelEmail is the channel of a ticket opened by mail.
const ChannelEmail = "email"

// FullTag is the tag as it appears in subjects: "[FTA-PASS #12]". A ticket
// not stored yet (rules test) shows its id.
func (t *Ticket) FullTag() string { return fmt.Sprintf("[%s #%d]", t.Tag, cmp.Or(t.Number, t.ID)) }

const ticketColumns = `id, tag, coalesce(number, id), mailbox, category, status, handler_id, handler_name,
	handler_department, handler_phone, handler_email, customer, customer_key, customer_name, subject,
	created_at, updated_at, due_at, notice_at, answered_at, closed_at,
	notice_sent_at, overdue_at, delay_reason, delay_status, expected_at, promised_at, priority,
	language, handler_name_en, handler_department_en, channel, customer_phone`

func scanTicket(row interface{ Scan(...any) error }) (*Ticket, error) {
	var t Ticket
	err := row.Scan(&t.ID, &t.Tag, &t.Number, &t.Mailbox, &t.Category, &t.Status, &t.Handler.ID, &t.Handler.Name,
		&t.Handler.Department, &t.Handler.Phone, &t.Handler.Email, &t.Customer, &t.CustomerKey, &t.CustomerName, &t.Subject,
		timeCol{&t.CreatedAt}, timeCol{&t.UpdatedAt}, nullTime{&t.DueAt}, nullTime{&t.NoticeAt},
		nullTime{&t.AnsweredAt}, nullTime{&t.ClosedAt},
		nullTime{&t.NoticeSentAt}, nullTime{&t.OverdueAt}, &t.DelayReason, &t.DelayStatus, nullTime{&t.ExpectedAt},
		nullTime{&t.PromisedAt}, &t.Priority, &t.Language, &t.Handler.NameEn, &t.Handler.DepartmentEn, &t.Channel, &t.CustomerPhone)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &t, err
}

// InsertTicket stores a new ticket and sets t.ID.
func (tx *Tx) InsertTicket(ctx context.Context, t *Ticket) error {
	// RETURNING rather than LastInsertId, which PostgreSQL's driver has
	// not: one statement for both engines.
	err := tx.queryRow(ctx, `INSERT INTO tickets (tag, mailbox, category, status, handler_id,
		handler_name, handler_department, handler_phone, handler_email, customer, customer_key, customer_name, subject,
		created_at, updated_at, due_at, notice_at, answered_at, closed_at,
		notice_sent_at, overdue_at, delay_reason, delay_status, expected_at, promised_at, priority,
		language, handler_name_en, handler_department_en, channel, customer_phone, first_promised_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Tag, t.Mailbox, t.Category, t.Status, t.Handler.ID, t.Handler.Name, t.Handler.Department,
		t.Handler.Phone, t.Handler.Email, t.Customer, t.CustomerKey, t.CustomerName, t.Subject,
		fmtTime(t.CreatedAt), fmtTime(t.UpdatedAt), fmtTimePtr(t.DueAt), fmtTimePtr(t.NoticeAt),
		fmtTimePtr(t.AnsweredAt), fmtTimePtr(t.ClosedAt),
		fmtTimePtr(t.NoticeSentAt), fmtTimePtr(t.OverdueAt), t.DelayReason, t.DelayStatus, fmtTimePtr(t.ExpectedAt),
		fmtTimePtr(t.PromisedAt), t.Priority, cmp.Or(t.Language, "ko"), t.Handler.NameEn, t.Handler.DepartmentEn, cmp.Or(t.Channel, ChannelEmail), t.CustomerPhone, fmtTimePtr(t.PromisedAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	// A ticket opened without a language (maildesk ticket new, a
	// quarantined mail) is Korean first, as the column's default says.
	t.Language = cmp.Or(t.Language, "ko")
	t.Channel = cmp.Or(t.Channel, ChannelEmail)
	// The next number of the tag, in the same transaction; the unique
	// index on (tag, number) holds it should two writers ever race.
	err = tx.queryRow(ctx, `UPDATE tickets SET number = (SELECT coalesce(max(number), 0) + 1 FROM tickets WHERE tag = ?)
		WHERE id = ? RETURNING number`, t.Tag, t.ID).Scan(&t.Number)
	if err != nil {
		return fmt.Errorf("number ticket %d: %w", t.ID, err)
	}
	return nil
}

// TicketByNumber finds the ticket a subject's tag names: [TAG #number].
func (tx *Tx) TicketByNumber(ctx context.Context, tag string, number int64) (*Ticket, error) {
	t, err := scanTicket(tx.queryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE tag = ? AND number = ?`, strings.ToUpper(tag), number))
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("ticket [%s #%d]: %w", tag, number, err)
	}
	return t, err
}

// UpdateTicket writes every mutable field of t.
func (tx *Tx) UpdateTicket(ctx context.Context, t *Ticket) error {
	res, err := tx.exec(ctx, `UPDATE tickets SET category = ?, status = ?, handler_id = ?,
		handler_name = ?, handler_department = ?, handler_phone = ?, handler_email = ?,
		handler_name_en = ?, handler_department_en = ?, subject = ?,
		updated_at = ?, due_at = ?, notice_at = ?, answered_at = ?, closed_at = ?,
		notice_sent_at = ?, overdue_at = ?, delay_reason = ?, delay_status = ?, expected_at = ?, promised_at = ?,
		first_promised_at = coalesce(first_promised_at, ?) WHERE id = ?`,
		t.Category, t.Status, t.Handler.ID, t.Handler.Name, t.Handler.Department, t.Handler.Phone,
		t.Handler.Email, t.Handler.NameEn, t.Handler.DepartmentEn, t.Subject, fmtTime(t.UpdatedAt), fmtTimePtr(t.DueAt), fmtTimePtr(t.NoticeAt),
		fmtTimePtr(t.AnsweredAt), fmtTimePtr(t.ClosedAt),
		fmtTimePtr(t.NoticeSentAt), fmtTimePtr(t.OverdueAt), t.DelayReason, t.DelayStatus, fmtTimePtr(t.ExpectedAt),
		fmtTimePtr(t.PromisedAt), fmtTimePtr(t.PromisedAt), t.ID)
	if err != nil {
		return fmt.Errorf("update ticket %d: %w", t.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update ticket %d: %w", t.ID, ErrNotFound)
	}
	return nil
}

// Ticket returns one ticket.
func (tx *Tx) Ticket(ctx context.Context, id int64) (*Ticket, error) {
	t, err := scanTicket(tx.queryRow(ctx, `SELECT `+ticketColumns+` FROM tickets WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	return t, nil
}

// TicketFilter selects tickets to list.
type TicketFilter struct {
	Status []string // empty: all
	// Overdue, when set, keeps only tickets past their deadline
	// unanswered (true) or only the others (false).
	Overdue  *bool
	Handler  string    // handler id; "" for all
	Category string    // category id; "" for all
	Since    time.Time // opened at or after; zero for all
	// Search keeps tickets whose subject or any message's text contains
	// it (case-insensitively for ASCII); a plain substring, so Korean
	// words of two syllables (환불, 문의) are found too.
	Search string
	Limit  int // 0: no limit
}

// where is the filter's condition besides the status, and its arguments.
// like is the case-insensitive LIKE operator of the engine (Store.like).
func (f TicketFilter) where(like string) (string, []any) {
	var conds []string
	var args []any
	if f.Overdue != nil {
		if *f.Overdue {
			conds = append(conds, "overdue_at IS NOT NULL")
		} else {
			conds = append(conds, "overdue_at IS NULL")
		}
	}
	if f.Handler != "" {
		conds, args = append(conds, "handler_id = ?"), append(args, f.Handler)
	}
	if f.Category != "" {
		conds, args = append(conds, "category = ?"), append(args, f.Category)
	}
	if !f.Since.IsZero() {
		conds, args = append(conds, "created_at >= ?"), append(args, fmtTime(f.Since))
	}
	if f.Search != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(f.Search) + "%"
		conds = append(conds, `(subject `+like+` ? ESCAPE '\' OR EXISTS (SELECT 1 FROM messages m
			WHERE m.ticket_id = tickets.id AND m.body_text `+like+` ? ESCAPE '\'))`)
		args = append(args, pat, pat)
	}
	return strings.Join(conds, " AND "), args
}

// Tickets lists tickets, newest first.
func (tx *Tx) Tickets(ctx context.Context, f TicketFilter) ([]*Ticket, error) {
	limit := ""
	if f.Limit > 0 {
		limit = fmt.Sprintf(` LIMIT %d`, f.Limit)
	}
	extra, extraArgs := f.where(tx.s.like())
	if len(f.Status) == 0 {
		where := ""
		if extra != "" {
			where = " WHERE " + extra
		}
		return tx.listTickets(ctx, `SELECT `+ticketColumns+` FROM tickets`+where+` ORDER BY id DESC`+limit, extraArgs...)
	}
	if extra != "" {
		extra = " AND " + extra
	}
	// The statuses come from code (a ticket has one of four), not from
	// mail: one statement, and no chunking (inChunks) to keep a long list
	// within SQLite's limit.
	if len(f.Status) > maxInList {
		return nil, fmt.Errorf("list tickets: %d statuses, want at most %d", len(f.Status), maxInList)
	}
	args := make([]any, 0, len(f.Status)+len(extraArgs))
	for _, st := range f.Status {
		args = append(args, st)
	}
	return tx.listTickets(ctx, `SELECT `+ticketColumns+` FROM tickets
		WHERE status IN (`+placeholders(len(f.Status))+`)`+extra+` ORDER BY id DESC`+limit, append(args, extraArgs...)...)
}

func (tx *Tx) listTickets(ctx context.Context, q string, args ...any) ([]*Ticket, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var ts []*Ticket
	for rows.Next() {
		t, err := scanTicket(rows)
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return ts, nil
}

// TicketByReferences returns the ticket of the newest stored message whose
// Message-ID is one of ids: the first rule of threading. Any number of ids
// may be given.
func (tx *Tx) TicketByReferences(ctx context.Context, ids []string) (int64, error) {
	var best newest
	err := inChunks(nil, ids, func(list string, args []any) error {
		return best.consider(tx.queryRow(ctx, `SELECT id, ticket_id FROM messages
			WHERE message_id IN (`+list+`) AND ticket_id IS NOT NULL
			ORDER BY id DESC LIMIT 1`, args...))
	})
	if err != nil {
		return 0, fmt.Errorf("thread by references: %w", err)
	}
	return best.ticket()
}

// newest keeps, across the chunks of a query with "ORDER BY id DESC
// LIMIT 1", the ticket of the row with the highest id: what the query
// would have returned run once over the whole list.
type newest struct {
	id, ticketID int64
}

// consider scans a chunk's (id, ticket_id) row, if it has one.
func (n *newest) consider(row *sql.Row) error {
	var id, tid int64
	err := row.Scan(&id, &tid)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if id > n.id {
		n.id, n.ticketID = id, tid
	}
	return nil
}

func (n *newest) ticket() (int64, error) {
	if n.id == 0 {
		return 0, ErrNotFound
	}
	return n.ticketID, nil
}

// Event is one entry of a ticket's history.
type Event struct {
	ID       int64     `json:"id"`
	TicketID int64     `json:"ticket_id,omitempty"`
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Detail   string    `json:"detail"`
}

// AddEvent appends to the event log; ticketID 0 logs a mailbox-wide event.
func (tx *Tx) AddEvent(ctx context.Context, ticketID int64, at time.Time, kind, detail string) error {
	var tid any
	if ticketID != 0 {
		tid = ticketID
	}
	_, err := tx.exec(ctx, `INSERT INTO events (ticket_id, at, kind, detail) VALUES (?, ?, ?, ?)`,
		tid, fmtTime(at), kind, detail)
	if err != nil {
		return fmt.Errorf("add event %s: %w", kind, err)
	}
	return nil
}

// Events lists a ticket's events in order.
func (tx *Tx) Events(ctx context.Context, ticketID int64) ([]Event, error) {
	rows, err := tx.query(ctx, `SELECT id, at, kind, detail FROM events WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("events of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var es []Event
	for rows.Next() {
		e := Event{TicketID: ticketID}
		if err := rows.Scan(&e.ID, timeCol{&e.At}, &e.Kind, &e.Detail); err != nil {
			return nil, fmt.Errorf("events of ticket %d: %w", ticketID, err)
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// Setting returns a named value, or ErrNotFound.
func (tx *Tx) Setting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := tx.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", name, err)
	}
	return v, nil
}

// SetSetting stores a named value.
func (tx *Tx) SetSetting(ctx context.Context, name string, value []byte) error {
	_, err := tx.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("set setting %s: %w", name, err)
	}
	return nil
}

// TicketBySharedReference returns the ticket of the newest message from
// sender (a FromKey) that names one of refs in its own In-Reply-To or References: two
// replies by one person to a mail maildesk never saw. Any number of refs
// may be given.
func (tx *Tx) TicketBySharedReference(ctx context.Context, sender string, refs []string) (int64, error) {
	if sender == "" {
		return 0, ErrNotFound
	}
	var best newest
	err := inChunks([]any{sender}, refs, func(list string, args []any) error {
		return best.consider(tx.queryRow(ctx, `SELECT m.id, m.ticket_id FROM message_refs r JOIN messages m ON m.id = r.message_id
			WHERE m.from_key = ? AND m.ticket_id IS NOT NULL AND r.ref IN (`+list+`)
			ORDER BY m.id DESC LIMIT 1`, args...))
	})
	if err != nil {
		return 0, fmt.Errorf("thread by shared reference: %w", err)
	}
	return best.ticket()
}

// OpenTicketBySubject returns the newest ticket of customer (a
// CustomerKey), not closed and
// updated since since, whose subject is subject: a reply from a client that
// dropped In-Reply-To and the tag.
func (tx *Tx) OpenTicketBySubject(ctx context.Context, customer, subject string, since time.Time) (int64, error) {
	var tid int64
	err := tx.queryRow(ctx, `SELECT id FROM tickets
		WHERE customer_key = ? AND subject = ? AND status NOT IN ('closed', 'quarantined') AND updated_at >= ?
		ORDER BY id DESC LIMIT 1`, customer, subject, fmtTime(since)).Scan(&tid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("thread by subject: %w", err)
	}
	return tid, nil
}
