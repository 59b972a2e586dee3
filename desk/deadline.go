package desk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// Kinds of the deadline clock's mail.
const (
	KindNotice = "notice" // the delay (or interim) notice to the customer
	KindAlert  = "alert"  // the supervisor's alert for a missed deadline
)

// deadlineBatch is how many due tickets one transaction handles: large
// enough for a burst after downtime, small enough not to hold the writer.
const deadlineBatch = 100

// maxDeadlineSleep bounds the deadline clock's sleep, so that a deadline
// changed by another process (`maildesk ticket defer`, whose delay notice
// is due at once) is seen within seconds. A pass with nothing due is one
// indexed query.
const maxDeadlineSleep = 5 * time.Second

// Default texts of a delay notice when neither staff nor the category say
// more.
const (
	defaultDelayReason   = "문의 내용을 검토하는 데 시간이 더 필요합니다."
	defaultDelayReasonEn = "More time is needed to review your inquiry."
	defaultDelayStatus   = "담당자가 검토하고 있습니다."
	defaultDelayStatusEn = "The person in charge is reviewing it."
)

// RunDeadlines keeps the service standards' promises: before a deadline
// lapses unanswered the customer gets the delay notice, and when it passes
// the supervisor is alerted. It sleeps until the next pending notice or
// deadline in the database, wakes early when intake or staff change one,
// and on start catches up with whatever came due while maildesk was down.
func (d *Desk) RunDeadlines(ctx context.Context) error {
	return d.runScheduled(ctx, "deadline clock", d.deadlineKick, maxDeadlineSleep, d.processDeadlines, d.deadlinePass)
}

// processDeadlines queues every notice and alert due now, in due order, and
// returns when the next one is due (zero when nothing is pending).
func (d *Desk) processDeadlines(ctx context.Context) (next time.Time, err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("deadline clock panic", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("deadline clock panic: %v", r)
		}
	}()
	ctx = d.withSnapshot(ctx) // one rule set for the pass
	now := d.clock.Now()
	// Each step with the kind of mail it counts in the metrics ("": it
	// sends no deadline notice: closing and surveys, the monthly report).
	kinds := []string{KindNotice, KindAlert, DeadlineFYI, "", ""}
	for i, step := range []func(context.Context, *store.Tx, time.Time) (int, error){d.queueNotices, d.queueAlerts, d.queueFYIs, d.queueClosing, d.queueReports} {
		for {
			n := 0
			err := d.store.Write(ctx, func(tx *store.Tx) (err error) {
				n, err = step(ctx, tx, now)
				return err
			})
			if err != nil {
				return time.Time{}, err
			}
			if n > 0 {
				d.wake()
				if kinds[i] != "" {
					d.observer.DeadlineNotices(kinds[i], n)
				}
			}
			if n < deadlineBatch {
				break
			}
		}
	}
	err = d.store.Read(ctx, func(tx *store.Tx) error {
		var err error
		next, err = tx.NextDeadline(ctx)
		if errors.Is(err, store.ErrNotFound) {
			next, err = time.Time{}, nil
		}
		return err
	})
	return next, err
}

