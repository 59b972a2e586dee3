package desk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

// Message kinds stored with each message.
const (
	KindInquiry     = "inquiry"     // opened a ticket
	KindFollowUp    = "followup"    // customer mail on an existing ticket
	KindAutomatic   = "automatic"   // auto-reply, bounce, list mail: never answered (see also KindBounce)
	KindQuarantined = "quarantined" // could not be parsed
	KindAck         = "ack"         // our acknowledgement
	KindStaffNotice = "staff"       // our note to a handler: new inquiry, follow-up, transfer, error, warning
	// KindQuarantineNotice tells the handler of a mail that could not be read.
	KindQuarantineNotice = "quarantine-notice"
)

// Cursor implements mailbox.Handler: how far a mailbox has been stored.
func (d *Desk) Cursor(ctx context.Context, mbox string) (mailbox.Cursor, error) {
	var c mailbox.Cursor
	err := d.store.Read(ctx, func(tx *store.Tx) error {
		uv, uid, err := tx.Cursor(ctx, mbox)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		c = mailbox.Cursor{UIDValidity: uv, LastUID: uid}
		return err
	})
	return c, err
}

// Deliver implements mailbox.Handler. In one transaction it stores raw, threads
// it into a ticket (opening one if needed), queues the acknowledgement and
// advances the mailbox's cursor (DESIGN invariants 1 and 2). A message stored
// before, under the same UID or with the same Message-ID and content, changes
// nothing but the cursor.
//
// A message that fails intakeTries times in a row for a reason that is not
// transient (a full disk, a busy database, shutdown) is stored raw and
// quarantined with the error as its reason, and the cursor moves past it:
// no single message can hold a mailbox (DESIGN invariant 1).
func (d *Desk) Deliver(ctx context.Context, mbox string, uidValidity, uid uint32, raw []byte) error {
	return d.deliverOne(ctx, mbox, uidValidity, mailbox.Fetched{UID: uid, Raw: raw})
}

func (d *Desk) deliverOne(ctx context.Context, mbox string, uidValidity uint32, f mailbox.Fetched) error {
	// Parsed before the write lock is taken: the outbox waits for it.
	msg, perr := message.Parse(f.Raw)
	return d.deliverInput(d.withSnapshot(ctx), fetchedInput(mbox, uidValidity, f, msg, perr), "")
}

// fetchedInput is a fetched message as classify sees it; the cutoff and
// the time are the transaction's (see takeInput).
func fetchedInput(mbox string, uidValidity uint32, f mailbox.Fetched, msg *message.Message, perr error) intakeInput {
	return intakeInput{
		mbox: mbox, uv: uidValidity, uid: f.UID, raw: f.Raw, hash: contentHash(f.Raw, msg.MessageID != ""),
		msg: msg, perr: perr, arrived: f.InternalDate,
	}
}

// deliverInput takes in in, in its own transaction with the cursor's
// advance past it, and quarantines it once it has failed intakeTries times.
// what, when not "", says more of the mail in errors.
func (d *Desk) deliverInput(ctx context.Context, in intakeInput, what string) error {
	mbox, uidValidity, uid := in.mbox, in.uv, in.uid
	ctx, tally := withTally(ctx, mbox)
	queued := false
	err := d.store.Write(ctx, func(tx *store.Tx) error {
		var err error
		if in.cutoff, err = d.historyCutoff(ctx, tx, mbox); err != nil {
			return err
		}
		if queued, err = d.takeInput(ctx, tx, in); err != nil {
			return err
		}
		return d.advance(ctx, tx, mbox, uidValidity, uid)
	})
	key := fmt.Sprintf("%s/%d/%d", mbox, uidValidity, uid)
	if err == nil {
		d.intakeFailures(key, false)
		d.observed(tally)
		if queued {
			d.woken()
		}
		return nil
	}
	if what != "" {
		what = " (" + what + ")"
	}
	err = fmt.Errorf("intake %s uid %d/%d%s: %w", mbox, uidValidity, uid, what, d.diskFull(err, "the mail (on the IMAP server)"))
	if ctx.Err() != nil || store.IsTransient(err) || errors.Is(err, store.ErrFileReplaced) {
		return err
	}
	if n := d.intakeFailures(key, true); n < intakeTries {
		return err
	}
	qerr := d.store.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.MessageByUID(ctx, mbox, uidValidity, uid); err == nil {
			return d.advance(ctx, tx, mbox, uidValidity, uid)
		}
		if err := d.quarantineUnstorable(ctx, tx, mbox, uidValidity, uid, in.raw, in.msg, err); err != nil {
			return err
		}
		return d.advance(ctx, tx, mbox, uidValidity, uid)
	})
	if qerr != nil {
		return errors.Join(err, fmt.Errorf("quarantine it: %w", qerr))
	}
	d.intakeFailures(key, false)
	d.observer.Intake(mbox, KindQuarantined)
	d.log.Error("message could not be taken in; stored raw and quarantined", "mailbox", mbox, "uid", uid, "err", err)
	d.woken()
	return nil
}

