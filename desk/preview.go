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
}

// PreviewResult is what intake would do with a mail.
type PreviewResult struct {
	Mailbox     string        `json:"mailbox"`
	From        string        `json:"from"`
	Subject     string        `json:"subject"`
	ParseError  string        `json:"parse_error,omitempty"`
	Automatic   string        `json:"automatic,omitempty"`
	Action      string        `json:"action"` // quarantine | duplicate | store-automatic | follow-up | new-ticket
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
	AckSubject  string        `json:"ack_subject,omitempty"`
	AckText     string        `json:"ack_text,omitempty"`
}

// Preview runs intake's decisions on a mail without storing anything: the
// `maildesk rules test` command. It shares plan() with intake, so what it
// says is what intake does.
func Preview(ctx context.Context, in PreviewInput) (*PreviewResult, error) {
	d := &Desk{mailboxes: map[string]Mailbox{}, own: map[string]bool{}, loc: in.Location, clock: SystemClock,
		kick: make(chan struct{}, 1), deadlineKick: make(chan struct{}, 1)}
	if d.loc == nil {
		d.loc = time.UTC
	}
	d.log = discardLogger
	for _, m := range in.Mailboxes {
		d.mailboxes[m.Name] = m
		d.own[message.Canonical(m.Address)] = true
	}
	d.rules.Store(in.Rules)
	d.templates.Store(in.Templates)
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}

	msg, perr := message.Parse(in.Raw)
	if msg == nil {
		msg = &message.Message{}
	}
	r := &PreviewResult{Mailbox: in.Mailbox, From: msg.From.Addr, Subject: msg.Subject, ReceivedAt: now}
	if r.Mailbox == "" {
		r.Mailbox = d.receivingMailbox(msg, in.Mailboxes)
	}
	if perr != nil {
		r.ParseError, r.Action = perr.Error(), "quarantine"
		return r, nil
	}
	var p plan
	var err error
	dup := false
	if in.Store != nil {
		err = in.Store.Read(ctx, func(tx *store.Tx) error {
			if dup, err = d.isDuplicate(ctx, tx, r.Mailbox, 0, 0, msg, contentHash(in.Raw, msg.MessageID != "")); err != nil || dup {
				return err
			}
			p, err = d.plan(ctx, tx, r.Mailbox, msg, now)
			return err
		})
	} else {
		p, err = d.plan(ctx, nil, r.Mailbox, msg, now)
	}
	if err != nil {
		return nil, err
	}
	r.Automatic = p.automatic
	switch {
	case dup:
		r.Action = "duplicate"
	case p.automatic != "":
		r.Action = "store-automatic"
		if p.ticket != nil {
			r.TicketID = p.ticket.ID
		}
	case p.ticket != nil:
		r.Action, r.TicketID = "follow-up", p.ticket.ID
		r.Category, r.Handler = p.ticket.Category, p.ticket.Handler
	default:
		r.Action = "new-ticket"
		dec := p.decision
		due := dec.Due
		r.Category, r.Handler, r.DueAt, r.Acknowledge = dec.Category.ID, contactOf(dec.Handler), due, dec.Acknowledge && !p.bulk
		r.Rule, r.Priority = dec.Rule, dec.Priority
		r.Template, r.NoticeTmpl = cmp.Or(dec.Category.AckTemplate, "ack"), noticeTemplate(dec.Category)
		if dec.Category.NoticeBefore > 0 {
			n := dec.NoticeAt
			r.NoticeAt = &n
		}
		if dec.Absent != nil {
			r.Absent = dec.Absent.ID
		}
		if r.Acknowledge {
			t := &store.Ticket{ID: 0, Tag: dec.Category.Tag, Mailbox: r.Mailbox, Category: dec.Category.ID,
				Handler: r.Handler, Customer: msg.From.Addr, Subject: msg.Subject, DueAt: &due}
			out, err := d.ackMail(t, dec, msg, msg.From, now)
			if err != nil {
				return nil, err
			}
			r.AckSubject, r.AckText = out.Subject, out.Text
		}
	}
	return r, nil
}

// receivingMailbox guesses which of our mailboxes a mail was sent to.
func (d *Desk) receivingMailbox(msg *message.Message, mboxes []Mailbox) string {
	for _, list := range [][]message.Address{msg.To, msg.Cc} {
		for _, a := range list {
			for _, m := range mboxes {
				if message.Canonical(a.Addr) == message.Canonical(m.Address) {
					return m.Name
				}
			}
		}
	}
	if len(mboxes) > 0 {
		return mboxes[0].Name
	}
	return ""
}
