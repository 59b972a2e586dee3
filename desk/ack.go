package desk

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// queueAck composes the acknowledgement of a new ticket, stores it and puts
// it in the outbox, inside the intake transaction. It reports whether a mail
// was queued: not when the sender has had too many acknowledgements lately.
func (d *Desk) queueAck(ctx context.Context, tx *store.Tx, t *store.Ticket, dec rules.Decision, in *mailbox.Message, now time.Time) (bool, error) {
	rcpt := in.From
	if len(in.ReplyTo) > 0 && in.ReplyTo[0].Addr != "" {
		rcpt = in.ReplyTo[0]
	}
	n, err := tx.CountSentSince(ctx, KindAck, rcpt.Addr, now.Add(-time.Hour))
	if err != nil {
		return false, err
	}
	if n >= d.ackLimit {
		d.log.Warn("acknowledgement rate limit reached", "ticket", t.ID, "to", rcpt.Addr, "sent_last_hour", n)
		return false, tx.AddEvent(ctx, t.ID, now, "ack-skipped", fmt.Sprintf("%d acknowledgements to %s in the last hour", n, rcpt.Addr))
	}

	out, err := d.ackMail(t, dec, in, rcpt, now)
	out.Headers = append(out.Headers, [2]string{"X-Maildesk-Kind", KindAck})
	if err == nil {
		var raw []byte
		if raw, err = mailbox.Compose(out); err == nil {
			return true, d.queueComposed(ctx, tx, t.ID, KindAck, out, raw, now)
		}
	}
	// A sender address no mail can go to ("user2", "info@example.org.")
	// must not stop intake: the inquiry is stored, staff can still answer
	// it, and the mailbox goes on.
	d.log.Warn("no acknowledgement possible", "ticket", t.ID, "to", rcpt.Addr, "err", err)
	return false, tx.AddEvent(ctx, t.ID, now, "ack-skipped", err.Error())
}

// ackMail renders the acknowledgement of ticket t to rcpt.
func (d *Desk) ackMail(t *store.Ticket, dec rules.Decision, in *mailbox.Message, rcpt mailbox.Address, now time.Time) (mailbox.Outgoing, error) {
	mb := d.mailboxes[t.Mailbox]
	cat := dec.Category
	tmpl := cat.AckTemplate
	if tmpl == "" {
		tmpl = "ack"
	}
	text, html, err := d.templates.Load().Render(tmpl, templates.Ack{
		Tag:        t.FullTag(),
		Subject:    t.Subject,
		Category:   cat.Name,
		CategoryEn: cat.NameEn,
		Customer:   customerName(in.From),
		Handler: templates.Contact{
			Name: t.Handler.Name, Department: t.Handler.Department, Phone: t.Handler.Phone, Email: t.Handler.Email,
		},
		Received: now.In(d.loc),
		Due:      t.DueAt.In(d.loc),
		Mailbox:  mb.Address,
	})
	if err != nil {
		return mailbox.Outgoing{}, fmt.Errorf("render %s for ticket %d: %w", tmpl, t.ID, err)
	}
	out := mailbox.Outgoing{
		From:          mailbox.Address{Name: cat.Name, Addr: mb.Address},
		To:            []mailbox.Address{rcpt},
		Subject:       t.FullTag() + " " + t.Subject,
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-replied",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          text,
		HTML:          html,
	}
	if in.MessageID != "" {
		out.InReplyTo = in.MessageID
		out.References = append(append([]string(nil), in.References...), in.MessageID)
	}
	return out, nil
}

// queueQuarantineNotice tells the mailbox's handler that a mail could not be
// read, so that a customer whose mail broke on the way still gets an answer.
func (d *Desk) queueQuarantineNotice(ctx context.Context, tx *store.Tx, t *store.Ticket, m *store.Message, now time.Time) error {
	if t.Handler.Email == "" {
		return tx.AddEvent(ctx, t.ID, now, "notice-skipped", "no handler to tell")
	}
	mb := d.mailboxes[t.Mailbox]
	text, _, err := d.templates.Load().Render("quarantine", templates.Quarantine{
		Handler: templates.Contact{Name: t.Handler.Name, Department: t.Handler.Department, Phone: t.Handler.Phone, Email: t.Handler.Email},
		Mailbox: mb.Address, Tag: t.FullTag(), TicketID: t.ID, From: m.From, Subject: m.Subject,
		Received: now.In(d.loc), Reason: m.Quarantine,
	})
	if err != nil {
		return fmt.Errorf("render quarantine notice for ticket %d: %w", t.ID, err)
	}
	return d.queue(ctx, tx, t.ID, KindQuarantineNotice, mailbox.Outgoing{
		From:          mailbox.Address{Name: "maildesk", Addr: mb.Address},
		To:            []mailbox.Address{{Name: t.Handler.Name, Addr: t.Handler.Email}},
		Subject:       t.FullTag() + " 읽을 수 없는 메일 / unreadable mail",
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          text,
	}, now)
}

// queue stores an outgoing mail on a ticket and adds it to the outbox: the
// mail is composed once, here, with its Message-ID fixed (invariant 2).
//
// Every mail carries X-Maildesk-Kind (ack, notice, alert, staff, answer, …)
// so that staff and admins can sort maildesk's mail with ordinary filters.
func (d *Desk) queue(ctx context.Context, tx *store.Tx, ticketID int64, kind string, out mailbox.Outgoing, now time.Time) error {
	out.Headers = append(out.Headers, [2]string{"X-Maildesk-Kind", kind})
	raw, err := mailbox.Compose(out)
	if err != nil {
		return fmt.Errorf("compose %s for ticket %d: %w", kind, ticketID, err)
	}
	return d.queueComposed(ctx, tx, ticketID, kind, out, raw, now)
}

func (d *Desk) queueComposed(ctx context.Context, tx *store.Tx, ticketID int64, kind string, out mailbox.Outgoing, raw []byte, now time.Time) error {
	var to []string
	for _, a := range out.To {
		to = append(to, a.Addr)
	}
	for _, a := range out.Cc {
		to = append(to, a.Addr)
	}
	date := out.Date
	m := &store.Message{
		TicketID: ticketID, Direction: store.Out, Kind: kind, MessageID: out.MessageID,
		ContentHash: contentHash(raw, true), From: out.From.Addr, FromName: out.From.Name, To: to,
		Subject: out.Subject, Date: &date, Text: out.Text, Raw: raw, CreatedAt: now,
	}
	if out.InReplyTo != "" {
		m.Refs = append([]string{out.InReplyTo}, out.References...)
	}
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	if _, err := tx.Enqueue(ctx, m.ID, out.From.Addr, to, now); err != nil {
		return err
	}
	return tx.AddEvent(ctx, ticketID, now, "queued", fmt.Sprintf("%s to %s", kind, strings.Join(to, ", ")))
}

func customerName(a mailbox.Address) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Addr
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newMessageID makes a globally unique Message-ID in the mailbox's domain.
func newMessageID(ticket int64, from string) string {
	var b [10]byte
	rand.Read(b[:])
	domain := "maildesk.invalid"
	if _, dom, ok := strings.Cut(from, "@"); ok && dom != "" {
		domain = dom
	}
	return fmt.Sprintf("maildesk.%d.%s@%s", ticket, strings.ToLower(idEncoding.EncodeToString(b[:])), domain)
}