// advance moves mbox's cursor past uid in tx, fixing the history cutoff
// first. historyCutoff takes "no cursor yet" for a first start: a cursor
// set before the cutoff is fixed (by a quarantined or oversized first
// mail, whose failed attempts rolled their cutoff back) made the next
// intake record "none" and answer all the old mail.
func (d *Desk) advance(ctx context.Context, tx *store.Tx, mbox string, uv, uid uint32) error {
	if _, err := d.historyCutoff(ctx, tx, mbox); err != nil {
		return err
	}
	return tx.SetCursor(ctx, mbox, uv, uid, d.clock.Now())
}

// intakeTries is how often one message's intake fails before it is
// quarantined: enough to ride out a fault of the moment, few enough that
// the mail after it waits seconds, not forever.
const intakeTries = 3

// intakeFailures counts (failed) or forgets (!failed) the failures of the
// message key and returns the count.
func (d *Desk) intakeFailures(key string, failed bool) int {
	d.failMu.Lock()
	defer d.failMu.Unlock()
	if !failed {
		delete(d.failed, key)
		return 0
	}
	if d.failed == nil {
		d.failed = map[string]int{}
	}
	d.failed[key]++
	return d.failed[key]
}

// quarantineUnstorable stores raw as quarantined with why as its reason,
// keeping of the parsed message only what cannot have been the trouble: no
// references, no text (raw keeps all of it), a short subject.
func (d *Desk) quarantineUnstorable(ctx context.Context, tx *store.Tx, mbox string, uv, uid uint32, raw []byte, msg *message.Message, why error) error {
	now := d.clock.Now()
	m := &store.Message{
		Direction: store.In, Mailbox: mbox, UIDValidity: uv, UID: uid,
		ContentHash: contentHash(raw, false), Raw: raw, CreatedAt: now,
	}
	short := &message.Message{
		From:    message.Address{Name: clip(msg.From.Name, maxNameRunes), Addr: clip(msg.From.Addr, maxNameRunes*4)},
		Subject: clip(msg.Subject, maxSubjectRunes),
	}
	m.MessageID = clip(msg.MessageID, 998)
	m.From, m.FromKey, m.FromName, m.Subject = short.From.Addr, message.Canonical(short.From.Addr), short.From.Name, short.Subject
	return d.quarantine(ctx, tx, m, short, fmt.Errorf("could not be taken in: %v", why), now)
}

