package desk

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// VOC from other channels: a complaint received by phone, post, visit,
// fax or on the web is registered (`maildesk ticket new`) as a ticket
// like one opened by mail. Its first message is a synthetic one of kind
// KindRegistered with the text given. With an email address the customer
// gets the acknowledgement and every later mail; without one each such
// mail goes to the handler as a reminder (KindReminder) with its text, to
// give by phone or letter.

// Kinds of the channel's messages.
const (
	KindRegistered = "registered" // the synthetic first message of a ticket registered from another channel
	KindReminder   = "reminder"   // a mail for a customer without an address, sent to the handler instead
)

// Channels are the channels a ticket can be registered from, besides
// mail (store.ChannelEmail).
var Channels = []string{"web", "post", "visit", "fax", "phone"}

// Registration is a complaint received elsewhere, to be registered.
type Registration struct {
	Category string // category id; required
	Channel  string // one of Channels; required
	Name     string // the customer's name; required
	Email    string // the customer's address; "" when they gave none
	Phone    string
	Subject  string // required
	Text     string // what they said or wrote; required
	Received time.Time
	Handler  string // handler id; "" lets the rules decide
	Mailbox  string // the published mailbox it is answered from; "" for the category's, or the first configured
	By       string // who registered it, for the event ("cli", a handler id)
}

// maxRegistrationRunes bounds a registered text, as a mail's would be.
const maxRegistrationRunes = 100000

// registrationProblems checks r against the rules and the time now.
func (d *Desk) registrationProblems(rs *rules.Set, r *Registration, now time.Time) []string {
	var ps []string
	if !slices.Contains(Channels, r.Channel) {
		ps = append(ps, fmt.Sprintf("channel %q: want one of %s", r.Channel, strings.Join(Channels, ", ")))
	}
	if rs.Categories[r.Category] == nil {
		ps = append(ps, fmt.Sprintf("category %q: no such category", r.Category))
	}
	if r.Handler != "" && rs.Handlers[r.Handler] == nil {
		ps = append(ps, fmt.Sprintf("handler %q: no such handler", r.Handler))
	}
	for _, f := range []struct{ name, v string }{{"name", r.Name}, {"subject", r.Subject}, {"text", r.Text}} {
		switch {
		case strings.TrimSpace(f.v) == "":
			ps = append(ps, f.name+" is required")
		case !utf8.ValidString(f.v):
			ps = append(ps, f.name+" is not valid UTF-8")
		case f.name != "text" && (strings.ContainsAny(f.v, "\r\n") || utf8.RuneCountInString(f.v) > maxSubjectRunes):
			ps = append(ps, fmt.Sprintf("%s: one line of at most %d characters", f.name, maxSubjectRunes))
		case utf8.RuneCountInString(f.v) > maxRegistrationRunes:
			ps = append(ps, fmt.Sprintf("%s: more than %d characters", f.name, maxRegistrationRunes))
		}
	}
	if strings.ContainsAny(r.Phone, "\r\n") || utf8.RuneCountInString(r.Phone) > 40 {
		ps = append(ps, "phone: one short line")
	}
	if r.Email != "" {
		a, err := netmail.ParseAddress(r.Email)
		if err != nil || a.Name != "" || a.Address != r.Email || d.own[message.Canonical(r.Email)] || d.staffOf(rs)[message.Canonical(r.Email)] != nil {
			ps = append(ps, fmt.Sprintf("email %q: want the customer's own address, like hong@example.com", r.Email))
		}
	}
	if r.Mailbox != "" {
		if _, ok := d.mailboxes[r.Mailbox]; !ok {
			ps = append(ps, fmt.Sprintf("mailbox %q: no such mailbox", r.Mailbox))
		}
	}
	switch {
	case r.Received.After(now.Add(time.Minute)):
		ps = append(ps, fmt.Sprintf("received %s is in the future", fmtKST(r.Received, d.loc)))
	case r.Received.Before(now.AddDate(-1, 0, 0)):
		ps = append(ps, fmt.Sprintf("received %s is more than a year ago", fmtKST(r.Received, d.loc)))
	}
	return ps
}

// registrationMailbox is the mailbox a registered ticket is answered
// from: the one asked for, the one whose rule files mail in its category,
// or the first configured.
func (d *Desk) registrationMailbox(rs *rules.Set, r *Registration) string {
	if r.Mailbox != "" {
		return r.Mailbox
	}
	for _, n := range d.order {
		if mr := rs.Mailboxes[n]; mr != nil && mr.Category == r.Category {
			return n
		}
	}
	if len(d.order) == 0 {
		return ""
	}
	return d.order[0]
}

