package desk

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// A mailbox's first start (no cursor: a new deployment, or a database that
// was lost) finds mail that someone has long seen to. Answering it all
// mailed 4,060 times for 2,032 old mails; instead, mail that arrived
// before the mailbox's history cutoff is stored silently (DESIGN invariant
// 8) and its handler gets one line of summary when the first catch-up pass
// ends.
//
// The cutoff is fixed at the first intake and kept in the database, so a
// crash half-way through the import does not turn the rest of it into new
// mail.

// historyCutoffSetting names the cutoff of a mailbox; "none" when nothing
// is history.
func historyCutoffSetting(mbox string) string { return "history-cutoff/" + mbox }

// historyCountSetting names the number of messages stored as history and
// not yet reported to the handler.
func historyCountSetting(mbox string) string { return "history-pending/" + mbox }

// historyCutoff returns the time before which mail of mbox is history, or
// zero when none is, fixing it in tx at the mailbox's first intake.
func (d *Desk) historyCutoff(ctx context.Context, tx *store.Tx, mbox string) (time.Time, error) {
	v, err := tx.Setting(ctx, historyCutoffSetting(mbox))
	if err == nil {
		if string(v) == "none" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, string(v))
		if err != nil {
			return time.Time{}, fmt.Errorf("history cutoff of %s: %w", mbox, err)
		}
		return t, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return time.Time{}, err
	}
	cutoff, ok := time.Time{}, false
	if _, _, err := tx.Cursor(ctx, mbox); errors.Is(err, store.ErrNotFound) {
		h := d.mailboxes[mbox].History
		if h == (config.History{}) {
			h = config.DefaultHistory
		}
		cutoff, ok = h.Cutoff(d.clock.Now())
	} else if err != nil {
		return time.Time{}, err
	}
	// A mailbox read before this setting existed has a cursor: nothing
	// of it is history.
	v = []byte("none")
	if ok {
		v = []byte(cutoff.UTC().Format(time.RFC3339Nano))
		d.log.Info("first start on this mailbox: older mail is stored as history, without acknowledgements",
			"mailbox", mbox, "before", cutoff)
	}
	if err := tx.SetSetting(ctx, historyCutoffSetting(mbox), v); err != nil {
		return time.Time{}, err
	}
	return cutoff, nil // zero when !ok
}

// intakeHistory stores a message from before the history cutoff: on the
// ticket it threads into, or on a new closed one; automatic mail on none.
// Nothing is queued, no command runs, no ticket reopens.
func (d *Desk) intakeHistory(ctx context.Context, tx *store.Tx, in intakeInput) error {
	mbox, msg, now := in.mbox, in.msg, in.now
	m := &store.Message{
		Direction: store.In, Mailbox: mbox, UIDValidity: in.uv, UID: in.uid,
		ContentHash: in.hash, Raw: in.raw, CreatedAt: now,
	}
	fillStored(m, msg)
	if in.perr != nil {
		m.Quarantine = in.perr.Error()
	}
	pl, err := d.plan(ctx, tx, in, automaticOf(msg))
	if err != nil {
		return err
	}
	switch {
	case pl.ticket != nil:
		m.Kind, m.TicketID = KindFollowUp, pl.ticket.ID
		if pl.automatic != "" {
			m.Kind = KindAutomatic
		}
	case pl.automatic != "" && !pl.bulk:
		m.Kind = KindAutomatic
	default:
		dec := pl.decision
		t := &store.Ticket{
			Tag: dec.Category.Tag, Mailbox: mbox, Category: dec.Category.ID, Status: store.StatusClosed,
			Handler:  contactOf(dec.Handler),
			Customer: msg.From.Addr, CustomerKey: message.Canonical(msg.From.Addr), CustomerName: msg.From.Name, Subject: ticketSubject(msg.Subject, dec.Language),
			CreatedAt: now, UpdatedAt: now, ClosedAt: &now, Language: dec.Language,
		}
		if err := tx.InsertTicket(ctx, t); err != nil {
			return err
		}
		m.Kind, m.TicketID = KindInquiry, t.ID
	}
	if m.Quarantine != "" && m.Kind != KindAutomatic {
		m.Kind = KindQuarantined
	}
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	if m.TicketID != 0 {
		if err := tx.AddEvent(ctx, m.TicketID, now, "history", "in the mailbox before maildesk's first start: stored, nothing sent"); err != nil {
			return err
		}
	}
	n := 0
	if v, err := tx.Setting(ctx, historyCountSetting(mbox)); err == nil {
		n, _ = strconv.Atoi(string(v))
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return tx.SetSetting(ctx, historyCountSetting(mbox), []byte(strconv.Itoa(n+1)))
}

// Synced is called when a mailbox's catch-up pass ends. After the pass that
// stored history, the mailbox's handler gets the one summary of it.
func (d *Desk) Synced(ctx context.Context, mbox string) error {
	ctx = d.withSnapshot(ctx)
	pending := false
	err := d.store.Read(ctx, func(tx *store.Tx) error {
		v, err := tx.Setting(ctx, historyCountSetting(mbox))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		pending = err == nil && string(v) != "0"
		return err
	})
	if err != nil || !pending {
		return err
	}
	err = d.store.Write(ctx, func(tx *store.Tx) error {
		v, err := tx.Setting(ctx, historyCountSetting(mbox))
		if err != nil {
			return err
		}
		n, _ := strconv.Atoi(string(v))
		if n == 0 {
			return nil
		}
		cutoff, err := d.historyCutoff(ctx, tx, mbox)
		if err != nil {
			return err
		}
		if err := d.queueHistorySummary(ctx, tx, mbox, n, cutoff, d.clock.Now()); err != nil {
			return err
		}
		return tx.SetSetting(ctx, historyCountSetting(mbox), []byte("0"))
	})
	if err == nil {
		d.wake()
	}
	return err
}

func (d *Desk) queueHistorySummary(ctx context.Context, tx *store.Tx, mbox string, n int, cutoff, now time.Time) error {
	mb := d.mailboxes[mbox]
	d.log.Info("mail from before the first start stored as history", "mailbox", mbox, "messages", n, "before", cutoff)
	dec, err := d.rulesOf(ctx).Decide(rules.Input{Mailbox: mbox, At: now})
	if err != nil || dec.Handler == nil || dec.Handler.Email == "" {
		return nil
	}
	h := dec.Handler
	text, _, err := d.templatesOf(ctx).Render("history", templates.History{
		Handler: tcontact(contactOf(h)), Mailbox: mb.Address, Count: n, Before: cutoff.In(d.loc),
	})
	if err != nil {
		return fmt.Errorf("render history summary of %s: %w", mbox, err)
	}
	return d.queue(ctx, tx, 0, KindStaffNotice, message.Outgoing{
		From:          message.Address{Name: "maildesk", Addr: mb.Address},
		To:            []message.Address{{Name: h.Name, Addr: h.Email}},
		Subject:       "[maildesk] 기존 메일 기록 / Mail stored as history: " + mb.Address,
		MessageID:     newMessageID(0, mb.Address),
		Date:          now.In(d.loc),
		AutoSubmitted: "auto-generated",
		Text:          text,
	}, now)
}