// DeliverBatch implements mailbox.BatchHandler: it takes a FETCH batch in
// as Deliver takes one message, but in one transaction for all of them
// (a group commit). The backlog's profile showed a fifth of its CPU in the
// per-message commit (writing the WAL frames of pages that every message
// touches again: the indexes, the cursor row) and the automatic
// checkpoints that follow; one commit per batch writes each page once.
//
// Invariant 1 holds for the batch: its messages, what they cause and the
// cursor's advance to its last UID commit together. Within the transaction
// each message sees the ones before it, so two mails of one new
// conversation thread into one ticket, a Message-ID seen twice is stored
// once, and the acknowledgement rate limit counts the batch's own acks.
// Unparseable mail is quarantined per message, as in Deliver. When any
// message fails (a store error, a full disk, a template that does not
// render), the whole transaction is rolled back and the batch is taken in
// one message at a time with Deliver, which stops at the failing message:
// nothing after it is skipped, and it reports how many went in.
func (d *Desk) DeliverBatch(ctx context.Context, mbox string, uidValidity uint32, msgs []mailbox.Fetched) (int, error) {
	// One rule set for the whole batch: a reload in the middle must not
	// route two mails of one batch by two rule sets.
	ctx = d.withSnapshot(ctx)
	if len(msgs) == 0 {
		return 0, nil
	}
	queued := false
	// The one-by-one fallback below tallies each message on its own.
	ctx, tally := withTally(ctx, mbox)
	release := d.intakeTurn(ctx)
	next, stop := parseAhead(mbox, uidValidity, msgs)
	err := d.store.Write(ctx, func(tx *store.Tx) error {
		cutoff, err := d.historyCutoff(ctx, tx, mbox)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			in := next()
			in.cutoff = cutoff
			q, err := d.takeInput(ctx, tx, in)
			if err != nil {
				return fmt.Errorf("uid %d: %w", m.UID, err)
			}
			queued = queued || q
		}
		return d.advance(ctx, tx, mbox, uidValidity, msgs[len(msgs)-1].UID)
	})
	stop()
	release()
	if err == nil {
		d.observed(tally)
		if queued {
			d.woken()
		}
		return len(msgs), nil
	}
	err = fmt.Errorf("intake %s uids %d-%d/%d: %w", mbox, msgs[0].UID, msgs[len(msgs)-1].UID, uidValidity,
		d.diskFull(err, "the mail (on the IMAP server)"))
	if ctx.Err() != nil {
		return 0, err
	}
	d.log.Warn("batch intake failed; taking its messages in one by one", "mailbox", mbox, "messages", len(msgs), "err", err)
	for i, m := range msgs {
		if err := d.deliverOne(ctx, mbox, uidValidity, m); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}

var _ mailbox.BatchHandler = (*Desk)(nil)

const (
	// parseDepth is how many messages parseAhead may have parsed and not
	// yet handed over.
	parseDepth = 4
	// parseAheadMax is the largest mail parseAhead parses ahead; a larger
	// one is parsed when its turn comes, so that the mail held parsed at
	// once stays small whatever the batch holds.
	parseAheadMax = 1 << 20
)

// parseAhead parses msgs, in order, on a goroutine of its own while the
// caller takes the ones before in: parsing (and splitting the quoted
// reply off) was a fifth of the writer's time in the backlog's profile,
// and the writer is the one thing intake cannot spread over the cores.
// next returns the messages' inputs in order, one call per message; stop
// ends the goroutine, also when next was not called for every message.
func parseAhead(mbox string, uidValidity uint32, msgs []mailbox.Fetched) (next func() intakeInput, stop func()) {
	type result struct {
		in   intakeInput
		done bool // in is parsed; otherwise next parses it
	}
	out := make(chan result, parseDepth)
	quit := make(chan struct{})
	go func() {
		defer close(out)
		for _, m := range msgs {
			var r result
			if len(m.Raw) <= parseAheadMax {
				msg, perr := message.Parse(m.Raw)
				r = result{in: fetchedInput(mbox, uidValidity, m, msg, perr), done: true}
			}
			select {
			case out <- r:
			case <-quit:
				return
			}
		}
	}()
	i := 0
	next = func() intakeInput {
		m := msgs[i]
		i++
		if r := <-out; r.done {
			return r.in
		}
		msg, perr := message.Parse(m.Raw)
		return fetchedInput(mbox, uidValidity, m, msg, perr)
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(quit) }) }
	return next, stop
}

