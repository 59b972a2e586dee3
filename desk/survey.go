package desk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// The satisfaction survey (charter: "매년 1회 이상 고객만족도 조사를
// 실시하여 그 결과를 발표"). A closed ticket's customer gets one mail asking
// for a rating from 1 to 5 by reply; the reply is classified as ActRating,
// stored with the handler and category of the moment, thanked once, and a
// rating of 1 or 2 reopens the ticket for re-contact. docs/survey.md.

// Kinds of the survey's mail.
const (
	KindSurvey       = "survey"        // the survey to the customer
	KindSurveyThanks = "survey-thanks" // the one thank-you for a rating
	KindSurveyAlert  = "survey-alert"  // a supervisor told of a rating of 1 or 2
	KindRating       = "rating"        // the customer's reply with a rating
)

// ActRating: the surveyed customer's reply to the survey, with a rating:
// stored, thanked; 1 or 2 reopens the ticket. Not a follow-up.
const ActRating Action = "rating"

// recontactWindow is the charter's re-contact within 48 hours when an
// answer was unclear, counted on the category's clock.
const recontactWindow = 48 * time.Hour

// maxCommentRunes bounds the comment kept with a rating; the whole reply
// is stored as the rating's message.
const maxCommentRunes = 2000

// ratingLabels are the ratings in words, as the survey writes them.
var ratingLabels = [6][2]string{{}, {"매우 불만", "Very dissatisfied"}, {"불만", "Dissatisfied"},
	{"보통", "Neutral"}, {"만족", "Satisfied"}, {"매우 만족", "Very satisfied"}}

// ratingFound is a rating read from a reply.
type ratingFound struct {
	Rating  int
	Comment string
}

var (
	// The mailto: links' subject, "Re: [FTA-PASS #12] 만족도 5".
	subjectRatingRE = regexp.MustCompile(`만족도\s*[:：]?\s*([1-5])\s*점?\s*$`)
	// A line that is only a rating: "5", "5점", "평점: 4", "3/5", "4점입니다".
	lineRatingRE = regexp.MustCompile(`(?i)^(?:(?:평점|점수|만족도|rating|score)\s*[:：]?\s*)?([1-5])\s*(?:점|/\s*5|out of 5)?\s*(?:입니다|드립니다|줍니다|드려요|요)?$`)
	// A rating in points with the comment after it: "2점. 답변이 늦었습니다".
	pointsCommentRE = regexp.MustCompile(`^([1-5])\s*점(?:\s*[.,:;!)\-–—]\s*|\s+)(.+)$`)
	starsRE         = regexp.MustCompile(`^([★⭐]{1,5})[☆]*$`)
	// A rating in words: "매우 만족", "만족합니다", "불만족", "보통이에요".
	wordRatingRE = regexp.MustCompile(`(?i)^(매우\s*만족|아주\s*만족|매우\s*불만족?|아주\s*불만족?|불만족?|만족|보통|very satisfied|satisfied|neutral|very dissatisfied|dissatisfied)\s*(?:합니다|입니다|이에요|예요|해요|스럽습니다|함|임)?$`)
)

// ratingLines is how many non-empty lines at the top of a reply are read
// for a rating; ratingLineRunes the longest line that can hold one: a
// paragraph is prose, and a "5" in a complaint is not a rating.
const (
	ratingLines     = 3
	ratingLineRunes = 80
)