// queueNotices queues the delay notices due at now; each ticket gets one
// per window, recorded in the same transaction.
func (d *Desk) queueNotices(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	ts, err := tx.DueNotices(ctx, now, deadlineBatch)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		if err := d.queueNotice(ctx, tx, t, now); err != nil {
			return 0, err
		}
		t.NoticeSentAt, t.UpdatedAt = &now, now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

func (d *Desk) queueNotice(ctx context.Context, tx *store.Tx, t *store.Ticket, now time.Time) error {
	rs := d.rulesOf(ctx)
	cat := rs.Categories[t.Category]
	data := templates.Notice{
		Tag: t.FullTag(), Subject: t.Subject, Customer: customerName(customerAddr(t)), Mailbox: d.mailboxes[t.Mailbox].Address,
		Handler:  tcontact(t.Handler),
		Received: t.CreatedAt.In(d.loc), Due: cmp.Or(t.PromisedAt, t.DueAt).In(d.loc),
		Reason: t.DelayReason, Status: t.DelayStatus, EnglishFirst: englishFirst(t),
	}
	tmpl := "notice"
	if cat != nil {
		data.Category, data.CategoryEn = cat.Name, cat.NameEn
		tmpl = noticeTemplate(cat)
	}
	// Staff's words first (Korean only), then the category's, then ours.
	switch {
	case data.Reason != "":
	case cat != nil && cat.NoticeReason != "":
		data.Reason, data.ReasonEn = cat.NoticeReason, cat.NoticeReasonEn
	default:
		data.Reason, data.ReasonEn = defaultDelayReason, defaultDelayReasonEn
	}
	switch {
	case data.Status != "":
	case cat != nil && cat.NoticeStatus != "":
		data.Status, data.StatusEn = cat.NoticeStatus, cat.NoticeStatusEn
	default:
		data.Status, data.StatusEn = defaultDelayStatus, defaultDelayStatusEn
	}
	switch {
	case t.ExpectedAt != nil:
		data.Expected = t.ExpectedAt.In(d.loc)
	case cat != nil:
		// The rule when staff said nothing: one more window.
		data.Expected = cat.Due(*t.DueAt).In(d.loc)
	default:
		data.Expected = t.DueAt.Add(t.DueAt.Sub(t.CreatedAt)).In(d.loc)
	}
	text, html, err := d.templatesOf(ctx).Render(tmpl, data)
	if err != nil {
		return fmt.Errorf("render %s for ticket %d: %w", tmpl, t.ID, err)
	}
	out := message.Outgoing{
		From:          message.Address{Name: d.categoryName(ctx, t), Addr: data.Mailbox},
		To:            []message.Address{customerAddr(t)},
		Subject:       t.FullTag() + " " + bilingual(t, "답변 지연 안내", "Delayed answer") + ": " + t.Subject,
		MessageID:     newMessageID(t.ID, data.Mailbox),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          text,
		HTML:          html,
	}
	d.threadInto(ctx, tx, t, &out)
	if noRecipient(out) {
		return d.remindInstead(ctx, tx, t.ID, KindNotice, out, now)
	}
	out.Headers = append(out.Headers, [2]string{"X-Maildesk-Kind", KindNotice})
	raw, err := message.Compose(out)
	if err != nil {
		// The customer's address was good enough for nothing: the event
		// says so and the clock goes on to the deadline and the alert.
		d.log.Warn("no delay notice possible", "ticket", t.ID, "to", t.Customer, "err", err)
		return tx.AddEvent(ctx, t.ID, now, "notice-skipped", err.Error())
	}
	if err := d.queueComposed(ctx, tx, t.ID, KindNotice, out, raw, now); err != nil {
		if reason, ok := withheld(err); ok {
			return tx.AddEvent(ctx, t.ID, now, "notice-skipped", reason)
		}
		return err
	}
	d.log.Info("delay notice queued", "ticket", t.ID, "due", t.DueAt, "expected", data.Expected)
	return nil
}

// queueAlerts marks the tickets whose deadline passed at now overdue and
// alerts their category's supervisor, once.
func (d *Desk) queueAlerts(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	ts, err := tx.DueAlerts(ctx, now, deadlineBatch)
	if err != nil {
		return 0, err
	}
	for _, t := range ts {
		late := now.Sub(*t.DueAt).Round(time.Minute)
		d.log.Warn("deadline passed unanswered", "ticket", t.ID, "due", t.DueAt, "late", late)
		if err := tx.AddEvent(ctx, t.ID, now, "overdue", "deadline "+fmtKST(*t.DueAt, d.loc)+" passed unanswered"); err != nil {
			return 0, err
		}
		if err := d.queueAlert(ctx, tx, t, late, now); err != nil {
			return 0, err
		}
		t.OverdueAt, t.UpdatedAt = &now, now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return 0, err
		}
	}
	return len(ts), nil
}