// woken tells the outbox and the deadline clock about rows an intake
// committed. Only after the commit can the loops see the new rows: a wake
// sent inside the transaction could be taken and answered before the
// commit, and the deadline clock would then sleep past the new ticket's
// delay notice.
func (d *Desk) woken() {
	d.wake()
	d.wakeDeadlines()
}

// intakeFault, when set (by tests), is called inside the transaction
// before each message is taken in; an error fails that message's intake as
// a store error would.
var intakeFault func(uid uint32) error

// takeInput takes in in inside tx: the test hooks, classify, then apply.
// It reports whether mail was queued. The history cutoff (in.cutoff, from
// historyCutoff in tx) and the cursor are the caller's. Every intake path
// comes through here, so each message gets the same hooks and decision.
//
// Mail that arrived (by the server's INTERNALDATE) before the history
// cutoff is history: stored, threaded, nothing sent. The Date header does
// not count: a sender's clock, or a sender, could silence an inquiry with it.
func (d *Desk) takeInput(ctx context.Context, tx *store.Tx, in intakeInput) (bool, error) {
	if intakeFault != nil {
		if err := intakeFault(in.uid); err != nil {
			return false, err
		}
	}
	in.now = d.clock.Now()
	dec, err := d.classify(ctx, tx, in)
	if err != nil {
		return false, err
	}
	noteIntake(ctx, dec.Action)
	if intakeDecided != nil {
		intakeDecided(in.uid, dec)
	}
	return d.apply(ctx, tx, in, dec)
}

// intakeDecided, when set (by tests), sees each decision intake applies.
var intakeDecided func(uid uint32, dec Decision)

