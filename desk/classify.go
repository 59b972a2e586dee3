package desk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// Intake decides, then acts (DESIGN invariant 9): classify looks at a
// parsed message, one snapshot of the rules and what the store knows, and
// returns one Action from a closed set; apply carries it out in the
// transaction. `maildesk rules test` prints the same classification
// (Preview), so what it says is what intake does.

// Action is what intake does with a message.
type Action string

// The actions, in the order classify tries them.
const (
	ActDuplicate    Action = "duplicate"      // stored before (same UID, or same Message-ID and content): nothing
	ActHistory      Action = "history"        // in the folder before the mailbox's first start: stored, nothing sent
	ActQuarantine   Action = "quarantine"     // cannot be read: stored raw, the handler told
	ActStaffReply   Action = "staff-reply"    // a handler's reply with a valid token: commands run, answer relayed
	ActFormerStaff  Action = "former-handler" // a valid token of a handler the ticket has left: a note to the new one
	ActDirectAnswer Action = "direct-answer"  // a handler's answer straight to the customer, proven
	ActStaffNew     Action = "staff-new"      // a handler's proven "#new voc phone …": a complaint from another channel registered
	ActBounce       Action = "bounce-of-ours" // a bounce of a mail maildesk sent: on its ticket, the handler told
	ActAutomatic    Action = "automatic"      // auto-reply, bounce, our own mail: stored, never answered
	ActFollowUp     Action = "follow-up"      // more mail on an existing ticket
	ActNewTicket    Action = "new-ticket"     // a new conversation
)

// Decision is classify's result: the action and what it acts on.
type Decision struct {
	Action Action
	// Automatic says why the mail must not be answered ("" when it may).
	Automatic string
	Ticket    *store.Ticket  // the ticket it continues; nil for a new one
	Rating    *ratingFound   // ActRating: the rating and comment
	Route     rules.Decision // ActNewTicket: category, handler, deadline
	Staff     *rules.Handler // the handler whose address sent it, proven or not
	// Spoofed: from a staff address without proof; it goes on as
	// ordinary mail and the handler is warned.
	Spoofed bool
	// Reopen: a follow-up after the answer starts a new window (its
	// category is still in the rules to give one).
	Reopen bool
	// Ack: a new ticket is acknowledged; otherwise AckSkip says why not.
	Ack     bool
	AckSkip string
	// AckLimited: the sender had their acknowledgements for the hour.
	AckLimited bool
	// Mentions: a new ticket whose subject carries the tag of another
	// customer's ticket (a colleague answering for a customer); the
	// handler's notice names it.
	Mentions *store.Ticket

	returned *returned // ActBounce
}

// intakeInput is one message as classify sees it.
type intakeInput struct {
	mbox    string
	uv, uid uint32 // 0 when not from IMAP (rules test)
	raw     []byte
	hash    string
	msg     *message.Message // never nil
	perr    error
	arrived time.Time // IMAP INTERNALDATE; zero when unknown
	cutoff  time.Time // the mailbox's history cutoff; zero for none
	now     time.Time
}

// snapshot is the rules and templates one intake, one batch or one pass
// of a loop works with: a reload in the middle must not give one message
// two rule sets.
type snapshot struct {
	rules     *rules.Set
	templates *templates.Set
	staff     map[string]*rules.Handler // rules' handlers by canonical address
}

// staffIndex is a rule set's handlers by the canonical form of their
// address: every message's sender is looked up in it, which scanning the
// handlers and canonicalising each address did for every message.
type staffIndex struct {
	rules  *rules.Set
	byAddr map[string]*rules.Handler
}

// staffOf returns rs's handlers by canonical address, built once per rule
// set. Of two handlers with one address the first by ID is the one.
func (d *Desk) staffOf(rs *rules.Set) map[string]*rules.Handler {
	if si := d.staff.Load(); si != nil && si.rules == rs {
		return si.byAddr
	}
	ids := make([]string, 0, len(rs.Handlers))
	for id := range rs.Handlers {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	m := make(map[string]*rules.Handler, len(ids))
	for _, id := range ids {
		h := rs.Handlers[id]
		if a := message.Canonical(h.Email); a != "" && m[a] == nil {
			m[a] = h
		}
	}
	d.staff.Store(&staffIndex{rules: rs, byAddr: m})
	return m
}

type snapshotKey struct{}

// withSnapshot pins the rules and templates in force for the work done
// with ctx.
func (d *Desk) withSnapshot(ctx context.Context) context.Context {
	if _, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		return ctx
	}
	rs := d.rules.Load()
	return context.WithValue(ctx, snapshotKey{}, &snapshot{rules: rs, templates: d.templates.Load(), staff: d.staffOf(rs)})
}

// rulesOf is the rule set for the work done with ctx.
func (d *Desk) rulesOf(ctx context.Context) *rules.Set {
	if s, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		return s.rules
	}
	return d.rules.Load()
}

// templatesOf is the template set for the work done with ctx.
func (d *Desk) templatesOf(ctx context.Context) *templates.Set {
	if s, ok := ctx.Value(snapshotKey{}).(*snapshot); ok {
		return s.templates
	}
	return d.templates.Load()
}