func (d *Desk) queueAlert(ctx context.Context, tx *store.Tx, t *store.Ticket, late time.Duration, now time.Time) error {
	rs := d.rulesOf(ctx)
	cat := rs.Categories[t.Category]
	var sup *rules.Handler
	if cat != nil {
		sup = rs.Handlers[cat.Supervisor]
	}
	if sup == nil || sup.Email == "" {
		return tx.AddEvent(ctx, t.ID, now, "alert-skipped", "the category names no supervisor")
	}
	// The supervisor rarely has a shell on the server: the alert carries
	// what `maildesk ticket` would show.
	history, err := d.messageLines(ctx, tx, t.ID)
	if err != nil {
		return err
	}
	said, err := tx.LastReceivedText(ctx, t.ID, KindInquiry, KindFollowUp, KindRegistered)
	if err != nil {
		return err
	}
	events, err := tx.Events(ctx, t.ID)
	if err != nil {
		return err
	}
	var eventLines []string
	for _, e := range events {
		if e.Kind == "queued" || e.Kind == "sent" {
			continue // the mails are in History
		}
		eventLines = append(eventLines, fmt.Sprintf("%s %-12s %s", e.At.In(d.loc).Format("01-02 15:04"), e.Kind, e.Detail))
	}
	if n := len(eventLines); n > staffHistoryLines {
		eventLines = eventLines[n-staffHistoryLines:]
	}
	data := templates.Alert{
		Text: cutText(said, t.ID), History: history, Events: eventLines,
		Supervisor: tcontact(contactOf(sup)), Handler: tcontact(t.Handler),
		Tag: t.FullTag(), TicketID: t.ID, Subject: t.Subject, Category: cat.Name, CategoryEn: cat.NameEn,
		Customer: customerLabel(t), Received: t.CreatedAt.In(d.loc), Due: t.DueAt.In(d.loc), Late: lateKo(late), LateEn: lateEn(late),
	}
	text, _, err := d.templatesOf(ctx).Render("alert", data)
	if err != nil {
		return fmt.Errorf("render alert for ticket %d: %w", t.ID, err)
	}
	return d.queueToSupervisor(ctx, tx, t, sup, KindAlert, t.FullTag()+" 답변 기한 경과 / Deadline passed: "+t.Subject, text, now)
}

// queueToSupervisor mails a supervisor about t (a missed deadline, a low
// rating), and their delegate too while they are away.
func (d *Desk) queueToSupervisor(ctx context.Context, tx *store.Tx, t *store.Ticket, sup *rules.Handler, kind, subject, text string, now time.Time) error {
	from := d.mailboxes[t.Mailbox].Address
	to := []message.Address{{Name: sup.Name, Addr: sup.Email}}
	if dh, away := d.rulesOf(ctx).Delegate(sup, now); away && dh != nil && dh.Email != "" && !message.SameAddress(dh.Email, sup.Email) {
		to = append(to, message.Address{Name: dh.Name, Addr: dh.Email})
	}
	return d.queue(ctx, tx, t.ID, kind, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: from},
		To:            to,
		Subject:       subject,
		MessageID:     newMessageID(t.ID, from),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:          text,
	}, now)
}

// threadInto makes out a reply to the customer's newest message on t, so
// that it lands in the same conversation in their mail client.
func (d *Desk) threadInto(ctx context.Context, tx *store.Tx, t *store.Ticket, out *message.Outgoing) {
	first, latest, err := tx.ThreadIDs(ctx, t.ID)
	if err != nil {
		return
	}
	out.InReplyTo = latest
	out.References = []string{latest}
	if first != latest {
		out.References = []string{first, latest}
	}
}

// Defer sets a ticket's expected completion date with the reason and status
// the customer is told: the customer hears at once, the promised deadline
// stays on record, and the supervisor is alerted if the new date passes
// unanswered (deferTo). Empty reason or status keep the category's
// defaults; a date not after the deadline in force is refused.
func (d *Desk) Defer(ctx context.Context, id int64, until time.Time, reason, status string) (*store.Ticket, error) {
	var t *store.Ticket
	err := d.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if t, err = tx.Ticket(ctx, id); err != nil {
			return err
		}
		now := d.clock.Now()
		if p := d.deferProblem(t, until, now); p != "" {
			return fmt.Errorf("defer ticket %d: %s", id, p)
		}
		t.DelayReason, t.DelayStatus = reason, status
		deferTo(t, until, now)
		t.UpdatedAt = now
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return err
		}
		return tx.AddEvent(ctx, id, now, "deferred", fmt.Sprintf("until %s: %s", fmtKST(until, d.loc), reason))
	})
	if err != nil {
		return nil, err
	}
	d.wakeDeadlines()
	return t, nil
}