func (d *Desk) isDuplicate(ctx context.Context, tx *store.Tx, mbox string, uv, uid uint32, msg *message.Message, hash string) (bool, error) {
	if uid != 0 {
		_, err := tx.MessageByUID(ctx, mbox, uv, uid)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	id := msg.MessageID
	_, err := tx.MessageByContent(ctx, id, hash)
	if err == nil {
		d.log.Info("same message fetched again", "mailbox", mbox, "uid", uid, "message_id", id)
		return true, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return false, err
}

// apply carries out dec for the message in; it reports whether mail was
// queued.
func (d *Desk) apply(ctx context.Context, tx *store.Tx, in intakeInput, dec Decision) (bool, error) {
	msg, now := in.msg, in.now
	if dec.Action == ActDuplicate {
		return false, nil
	}
	if dec.Action == ActHistory {
		return false, d.intakeHistory(ctx, tx, in)
	}
	m := &store.Message{
		Direction: store.In, Mailbox: in.mbox, UIDValidity: in.uv, UID: in.uid,
		ContentHash: in.hash, Raw: in.raw, CreatedAt: now,
	}
	fillStored(m, msg)
	if in.perr != nil {
		m.Quarantine = in.perr.Error()
	}
	t := dec.Ticket
	switch dec.Action {
	case ActQuarantine:
		return false, d.quarantine(ctx, tx, m, msg, in.perr, now)
	// A staff reply or answer reports queued mail, so the caller's woken
	// after the commit also tells the deadline clock of what it changed.
	case ActStaffReply:
		return true, d.staffReply(ctx, tx, t, m, msg, dec.Staff, now)
	case ActFormerStaff:
		return true, d.formerHandler(ctx, tx, t, m, msg, dec.Staff, now)
	case ActDirectAnswer:
		return true, d.directAnswer(ctx, tx, t, m, msg, dec.Staff, now)
	case ActStaffNew:
		return true, d.staffNewTicket(ctx, tx, in.mbox, m, msg, dec.Staff, now)
	}
	if dec.Spoofed {
		if err := d.warnSpoof(ctx, tx, msg, dec.Staff, dec.Ticket, now); err != nil {
			return false, err
		}
	}
	switch dec.Action {
	case ActBounce:
		return true, d.recordBounce(ctx, tx, m, msg, dec.returned, now)
	case ActAutomatic:
		m.Kind = KindAutomatic
		if t != nil {
			m.TicketID = t.ID
		}
		if err := tx.InsertMessage(ctx, m); err != nil {
			return false, err
		}
		return dec.Spoofed, tx.AddEvent(ctx, m.TicketID, now, "automatic", fmt.Sprintf("%s from %s: not answered", dec.Automatic, msg.From.Addr))
	case ActFollowUp:
		m.Kind, m.TicketID = KindFollowUp, t.ID
		if err := tx.InsertMessage(ctx, m); err != nil {
			return false, err
		}
		t.UpdatedAt = now
		if dec.Reopen {
			d.reopen(ctx, t, now)
		}
		if err := tx.UpdateTicket(ctx, t); err != nil {
			return false, err
		}
		var err error
		if dec.Reopen {
			err = tx.AddEvent(ctx, t.ID, now, "reopened", "follow-up from "+msg.From.Addr+" after the answer: new deadline "+fmtKST(*t.DueAt, d.loc))
		} else {
			err = tx.AddEvent(ctx, t.ID, now, "followup", "from "+msg.From.Addr)
		}
		if err != nil {
			return false, err
		}
		return true, d.staffNotice(ctx, tx, t, msg.NewText, staffFollowUp, noticeFacts{msg: msg}, now)
	case ActNewTicket:
		return d.newTicket(ctx, tx, in, dec, m)
	case ActRating:
		return true, d.applyRating(ctx, tx, t, m, msg, dec.Rating, now)
	}
	return false, fmt.Errorf("intake: unknown action %q", dec.Action)
}

// newTicket opens the ticket of a new conversation, acknowledges it when
// dec says so and tells its handler.
func (d *Desk) newTicket(ctx context.Context, tx *store.Tx, in intakeInput, dec Decision, m *store.Message) (bool, error) {
	msg, now, route := in.msg, in.now, dec.Route
	due, notice := route.Due, &route.NoticeAt
	if route.Category.NoticeBefore <= 0 {
		notice = nil
	}
	t := &store.Ticket{
		Tag: route.Category.Tag, Mailbox: in.mbox, Category: route.Category.ID, Status: store.StatusOpen,
		Handler:  contactOf(route.Handler),
		Customer: msg.From.Addr, CustomerKey: message.Canonical(msg.From.Addr), CustomerName: msg.From.Name, Subject: ticketSubject(msg.Subject, route.Language),
		CreatedAt: now, UpdatedAt: now, DueAt: &due, NoticeAt: notice, PromisedAt: &due, Priority: string(route.Priority),
		Language: route.Language,
	}
	if err := tx.InsertTicket(ctx, t); err != nil {
		return false, err
	}
	m.Kind, m.TicketID = KindInquiry, t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return false, err
	}
	if err := d.openedCorrection(ctx, tx, t, now); err != nil {
		return false, err
	}
	if err := tx.AddEvent(ctx, t.ID, now, "opened", fmt.Sprintf("category %s, handler %s, priority %s, language %s, by %s",
		t.Category, t.Handler.ID, route.Priority, t.Language, route.Rule)); err != nil {
		return false, err
	}
	if route.Absent != nil {
		if err := d.delegated(ctx, tx, t, route.Absent, now); err != nil {
			return false, err
		}
	}
	// The customer's acknowledgement first, then the handler's notice.
	if dec.Mentions != nil {
		if err := tx.AddEvent(ctx, t.ID, now, "mentions", dec.Mentions.FullTag()+" of another customer ("+dec.Mentions.Customer+") is in the subject"); err != nil {
			return false, err
		}
	}
	var err error
	if dec.Ack {
		err = d.queueAck(ctx, tx, t, route, msg, now)
	} else {
		if dec.AckLimited {
			d.log.Warn("acknowledgement rate limit reached", "ticket", t.ID, "to", ackRecipient(msg).Addr, "why", dec.AckSkip)
		}
		err = tx.AddEvent(ctx, t.ID, now, "ack-skipped", dec.AckSkip)
	}
	if err != nil {
		return false, err
	}
	return true, d.staffNotice(ctx, tx, t, msg.NewText, staffNew, noticeFacts{msg: msg, mentions: dec.Mentions}, now)
}

// reopen starts a new window when a customer writes again after the answer
// (the charter's re-contact within 48 hours when an answer was unclear).
// classify decided it (Decision.Reopen): t's category is in the rules.
func (d *Desk) reopen(ctx context.Context, t *store.Ticket, now time.Time) {
	due, notice := window(d.rulesOf(ctx).Categories[t.Category], now)
	t.Status, t.DueAt, t.NoticeAt, t.PromisedAt = store.StatusOpen, &due, notice, &due
	t.NoticeSentAt, t.OverdueAt, t.ExpectedAt, t.ClosedAt = nil, nil, nil, nil
	t.DelayReason, t.DelayStatus = "", ""
}

// decisionInput is what the rules look at for a new inquiry. Addresses go
// to the rules in their one canonical form (message.Canonical), so a rule
// matches every spelling of an address that the rest of desk takes for it.
func decisionInput(mbox string, msg *message.Message, now time.Time) rules.Input {
	in := rules.Input{Mailbox: mbox, From: message.Canonical(msg.From.Addr), Subject: msg.Subject, Text: msg.NewText, At: now}
	if in.Text == "" {
		in.Text = msg.Text
	}
	for _, list := range [][]message.Address{msg.To, msg.Cc} {
		for _, a := range list {
			in.To = append(in.To, message.Canonical(a.Addr))
		}
	}
	for _, a := range msg.Attachments {
		in.Attachments = append(in.Attachments, a.Name)
	}
	return in
}

// preplan is what classify learns of a mail before plan: why it must not
// be answered by its headers (msg.Automatic), whether it is list or bulk
// mail, and its ticket when classifyStaff threaded it already. Each is
// worked out once per message.
type preplan struct {
	automatic string
	bulk      bool
	threaded  bool
	ticket    *store.Ticket
}

func automaticOf(msg *message.Message) preplan {
	a := msg.Automatic()
	return preplan{automatic: a, bulk: isBulk(msg, a)}
}

// plan is what intake will do with a parsed message.
type plan struct {
	automatic string         // why it must not be answered; "" when it may
	bulk      bool           // automatic, but list or bulk mail: still a conversation
	ticket    *store.Ticket  // the existing ticket it threads into, or nil
	decision  rules.Decision // for a new ticket: category, handler, ack
}

// plan classifies msg: automatic or not, which ticket it continues, and for a
// new conversation what the rules decide. tx may be nil (rules test without a
// database): nothing threads then.
func (d *Desk) plan(ctx context.Context, tx *store.Tx, in intakeInput, pre preplan) (plan, error) {
	msg, now := in.msg, in.now
	p := plan{automatic: pre.automatic, bulk: pre.bulk}
	if p.automatic == "" && d.own[message.Canonical(msg.From.Addr)] {
		p.automatic = "own-address" // not bulk
	}
	if p.automatic == "" {
		// No-reply senders, list managers, forwarded bounces: a ticket
		// for staff, never an acknowledgement.
		if r := msg.LooksAutomatic(); r != "" {
			p.automatic, p.bulk = r, true
		}
	}
	switch {
	case pre.threaded:
		p.ticket = pre.ticket
	case tx != nil:
		t, err := d.thread(ctx, tx, msg, now)
		if err != nil {
			return p, err
		}
		p.ticket = t
	}
	if p.ticket != nil || (p.automatic != "" && !p.bulk) {
		return p, nil
	}
	dec, err := d.rulesOf(ctx).Decide(decisionInput(in.mbox, msg, now))
	if err != nil {
		return p, fmt.Errorf("route: %w", err)
	}
	p.decision = dec
	return p, nil
}

// ticketSubject is what a ticket is called: the customer's subject without
// reply prefixes and tags, or a placeholder for mail without one, in the
// ticket's language (lang), since every mail to the customer repeats it.
func ticketSubject(s, lang string) string {
	if b := baseSubject(s); b != "" {
		return clip(b, maxSubjectRunes)
	}
	if lang == rules.LangEnglish {
		return "(no subject)"
	}
	return "(제목 없음)"
}

// englishFirst reports whether mail to t's customer leads with English.
func englishFirst(t *store.Ticket) bool { return t.Language == rules.LangEnglish }

// bilingual is a subject's fixed words in both languages, in the order of
// t's language: "답변 지연 안내 / Delayed answer" or the other way round.
func bilingual(t *store.Ticket, ko, en string) string {
	if englishFirst(t) {
		return en + " / " + ko
	}
	return ko + " / " + en
}

// maxSubjectRunes bounds what maildesk repeats of a customer's subject in
// every mail it sends: a 5 MB subject made a 25.5 MB acknowledgement. The
// stored mail keeps the whole subject.
const maxSubjectRunes = 200

// clip cuts s to at most n runes, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if len(s) <= n { // no more bytes than n: no more runes either
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return strings.TrimSpace(s[:i]) + "…"
		}
		count++
	}
	return s
}