// parseRating reads a rating from a reply's subject and new text. The
// body wins over the subject (the customer may change the prefilled
// number); the other lines of the body are the comment.
func parseRating(subject, text string) (ratingFound, bool) {
	text = foldDigits(strings.ReplaceAll(text, "\r\n", "\n"))
	lines := strings.Split(text, "\n")
	seen := 0
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if seen++; seen > ratingLines || utf8.RuneCountInString(l) > ratingLineRunes {
			break
		}
		n, rest := ratingOfLine(l)
		if n == 0 {
			continue
		}
		others := append(append([]string{}, lines[:i]...), lines[i+1:]...)
		comment := strings.TrimSpace(strings.Join(others, "\n"))
		if rest != "" {
			comment = strings.TrimSpace(rest + "\n" + comment)
		}
		return ratingFound{Rating: n, Comment: clip(comment, maxCommentRunes)}, true
	}
	if m := subjectRatingRE.FindStringSubmatch(foldDigits(strings.TrimSpace(subject))); m != nil {
		n, _ := strconv.Atoi(m[1])
		return ratingFound{Rating: n, Comment: clip(strings.TrimSpace(text), maxCommentRunes)}, true
	}
	return ratingFound{}, false
}

// ratingOfLine returns the rating a line gives (0 for none) and the
// comment on the same line after it.
func ratingOfLine(line string) (int, string) {
	l := strings.TrimRight(line, ".!~ ")
	if m := lineRatingRE.FindStringSubmatch(l); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, ""
	}
	if m := pointsCommentRE.FindStringSubmatch(line); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, strings.TrimSpace(m[2])
	}
	if m := starsRE.FindStringSubmatch(l); m != nil {
		return utf8.RuneCountInString(m[1]), ""
	}
	if m := wordRatingRE.FindStringSubmatch(l); m != nil {
		w := strings.ToLower(strings.Join(strings.Fields(m[1]), " "))
		switch {
		case w == "very dissatisfied" || strings.HasSuffix(w, "불만") || strings.HasSuffix(w, "불만족"):
			if strings.HasPrefix(w, "매우") || strings.HasPrefix(w, "아주") || w == "very dissatisfied" {
				return 1, ""
			}
			return 2, ""
		case w == "dissatisfied":
			return 2, ""
		case w == "보통" || w == "neutral":
			return 3, ""
		case w == "만족" || w == "satisfied":
			return 4, ""
		default: // 매우 만족, 아주 만족, very satisfied
			return 5, ""
		}
	}
	return 0, ""
}

// foldDigits turns full-width digits (IME input) into ASCII ones.
func foldDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}

// surveySubjectMark is in the survey's subject; a reply whose client
// dropped In-Reply-To still says which mail it answers.
const surveySubjectMark = "고객만족도 조사"

