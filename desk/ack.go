package desk

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// queueAck composes the acknowledgement of a new ticket, stores it and puts
// it in the outbox, inside the intake transaction. classify has decided
// that it goes (the rate limit included).
func (d *Desk) queueAck(ctx context.Context, tx *store.Tx, t *store.Ticket, dec rules.Decision, in *message.Message, now time.Time) error {
	rcpt := ackRecipient(in)
	rcpt.Name = plainName(rcpt.Name)
	out, err := d.ackMail(ctx, t, dec, in, rcpt, now)
	if err == nil && noRecipient(out) {
		// Registered without an email address: the handler tells them.
		return d.remindInstead(ctx, tx, t.ID, KindAck, out, now)
	}
	out.Headers = append(out.Headers, [2]string{"X-Maildesk-Kind", KindAck})
	if err == nil {
		var raw []byte
		if raw, err = message.Compose(out); err == nil {
			err = d.queueComposed(ctx, tx, t.ID, KindAck, out, raw, now)
			if _, ok := withheld(err); !ok {
				return err
			}
		}
	}
	// A sender address no mail can go to ("user2", "info@example.org.")
	// must not stop intake: the inquiry is stored, staff can still answer
	// it, and the mailbox goes on.
	d.log.Warn("no acknowledgement possible", "ticket", t.ID, "to", rcpt.Addr, "err", err)
	return tx.AddEvent(ctx, t.ID, now, "ack-skipped", err.Error())
}

// ackMail renders the acknowledgement of ticket t to rcpt.
func (d *Desk) ackMail(ctx context.Context, t *store.Ticket, dec rules.Decision, in *message.Message, rcpt message.Address, now time.Time) (message.Outgoing, error) {
	mb := d.mailboxes[t.Mailbox]
	cat := dec.Category
	tmpl := cat.AckTemplate
	if tmpl == "" {
		tmpl = "ack"
	}
	text, html, err := d.templatesOf(ctx).Render(tmpl, templates.Ack{
		Tag:        t.FullTag(),
		Subject:    t.Subject,
		Category:   cat.Name,
		CategoryEn: cat.NameEn,
		Customer:   customerName(in.From),
		Handler:    tcontact(t.Handler),
		Received:   t.CreatedAt.In(d.loc), // now, for mail; when a registered complaint came in
		Due:        t.DueAt.In(d.loc),
		Mailbox:    mb.Address,
		// The ticket's language, decided by the rules from this mail.
		EnglishFirst: englishFirst(t),
	})
	if err != nil {
		return message.Outgoing{}, fmt.Errorf("render %s for ticket %d: %w", tmpl, t.ID, err)
	}
	out := message.Outgoing{
		From:          message.Address{Name: d.categoryName(ctx, t), Addr: mb.Address},
		To:            []message.Address{rcpt},
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
		out.References = append(lastRefs(in.References, maxCopiedRefs-1), in.MessageID)
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
	text, _, err := d.templatesOf(ctx).Render("quarantine", templates.Quarantine{
		Handler: tcontact(t.Handler),
		Mailbox: mb.Address, Tag: t.FullTag(), TicketID: t.ID, From: m.From, Subject: m.Subject,
		Received: now.In(d.loc), Reason: m.Quarantine,
	})
	if err != nil {
		return fmt.Errorf("render quarantine notice for ticket %d: %w", t.ID, err)
	}
	return d.queue(ctx, tx, t.ID, KindQuarantineNotice, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: mb.Address},
		To:            []message.Address{{Name: t.Handler.Name, Addr: t.Handler.Email}},
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
func (d *Desk) queue(ctx context.Context, tx *store.Tx, ticketID int64, kind string, out message.Outgoing, now time.Time) error {
	if customerKinds[kind] && noRecipient(out) {
		return d.remindInstead(ctx, tx, ticketID, kind, out, now)
	}
	out.Headers = append(out.Headers, [2]string{"X-Maildesk-Kind", kind})
	raw, err := message.Compose(out)
	if err != nil {
		return fmt.Errorf("compose %s for ticket %d: %w", kind, ticketID, err)
	}
	return d.queueComposed(ctx, tx, ticketID, kind, out, raw, now)
}

// A mail to a customer passes guardCustomerMail first; one it stops is not
// stored, and the error says why (see withheld).
func (d *Desk) queueComposed(ctx context.Context, tx *store.Tx, ticketID int64, kind string, out message.Outgoing, raw []byte, now time.Time) error {
	if err := d.guardCustomerMail(ctx, tx, ticketID, kind, out); err != nil {
		if reason, ok := withheld(err); ok {
			d.log.Warn("mail to a customer withheld", "ticket", ticketID, "kind", kind, "reason", reason)
		}
		return err
	}
	var to []string
	for _, a := range out.To {
		to = append(to, a.Addr)
	}
	for _, a := range out.Cc {
		to = append(to, a.Addr)
	}
	date := out.Date
	m := &store.Message{
		TicketID: ticketID, Direction: store.Out, Kind: kind, MessageID: out.MessageID, ToKey: recipientKey(to),
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

// recipientKey is what the per-recipient limits count a mail by: the
// canonical address of its one recipient, or every recipient's, joined.
func recipientKey(to []string) string {
	keys := make([]string, len(to))
	for i, a := range to {
		keys[i] = message.Canonical(a)
	}
	return strings.Join(keys, ", ")
}

// maxCopiedRefs is how many ids of a customer's References an answer
// copies: the last ones, as RFC 5322 §3.6.4 allows, so that a sender
// cannot make every mail to them as long as their header.
const maxCopiedRefs = 10

// lastRefs returns the last n of refs, or all when there are fewer.
func lastRefs(refs []string, n int) []string {
	if len(refs) > n {
		refs = refs[len(refs)-n:]
	}
	return append([]string(nil), refs...)
}

// maxNameRunes bounds a display name maildesk repeats to its owner.
const maxNameRunes = 64

// plainName returns a sender's display name when it is plain text of sane
// length, and "" otherwise: a name is the sender's own input, and mail
// that greets "고객님" is better than mail that repeats a URL, an address or
// a page of text back at whoever is behind that address.
func plainName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes || !utf8.ValidString(name) {
		return ""
	}
	if strings.ContainsAny(name, "<>@/\\:;{}[]") {
		return ""
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return ""
		}
	}
	return name
}

// customerName is what a mail to a customer calls them: their plain
// display name, or their address.
func customerName(a message.Address) string {
	if n := plainName(a.Name); n != "" {
		return n
	}
	return a.Addr
}

// customerAddr is where mail to t's customer goes, under their name when
// it is plain (plainName).
func customerAddr(t *store.Ticket) message.Address {
	return message.Address{Name: plainName(t.CustomerName), Addr: t.Customer}
}

// customerLabel is t's customer as staff see them: "name <address>", or
// the address alone. Staff get the name as given (clipped), not
// plainName's: they are not who a hostile name is aimed at, and it helps
// them tell a customer.
func customerLabel(t *store.Ticket) string {
	name := clip(strings.TrimSpace(t.CustomerName), maxSubjectRunes)
	if t.Customer == "" {
		// Registered without an email address (channel.go).
		return strings.TrimSpace(fmt.Sprintf("%s (%s %s)", name, t.Channel, t.CustomerPhone))
	}
	if name == "" {
		return t.Customer
	}
	return name + " <" + t.Customer + ">"
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
