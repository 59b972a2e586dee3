package desk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// original finds the mail #original asks for: message arg of t (numbered
// as `maildesk ticket` lists them, from 1), or with no arg the customer's
// latest. Only the customer's mails qualify: the others are ours or
// staff's, and a notice of ours carries a handler's reply token, which no
// other handler may be handed. problem says why not, for the handler.
func (d *Desk) original(ctx context.Context, tx *store.Tx, t *store.Ticket, arg string) (n int, m *store.Message, problem string, err error) {
	ms, err := tx.Messages(ctx, t.ID)
	if err != nil {
		return 0, nil, "", err
	}
	customer := func(m *store.Message) bool {
		return m.Direction == store.In && (m.Kind == KindInquiry || m.Kind == KindFollowUp || m.Kind == KindRegistered)
	}
	if arg == "" {
		for i := len(ms) - 1; i >= 0; i-- {
			if customer(ms[i]) {
				return i + 1, ms[i], "", nil
			}
		}
		return 0, nil, "#original: this ticket has no mail from the customer (원본을 보낼 고객 메일이 없습니다)", nil
	}
	n, err = strconv.Atoi(arg)
	switch {
	case err != nil || n < 1:
		// parseCommands has said so already.
		return 0, nil, fmt.Sprintf("#original %q: not a message number", arg), nil
	case n > len(ms):
		return 0, nil, fmt.Sprintf("#original %d: ticket %d has messages 1 to %d (%d번 메일이 없습니다)", n, t.ID, len(ms), n), nil
	case !customer(ms[n-1]):
		return 0, nil, fmt.Sprintf("#original %d: message %d is %s %s, not the customer's mail (고객이 보낸 메일만 보낼 수 있습니다)",
			n, n, ms[n-1].Direction, ms[n-1].Kind), nil
	}
	return n, ms[n-1], "", nil
}

// originalProblem says why #original arg cannot be carried out, or "": it
// runs with the other commands' checks, so that a reply is carried out
// whole or not at all.
func (d *Desk) originalProblem(ctx context.Context, tx *store.Tx, t *store.Ticket, arg string) (string, error) {
	if n, err := strconv.Atoi(arg); arg != "" && (err != nil || n < 1) {
		return "", nil // parseCommands has reported it
	}
	n, m, problem, err := d.original(ctx, tx, t, arg)
	if err != nil || problem != "" {
		return problem, err
	}
	// An admin who set staff_attachments_max = "0" wants no customer file
	// in staff mailboxes, and the mail as received carries them all.
	extract := fmt.Sprintf("maildesk ticket %d -raw %d", t.ID, n)
	if d.attachMax <= 0 {
		return fmt.Sprintf("#original: files are not sent to staff by mail here (staff_attachments_max); an admin can write it out with: %s "+
			"(메일로 첨부하지 않도록 설정되어 있습니다)", extract), nil
	}
	raw, err := tx.MessageRaw(ctx, m.ID)
	if err != nil {
		return "", err
	}
	if int64(len(raw)) > d.attachMax {
		return fmt.Sprintf("#original %d: the mail is %s, more than the %s a mail to staff may carry; an admin can write it out with: %s "+
			"(메일이 너무 커서 첨부할 수 없습니다)", n, HumanSize(int64(len(raw))), HumanSize(d.attachMax), extract), nil
	}
	return "", nil
}

// sendOriginal sends h the mail #original asks for, byte for byte, as a
// message/rfc822 attachment: for a handler to open it in their client,
// check how it travelled, or pass it on whole (originalProblem has found
// nothing against it). It is a KindStaffNotice like every mail to a
// handler, and counts toward their hourly limit.
func (d *Desk) sendOriginal(ctx context.Context, tx *store.Tx, t *store.Ticket, h *rules.Handler, arg string, now time.Time) error {
	n, m, _, err := d.original(ctx, tx, t, arg)
	if err != nil {
		return err
	}
	raw, err := tx.MessageRaw(ctx, m.ID)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("ticket-%d-message-%d.eml", t.ID, n)
	body, _, err := d.templatesOf(ctx).Render("original", templates.Original{
		Handler: tcontact(contactOf(h)), Tag: t.FullTag(), Number: n,
		From: m.From, Subject: m.Subject, Received: m.CreatedAt.In(d.loc), Name: name,
	})
	if err != nil {
		return fmt.Errorf("render original for ticket %d: %w", t.ID, err)
	}
	mb := d.mailboxes[t.Mailbox]
	key, err := d.replyKey(ctx, tx)
	if err != nil {
		return err
	}
	if err := tx.AddEvent(ctx, t.ID, now, "original", fmt.Sprintf("message %d sent to %s as received", n, h.ID)); err != nil {
		return err
	}
	// With the handler's token, as the notice has: a reply to this mail
	// is a reply to the ticket, not a spoof.
	return d.queue(ctx, tx, t.ID, KindStaffNotice, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: mb.Address},
		To:            []message.Address{{Name: h.Name, Addr: h.Email}},
		ReplyTo:       []message.Address{{Name: d.categoryName(ctx, t), Addr: replyAddress(key, mb.Address, t.ID, h.Email)}},
		Subject:       fmt.Sprintf("%s 원본 메일 / Original mail %d: %s", t.FullTag(), n, t.Subject),
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-replied",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          body,
		Attachments:   []message.Attachment{{Name: name, ContentType: "message/rfc822", Data: raw}},
	}, now)
}