// ratingIn returns the rating msg gives the ticket p threads it into, or
// nil when msg is not a rating: only the ticket's customer rates, only a
// ticket that was surveyed, only in a mail that answers the survey (it
// names the survey mail, or its subject is the survey's or the links'),
// and only with a rating in its first lines.
func (d *Desk) ratingIn(ctx context.Context, tx *store.Tx, p plan, msg *message.Message, spoofed bool) (*ratingFound, error) {
	t := p.ticket
	if tx == nil || t == nil || p.automatic != "" || spoofed || !message.SameAddress(t.Customer, msg.From.Addr) {
		return nil, nil
	}
	s, err := tx.Survey(ctx, t.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.SentAt == nil || s.MessageID == "" {
		return nil, nil
	}
	answers := slices.Contains(msg.InReplyTo, s.MessageID) || slices.Contains(msg.References, s.MessageID) ||
		strings.Contains(msg.Subject, surveySubjectMark) || subjectRatingRE.MatchString(foldDigits(strings.TrimSpace(msg.Subject)))
	if !answers {
		return nil, nil
	}
	text := msg.NewText
	if strings.TrimSpace(text) == "" {
		text = msg.Text
	}
	r, ok := parseRating(msg.Subject, text)
	if !ok {
		return nil, nil
	}
	return &r, nil
}

// surveyLinks are the survey's one-click answers, 5 first.
func surveyLinks(mbox, tag string) []templates.SurveyLink {
	var links []templates.SurveyLink
	for n := 5; n >= 1; n-- {
		q := "subject=" + mailtoEscape(fmt.Sprintf("Re: %s 만족도 %d", tag, n)) + "&body=" + strconv.Itoa(n)
		links = append(links, templates.SurveyLink{Rating: n, Label: ratingLabels[n][0], LabelEn: ratingLabels[n][1],
			Mailto: "mailto:" + mbox + "?" + q})
	}
	return links
}

// mailtoEscape percent-encodes a mailto: header value (RFC 6068: a space
// is %20, never "+").
func mailtoEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// planSurvey decides, in the transaction that closes t, whether and when
// its customer is surveyed: the survey's row is written here, and with no
// delay the mail is queued here too (nothing lost, nothing twice). late
// says the close comes long after it was due (maildesk was down, or the
// first start after an upgrade): no survey then, a batch of them to old
// customers would be a surprise.
func (d *Desk) planSurvey(ctx context.Context, tx *store.Tx, t *store.Ticket, late bool, now time.Time) error {
	cat := d.rulesOf(ctx).Categories[t.Category]
	if cat == nil || !cat.Survey {
		return nil
	}
	s, err := tx.Survey(ctx, t.ID)
	switch {
	case err == nil:
		// One survey per ticket: only one that waited for this close
		// goes on.
		if s.SentAt != nil || s.Skipped != "" || s.DueAt != nil {
			return nil
		}
	case errors.Is(err, store.ErrNotFound):
		s = &store.Survey{TicketID: t.ID, CustomerKey: message.Canonical(t.Customer), CreatedAt: now}
		why, err := d.noSurvey(ctx, tx, t, cat, now)
		if err != nil {
			return err
		}
		if why == "" && late {
			why = "closed long after it was due"
		}
		if why != "" {
			s.Skipped = why
			if err := tx.PutSurvey(ctx, s); err != nil {
				return err
			}
			return tx.AddEvent(ctx, t.ID, now, "survey-skipped", why)
		}
	default:
		return err
	}
	due := now.Add(cat.SurveyDelay)
	s.DueAt = &due
	if cat.SurveyDelay <= 0 {
		return d.sendSurvey(ctx, tx, s, t, now)
	}
	if err := tx.PutSurvey(ctx, s); err != nil {
		return err
	}
	return tx.AddEvent(ctx, t.ID, now, "survey-planned", "survey goes out "+fmtKST(due, d.loc))
}

// noSurvey says why t's customer is not surveyed, or "": never automatic,
// quarantined, spoofed or staff-opened tickets (no mail from the
// customer), never our own or a staff address, never an address surveyed
// within the category's survey_interval.
func (d *Desk) noSurvey(ctx context.Context, tx *store.Tx, t *store.Ticket, cat *rules.Category, now time.Time) (string, error) {
	key := message.Canonical(t.Customer)
	switch {
	case t.Status == store.StatusQuarantined || t.Tag == "QUARANTINE":
		return "quarantined", nil
	case key == "":
		return "no customer address", nil
	case d.own[key]:
		return "the customer is one of our own addresses", nil
	case d.staffHandler(ctx, t.Customer) != nil:
		return "the customer address is a staff address (spoofed, or opened by staff)", nil
	}
	_, raw, err := tx.LastReceivedRaw(ctx, t.ID, KindInquiry, KindFollowUp)
	if errors.Is(err, store.ErrNotFound) {
		return "no mail from the customer (opened by staff)", nil
	}
	if err != nil {
		return "", err
	}
	if msg, _ := message.Parse(raw); msg != nil {
		if a := msg.Automatic(); a != "" {
			return "automatic mail (" + a + ")", nil
		}
		if a := msg.LooksAutomatic(); a != "" {
			return "automatic mail (" + a + ")", nil
		}
	}
	n, err := tx.SurveysTo(ctx, key, now.Add(-cat.SurveyInterval), t.ID)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return fmt.Sprintf("this address had a survey within survey_interval (%s)", cat.SurveyInterval), nil
	}
	return "", nil
}

