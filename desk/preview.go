package desk

import (
	"cmp"
	"context"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// PreviewInput is what Preview looks at.
type PreviewInput struct {
	Store     *store.Store // nil: no database yet, nothing threads
	Rules     *rules.Set
	Templates *templates.Set
	Mailboxes []Mailbox
	Location  *time.Location
	Mailbox   string // the receiving mailbox; "" finds it from the recipients
	Raw       []byte
	Now       time.Time // zero: now
	// TrustedAuthServID and AckLimit are the daemon's settings of the same
	// names (desk.Options).
	TrustedAuthServID string
	AckLimit          int
}

// PreviewResult is what intake would do with a mail.
type PreviewResult struct {
	Mailbox string `json:"mailbox"`
	// MailboxBy says how Mailbox was chosen: "given" (PreviewInput.Mailbox),
	// "recipient" (one of the mail's To or Cc is that mailbox's address)
	// or "guessed" (no recipient is ours: the first mailbox).
	MailboxBy   string        `json:"mailbox_by"`
	From        string        `json:"from"`
	Subject     string        `json:"subject"`
	ParseError  string        `json:"parse_error,omitempty"`
	Automatic   string        `json:"automatic,omitempty"`
	Action      Action        `json:"action"`                // one of the Act* values: what intake would do
	AckSkipped  string        `json:"ack_skipped,omitempty"` // why a new ticket gets no acknowledgement
	Spoofed     bool          `json:"spoofed,omitempty"`     // from a staff address without proof: the handler is warned
	Reopens     bool          `json:"reopens,omitempty"`     // a follow-up after the answer: the ticket opens again with a new deadline
	Rating      int           `json:"rating,omitempty"`      // ActRating: the rating the reply gives
	TicketID    int64         `json:"ticket_id,omitempty"`
	Category    string        `json:"category,omitempty"`
	Rule        string        `json:"rule,omitempty"` // which rule decided, and why
	Priority    string        `json:"priority,omitempty"`
	Handler     store.Contact `json:"handler"`
	Absent      string        `json:"absent,omitempty"` // the handler who is away, when a delegate has it
	ReceivedAt  time.Time     `json:"received_at"`
	DueAt       time.Time     `json:"due_at"`
	NoticeAt    *time.Time    `json:"notice_at"`
	Template    string        `json:"template,omitempty"`        // the acknowledgement's
	NoticeTmpl  string        `json:"notice_template,omitempty"` // the delay notice's
	Acknowledge bool          `json:"acknowledge"`
	// Language is what mail to the customer leads with, "ko" or "en": for a
	// new ticket as the rules decide it, for a follow-up the ticket's.
	// LanguageBy says why.
	Language   string `json:"language,omitempty"`
	LanguageBy string `json:"language_by,omitempty"`
	AckSubject string `json:"ack_subject,omitempty"`
	AckText    string `json:"ack_text,omitempty"`
}

// Preview runs intake's decisions on a mail without storing anything: the
// `maildesk rules test` command. It shares plan() with intake, so what it
// says is what intake does.
func Preview(ctx context.Context, in PreviewInput) (*PreviewResult, error) {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	// The same Desk as the daemon's, so that the same code decides.
	d, err := build(Options{Store: in.Store, Rules: in.Rules, Templates: in.Templates, Mailboxes: in.Mailboxes,
		Location: loc, Logger: discardLogger, TrustedAuthServID: in.TrustedAuthServID, AckLimit: in.AckLimit})
	if err != nil {
		return nil, err
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}

	msg, perr := message.Parse(in.Raw)
	r := &PreviewResult{Mailbox: in.Mailbox, MailboxBy: "given", From: msg.From.Addr, Subject: msg.Subject, ReceivedAt: now}
	if r.Mailbox == "" {
		r.Mailbox, r.MailboxBy = d.receivingMailbox(msg, in.Mailboxes)
	}
	if perr != nil {
		r.ParseError = perr.Error()
	}
	ctx = d.withSnapshot(ctx)
	ci := intakeInput{mbox: r.Mailbox, raw: in.Raw, hash: contentHash(in.Raw, msg.MessageID != ""), msg: msg, perr: perr, now: now}
	var dec Decision
	if in.Store != nil {
		err = in.Store.Read(ctx, func(tx *store.Tx) error {
			dec, err = d.classify(ctx, tx, ci)
			return err
		})
	} else {
		dec, err = d.classify(ctx, nil, ci)
	}
	if err != nil {
		return nil, err
	}
	r.Action, r.Automatic, r.Spoofed, r.Reopens, r.AckSkipped = dec.Action, dec.Automatic, dec.Spoofed, dec.Reopen, dec.AckSkip
	if dec.Rating != nil {
		r.Rating = dec.Rating.Rating
	}
	if dec.Ticket != nil {
		r.TicketID, r.Category, r.Handler = dec.Ticket.ID, dec.Ticket.Category, dec.Ticket.Handler
		r.Language, r.LanguageBy = dec.Ticket.Language, "the ticket's, since its first mail"
	}
	if dec.Action != ActNewTicket {
		return r, nil
	}
	route := dec.Route
	due := route.Due
	r.Category, r.Handler, r.DueAt, r.Acknowledge = route.Category.ID, contactOf(route.Handler), due, dec.Ack
	r.Rule, r.Priority = route.Rule, route.Priority
	r.Language, r.LanguageBy = route.Language, route.LanguageBy
	r.Template, r.NoticeTmpl = cmp.Or(route.Category.AckTemplate, "ack"), noticeTemplate(route.Category)
	if route.Category.NoticeBefore > 0 {
		n := route.NoticeAt
		r.NoticeAt = &n
	}
	if route.Absent != nil {
		r.Absent = route.Absent.ID
	}
	if r.Acknowledge {
		t := &store.Ticket{ID: 0, Tag: route.Category.Tag, Mailbox: r.Mailbox, Category: route.Category.ID,
			Handler: r.Handler, Customer: msg.From.Addr, Subject: ticketSubject(msg.Subject, route.Language), DueAt: &due,
			Language: route.Language}
		out, err := d.ackMail(ctx, t, route, msg, ackRecipient(msg), now)
		if err != nil {
			return nil, err
		}
		r.AckSubject, r.AckText = out.Subject, out.Text
	}
	return r, nil
}

// receivingMailbox finds which of our mailboxes a mail was sent to, and
// says how (see PreviewResult.MailboxBy).
func (d *Desk) receivingMailbox(msg *message.Message, mboxes []Mailbox) (name, by string) {
	for _, list := range [][]message.Address{msg.To, msg.Cc} {
		for _, a := range list {
			for _, m := range mboxes {
				if message.Canonical(a.Addr) == message.Canonical(m.Address) {
					return m.Name, "recipient"
				}
			}
		}
	}
	if len(mboxes) > 0 {
		return mboxes[0].Name, "guessed"
	}
	return "", "guessed"
}
