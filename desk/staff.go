package desk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// Kinds of staff mail.
const (
	KindStaffReply  = "staff-reply"  // a handler's reply to maildesk, with a valid token
	KindStaffDirect = "staff-direct" // a handler's answer sent straight to the customer, helpdesk in Cc
	KindAnswer      = "answer"       // a staff answer relayed to the customer
	KindTransfer    = "transfer"     // the customer told of a new handler
)

// replyKey returns the HMAC key of reply tokens, creating it in tx on first
// use.
func (d *Desk) replyKey(ctx context.Context, tx *store.Tx) ([]byte, error) {
	if k := d.key.Load(); k != nil {
		return *k, nil
	}
	k, err := tx.Setting(ctx, replyKeySetting)
	if errors.Is(err, store.ErrNotFound) {
		k = make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		// Not cached: tx may yet roll back (a batch intake whose later
		// message fails), and a cached key that never reached the
		// database would sign tokens no restart could check. The next
		// call reads it back, from this tx or after its commit.
		if err := tx.SetSetting(ctx, replyKeySetting, k); err != nil {
			return nil, fmt.Errorf("reply token key: %w", err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reply token key: %w", err)
	}
	d.key.Store(&k)
	return k, nil
}

// existingReplyKey returns the HMAC key of reply tokens, or nil before
// the first token was made (then no token can be valid). It writes nothing.
func (d *Desk) existingReplyKey(ctx context.Context, tx *store.Tx) ([]byte, error) {
	if k := d.key.Load(); k != nil {
		return *k, nil
	}
	k, err := tx.Setting(ctx, replyKeySetting)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reply token key: %w", err)
	}
	return k, nil
}

// staffHandler returns the handler whose address addr is, or nil.
func (d *Desk) staffHandler(ctx context.Context, addr string) *rules.Handler {
	addr = message.Canonical(addr)
	if addr == "" {
		return nil
	}
	if s, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		return s.staff[addr]
	}
	return d.staffOf(d.rules.Load())[addr]
}

// actsFor reports whether h may act on t now: h is its handler, or the
// delegate of its handler while that handler is away. A token names a
// ticket and an address, and outlives an #assign; this is what makes it
// stop acting when the ticket moves on.
func (d *Desk) actsFor(ctx context.Context, t *store.Ticket, h *rules.Handler, now time.Time) bool {
	if h.ID == t.Handler.ID || (t.Handler.Email != "" && message.SameAddress(h.Email, t.Handler.Email)) {
		return true
	}
	rs := d.rulesOf(ctx)
	cur := rs.Handlers[t.Handler.ID]
	if cur == nil {
		return false
	}
	dh, away := rs.Delegate(cur, now)
	return away && dh != nil && dh.ID == h.ID
}

// formerHandler takes a reply from a handler the ticket has since left:
// nothing is relayed and no command runs; the text goes to the ticket's
// handler as a note, and the former handler is told.
func (d *Desk) formerHandler(ctx context.Context, tx *store.Tx, t *store.Ticket, m *store.Message, msg *message.Message, h *rules.Handler, now time.Time) error {
	m.Kind, m.TicketID = KindStaffReply, t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	if err := tx.AddEvent(ctx, t.ID, now, "note", fmt.Sprintf("%s (no longer the handler): %s", h.ID, clip(strings.TrimSpace(msg.NewText), 500))); err != nil {
		return err
	}
	d.log.Info("reply from a former handler kept as a note", "ticket", t.ID, "from", h.ID, "handler", t.Handler.ID)
	text := fmt.Sprintf("%s (%s):\n%s", h.Name, h.ID, strings.TrimSpace(msg.NewText))
	if err := d.queueStaffNotice(ctx, tx, t, text, staffFormer, now); err != nil {
		return err
	}
	problem := fmt.Sprintf("이 문의의 담당자는 이제 %s 님이어서 회신을 고객에게 보내지 않고 담당자에게 메모로 전달했습니다. / "+
		"This ticket is now handled by %s: your reply was not sent to the customer; it went to them as a note.", t.Handler.Name, t.Handler.ID)
	return d.queueStaffError(ctx, tx, t, h, []string{problem}, now)
}