// sendSurvey queues s's mail and records it sent, in one transaction. A
// ticket open again by then waits for its next close.
func (d *Desk) sendSurvey(ctx context.Context, tx *store.Tx, s *store.Survey, t *store.Ticket, now time.Time) error {
	if t.Status != store.StatusClosed {
		s.DueAt = nil
		if err := tx.PutSurvey(ctx, s); err != nil {
			return err
		}
		return tx.AddEvent(ctx, t.ID, now, "survey-waiting", "the ticket is open again: the survey goes at its next close")
	}
	mb := d.mailboxes[t.Mailbox]
	cat := d.rulesOf(ctx).Categories[t.Category]
	data := templates.Survey{
		Tag: t.FullTag(), Subject: t.Subject, Customer: customerName(customerAddr(t)),
		Handler: tcontact(t.Handler), Mailbox: mb.Address, Links: surveyLinks(mb.Address, t.FullTag()),
	}
	if t.ClosedAt != nil {
		data.Closed = t.ClosedAt.In(d.loc)
	}
	if cat != nil {
		data.Category, data.CategoryEn = cat.Name, cat.NameEn
	}
	text, html, err := d.templatesOf(ctx).Render("survey", data)
	if err != nil {
		return fmt.Errorf("render survey for ticket %d: %w", t.ID, err)
	}
	out := message.Outgoing{
		From:          message.Address{Name: data.Category, Addr: mb.Address},
		To:            []message.Address{customerAddr(t)},
		Subject:       t.FullTag() + " " + surveySubjectMark + " / Satisfaction survey: " + t.Subject,
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}, {"X-Maildesk-Kind", KindSurvey}},
		Text:          text,
		HTML:          html,
	}
	d.threadInto(ctx, tx, t, &out)
	s.DueAt = nil
	if reason, err := d.queueIfPossible(ctx, tx, t.ID, KindSurvey, out, now); err != nil {
		return err
	} else if reason != "" {
		// No mail can go (an address nothing can be sent to): recorded,
		// and the clock goes on.
		s.Skipped = reason
		if err := tx.PutSurvey(ctx, s); err != nil {
			return err
		}
		return tx.AddEvent(ctx, t.ID, now, "survey-skipped", reason)
	}
	s.SentAt, s.MessageID = &now, out.MessageID
	if err := tx.PutSurvey(ctx, s); err != nil {
		return err
	}
	d.log.Info("survey queued", "ticket", t.ID, "to", t.Customer)
	return tx.AddEvent(ctx, t.ID, now, "survey-sent", "to "+t.Customer)
}

// queueSurveys sends the surveys due at now: a step of the deadline clock.
func (d *Desk) queueSurveys(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	ss, err := tx.DueSurveys(ctx, now, deadlineBatch)
	if err != nil {
		return 0, err
	}
	for _, s := range ss {
		t, err := tx.Ticket(ctx, s.TicketID)
		if err != nil {
			return 0, err
		}
		if cat := d.rulesOf(ctx).Categories[t.Category]; cat == nil || !cat.Survey {
			// The rules changed since the close: survey = false now.
			s.DueAt, s.Skipped = nil, "the category's survey was turned off before it went out"
			if err := tx.PutSurvey(ctx, s); err != nil {
				return 0, err
			}
			if err := tx.AddEvent(ctx, t.ID, now, "survey-skipped", s.Skipped); err != nil {
				return 0, err
			}
			continue
		}
		if err := d.sendSurvey(ctx, tx, s, t, now); err != nil {
			return 0, err
		}
	}
	return len(ss), nil
}

