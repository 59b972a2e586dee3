package desk

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// customerKinds are the mails maildesk sends to customers. Everything it
// sends passes queueComposed, and these pass guardCustomerMail there
// (DESIGN invariant 8): no reply token and no text of a staff notice ever
// reaches a customer, whatever a handler's mail client quoted, whatever
// the customer put in a subject, and whatever a template override says.
var customerKinds = map[string]bool{
	KindAck: true, KindAnswer: true, KindTransfer: true, KindNotice: true, KindCorrectionResult: true,
	KindSurvey: true, KindSurveyThanks: true,
}

// staffOnlyKinds are the mails whose text is for staff only.
var staffOnlyKinds = map[string]bool{
	KindStaffNotice: true, KindQuarantineNotice: true, KindAlert: true,
	KindSurveyAlert: true,
}

// withheldError says why a customer mail was withheld: the guard stopped
// it; the caller records it and, where a handler wrote it, tells them.
type withheldError struct{ reason string }

func (e *withheldError) Error() string { return "mail to the customer withheld: " + e.reason }

// tokenPattern finds what looks like a reply address: local+tID.TOKEN@domain.
var tokenPattern = regexp.MustCompile(`(?i)([a-z0-9!#$%&'*/=?^_{|}~.-]+)\+t[0-9]+\.[a-z2-7]{10}@([a-z0-9.-]+)`)

// minStaffLine is the shortest line of a staff notice the guard looks for:
// shorter lines ("감사합니다.", a date) are common to any two mails.
const minStaffLine = 20

// guardCustomerMail returns a *withheldError when out, a mail of kind on
// ticket, must not go to the customer.
func (d *Desk) guardCustomerMail(ctx context.Context, tx *store.Tx, ticket int64, kind string, out message.Outgoing) error {
	if !customerKinds[kind] {
		return nil
	}
	parts := []string{out.Subject, out.Text, out.HTML}
	for _, h := range out.Headers {
		parts = append(parts, h[1])
	}
	for _, a := range out.Attachments {
		parts = append(parts, a.Name, string(a.Data))
	}
	for _, p := range parts {
		// Every reply address holds "+t": the backlog's profile spent an
		// eighth of its CPU running the pattern over acknowledgements
		// that have none.
		if !strings.Contains(p, "+t") && !strings.Contains(p, "+T") {
			continue
		}
		for _, m := range tokenPattern.FindAllStringSubmatch(p, -1) {
			if d.own[message.Canonical(m[1]+"@"+m[2])] {
				return &withheldError{"it contains a reply address with a token (" + m[1] + "+t…@" + m[2] + ")"}
			}
		}
	}
	if kind != KindAnswer || ticket == 0 {
		// Only an answer carries text a person wrote after reading a
		// staff notice; the other kinds are templates over ticket data.
		return nil
	}
	ms, err := tx.Messages(ctx, ticket)
	if err != nil {
		return fmt.Errorf("guard ticket %d: %w", ticket, err)
	}
	staff, customer := map[string]bool{}, map[string]bool{}
	for _, m := range ms {
		switch {
		case m.Direction == store.Out && staffOnlyKinds[m.Kind]:
			addLines(staff, m.Text)
		case m.Direction == store.In && (m.Kind == KindInquiry || m.Kind == KindFollowUp || m.Kind == KindRating || m.Kind == KindRegistered):
			// A notice quotes the customer's own text: that may be
			// quoted back to them.
			addLines(customer, m.Text)
		}
	}
	for l := range customer {
		delete(staff, l)
	}
	for _, l := range strings.Split(out.Text, "\n") {
		if l = guardLine(l); staff[l] {
			return &withheldError{fmt.Sprintf("it contains text of maildesk's notice to staff (%q)", l)}
		}
	}
	return nil
}

func addLines(set map[string]bool, text string) {
	for _, l := range strings.Split(text, "\n") {
		if l = guardLine(l); l != "" {
			set[l] = true
		}
	}
}

// guardLine is a line as the guard compares it: without quote marks and
// with its spaces collapsed, or "" when it is too short to tell anything.
func guardLine(l string) string {
	l = strings.TrimLeft(l, "> \t")
	l = strings.Join(strings.Fields(l), " ")
	if utf8.RuneCountInString(l) < minStaffLine {
		return ""
	}
	return l
}

// withheld reports whether err is the guard's, with its reason.
func withheld(err error) (string, bool) {
	var w *withheldError
	if errors.As(err, &w) {
		return w.reason, true
	}
	return "", false
}
