package desk

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// KindStaffNew is a handler's mail that registered a complaint from
// another channel: "#new voc phone 홍길동 010-1234-5678" on its first
// line, the complaint below.
const KindStaffNew = "staff-new"

// isStaffNew reports whether msg's new text starts with a #new line.
func isStaffNew(msg *message.Message) bool {
	line, _ := firstLine(msg.NewText)
	name, _, _ := strings.Cut(line, " ")
	return strings.EqualFold(name, "#new")
}

// firstLine splits text into its first non-blank line and the rest.
func firstLine(text string) (string, string) {
	text = strings.TrimLeft(strings.ReplaceAll(text, "\r\n", "\n"), " \t\n")
	line, rest, _ := strings.Cut(text, "\n")
	return strings.TrimSpace(line), strings.TrimSpace(rest)
}

// parseStaffNew reads "#new CATEGORY CHANNEL NAME [PHONE] [EMAIL]": a word
// with "@" is the email address, one of digits, '-', '+', '(' and ')' the
// phone number, and the other words the name.
func parseStaffNew(line string) (r Registration, problems []string) {
	f := strings.Fields(line)
	if len(f) < 4 {
		return r, []string{"#new needs a category, a channel and the customer's name: #new voc phone 홍길동 010-1234-5678 [hong@example.com]"}
	}
	r.Category, r.Channel = strings.ToLower(f[1]), strings.ToLower(f[2])
	var name []string
	for _, w := range f[3:] {
		switch {
		case strings.Contains(w, "@"):
			if r.Email != "" {
				problems = append(problems, "#new: two email addresses")
			}
			r.Email = strings.Trim(w, "<>")
		case strings.Trim(w, "0123456789-+()") == "" && strings.ContainsAny(w, "0123456789"):
			if r.Phone != "" {
				problems = append(problems, "#new: two phone numbers")
			}
			r.Phone = w
		default:
			name = append(name, w)
		}
	}
	r.Name = strings.Join(name, " ")
	return r, problems
}

// staffNewTicket registers the complaint a handler's proven mail (DKIM or
// DMARC verified by the institute's server, as a direct answer is) describes;
// what is wrong with it goes back to them, and nothing is opened.
func (d *Desk) staffNewTicket(ctx context.Context, tx *store.Tx, mbox string, m *store.Message, msg *message.Message, h *rules.Handler, now time.Time) error {
	line, text := firstLine(msg.NewText)
	r, problems := parseStaffNew(line)
	r.Subject, r.Text, r.Received, r.Mailbox, r.By = baseSubject(msg.Subject), text, now, mbox, h.ID
	if len(problems) == 0 {
		if err := d.checkRegistration(ctx, &r, now); err != nil {
			problems = append(problems, strings.TrimPrefix(err.Error(), "register: "))
		}
	}
	m.Kind = KindStaffNew
	if len(problems) > 0 {
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		if err := tx.AddEvent(ctx, 0, now, "command-error", h.ID+": #new: "+strings.Join(problems, "; ")); err != nil {
			return err
		}
		return d.queueNewError(ctx, tx, mbox, h, problems, now)
	}
	t, err := d.register(ctx, tx, r, now)
	if err != nil {
		return err
	}
	m.TicketID = t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	return tx.AddEvent(ctx, t.ID, now, "registered", fmt.Sprintf("by mail from %s (verified)", h.ID))
}

// queueNewError tells h why their #new mail registered nothing.
func (d *Desk) queueNewError(ctx context.Context, tx *store.Tx, mbox string, h *rules.Handler, problems []string, now time.Time) error {
	var ids []string
	for id := range d.rulesOf(ctx).Handlers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	body, _, err := d.templatesOf(ctx).Render("staff-error", templates.StaffError{
		Handler: tcontact(contactOf(h)), Tag: "#new", Problems: problems, Handlers: strings.Join(ids, ", "),
		DeferExample: now.In(d.loc).AddDate(0, 0, 7).Format("2006-01-02"),
	})
	if err != nil {
		return err
	}
	from := d.mailboxes[mbox].Address
	return d.queue(ctx, tx, 0, KindStaffNotice, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: from},
		To:            []message.Address{{Name: h.Name, Addr: h.Email}},
		Subject:       "[maildesk] #new: 등록하지 못함 / Not registered",
		MessageID:     newMessageID(0, from),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-replied",
		Text:          body,
	}, now)
}
