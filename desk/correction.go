package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// KindCorrectionResult is the mail telling a correction request's customer
// the outcome (#uphold or #dismiss).
const KindCorrectionResult = "correction-result"

// Correction requests (시정요청): a category with a compensation key takes
// them. Its tickets get a row in the corrections table when they open;
// #uphold [AMOUNT] or #dismiss REASON decides it once, writing the ledger
// entry, the event and the mail to the customer in the reply's
// transaction (nothing twice: a second #uphold is refused before anything
// is written, and the store refuses it again should two replies race).

// correctionArgProblem checks the argument of #uphold or #dismiss on its
// own; "" when it is good.
func correctionArgProblem(name, arg string) string {
	switch name {
	case "uphold":
		if arg == "" {
			return ""
		}
		if _, err := parseAmount(arg); err != nil {
			return fmt.Sprintf("#uphold takes nothing (the category's compensation) or an amount in KRW from 0 to %d: #uphold 10000 (%v)", rules.MaxCompensation, err)
		}
	case "dismiss":
		if arg == "" {
			return "#dismiss needs the reason the customer is told: #dismiss 사유…"
		}
	}
	return ""
}

// parseAmount reads a #uphold amount: digits, with thousands separators
// allowed ("10,000"), an optional "원" or "KRW" after them.
func parseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "원"), "KRW"))
	s = strings.ReplaceAll(s, ",", "")
	if s == "" || strings.ContainsAny(s, "+-") {
		return 0, fmt.Errorf("%q is not a whole number of won", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of won", s)
	}
	if n > rules.MaxCompensation {
		return 0, fmt.Errorf("%d is more than %d", n, rules.MaxCompensation)
	}
	return n, nil
}