// wakeDeadlines tells the deadline clock that a deadline changed.
func (d *Desk) wakeDeadlines() {
	select {
	case d.deadlineKick <- struct{}{}:
	default:
	}
}

func fmtKST(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04 MST") }

// lateKo says how late, in Korean, to the minute: "2시간 5분", "0분".
func lateKo(d time.Duration) string { return lateness(d, "%d시간 %d분", "%d분") }

// lateEn says how late, in English, to the minute: "2 h 5 min", "0 min".
func lateEn(d time.Duration) string { return lateness(d, "%d h %d min", "%d min") }

// lateness formats d in whole hours and minutes, with the minutes-only
// format below an hour.
func lateness(d time.Duration, hoursMinutes, minutes string) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h > 0 {
		return fmt.Sprintf(hoursMinutes, h, m)
	}
	return fmt.Sprintf(minutes, m)
}

// delegated records that t went to a delegate because absent is away, and
// schedules the note absent gets at 09:00 on the day after the absence.
func (d *Desk) delegated(ctx context.Context, tx *store.Tx, t *store.Ticket, absent *rules.Handler, now time.Time) error {
	if err := tx.AddEvent(ctx, t.ID, now, "delegated", fmt.Sprintf("%s is away: %s has it", absent.ID, t.Handler.ID)); err != nil {
		return err
	}
	loc := d.loc
	if cal := d.rulesOf(ctx).Calendar; cal != nil {
		loc = cal.Location()
	}
	a, ok := absent.AbsentOn(rules.DateOf(now.In(loc)))
	if !ok || absent.Email == "" {
		return nil
	}
	back := a.To.AddDays(1).In(loc).Add(9 * time.Hour)
	return tx.AddFYI(ctx, contactOf(absent), t.ID, back)
}

// queueFYIs sends each handler back from an absence one note listing the
// tickets their delegate took.
func (d *Desk) queueFYIs(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	fs, err := tx.DueFYIs(ctx, now)
	if err != nil || len(fs) == 0 {
		return 0, err
	}
	for i := 0; i < len(fs); {
		j := i
		var lines []string
		var first *store.Ticket
		for ; j < len(fs) && fs[j].Handler.ID == fs[i].Handler.ID; j++ {
			t, err := tx.Ticket(ctx, fs[j].TicketID)
			if err != nil {
				return 0, err
			}
			if first == nil {
				first = t
			}
			lines = append(lines, fmt.Sprintf("%s %s (%s, %s)", t.FullTag(), t.Subject, t.Handler.Name, t.Status))
			if err := tx.MarkFYISent(ctx, fs[j].ID, now); err != nil {
				return 0, err
			}
		}
		h := fs[i].Handler
		body, _, err := d.templatesOf(ctx).Render("fyi", templates.FYI{Handler: tcontact(h), Tickets: lines})
		if err != nil {
			return 0, err
		}
		from := d.mailboxes[first.Mailbox].Address
		err = d.queue(ctx, tx, first.ID, KindStaffNotice, message.Outgoing{
			From:          message.Address{Name: "maildesk", Addr: from},
			To:            []message.Address{{Name: h.Name, Addr: h.Email}},
			Subject:       fmt.Sprintf("[maildesk] 부재 중 문의 %d건 / %d inquiries while you were away", len(lines), len(lines)),
			MessageID:     newMessageID(first.ID, from),
			Date:          now.In(d.loc),
			AutoSubmitted: "auto-generated",
			Text:          body,
		}, now)
		if err != nil {
			return 0, err
		}
		i = j
	}
	return len(fs), nil
}
