package desk

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

// refRE is a ticket written by a person: "[QUAL #2]", "QUAL #2", "QUAL#2",
// "QUAL-2" (a tag and its number), or "17", "#17" (the id `maildesk
// tickets` lists).
var refRE = regexp.MustCompile(`^\[?\s*(?:([A-Za-z0-9][A-Za-z0-9-]*?)\s*[#-]\s*|#?)([0-9]+)\s*\]?$`)

// FindTicket finds the ticket ref names (see refRE) for a staff command or
// the CLI. A tag with its number is what staff see in subjects; a bare
// number is the id, which the CLI lists.
func FindTicket(ctx context.Context, tx *store.Tx, ref string) (*store.Ticket, error) {
	m := refRE.FindStringSubmatch(strings.TrimSpace(ref))
	if m == nil {
		return nil, fmt.Errorf("%q is not a ticket: write it as in the subject, [QUAL #2], or as its id", ref)
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("%q is not a ticket number", ref)
	}
	var t *store.Ticket
	if m[1] == "" {
		t, err = tx.Ticket(ctx, n)
	} else {
		t, err = tx.TicketByNumber(ctx, m[1], n)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no ticket %s", strings.TrimSpace(ref))
	}
	return t, err
}

// mergeProblem says why t cannot be merged into the ticket ref names, or "".
// A merge moves the mail; an answer in the same reply would go to a
// customer whose ticket is closing, so it is refused.
func (d *Desk) mergeProblem(ctx context.Context, tx *store.Tx, t *store.Ticket, ref, answer string) (string, error) {
	into, err := FindTicket(ctx, tx, ref)
	if err != nil {
		if errors.Is(err, context.Canceled) || store.IsTransient(err) {
			return "", err
		}
		return "#merge " + ref + ": " + err.Error(), nil
	}
	switch {
	case into.ID == t.ID:
		return "#merge " + ref + ": that is this ticket", nil
	case into.Status == store.StatusQuarantined:
		return "#merge " + ref + ": that ticket is quarantined", nil
	case answer != "":
		return "#merge " + ref + ": write the answer on the ticket it joins, not with #merge", nil
	}
	return "", nil
}

// merge moves t's mail into the ticket ref names and closes t: one
// conversation, one ticket. Nothing goes to either customer (t's customer
// was acknowledged already); both tickets record it, and the joined
// ticket's handler hears of it when it is not the handler who merged.
func (d *Desk) merge(ctx context.Context, tx *store.Tx, t *store.Ticket, ref string, h *rules.Handler, now time.Time) error {
	into, err := FindTicket(ctx, tx, ref)
	if err != nil {
		return err
	}
	if err := tx.MoveMessages(ctx, t.ID, into.ID); err != nil {
		return err
	}
	t.Status, t.ClosedAt = store.StatusClosed, &now
	if err := tx.AddEvent(ctx, t.ID, now, "merged", fmt.Sprintf("%s: into %s; its mail is there now", h.ID, into.FullTag())); err != nil {
		return err
	}
	if err := tx.AddEvent(ctx, into.ID, now, "merged", fmt.Sprintf("%s: the mail of %s (%s) joined this ticket", h.ID, t.FullTag(), t.Customer)); err != nil {
		return err
	}
	into.UpdatedAt = now
	if err := tx.UpdateTicket(ctx, into); err != nil {
		return err
	}
	if into.Handler.ID != h.ID {
		// As a follow-up: the newest mail on the ticket is the one merged.
		return d.queueStaffNotice(ctx, tx, into, "", staffFollowUp, now)
	}
	return nil
}
