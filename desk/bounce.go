package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// KindBounce marks a delivery failure notice that returns a mail maildesk
// sent: the person it was for did not get it.
const KindBounce = "bounce"

// returned is a mail of ours that a bounce hands back.
type returned struct {
	ticket *store.Ticket
	mail   *store.Message // our outgoing message
}

// bouncedMail finds which of our sent mails msg returns, by the Message-IDs
// quoted in the report (the original's In-Reply-To is of no help: a DSN
// names the returned mail only in its report parts). Nil when msg returns
// nothing of ours.
func (d *Desk) bouncedMail(ctx context.Context, tx *store.Tx, msg *message.Message) (*returned, error) {
	ids := msg.ReturnedMessageIDs()
	if len(ids) == 0 {
		return nil, nil
	}
	tid, err := tx.TicketByReferences(ctx, ids)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ms, err := tx.Messages(ctx, tid)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.Direction == store.Out && slices.Contains(ids, m.MessageID) {
			t, err := tx.Ticket(ctx, tid)
			if err != nil {
				return nil, err
			}
			return &returned{ticket: t, mail: m}, nil
		}
	}
	// The ids name a customer's mail on the ticket, not ours: an ordinary
	// automatic mail.
	return nil, nil
}

// recordBounce stores a bounce of our mail on its ticket with an event, and
// tells the handler when the customer missed an answer or an
// acknowledgement. A bounce of a mail to the handler is only recorded:
// telling the handler by mail again would loop.
func (d *Desk) recordBounce(ctx context.Context, tx *store.Tx, m *store.Message, msg *message.Message, r *returned, now time.Time) error {
	t, ours := r.ticket, r.mail
	m.Kind, m.TicketID = KindBounce, t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	to := strings.Join(ours.To, ", ")
	why := bounceReason(msg)
	detail := fmt.Sprintf("our %s to %s (Message-ID <%s>) was not delivered: %s", ours.Kind, to, ours.MessageID, why)
	if err := tx.AddEvent(ctx, t.ID, now, "bounce", detail); err != nil {
		return err
	}
	d.log.Warn("mail bounced", "ticket", t.ID, "kind", ours.Kind, "to", to, "reason", why)
	return d.tellUndelivered(ctx, tx, t, ours.Kind, ours.To, why, cmp.Or(msg.NewText, msg.Text), now)
}

// tellUndelivered tells ticket t's handler that a mail of kind to the
// addresses to did not arrive (a bounce, or a permanent SMTP refusal), so
// that the customer is reached some other way. A mail to the handler is
// only recorded: telling them by mail again would loop.
func (d *Desk) tellUndelivered(ctx context.Context, tx *store.Tx, t *store.Ticket, kind string, to []string, why, report string, now time.Time) error {
	if kind == KindStaffNotice || t.Handler.Email == "" || slices.ContainsFunc(to, func(a string) bool { return message.SameAddress(a, t.Handler.Email) }) {
		return nil
	}
	text := fmt.Sprintf("%s → %s: %s", kind, strings.Join(to, ", "), why)
	if report != "" {
		text += "\n\n" + report
	}
	return d.queueStaffNotice(ctx, tx, t, text, staffBounce, now)
}

// bounceReason is the first line of the report that says why, or the
// bounce's subject.
func bounceReason(msg *message.Message) string {
	for _, a := range msg.Attachments {
		if a.ContentType != "message/delivery-status" && a.ContentType != "message/global-delivery-status" {
			continue
		}
		for _, line := range strings.Split(string(a.Data), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && strings.EqualFold(strings.TrimSpace(k), "Diagnostic-Code") {
				return strings.TrimSpace(v)
			}
		}
	}
	if msg.Subject != "" {
		return msg.Subject
	}
	return "delivery failed"
}

// failedToHandler tells the handler of a delivery the SMTP server refused
// for good (the bounce that comes back later, if any, is recorded too).
func (d *Desk) failedToHandler(ctx context.Context, tx *store.Tx, dl *store.Delivery, sendErr error, now time.Time) error {
	if dl.TicketID == 0 {
		return nil
	}
	t, err := tx.Ticket(ctx, dl.TicketID)
	if err != nil {
		return err
	}
	return d.tellUndelivered(ctx, tx, t, dl.Kind, dl.To, sendErr.Error(), "", now)
}