// recipients lists every address a mail was delivered to: the headers
// and the trace fields servers add, where a Bcc'd token address shows.
func (d *Desk) recipients(msg *message.Message) []string {
	var out []string
	for _, list := range [][]message.Address{msg.To, msg.Cc} {
		for _, a := range list {
			out = append(out, a.Addr)
		}
	}
	if msg.Header.Header.Len() > 0 {
		for _, k := range []string{"Delivered-To", "X-Original-To"} {
			for _, v := range msg.Header.Values(k) {
				out = append(out, strings.Trim(strings.TrimSpace(v), "<>"))
			}
		}
	}
	return out
}

func addressedTo(msg *message.Message, addr string) bool {
	for _, list := range [][]message.Address{msg.To, msg.Cc} {
		for _, a := range list {
			if message.SameAddress(a.Addr, addr) {
				return true
			}
		}
	}
	return false
}

// staffReply carries out a handler's reply: commands first (all or
// nothing), then the answer relayed to the customer.
func (d *Desk) staffReply(ctx context.Context, tx *store.Tx, t *store.Ticket, m *store.Message, msg *message.Message, h *rules.Handler, now time.Time) error {
	m.Kind, m.TicketID = KindStaffReply, t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	// Only the new text counts. When there is none (a reply of only the
	// quoted notice, or of only an attribution line) nothing is relayed:
	// the whole text is the notice itself, with its reply token, and
	// relaying it once let the customer act as the handler.
	text := msg.NewText
	if strings.TrimSpace(text) == "" {
		const why = "회신에 새로 쓰신 내용이 없어 고객에게 아무것도 보내지 않았습니다. 인용문 위에 답변이나 명령을 써서 다시 회신해 주십시오. / " +
			"Your reply had no new text above the quoted notice, so nothing was sent to the customer. Write your answer or commands above the quote and reply again."
		if err := tx.AddEvent(ctx, t.ID, now, "empty-reply", h.ID+": no new text; nothing relayed"); err != nil {
			return err
		}
		return d.queueStaffError(ctx, tx, t, h, []string{why}, now)
	}
	cmds, answer, problems := parseCommands(text, d.loc)
	rs := d.rulesOf(ctx)
	for _, c := range cmds {
		if c.name == "assign" && rs.Handlers[c.arg] == nil && c.arg != "" {
			problems = append(problems, fmt.Sprintf("#assign %s: no such handler", c.arg))
		}
		if c.name == "original" {
			if p, err := d.originalProblem(ctx, tx, t, c.arg); err != nil {
				return err
			} else if p != "" {
				problems = append(problems, p)
			}
		}
		if c.name == "merge" && c.arg != "" {
			if p, err := d.mergeProblem(ctx, tx, t, c.arg, answer); err != nil {
				return err
			} else if p != "" {
				problems = append(problems, p)
			}
		}
		if c.name == "defer" && !c.date.IsZero() {
			if p := d.deferProblem(t, c.date, now); p != "" {
				problems = append(problems, fmt.Sprintf("#defer %s: %s", c.date.In(d.loc).Format("2006-01-02"), p))
			}
		}
	}
	if p, err := d.correctionProblems(ctx, tx, t, cmds); err != nil {
		return err
	} else {
		problems = append(problems, p...)
	}
	if len(problems) > 0 {
		if err := tx.AddEvent(ctx, t.ID, now, "command-error", strings.Join(problems, "; ")); err != nil {
			return err
		}
		return d.queueStaffError(ctx, tx, t, h, problems, now)
	}
	for _, c := range cmds {
		var err error
		switch c.name {
		case "note":
			err = tx.AddEvent(ctx, t.ID, now, "note", h.ID+": "+c.arg)
		case "status":
			t.DelayStatus = c.arg
			err = tx.AddEvent(ctx, t.ID, now, "status", h.ID+": "+c.arg)
		case "defer":
			// A #defer without words keeps the reason given before.
			if c.arg != "" {
				t.DelayReason = c.arg
			}
			deferTo(t, c.date, now)
			err = tx.AddEvent(ctx, t.ID, now, "deferred", fmt.Sprintf("%s: until %s: %s", h.ID, fmtKST(c.date, d.loc), c.arg))
		case "assign":
			err = d.transfer(ctx, tx, t, rs.Handlers[c.arg], h.ID, now)
		case "original":
			err = d.sendOriginal(ctx, tx, t, h, c.arg, now)
		case "merge":
			err = d.merge(ctx, tx, t, c.arg, h, now)
		case "uphold", "dismiss":
			err = d.decideCorrection(ctx, tx, t, c, cmds, answer, h, now)
		}
		if err != nil {
			return err
		}
	}
	// After #uphold or #dismiss the answer went in the correction-result.
	relay := answer != "" && !hasCommand(cmds, "noreply") && !decidesCorrection(cmds)
	if relay {
		err := d.relayAnswer(ctx, tx, t, answer, msg.Attachments, h, now)
		if reason, ok := withheld(err); ok {
			if err := tx.AddEvent(ctx, t.ID, now, "answer-withheld", h.ID+": "+reason); err != nil {
				return err
			}
			problem := "답변을 고객에게 보내지 않았습니다: " + reason + ". 그 부분을 지우고 다시 회신해 주십시오. / " +
				"Your answer was not sent: " + reason + ". Remove that part and reply again."
			if err := d.queueStaffError(ctx, tx, t, h, []string{problem}, now); err != nil {
				return err
			}
		} else if err != nil {
			return err
		} else {
			t.Status = store.StatusAnswered
			if t.AnsweredAt == nil {
				t.AnsweredAt = &now
			}
		}
	} else if answer != "" && !decidesCorrection(cmds) {
		if err := tx.AddEvent(ctx, t.ID, now, "recorded", h.ID+": answer recorded, not sent (#noreply)"); err != nil {
			return err
		}
	}
	if hasCommand(cmds, "close") {
		if err := d.closeTicket(ctx, tx, t, h.ID, "", false, now); err != nil {
			return err
		}
	}
	t.UpdatedAt = now
	return tx.UpdateTicket(ctx, t)
}