// correctionProblems says why the #uphold or #dismiss in cmds cannot be
// carried out on t: not a correction request, decided already, or both
// commands (or one twice) in one reply.
func (d *Desk) correctionProblems(ctx context.Context, tx *store.Tx, t *store.Ticket, cmds []command) ([]string, error) {
	n := 0
	for _, c := range cmds {
		if c.name == "uphold" || c.name == "dismiss" {
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	var problems []string
	if n > 1 {
		problems = append(problems, "#uphold and #dismiss decide a request once: give one of them, once")
	}
	cat := d.rulesOf(ctx).Categories[t.Category]
	if cat == nil || !cat.Corrections {
		return append(problems, fmt.Sprintf("#uphold and #dismiss work on correction requests only; %s is in category %q, which has no compensation key", t.FullTag(), t.Category)), nil
	}
	c, err := tx.CorrectionOf(ctx, t.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, err
	case c.Outcome == store.CorrectionUpheld || (c.Outcome == store.CorrectionDismissed && hasCommand(cmds, "dismiss")):
		// A dismissed request the customer contested may still be upheld.
		problems = append(problems, fmt.Sprintf("%s was %s already by %s on %s: nothing was changed or paid again",
			t.FullTag(), c.Outcome, c.Handler, fmtKST(*c.DecidedAt, d.loc)))
	}
	return problems, nil
}

// decidesCorrection reports whether cmds decide a correction request: the
// answer below the command then goes in the correction-result mail, not
// in an answer of its own.
func decidesCorrection(cmds []command) bool {
	return hasCommand(cmds, "uphold") || hasCommand(cmds, "dismiss")
}

// decideCorrection carries out #uphold or #dismiss (c) by h on t, which
// correctionProblems found nothing against: the decision and its ledger
// entry, the event, the mail to the customer; an upheld request is closed
// (unless the reply's own #close does it), a dismissed one answered.
func (d *Desk) decideCorrection(ctx context.Context, tx *store.Tx, t *store.Ticket, c command, cmds []command, text string, h *rules.Handler, now time.Time) error {
	cat := d.rulesOf(ctx).Categories[t.Category]
	outcome, amount, reason := store.CorrectionDismissed, int64(0), ""
	if c.name == "uphold" {
		outcome, amount = store.CorrectionUpheld, cat.Compensation
		if c.arg != "" {
			n, err := parseAmount(c.arg)
			if err != nil {
				return err // correctionArgProblem ruled it out
			}
			amount = n
		}
	} else {
		reason = c.arg
	}
	if hasCommand(cmds, "noreply") {
		text = ""
	}
	corr, err := tx.DecideCorrection(ctx, t.ID, t.CreatedAt, outcome, amount, h.ID, reason, now)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("%s: not upheld: %s", h.ID, reason)
	if outcome == store.CorrectionUpheld {
		detail = fmt.Sprintf("%s: upheld, compensation %s KRW", h.ID, FormatKRW(amount))
		if amount > 0 {
			detail += fmt.Sprintf(" (ledger entry %d)", corr.ID)
		}
	}
	if err := tx.AddEvent(ctx, t.ID, now, outcome, detail); err != nil {
		return err
	}
	d.log.Info("correction request decided", "ticket", t.ID, "outcome", outcome, "amount_krw", amount, "handler", h.ID)
	// The handler's words pass the answer's guard (no text of a staff
	// notice); held back, the outcome still goes without them.
	if text != "" {
		err := d.guardCustomerMail(ctx, tx, t.ID, KindAnswer, message.Outgoing{Text: text})
		if reason, ok := withheld(err); ok {
			if err := tx.AddEvent(ctx, t.ID, now, "answer-withheld", h.ID+": "+reason); err != nil {
				return err
			}
			problem := "처리 결과는 고객에게 보냈지만, 함께 쓰신 내용은 보내지 않았습니다: " + reason + ". / " +
				"The outcome went to the customer without your text: " + reason + "."
			if err := d.queueStaffError(ctx, tx, t, h, []string{problem}, now); err != nil {
				return err
			}
			text = ""
		} else if err != nil {
			return err
		}
	}
	err = d.queueCorrectionResult(ctx, tx, t, corr, text, h, now)
	if reason, ok := withheld(err); ok {
		err = tx.AddEvent(ctx, t.ID, now, "result-withheld", reason)
	}
	if err != nil {
		return err
	}
	if t.AnsweredAt == nil {
		t.AnsweredAt = &now
	}
	t.Status = store.StatusAnswered
	if outcome == store.CorrectionUpheld && !hasCommand(cmds, "close") {
		t.Status, t.ClosedAt = store.StatusClosed, &now
		return tx.AddEvent(ctx, t.ID, now, "closed", "by "+h.ID+" (#uphold)")
	}
	return nil
}

// queueCorrectionResult tells t's customer the outcome of their request.
func (d *Desk) queueCorrectionResult(ctx context.Context, tx *store.Tx, t *store.Ticket, c *store.Correction, text string, h *rules.Handler, now time.Time) error {
	mb := d.mailboxes[t.Mailbox]
	data := templates.CorrectionResult{
		Tag: t.FullTag(), Subject: t.Subject, Customer: customerName(customerAddr(t)), Handler: tcontact(contactOf(h)),
		Upheld: c.Outcome == store.CorrectionUpheld, Compensation: c.Amount, CompensationText: FormatKRW(c.Amount),
		Reason: c.Reason, Text: strings.TrimSpace(text), Received: t.CreatedAt.In(d.loc), Mailbox: mb.Address,
		EnglishFirst: englishFirst(t),
	}
	body, html, err := d.templatesOf(ctx).Render("correction-result", data)
	if err != nil {
		return fmt.Errorf("render correction-result for ticket %d: %w", t.ID, err)
	}
	out := message.Outgoing{
		From:      message.Address{Name: d.categoryName(ctx, t), Addr: mb.Address},
		To:        []message.Address{customerAddr(t)},
		Subject:   t.FullTag() + " " + bilingual(t, "시정 요청 처리 결과", "Outcome of your request") + ": " + t.Subject,
		MessageID: newMessageID(t.ID, mb.Address),
		Date:      now.In(d.loc),
		Headers:   [][2]string{{"X-Maildesk-Ticket", t.FullTag()}},
		Text:      body, HTML: html,
	}
	d.threadInto(ctx, tx, t, &out)
	return d.queue(ctx, tx, t.ID, KindCorrectionResult, out, now)
}

// FormatKRW writes an amount of won with thousands separators: 10000 → "10,000".
func FormatKRW(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// openedCorrection records a new ticket of a correction category as a
// correction request received at now, for the ledger and the report.
func (d *Desk) openedCorrection(ctx context.Context, tx *store.Tx, t *store.Ticket, now time.Time) error {
	if cat := d.rulesOf(ctx).Categories[t.Category]; cat == nil || !cat.Corrections {
		return nil
	}
	return tx.OpenCorrection(ctx, t.ID, now)
}

// MarkPaid marks ledger entry id paid, with a note (how, a transfer
// number), and records it as an event on its ticket, in one transaction.
func (d *Desk) MarkPaid(ctx context.Context, id int64, note string) (*store.Correction, error) {
	var c *store.Correction
	err := d.store.Write(ctx, func(tx *store.Tx) error {
		now := d.clock.Now()
		var err error
		if c, err = tx.MarkPaid(ctx, id, note, now); err != nil {
			return err
		}
		detail := fmt.Sprintf("ledger entry %d: %s KRW paid", id, FormatKRW(c.Amount))
		if note != "" {
			detail += ": " + note
		}
		return tx.AddEvent(ctx, c.TicketID, now, "paid", detail)
	})
	if err != nil {
		return nil, fmt.Errorf("mark ledger entry %d paid: %w", id, err)
	}
	d.log.Info("compensation marked paid", "entry", id, "ticket", c.TicketID, "amount_krw", c.Amount)
	return c, nil
}

// Ledger lists the compensation ledger: upheld correction requests with
// an amount, decided in [from, to) (a zero bound is open).
func Ledger(ctx context.Context, st *store.Store, from, to time.Time) ([]*store.Correction, error) {
	var l []*store.Correction
	err := st.Read(ctx, func(tx *store.Tx) (err error) {
		l, err = tx.Ledger(ctx, from, to)
		return err
	})
	return l, err
}

// CorrectionFigures is the report's corrections object for [from, to)
// (a zero bound is open), all categories: received by when requests came
// in, upheld and dismissed (and the compensation, paid or not) by when
// they were decided.
func CorrectionFigures(ctx context.Context, st *store.Store, from, to time.Time) (CorrectionsReport, error) {
	var r CorrectionsReport
	err := st.Read(ctx, func(tx *store.Tx) (err error) {
		r, err = correctionFigures(ctx, tx, from, to, "")
		return err
	})
	return r, err
}

// correctionFigures is CorrectionFigures in tx, for one category or all.
func correctionFigures(ctx context.Context, tx *store.Tx, from, to time.Time, category string) (CorrectionsReport, error) {
	c, err := tx.CorrectionCounts(ctx, from, to, category)
	if err != nil {
		return CorrectionsReport{}, fmt.Errorf("correction figures: %w", err)
	}
	return CorrectionsReport{Received: c.Received, Upheld: c.Upheld, Dismissed: c.Dismissed,
		CompensationKRW: c.Compensation, Paid: c.Paid, Unpaid: c.Unpaid}, nil
}