// applyRating carries out ActRating: the reply is stored on the ticket,
// the rating with the handler and category of now (a second one replaces
// the first, logged), the customer thanked once; a rating of 1 or 2 on a
// closed or answered ticket reopens it for re-contact within 48 hours on
// the category's clock, the handler gets it back and the supervisor is
// told.
func (d *Desk) applyRating(ctx context.Context, tx *store.Tx, t *store.Ticket, m *store.Message, msg *message.Message, r *ratingFound, now time.Time) error {
	m.Kind, m.TicketID = KindRating, t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	rt := &store.Rating{TicketID: t.ID, MessageID: m.ID, Rating: r.Rating, Comment: r.Comment,
		Handler: store.Contact{ID: t.Handler.ID, Name: t.Handler.Name}, Category: t.Category, At: now}
	old, err := tx.AddRating(ctx, rt)
	if err != nil {
		return err
	}
	detail := fmt.Sprintf("%d (%s) from %s, handler %s", r.Rating, ratingLabels[r.Rating][0], msg.From.Addr, t.Handler.ID)
	if old != nil {
		err = tx.AddEvent(ctx, t.ID, now, "rating-replaced", fmt.Sprintf("%d -> %s", old.Rating, detail))
	} else {
		err = tx.AddEvent(ctx, t.ID, now, "rated", detail)
	}
	if err != nil {
		return err
	}
	d.log.Info("survey rating", "ticket", t.ID, "rating", r.Rating, "handler", t.Handler.ID, "replaced", old != nil)
	reopened := false
	cat := d.rulesOf(ctx).Categories[t.Category]
	if r.Rating <= 2 && cat != nil && (t.Status == store.StatusClosed || t.Status == store.StatusAnswered) {
		reopened = true
		if err := d.reopenForRecontact(ctx, tx, t, cat, r, now); err != nil {
			return err
		}
	}
	s, err := tx.Survey(ctx, t.ID)
	if err != nil {
		return err
	}
	if s.ThankedAt != nil {
		return nil
	}
	s.ThankedAt = &now
	if err := tx.PutSurvey(ctx, s); err != nil {
		return err
	}
	return d.queueSurveyThanks(ctx, tx, t, msg, r, reopened, now)
}

// reopenForRecontact opens t again after a rating of 1 or 2.
func (d *Desk) reopenForRecontact(ctx context.Context, tx *store.Tx, t *store.Ticket, cat *rules.Category, r *ratingFound, now time.Time) error {
	due := cat.After(now, recontactWindow)
	var notice *time.Time
	if cat.NoticeBefore > 0 && cat.NoticeBefore < recontactWindow {
		n := cat.NoticeAt(due)
		notice = &n
	}
	t.Status, t.DueAt, t.NoticeAt, t.PromisedAt = store.StatusOpen, &due, notice, &due
	t.NoticeSentAt, t.OverdueAt, t.ExpectedAt, t.ClosedAt = nil, nil, nil, nil
	t.DelayReason, t.DelayStatus = "", ""
	t.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return err
	}
	if err := tx.ForgetAutoClose(ctx, t.ID); err != nil {
		return err
	}
	if err := tx.AddEvent(ctx, t.ID, now, "reopened", fmt.Sprintf("survey rating %d: re-contact by %s", r.Rating, fmtKST(due, d.loc))); err != nil {
		return err
	}
	text := fmt.Sprintf("고객만족도 조사에서 고객이 %d점(%s)을 주어 문의가 다시 열렸습니다. %s까지 고객에게 다시 연락해 주십시오.\n"+
		"The customer rated this %d (%s): the ticket is open again; please contact them by %s.",
		r.Rating, ratingLabels[r.Rating][0], fmtKST(due, d.loc), r.Rating, ratingLabels[r.Rating][1], fmtKST(due, d.loc))
	if r.Comment != "" {
		text += "\n\n고객 의견 / Comment:\n" + r.Comment
	}
	if err := d.queueStaffNotice(ctx, tx, t, text, staffFollowUp, now); err != nil {
		return err
	}
	return d.queueSurveyAlert(ctx, tx, t, cat, r, now)
}