// directAnswer records an answer a handler sent to the customer with the
// helpdesk in Cc; its References proved it answers our notification.
func (d *Desk) directAnswer(ctx context.Context, tx *store.Tx, t *store.Ticket, m *store.Message, msg *message.Message, h *rules.Handler, now time.Time) error {
	m.Kind, m.TicketID = KindStaffDirect, t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	if t.Status == store.StatusOpen {
		t.Status = store.StatusAnswered
	}
	if t.AnsweredAt == nil {
		t.AnsweredAt = &now
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return err
	}
	return tx.AddEvent(ctx, t.ID, now, "answered", h.ID+" answered the customer directly (verified)")
}

// deferProblem says why t cannot be deferred to until at now, or "".
func (d *Desk) deferProblem(t *store.Ticket, until, now time.Time) string {
	switch {
	case t.Status == store.StatusClosed || t.Status == store.StatusQuarantined:
		return fmt.Sprintf("ticket %d is %s", t.ID, t.Status)
	case !until.After(now):
		return fmt.Sprintf("%s has passed", fmtKST(until, d.loc))
	case t.DueAt != nil && !until.After(*t.DueAt):
		return fmt.Sprintf("%s is not after the deadline %s: a defer can only move it later (answer by the deadline without one)",
			fmtKST(until, d.loc), fmtKST(*t.DueAt, d.loc))
	}
	return ""
}

