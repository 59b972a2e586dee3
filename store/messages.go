package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Message directions.
const (
	In  = "in"
	Out = "out"
)

// Message is one mail received or sent, with its raw bytes.
type Message struct {
	ID          int64  `json:"-"`
	TicketID    int64  `json:"-"` // 0 when not on a ticket
	Direction   string `json:"direction"`
	Kind        string `json:"kind"`
	Mailbox     string `json:"mailbox,omitempty"`
	UIDValidity uint32 `json:"-"`
	UID         uint32 `json:"-"` // 0 for mail that did not come from IMAP
	MessageID   string `json:"message_id"`
	ContentHash string `json:"-"`
	From        string `json:"from"`
	// FromKey is the canonical form of From of a mail received, which the
	// caller computes: TicketBySharedReference compares it.
	FromKey    string     `json:"-"`
	FromName   string     `json:"from_name,omitempty"`
	To         []string   `json:"to"`
	Subject    string     `json:"subject"`
	Date       *time.Time `json:"date"`
	Text       string     `json:"text,omitempty"`
	NewText    string     `json:"new_text,omitempty"` // Text without quoted history and signature
	Quarantine string     `json:"quarantine,omitempty"`
	// Defects are what parsing read around in a mail received (see
	// message.Message.Defects); they contain no line breaks.
	Defects []string `json:"defects,omitempty"`
	Refs    []string `json:"-"` // In-Reply-To and References ids
	// ToKey is the canonical form of the recipient of a mail sent, which
	// the caller computes: CountSentSince counts by it.
	ToKey     string    `json:"-"`
	Raw       []byte    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// InsertMessage stores m with its references and sets m.ID.
func (tx *Tx) InsertMessage(ctx context.Context, m *Message) error {
	var tid, uv, uid any
	if m.TicketID != 0 {
		tid = m.TicketID
	}
	if m.UID != 0 {
		uv, uid = m.UIDValidity, m.UID
	}
	err := tx.queryRow(ctx, `INSERT INTO messages (ticket_id, direction, kind, mailbox,
		uidvalidity, uid, message_id, content_hash, from_addr, from_key, from_name, to_addrs, to_key, subject, date,
		body_text, new_text, quarantine, defects, raw, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		tid, m.Direction, m.Kind, m.Mailbox, uv, uid, m.MessageID, m.ContentHash, m.From, m.FromKey, m.FromName,
		strings.Join(m.To, ", "), m.ToKey, m.Subject, fmtTimePtr(m.Date), m.Text, m.NewText, m.Quarantine,
		strings.Join(m.Defects, "\n"), m.Raw, fmtTime(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("insert message %q: %w", m.MessageID, err)
	}
	for _, ref := range m.Refs {
		if ref == "" {
			continue
		}
		if _, err := tx.exec(ctx, `INSERT INTO message_refs (message_id, ref) VALUES (?, ?) ON CONFLICT DO NOTHING`, m.ID, ref); err != nil {
			return fmt.Errorf("insert reference of message %d: %w", m.ID, err)
		}
	}
	return nil
}

// MessageByUID finds the message fetched from mailbox at (uidvalidity, uid).
func (tx *Tx) MessageByUID(ctx context.Context, mailbox string, uidvalidity, uid uint32) (int64, error) {
	return tx.messageID(ctx, `SELECT id FROM messages WHERE mailbox = ? AND uidvalidity = ? AND uid = ?`,
		mailbox, uidvalidity, uid)
}

// MessageByContent finds a received message with this Message-ID and content
// hash: the same mail fetched again under another UID.
func (tx *Tx) MessageByContent(ctx context.Context, messageID, hash string) (int64, error) {
	return tx.messageID(ctx, `SELECT id FROM messages WHERE message_id = ? AND content_hash = ? AND direction = 'in' LIMIT 1`,
		messageID, hash)
}

func (tx *Tx) messageID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, q, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("find message: %w", err)
	}
	return id, nil
}

// Messages lists a ticket's messages in the order they were stored, without
// raw bytes.
func (tx *Tx) Messages(ctx context.Context, ticketID int64) ([]*Message, error) {
	rows, err := tx.query(ctx, `SELECT id, direction, kind, mailbox, message_id, from_addr,
		from_name, to_addrs, subject, date, body_text, new_text, quarantine, defects, created_at
		FROM messages WHERE ticket_id = ? ORDER BY id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var ms []*Message
	for rows.Next() {
		m := &Message{TicketID: ticketID}
		var to, defects string
		if err := rows.Scan(&m.ID, &m.Direction, &m.Kind, &m.Mailbox, &m.MessageID, &m.From, &m.FromName,
			&to, &m.Subject, nullTime{&m.Date}, &m.Text, &m.NewText, &m.Quarantine, &defects, timeCol{&m.CreatedAt}); err != nil {
			return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
		}
		if to != "" {
			m.To = strings.Split(to, ", ")
		}
		if defects != "" {
			m.Defects = strings.Split(defects, "\n")
		}
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// RecentMessages lists the last n messages of a ticket, oldest first, with
// only their direction, kind, sender and time: what a handler's notice
// shows of the history. Messages reads every message's texts, and its
// created_at and new_text columns come after raw in the row, so SQLite
// walks each message's overflow pages of raw bytes to reach them; a notice
// for a ticket of a thousand messages read all of them.
func (tx *Tx) RecentMessages(ctx context.Context, ticketID int64, n int) ([]*Message, error) {
	rows, err := tx.query(ctx, `SELECT id, direction, kind, from_addr, created_at
		FROM messages WHERE ticket_id = ? ORDER BY id DESC LIMIT ?`, ticketID, n)
	if err != nil {
		return nil, fmt.Errorf("recent messages of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	var ms []*Message
	for rows.Next() {
		m := &Message{TicketID: ticketID}
		if err := rows.Scan(&m.ID, &m.Direction, &m.Kind, &m.From, timeCol{&m.CreatedAt}); err != nil {
			return nil, fmt.Errorf("recent messages of ticket %d: %w", ticketID, err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent messages of ticket %d: %w", ticketID, err)
	}
	slices.Reverse(ms)
	return ms, nil
}

// LastReceivedText returns the new text (or, when it has none, the whole
// text) of the latest message received on a ticket whose kind is one of
// kinds; "" when there is none.
func (tx *Tx) LastReceivedText(ctx context.Context, ticketID int64, kinds ...string) (string, error) {
	// The kinds are a few constants of the caller's, not a list from mail:
	// one statement, no chunking (inChunks).
	if len(kinds) == 0 {
		return "", nil
	}
	if len(kinds) > maxInList {
		return "", fmt.Errorf("last received text of ticket %d: %d kinds, want at most %d", ticketID, len(kinds), maxInList)
	}
	args := []any{ticketID}
	for _, k := range kinds {
		args = append(args, k)
	}
	var newText, text string
	err := tx.queryRow(ctx, `SELECT new_text, body_text FROM messages
		WHERE ticket_id = ? AND direction = 'in' AND kind IN (`+placeholders(len(kinds))+`)
		ORDER BY id DESC LIMIT 1`, args...).Scan(&newText, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("last received text of ticket %d: %w", ticketID, err)
	}
	if newText != "" {
		return newText, nil
	}
	return text, nil
}

// LastReceivedRaw returns the id and raw bytes of the latest message
// received on a ticket whose kind is one of kinds; ErrNotFound when there
// is none. A handler's notice takes the customer's files from them: files
// are not stored apart from the mail (raw bytes are kept verbatim, and any
// parse can be redone).
func (tx *Tx) LastReceivedRaw(ctx context.Context, ticketID int64, kinds ...string) (int64, []byte, error) {
	var bestID int64
	err := inChunks([]any{ticketID}, kinds, func(list string, args []any) error {
		var id int64
		err := tx.queryRow(ctx, `SELECT id FROM messages
			WHERE ticket_id = ? AND direction = 'in' AND kind IN (`+list+`)
			ORDER BY id DESC LIMIT 1`, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		bestID = max(bestID, id)
		return err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("last received mail of ticket %d: %w", ticketID, err)
	}
	if bestID == 0 {
		return 0, nil, fmt.Errorf("last received mail of ticket %d: %w", ticketID, ErrNotFound)
	}
	// Only the one raw column read: the id query above stays on the
	// index, not on every candidate's overflow pages.
	raw, err := tx.MessageRaw(ctx, bestID)
	return bestID, raw, err
}

// MessageRaw returns the raw bytes of a stored message.
func (tx *Tx) MessageRaw(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	err := tx.queryRow(ctx, `SELECT raw FROM messages WHERE id = ?`, id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	return raw, err
}

// CountSentSince counts mails of kind sent since t to the recipient whose
// ToKey is rcpt: the rate limit on automatic answers to one sender.
func (tx *Tx) CountSentSince(ctx context.Context, kind, rcpt string, t time.Time) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM messages
		WHERE direction = 'out' AND kind = ? AND to_key = ? AND created_at >= ?`,
		kind, rcpt, fmtTime(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s mail to %s: %w", kind, rcpt, err)
	}
	return n, nil
}

// CountSentWithSubject is CountSentSince for the mails whose subject starts
// with prefix: one sort of notice among those of a kind.
func (tx *Tx) CountSentWithSubject(ctx context.Context, kind, rcpt, prefix string, t time.Time) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM messages
		WHERE direction = 'out' AND kind = ? AND to_key = ? AND created_at >= ? AND substr(subject, 1, ?) = ?`,
		kind, rcpt, fmtTime(t), len([]rune(prefix)), prefix).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s mail to %s: %w", kind, rcpt, err)
	}
	return n, nil
}

// CountSentAbout counts the mails of kind sent since t on the tickets of
// customer (a CustomerKey): how many notices a handler has had lately about
// one customer's mail.
//
// The tickets registered without an email address (customer "") are no
// one customer's: they count 0.
func (tx *Tx) CountSentAbout(ctx context.Context, kind, customer string, t time.Time) (int, error) {
	if customer == "" {
		return 0, nil
	}
	var n int
	err := tx.queryRow(ctx, `SELECT count(*) FROM tickets t JOIN messages m ON m.ticket_id = t.id
		WHERE t.customer_key = ? AND m.direction = 'out' AND m.kind = ? AND m.created_at >= ?`,
		customer, kind, fmtTime(t)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s mail about %s: %w", kind, customer, err)
	}
	return n, nil
}

// Cursor returns how far mailbox has been read; ErrNotFound before the first message.
func (tx *Tx) Cursor(ctx context.Context, mailbox string) (uidvalidity, lastUID uint32, err error) {
	err = tx.queryRow(ctx, `SELECT uidvalidity, last_uid FROM cursors WHERE mailbox = ?`, mailbox).
		Scan(&uidvalidity, &lastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cursor of %s: %w", mailbox, err)
	}
	return uidvalidity, lastUID, nil
}

// SetCursor records that mailbox has been read up to uid under uidvalidity.
// It never moves a cursor backwards within one UIDVALIDITY.
func (tx *Tx) SetCursor(ctx context.Context, mailbox string, uidvalidity, uid uint32, at time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO cursors (mailbox, uidvalidity, last_uid, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (mailbox) DO UPDATE SET
			last_uid = CASE WHEN cursors.uidvalidity = excluded.uidvalidity AND cursors.last_uid > excluded.last_uid
				THEN cursors.last_uid ELSE excluded.last_uid END,
			uidvalidity = excluded.uidvalidity,
			updated_at = excluded.updated_at`,
		mailbox, uidvalidity, uid, fmtTime(at))
	if err != nil {
		return fmt.Errorf("set cursor of %s to %d/%d: %w", mailbox, uidvalidity, uid, err)
	}
	return nil
}

// MessageCounts counts stored messages by direction and kind ("in/inquiry",
// "out/ack", …), for metrics and reports.
func (tx *Tx) MessageCounts(ctx context.Context) (map[string]int, error) {
	rows, err := tx.query(ctx, `SELECT direction || '/' || kind, count(*) FROM messages GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("count messages: %w", err)
		}
		counts[k] = n
	}
	return counts, rows.Err()
}

// TicketOfMailTo returns the ticket of a mail of kind that maildesk sent to
// rcpt (a ToKey) and whose Message-ID is one of ids: proof that a reply naming it
// answers that mail (Message-IDs maildesk makes cannot be guessed). Any
// number of ids may be given.
func (tx *Tx) TicketOfMailTo(ctx context.Context, kind, rcpt string, ids []string) (int64, error) {
	var best newest
	err := inChunks([]any{kind, rcpt}, ids, func(list string, args []any) error {
		return best.consider(tx.queryRow(ctx, `SELECT id, ticket_id FROM messages
			WHERE direction = 'out' AND kind = ? AND to_key = ? AND ticket_id IS NOT NULL
			AND message_id IN (`+list+`) ORDER BY id DESC LIMIT 1`, args...))
	})
	if err != nil {
		return 0, fmt.Errorf("find mail to %s: %w", rcpt, err)
	}
	return best.ticket()
}

// MoveMessages puts every message of ticket from on ticket to: a merge.
// Their references move with them, so later replies thread to the ticket
// they joined.
func (tx *Tx) MoveMessages(ctx context.Context, from, to int64) error {
	if _, err := tx.exec(ctx, `UPDATE messages SET ticket_id = ? WHERE ticket_id = ?`, to, from); err != nil {
		return fmt.Errorf("move the messages of ticket %d to %d: %w", from, to, err)
	}
	return nil
}