// queueSurveyAlert tells t's supervisor (and their delegate when away) of
// a rating of 1 or 2.
func (d *Desk) queueSurveyAlert(ctx context.Context, tx *store.Tx, t *store.Ticket, cat *rules.Category, r *ratingFound, now time.Time) error {
	rs := d.rulesOf(ctx)
	sup := rs.Handlers[cat.Supervisor]
	if sup == nil || sup.Email == "" {
		return tx.AddEvent(ctx, t.ID, now, "alert-skipped", "the category names no supervisor")
	}
	text, _, err := d.templatesOf(ctx).Render("survey-alert", templates.SurveyAlert{
		Supervisor: tcontact(contactOf(sup)), Handler: tcontact(t.Handler), Tag: t.FullTag(), TicketID: t.ID,
		Subject: t.Subject, Category: cat.Name, CategoryEn: cat.NameEn, Customer: customerLabel(t),
		Rating: r.Rating, Label: ratingLabels[r.Rating][0], LabelEn: ratingLabels[r.Rating][1], Comment: r.Comment,
		Due: t.DueAt.In(d.loc),
	})
	if err != nil {
		return fmt.Errorf("render survey-alert for ticket %d: %w", t.ID, err)
	}
	return d.queueToSupervisor(ctx, tx, t, sup, KindSurveyAlert,
		fmt.Sprintf("%s 고객만족도 %d점 / Rated %d: %s", t.FullTag(), r.Rating, r.Rating, t.Subject), text, now)
}

// queueSurveyThanks sends the customer the one thank-you for a rating.
func (d *Desk) queueSurveyThanks(ctx context.Context, tx *store.Tx, t *store.Ticket, in *message.Message, r *ratingFound, reopened bool, now time.Time) error {
	mb := d.mailboxes[t.Mailbox]
	data := templates.SurveyThanks{
		Tag: t.FullTag(), Subject: t.Subject, Customer: customerName(customerAddr(t)), Rating: r.Rating,
		Label: ratingLabels[r.Rating][0], LabelEn: ratingLabels[r.Rating][1], Reopened: reopened,
		Handler: tcontact(t.Handler), Mailbox: mb.Address,
	}
	if reopened {
		data.Due = t.DueAt.In(d.loc)
	}
	text, html, err := d.templatesOf(ctx).Render("survey-thanks", data)
	if err != nil {
		return fmt.Errorf("render survey-thanks for ticket %d: %w", t.ID, err)
	}
	out := message.Outgoing{
		From:          message.Address{Name: d.categoryName(ctx, t), Addr: mb.Address},
		To:            []message.Address{customerAddr(t)},
		Subject:       t.FullTag() + " 응답해 주셔서 감사합니다 / Thank you for your rating",
		MessageID:     newMessageID(t.ID, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-replied",
		Headers:       [][2]string{{"X-Maildesk-Ticket", t.FullTag()}, {"X-Maildesk-Kind", KindSurveyThanks}},
		Text:          text,
		HTML:          html,
	}
	if in.MessageID != "" {
		out.InReplyTo = in.MessageID
		out.References = append(lastRefs(in.References, maxCopiedRefs-1), in.MessageID)
	}
	reason, err := d.queueIfPossible(ctx, tx, t.ID, KindSurveyThanks, out, now)
	if err != nil || reason == "" {
		return err
	}
	return tx.AddEvent(ctx, t.ID, now, "thanks-skipped", reason)
}

// queueIfPossible composes out and queues it. A mail that cannot go (it
// does not compose, or the guard withholds it) is not an error of the
// transaction: it returns why, for the caller to record, and queues
// nothing.
func (d *Desk) queueIfPossible(ctx context.Context, tx *store.Tx, ticketID int64, kind string, out message.Outgoing, now time.Time) (string, error) {
	raw, err := message.Compose(out)
	if err != nil {
		return err.Error(), nil
	}
	err = d.queueComposed(ctx, tx, ticketID, kind, out, raw, now)
	if reason, ok := withheld(err); ok {
		return reason, nil
	}
	return "", err
}