// Register opens a ticket for a complaint received elsewhere, in one
// transaction: the ticket on its category's clock from r.Received (now
// when zero), its synthetic first message, the acknowledgement (to the
// customer, or as a reminder to the handler) and the handler's notice.
// Routing picks the handler (the category's, or the mailbox's), and
// absences apply, as for mail.
func (d *Desk) Register(ctx context.Context, r Registration) (*store.Ticket, error) {
	ctx = d.withSnapshot(ctx)
	now := d.clock.Now()
	if err := d.checkRegistration(ctx, &r, now); err != nil {
		return nil, err
	}
	var t *store.Ticket
	err := d.store.Write(ctx, func(tx *store.Tx) (err error) {
		t, err = d.register(ctx, tx, r, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("register %s complaint: %w", r.Channel, d.diskFull(err, "the complaint"))
	}
	d.Wake()
	return t, nil
}

// checkRegistration tidies r and checks it.
func (d *Desk) checkRegistration(ctx context.Context, r *Registration, now time.Time) error {
	r.Name, r.Subject, r.Email, r.Phone = strings.TrimSpace(r.Name), strings.TrimSpace(r.Subject), strings.TrimSpace(r.Email), strings.TrimSpace(r.Phone)
	r.Text = strings.TrimSpace(strings.ReplaceAll(r.Text, "\r\n", "\n"))
	if r.Received.IsZero() {
		r.Received = now
	}
	if ps := d.registrationProblems(d.rulesOf(ctx), r, now); len(ps) > 0 {
		return fmt.Errorf("register: %s", strings.Join(ps, "; "))
	}
	if d.registrationMailbox(d.rulesOf(ctx), r) == "" {
		return errors.New("register: no mailbox configured to answer from")
	}
	return nil
}

// register opens the ticket of r, which checkRegistration passed, in tx.
func (d *Desk) register(ctx context.Context, tx *store.Tx, r Registration, now time.Time) (*store.Ticket, error) {
	rs := d.rulesOf(ctx)
	mbox := d.registrationMailbox(rs, &r)
	cat := rs.Categories[r.Category]
	in := rules.Input{Mailbox: mbox, From: message.Canonical(r.Email), Subject: r.Subject, Text: r.Text, At: r.Received}
	route, err := rs.Decide(in)
	if err != nil {
		return nil, fmt.Errorf("register: route: %w", err)
	}
	handlerID := r.Handler
	rule := "handler given"
	if handlerID == "" {
		switch {
		case route.Category.ID == cat.ID:
			handlerID, rule = firstHandler(route.Absent, route.Handler).ID, route.Rule
		case cat.Handler != "":
			handlerID, rule = cat.Handler, "category "+cat.ID+" handler"
		default:
			handlerID, rule = rs.Mailboxes[mbox].Handler, "mailbox "+mbox+" default"
		}
	}
	h := rs.Handlers[handlerID]
	var absent *rules.Handler
	if dh, away := rs.Delegate(h, r.Received); away {
		absent, h = h, dh
	}
	priority := rules.PriorityNormal
	if route.Category.ID == cat.ID {
		priority = route.Priority
	}
	due, notice := window(cat, r.Received)
	t := &store.Ticket{
		Tag: cat.Tag, Mailbox: mbox, Category: cat.ID, Status: store.StatusOpen, Handler: contactOf(h),
		Customer: r.Email, CustomerKey: message.Canonical(r.Email), CustomerName: r.Name, CustomerPhone: r.Phone,
		Subject: ticketSubject(r.Subject, route.Language), CreatedAt: r.Received, UpdatedAt: now,
		DueAt: &due, NoticeAt: notice, PromisedAt: &due, Priority: priority, Language: route.Language, Channel: r.Channel,
	}
	if err := tx.InsertTicket(ctx, t); err != nil {
		return nil, err
	}
	mb := d.mailboxes[mbox]
	raw := registeredRaw(r, mb.Address, newMessageID(t.ID, mb.Address))
	m := &store.Message{
		TicketID: t.ID, Direction: store.In, Kind: KindRegistered,
		ContentHash: contentHash(raw, false), From: r.Email, FromKey: message.Canonical(r.Email), FromName: r.Name,
		To: []string{mb.Address}, Subject: r.Subject, Date: &r.Received, Text: r.Text, NewText: r.Text, Raw: raw, CreatedAt: now,
	}
	if err := tx.InsertMessage(ctx, m); err != nil {
		return nil, err
	}
	if err := tx.AddEvent(ctx, t.ID, now, "opened", fmt.Sprintf("category %s, handler %s, priority %s, language %s, channel %s, received %s, registered by %s, by %s",
		t.Category, t.Handler.ID, t.Priority, t.Language, t.Channel, fmtKST(r.Received, d.loc), cmp.Or(r.By, "cli"), rule)); err != nil {
		return nil, err
	}
	if err := d.openedCorrection(ctx, tx, t, r.Received); err != nil {
		return nil, err
	}
	if absent != nil {
		if err := d.delegated(ctx, tx, t, absent, now); err != nil {
			return nil, err
		}
	}
	route.Category, route.Handler = cat, h
	ack := &message.Message{From: message.Address{Name: r.Name, Addr: r.Email}, Subject: r.Subject}
	if err := d.queueAck(ctx, tx, t, route, ack, now); err != nil {
		return nil, err
	}
	if err := d.staffNotice(ctx, tx, t, r.Text, staffNew, noticeFacts{}, now); err != nil {
		return nil, err
	}
	d.log.Info("complaint registered", "ticket", t.ID, "channel", t.Channel, "category", t.Category, "handler", t.Handler.ID, "due", t.DueAt, "by", cmp.Or(r.By, "cli"))
	return t, nil
}

// firstHandler is a when set, else b.
func firstHandler(a, b *rules.Handler) *rules.Handler {
	if a != nil {
		return a
	}
	return b
}

// registeredRaw is a small RFC 5322 rendering of a registered complaint,
// so that everything that reads a ticket's first mail (the ticket view,
// #original, attachments) works on it.
func registeredRaw(r Registration, mailbox, id string) []byte {
	var b bytes.Buffer
	from := mime.BEncoding.Encode("utf-8", r.Name)
	if r.Email != "" {
		fmt.Fprintf(&b, "From: %s <%s>\r\n", from, r.Email)
	} else {
		fmt.Fprintf(&b, "From: %s <>\r\n", from)
	}
	fmt.Fprintf(&b, "To: <%s>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", mailbox,
		mime.BEncoding.Encode("utf-8", r.Subject), r.Received.Format(time.RFC1123Z), id)
	fmt.Fprintf(&b, "X-Maildesk-Channel: %s\r\n", r.Channel)
	if r.Phone != "" {
		fmt.Fprintf(&b, "X-Maildesk-Phone: %s\r\n", mime.BEncoding.Encode("utf-8", r.Phone))
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(r.Text, "\n", "\r\n"))
	b.WriteString("\r\n")
	return b.Bytes()
}

// noRecipient reports whether out has no address to go to: a mail to the
// customer of a ticket registered without an email address.
func noRecipient(out message.Outgoing) bool {
	for _, list := range [][]message.Address{out.To, out.Cc} {
		for _, a := range list {
			if strings.TrimSpace(a.Addr) != "" {
				return false
			}
		}
	}
	return true
}

// reminderWhat says in words what mail a reminder stands for.
var reminderWhat = map[string]string{
	KindAck:              "접수 안내 / acknowledgement",
	KindNotice:           "답변 지연 안내 / delay notice",
	KindTransfer:         "담당자 변경 안내 / new handler",
	KindAnswer:           "답변 / answer",
	KindCorrectionResult: "시정 요청 처리 결과 / outcome of the correction request",
}

// remindInstead sends the handler of ticket id, whose customer has no
// email address, the mail out of kind that the customer would have had,
// to give it to them by phone or letter. Nothing goes to an empty address.
func (d *Desk) remindInstead(ctx context.Context, tx *store.Tx, id int64, kind string, out message.Outgoing, now time.Time) error {
	t, err := tx.Ticket(ctx, id)
	if err != nil {
		return err
	}
	if t.Handler.Email == "" {
		return tx.AddEvent(ctx, id, now, "reminder-skipped", kind+": the customer has no email address and the handler none either")
	}
	key, err := d.replyKey(ctx, tx)
	if err != nil {
		return err
	}
	mb := d.mailboxes[t.Mailbox]
	body, _, err := d.templatesOf(ctx).Render("reminder", templates.Reminder{
		Handler: tcontact(t.Handler), Tag: t.FullTag(), Subject: t.Subject, Channel: t.Channel,
		Customer: t.CustomerName, Phone: t.CustomerPhone, Kind: kind, What: cmp.Or(reminderWhat[kind], kind),
		Text: out.Text, Mailbox: mb.Address,
	})
	if err != nil {
		return fmt.Errorf("render reminder for ticket %d: %w", id, err)
	}
	return d.queue(ctx, tx, id, KindReminder, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: mb.Address},
		To:            []message.Address{{Name: t.Handler.Name, Addr: t.Handler.Email}},
		ReplyTo:       []message.Address{{Name: d.categoryName(ctx, t), Addr: replyAddress(key, mb.Address, t.ID, t.Handler.Email)}},
		Subject:       t.FullTag() + " 고객 안내 필요 (" + t.Channel + ") / Tell the customer: " + t.Subject,
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          body,
	}, now)
}