// deferTo makes until t's expected completion date (deferProblem has
// found nothing against it). The promise the customer was given stays as
// it was (PromisedAt); the deadline in force, and with it the
// supervisor's alert, moves to until; and the customer is told at once,
// before the promised time, with the reason, the status and the new date:
// the delay notice is due now, and goes out once. The reason and the
// status are the caller's to set.
func deferTo(t *store.Ticket, until, now time.Time) {
	if t.PromisedAt == nil && t.DueAt != nil {
		p := *t.DueAt
		t.PromisedAt = &p
	}
	at := now
	t.DueAt, t.ExpectedAt, t.NoticeAt = &until, &until, &at
	t.NoticeSentAt, t.OverdueAt = nil, nil
	if t.Status == store.StatusAnswered {
		t.Status = store.StatusOpen
	}
}

// transfer hands t to h (or h's delegate when h is away), tells the
// customer who now has the inquiry and sends the new handler the ticket.
func (d *Desk) transfer(ctx context.Context, tx *store.Tx, t *store.Ticket, h *rules.Handler, by string, now time.Time) error {
	var absent *rules.Handler
	if dh, away := d.rulesOf(ctx).Delegate(h, now); away {
		absent, h = h, dh
	}
	old := t.Handler.ID
	t.Handler = contactOf(h)
	if absent != nil {
		if err := d.delegated(ctx, tx, t, absent, now); err != nil {
			return err
		}
	}
	if err := tx.AddEvent(ctx, t.ID, now, "assigned", fmt.Sprintf("%s -> %s by %s", old, h.ID, by)); err != nil {
		return err
	}
	mb := d.mailboxes[t.Mailbox]
	text, html, err := d.templatesOf(ctx).Render("transfer", templates.Transfer{
		Tag: t.FullTag(), Subject: t.Subject, Customer: customerName(customerAddr(t)),
		Handler: tcontact(t.Handler), Due: t.DueAt.In(d.loc), Mailbox: mb.Address, EnglishFirst: englishFirst(t),
	})
	if err != nil {
		return fmt.Errorf("render transfer for ticket %d: %w", t.ID, err)
	}
	out := message.Outgoing{
		From:          message.Address{Name: d.categoryName(ctx, t), Addr: mb.Address},
		To:            []message.Address{customerAddr(t)},
		Subject:       t.FullTag() + " " + bilingual(t, "담당자 변경 안내", "New handler") + ": " + t.Subject,
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          text, HTML: html,
	}
	d.threadInto(ctx, tx, t, &out)
	if err := d.queue(ctx, tx, t.ID, KindTransfer, out, now); err != nil {
		reason, ok := withheld(err)
		if !ok {
			return err
		}
		if err := tx.AddEvent(ctx, t.ID, now, "transfer-withheld", reason); err != nil {
			return err
		}
	}
	return d.queueStaffNotice(ctx, tx, t, "", staffTransfer, now)
}