// isBulk tells list and bulk mail from the rest of automatic mail. A
// company's distribution list or a CRM can carry a real inquiry, so such
// mail opens a ticket for staff, but it is never answered automatically.
// Auto-replies, bounces and our own mail open nothing.
func isBulk(msg *message.Message, reason string) bool {
	switch reason {
	case message.ReasonList:
		return true
	case message.ReasonPrecedence:
		p := strings.ToLower(strings.TrimSpace(msg.Header.Get("Precedence")))
		return p == "bulk" || p == "list"
	}
	return false
}

// thread finds the ticket msg belongs to, in DESIGN.md's order:
//  1. a reference (In-Reply-To, References, or its own Message-ID) to a
//     message stored on a ticket, ours included;
//  2. the subject tag, when the sender is that ticket's customer;
//  3. a reference shared with an earlier message from the same sender;
//  4. a reply ("Re:", "회신:") from a ticket's customer whose base subject is
//     that of their open ticket updated in the last 30 days.
//
// Nil means a new conversation. Nothing joins mail of different senders but
// an explicit reference to a message on the ticket: a subject or a shared
// ancestor (a mass mailing answered by two customers) never does.
func (d *Desk) thread(ctx context.Context, tx *store.Tx, msg *message.Message, now time.Time) (*store.Ticket, error) {
	refs := append(append([]string(nil), msg.InReplyTo...), msg.References...)
	own := refs
	if msg.MessageID != "" {
		own = append(own, msg.MessageID)
	}
	id, err := tx.TicketByReferences(ctx, own)
	if err == nil {
		return tx.Ticket(ctx, id)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if t, err := d.threadByTag(ctx, tx, msg); t != nil || err != nil {
		return t, err
	}
	sender := message.Canonical(msg.From.Addr)
	id, err = tx.TicketBySharedReference(ctx, sender, refs)
	if err == nil {
		return tx.Ticket(ctx, id)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	base := baseSubject(msg.Subject)
	// No sender, no rule 4: a ticket registered without an email address
	// has no customer key either, and must not take in mail without a From.
	if base == "" || sender == "" || !markedReply(msg.Subject) {
		return nil, nil
	}
	id, err = tx.OpenTicketBySubject(ctx, sender, base, now.Add(-subjectThreadWindow))
	if err == nil {
		return tx.Ticket(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return nil, err
}

// subjectThreadWindow bounds rule 4 of threading: a "Re:" of a subject
// from months ago is more likely a new question.
const subjectThreadWindow = 30 * 24 * time.Hour

func (d *Desk) threadByTag(ctx context.Context, tx *store.Tx, msg *message.Message) (*store.Ticket, error) {
	t, err := taggedTicket(ctx, tx, msg)
	if t == nil || err != nil || !message.SameAddress(t.Customer, msg.From.Addr) {
		return nil, err
	}
	return t, nil
}

// taggedTicket is the ticket the tag in msg's subject names, whoever its
// customer; nil when there is no tag or no such ticket.
func taggedTicket(ctx context.Context, tx *store.Tx, msg *message.Message) (*store.Ticket, error) {
	prefix, n, ok := rules.ParseTag(msg.Subject)
	if !ok {
		return nil, nil
	}
	t, err := tx.TicketByNumber(ctx, prefix, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

func (d *Desk) quarantine(ctx context.Context, tx *store.Tx, m *store.Message, msg *message.Message, perr error, now time.Time) error {
	m.Kind, m.Quarantine = KindQuarantined, perr.Error()
	t := &store.Ticket{
		Tag: "QUARANTINE", Mailbox: m.Mailbox, Category: "", Status: store.StatusQuarantined,
		Customer: msg.From.Addr, CustomerKey: message.Canonical(msg.From.Addr), CustomerName: msg.From.Name, Subject: clip(msg.Subject, maxSubjectRunes),
		CreatedAt: now, UpdatedAt: now,
	}
	if rs := d.rulesOf(ctx); rs != nil {
		if dec, err := rs.Decide(rules.Input{Mailbox: m.Mailbox, At: now}); err == nil {
			t.Tag, t.Category, t.Handler = dec.Category.Tag, dec.Category.ID, contactOf(dec.Handler)
		}
	}
	if err := tx.InsertTicket(ctx, t); err != nil {
		return err
	}
	m.TicketID = t.ID
	if err := tx.InsertMessage(ctx, m); err != nil {
		return err
	}
	d.log.Warn("message quarantined", "mailbox", m.Mailbox, "uid", m.UID, "ticket", t.ID, "reason", m.Quarantine)
	if err := tx.AddEvent(ctx, t.ID, now, "quarantined", m.Quarantine); err != nil {
		return err
	}
	return d.queueQuarantineNotice(ctx, tx, t, m, now)
}

func fillStored(m *store.Message, msg *message.Message) {
	m.MessageID = msg.MessageID
	m.From, m.FromKey, m.FromName = msg.From.Addr, message.Canonical(msg.From.Addr), msg.From.Name
	for _, a := range msg.To {
		m.To = append(m.To, a.Addr)
	}
	m.Subject = msg.Subject
	if !msg.Date.IsZero() {
		dt := msg.Date
		m.Date = &dt
	}
	m.Text, m.NewText = msg.Text, msg.NewText
	m.Defects = msg.Defects
	m.Refs = append(append([]string(nil), msg.InReplyTo...), msg.References...)
}

func contactOf(h *rules.Handler) store.Contact {
	if h == nil {
		return store.Contact{}
	}
	return store.Contact{ID: h.ID, Name: h.Name, Department: h.Department, Phone: h.Phone, Email: h.Email,
		NameEn: h.NameEn, DepartmentEn: h.DepartmentEn}
}

// contentHash identifies a message's content across deliveries. With a
// Message-ID it covers the body only, because servers add trace headers
// (Received, Delivered-To, Return-Path) that differ between two copies of the
// same mail; without one it covers everything, so that two different mails
// with the same short body are not taken for one.
func contentHash(raw []byte, hasMessageID bool) string {
	body := raw
	if !hasMessageID {
		sum := sha256.Sum256(raw)
		return hex.EncodeToString(sum[:])
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		body = raw[i+4:]
	} else if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		body = raw[i+2:]
	}
	// The hash of the body with its CRLFs made LFs, taken piece by piece
	// rather than of a copy: it is asked of every mail, in and out.
	h := sha256.New()
	for {
		i := bytes.Index(body, []byte("\r\n"))
		if i < 0 {
			h.Write(body)
			break
		}
		h.Write(body[:i])
		h.Write([]byte("\n"))
		body = body[i+2:]
	}
	return hex.EncodeToString(h.Sum(nil))
}