// classify decides what intake does with in. tx may be nil (rules test
// without a database): nothing is a duplicate and nothing threads then.
// It writes nothing.
func (d *Desk) classify(ctx context.Context, tx *store.Tx, in intakeInput) (Decision, error) {
	msg := in.msg
	var dec Decision
	if tx != nil {
		dup, err := d.isDuplicate(ctx, tx, in.mbox, in.uv, in.uid, msg, in.hash)
		if err != nil || dup {
			dec.Action = ActDuplicate
			return dec, err
		}
	}
	if !in.cutoff.IsZero() && !in.arrived.IsZero() && in.arrived.Before(in.cutoff) {
		dec.Action = ActHistory
		return dec, nil
	}
	pre := automaticOf(msg)
	if in.perr != nil && (pre.automatic == "" || pre.bulk) {
		// A bounce or auto-reply that is also malformed (common: bounces
		// cut short) is noise, not something for the handler to look at.
		dec.Action = ActQuarantine
		return dec, nil
	}
	if h := d.staffHandler(ctx, msg.From.Addr); h != nil && pre.automatic == "" {
		dec.Staff = h
		if tx != nil {
			act, t, err := d.classifyStaff(ctx, tx, msg, h, in.now, &pre)
			if err != nil || act != "" {
				dec.Action, dec.Ticket = act, t
				return dec, err
			}
		}
		dec.Spoofed = true
	}
	p, err := d.plan(ctx, tx, in, pre)
	if err != nil {
		return dec, err
	}
	dec.Automatic, dec.Ticket, dec.Route = p.automatic, p.ticket, p.decision
	rating, err := d.ratingIn(ctx, tx, p, msg, dec.Spoofed)
	if err != nil {
		return dec, err
	}
	switch {
	case p.automatic != "" && !p.bulk:
		dec.Action = ActAutomatic
		if tx != nil {
			r, err := d.bouncedMail(ctx, tx, msg)
			if err != nil {
				return dec, err
			}
			if r != nil {
				dec.Action, dec.returned, dec.Ticket = ActBounce, r, r.ticket
			}
		}
	case rating != nil:
		dec.Action, dec.Rating = ActRating, rating
	case p.ticket != nil:
		dec.Action = ActFollowUp
		// A ticket whose category left the rules has no window to start.
		dec.Reopen = (p.ticket.Status == store.StatusAnswered || p.ticket.Status == store.StatusClosed) &&
			d.rulesOf(ctx).Categories[p.ticket.Category] != nil
	default:
		dec.Action = ActNewTicket
		if tx != nil {
			// A tag of another customer's ticket does not thread (it
			// would give a stranger the conversation), but the handler
			// is told, to #merge a colleague's mail.
			if m, err := taggedTicket(ctx, tx, msg); err != nil {
				return dec, err
			} else if m != nil {
				dec.Mentions = m
			}
		}
		switch {
		case p.bulk:
			dec.AckSkip = p.automatic + " mail is never answered automatically"
		case !p.decision.Acknowledge:
			dec.AckSkip = "rule says no acknowledgement"
		case dec.Staff != nil:
			// Unproven mail from a staff address: stored, never answered.
			dec.AckSkip = "from a staff address"
		default:
			dec.Ack = true
			if tx != nil {
				rcpt := ackRecipient(msg)
				n, err := tx.CountSentSince(ctx, KindAck, message.Canonical(rcpt.Addr), in.now.Add(-time.Hour))
				if err != nil {
					return dec, err
				}
				if n >= d.ackLimit {
					dec.Ack, dec.AckLimited, dec.AckSkip = false, true, fmt.Sprintf("%d acknowledgements to %s in the last hour", n, rcpt.Addr)
				}
			}
		}
	}
	return dec, nil
}

// classifyStaff tells which proof, if any, mail from handler h carries:
// a reply token for a ticket (ActStaffReply, or ActFormerStaff when h no
// longer acts for it), or References to a notice maildesk sent h with the
// customer addressed, or the institute's verified DKIM/DMARC
// (ActDirectAnswer). "" when none: the mail is not trusted. When it
// threaded msg, it leaves the ticket in pre for plan.
func (d *Desk) classifyStaff(ctx context.Context, tx *store.Tx, msg *message.Message, h *rules.Handler, now time.Time, pre *preplan) (Action, *store.Ticket, error) {
	key, err := d.existingReplyKey(ctx, tx)
	if err != nil {
		return "", nil, err
	}
	for _, addr := range d.recipients(msg) {
		id, tok, ok := parseReplyAddress(addr)
		if ok && key != nil && d.own[message.Canonical(addr)] && validToken(key, id, h.Email, tok) {
			t, err := tx.Ticket(ctx, id)
			if err != nil {
				return "", nil, err
			}
			if !d.actsFor(ctx, t, h, now) {
				return ActFormerStaff, t, nil
			}
			return ActStaffReply, t, nil
		}
	}
	refs := append(append([]string(nil), msg.InReplyTo...), msg.References...)
	if id, err := tx.TicketOfMailTo(ctx, KindStaffNotice, message.Canonical(h.Email), refs); err == nil {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return "", nil, err
		}
		if addressedTo(msg, t.Customer) {
			return ActDirectAnswer, t, nil
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", nil, err
	}
	// Only the topmost Authentication-Results counts, and only when the
	// institute's server wrote it (RFC 8601 §5): the MTA must strip the
	// ones arriving with its authserv-id (docs/rules.md says so).
	_, staffDomain, _ := strings.Cut(message.Canonical(h.Email), "@")
	if d.trustedAuth != "" && msg.Authenticated(d.trustedAuth, staffDomain) {
		if isStaffNew(msg) {
			return ActStaffNew, nil, nil
		}
		t, err := d.thread(ctx, tx, msg, now)
		if err != nil {
			return "", nil, err
		}
		pre.threaded, pre.ticket = true, t
		if t != nil && addressedTo(msg, t.Customer) {
			return ActDirectAnswer, t, nil
		}
	}
	return "", nil, nil
}

// ackRecipient is where a new ticket's acknowledgement goes: the Reply-To
// the customer gave, or the sender.
func ackRecipient(msg *message.Message) message.Address {
	if len(msg.ReplyTo) > 0 && msg.ReplyTo[0].Addr != "" {
		return msg.ReplyTo[0]
	}
	return msg.From
}