// relayAnswer sends a handler's answer to the customer from the published
// address, threaded into the customer's conversation, signed with the
// handler's name, department, phone and email, with their attachments.
func (d *Desk) relayAnswer(ctx context.Context, tx *store.Tx, t *store.Ticket, answer string, atts []message.Attachment, h *rules.Handler, now time.Time) error {
	mb := d.mailboxes[t.Mailbox]
	text, _, err := d.templatesOf(ctx).Render("answer", templates.Answer{
		Text: answer, Handler: tcontact(contactOf(h)), Mailbox: mb.Address, EnglishFirst: englishFirst(t),
	})
	if err != nil {
		return fmt.Errorf("render answer for ticket %d: %w", t.ID, err)
	}
	out := message.Outgoing{
		From:        message.Address{Name: d.categoryName(ctx, t), Addr: mb.Address},
		To:          []message.Address{customerAddr(t)},
		Subject:     "Re: " + t.FullTag() + " " + t.Subject,
		MessageID:   newMessageID(t.ID, mb.Address),
		Date:        now.In(d.loc),
		Headers:     [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:        text,
		Attachments: atts,
	}
	d.threadInto(ctx, tx, t, &out)
	return d.queue(ctx, tx, t.ID, KindAnswer, out, now)
}

// maxNoticeTextRunes bounds the customer's text a handler's notice
// carries: the notice is for reading, and the whole text is a command away.
const maxNoticeTextRunes = 20000

// cutText cuts a long text for a notice about ticket id, saying how much
// was left out and where to read it all.
func cutText(text string, id int64) string {
	n := utf8.RuneCountInString(text)
	if n <= maxNoticeTextRunes {
		return text
	}
	return fmt.Sprintf("%s\n\n[… %d자 생략. 전체 내용: maildesk ticket %d / %d more characters; the whole text: maildesk ticket %d]",
		clip(text, maxNoticeTextRunes), n-maxNoticeTextRunes, id, n-maxNoticeTextRunes, id)
}

// Why a staff notice is sent.
const (
	staffNew = iota
	staffFollowUp
	staffTransfer
	staffBounce // a mail of ours to the customer came back
	staffFormer // a reply from a handler the ticket has since left
)

// messageLines is the ticket's last staffHistoryLines messages, one line
// each, for the mails that carry a ticket's history (the handler's notice,
// the supervisor's alert).
func (d *Desk) messageLines(ctx context.Context, tx *store.Tx, id int64) ([]string, error) {
	ms, err := tx.RecentMessages(ctx, id, staffHistoryLines)
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, m := range ms {
		lines = append(lines, fmt.Sprintf("%s %-3s %-12s %s", m.CreatedAt.In(d.loc).Format("01-02 15:04"), m.Direction, m.Kind, m.From))
	}
	return lines, nil
}

// staffHistoryLines is how many of a ticket's latest messages a handler's
// notice lists.
const staffHistoryLines = 12

// queueStaffNotice tells the ticket's handler of a new inquiry, a
// follow-up or a transfer. Its Reply-To carries the token that lets the
// handler's reply act on the ticket.
func (d *Desk) queueStaffNotice(ctx context.Context, tx *store.Tx, t *store.Ticket, text string, why int, now time.Time) error {
	return d.staffNotice(ctx, tx, t, text, why, noticeFacts{}, now)
}

// noticeFacts are what intake already knows when it tells a handler: the
// mail it just took in, parsed (so that its files are not parsed again),
// and a ticket its subject mentions. The zero value knows nothing.
type noticeFacts struct {
	msg      *message.Message
	mentions *store.Ticket
}

// staffNotice is queueStaffNotice for a new ticket whose subject names
// another customer's ticket (mentions): the notice says so, so that the
// handler can #merge a colleague's mail into it.
func (d *Desk) staffNotice(ctx context.Context, tx *store.Tx, t *store.Ticket, text string, why int, facts noticeFacts, now time.Time) error {
	if t.Handler.Email == "" {
		return nil
	}
	flood := false
	if why == staffNew || why == staffFollowUp || why == staffFormer {
		// Across all senders: a thousand customers (or one with a
		// thousand addresses) must not become a thousand notices.
		n, err := tx.CountSentSince(ctx, KindStaffNotice, message.Canonical(t.Handler.Email), now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= d.handlerLimit {
			if d.onceAnHour("notice-limit "+t.Handler.ID, now) {
				d.log.Warn("handler notice limit reached: new mail is stored without a notice to this handler for the hour",
					"ticket", t.ID, "handler", t.Handler.Email, "notices_last_hour", n)
			}
			return tx.AddEvent(ctx, t.ID, now, "staff-notice-held",
				fmt.Sprintf("%d notices to %s in the last hour", n, t.Handler.ID))
		}
		// By the customer's canonical address, as the acknowledgement
		// limit counts: every +tag or spelling of one mailbox is one customer.
		n, err = tx.CountSentAbout(ctx, KindStaffNotice, message.Canonical(t.Customer), now.Add(-time.Hour))
		if err != nil {
			return err
		}
		switch {
		case n > d.staffLimit:
			return tx.AddEvent(ctx, t.ID, now, "staff-notice-held",
				fmt.Sprintf("%d notices about mail from %s in the last hour", n, t.Customer))
		case n == d.staffLimit:
			// Logged once per flood, not once per mail.
			flood = true
			d.log.Warn("handler notice limit reached: further mail from this customer is stored without a notice for the hour",
				"ticket", t.ID, "customer", t.Customer, "handler", t.Handler.Email, "notices_last_hour", n)
		}
	}
	key, err := d.replyKey(ctx, tx)
	if err != nil {
		return err
	}
	// Only the last lines of the history, and only the columns shown: the
	// whole history with its texts was a fifth of this notice's cost in
	// the backlog's profile, and grew with the ticket.
	history, err := d.messageLines(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	if text == "" {
		if text, err = tx.LastReceivedText(ctx, t.ID, KindInquiry, KindFollowUp, KindRegistered); err != nil {
			return err
		}
	}
	text = cutText(text, t.ID)
	mb := d.mailboxes[t.Mailbox]
	data := templates.Staff{
		Handler: tcontact(t.Handler), Tag: t.FullTag(), Category: d.categoryName(ctx, t),
		Customer: customerLabel(t), Subject: t.Subject,
		Text: text, History: history, Mailbox: mb.Address,
		FollowUp: why == staffFollowUp, Transfer: why == staffTransfer, Bounce: why == staffBounce, Former: why == staffFormer,
		Flood: flood, DeferExample: now.In(d.loc).AddDate(0, 0, 7).Format("2006-01-02"),
	}
	if facts.mentions != nil {
		data.Mentions = facts.mentions.FullTag()
	}
	if c := d.rulesOf(ctx).Categories[t.Category]; c != nil && c.Corrections {
		data.Correction = FormatKRW(c.Compensation)
	}
	if t.DueAt != nil {
		data.Due = t.DueAt.In(d.loc)
	}
	var files noticeFiles
	if why == staffNew || why == staffFollowUp || why == staffTransfer {
		if files, err = d.customerFiles(ctx, tx, t, facts.msg); err != nil {
			return err
		}
		data.Attachments, data.Extract, data.AttachMax, data.Defects = files.list, files.extract, files.max, files.defects
	}
	// The handler's own copy, and while they are away one for their
	// delegate, with the delegate's token (actsFor lets it act): an
	// absence must not leave a follow-up unseen until the handler is back.
	to := []store.Contact{t.Handler}
	if h := d.rulesOf(ctx).Handlers[t.Handler.ID]; h != nil {
		if dh, away := d.rulesOf(ctx).Delegate(h, now); away && dh != nil && dh.Email != "" && !message.SameAddress(dh.Email, t.Handler.Email) {
			to = append(to, contactOf(dh))
		}
	}
	for i, c := range to {
		data.Handler = tcontact(c)
		body, _, err := d.templatesOf(ctx).Render("staff", data)
		if err != nil {
			return fmt.Errorf("render staff notice for ticket %d: %w", t.ID, err)
		}
		if i > 0 {
			body = fmt.Sprintf("(%s 님 부재 중 대신 받으신 알림입니다 / %s is away: you get this as their delegate)\n\n%s", t.Handler.Name, t.Handler.ID, body)
		}
		err = d.queue(ctx, tx, t.ID, KindStaffNotice, message.Outgoing{
			From:          message.Address{Name: "maildesk", Addr: mb.Address},
			To:            []message.Address{{Name: c.Name, Addr: c.Email}},
			ReplyTo:       []message.Address{{Name: d.categoryName(ctx, t), Addr: replyAddress(key, mb.Address, t.ID, c.Email)}},
			Subject:       t.FullTag() + " " + t.Subject,
			MessageID:     newMessageID(t.ID, mb.Address),
			Date:          now.In(d.loc),
			AutoSubmitted: "auto-generated",
			Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
			Text:          body,
			Attachments:   files.attach,
		}, now)
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *Desk) queueStaffError(ctx context.Context, tx *store.Tx, t *store.Ticket, h *rules.Handler, problems []string, now time.Time) error {
	var ids []string
	for id := range d.rulesOf(ctx).Handlers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	body, _, err := d.templatesOf(ctx).Render("staff-error", templates.StaffError{
		Handler: tcontact(contactOf(h)), Tag: t.FullTag(), Problems: problems, Handlers: strings.Join(ids, ", "),
		DeferExample: now.In(d.loc).AddDate(0, 0, 7).Format("2006-01-02"),
	})
	if err != nil {
		return err
	}
	mb := d.mailboxes[t.Mailbox]
	key, err := d.replyKey(ctx, tx)
	if err != nil {
		return err
	}
	// The handler is asked to reply with the fix: the reply must carry
	// their token, or it would be taken for a spoof.
	return d.queue(ctx, tx, t.ID, KindStaffNotice, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: mb.Address},
		To:            []message.Address{{Name: h.Name, Addr: h.Email}},
		ReplyTo:       []message.Address{{Name: d.categoryName(ctx, t), Addr: replyAddress(key, mb.Address, t.ID, h.Email)}},
		Subject:       t.FullTag() + " 처리하지 못한 회신 / Not processed",
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-replied",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          body,
	}, now)
}

// spoofSubject begins the subject of every spoof warning: the limit
// counts them by it.
const spoofSubject = "[maildesk] 주소 사칭 경고 / Unverified mail from your address: "

// spoofWarningLimit is how many spoof warnings a handler gets an hour.
const spoofWarningLimit = 5

// warnSpoof tells a handler that a mail used their address without proof.
// t is the ticket classify threaded the mail into, or nil.
func (d *Desk) warnSpoof(ctx context.Context, tx *store.Tx, msg *message.Message, h *rules.Handler, t *store.Ticket, now time.Time) error {
	tag, tid, mbAddr := "(new)", int64(0), ""
	if t != nil {
		tag, tid, mbAddr = t.FullTag(), t.ID, d.mailboxes[t.Mailbox].Address
	}
	if mbAddr == "" {
		for _, a := range d.recipients(msg) {
			if d.own[message.Canonical(a)] {
				mbAddr = message.Canonical(a)
				break
			}
		}
	}
	d.log.Warn("mail from a staff address without proof: not relayed", "from", msg.From.Addr, "ticket", tid)
	if mbAddr == "" {
		return nil
	}
	// Forged mail costs the forger nothing: warn a few times an hour,
	// then only log (sixty forgeries made sixty warnings).
	n, err := tx.CountSentWithSubject(ctx, KindStaffNotice, message.Canonical(h.Email), spoofSubject, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= spoofWarningLimit {
		return tx.AddEvent(ctx, tid, now, "spoof-warning-held", fmt.Sprintf("%d warnings to %s in the last hour", n, h.ID))
	}
	body, _, err := d.templatesOf(ctx).Render("spoof", templates.Spoof{
		Handler: tcontact(contactOf(h)), Tag: tag, From: msg.From.Addr, Subject: msg.Subject, Mailbox: mbAddr,
	})
	if err != nil {
		return err
	}
	return d.queue(ctx, tx, tid, KindStaffNotice, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: mbAddr},
		To:            []message.Address{{Name: h.Name, Addr: h.Email}},
		Subject:       spoofSubject + clip(msg.Subject, maxSubjectRunes),
		MessageID:     newMessageID(tid, mbAddr),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Text:          body,
	}, now)
}

// categoryName is the sender's name of mail to t's customer: the
// category's name, in English for an English ticket when it has one.
func (d *Desk) categoryName(ctx context.Context, t *store.Ticket) string {
	c := d.rulesOf(ctx).Categories[t.Category]
	switch {
	case c == nil:
		return ""
	case englishFirst(t) && c.NameEn != "":
		return c.NameEn
	}
	return c.Name
}

func tcontact(c store.Contact) templates.Contact {
	return templates.Contact{Name: c.Name, Department: c.Department, Phone: c.Phone, Email: c.Email,
		NameEn: c.NameEn, DepartmentEn: c.DepartmentEn}
}
