// Package desk is the helpdesk itself: it takes fetched mail in (classify,
// thread, route, store), keeps the outbox delivered, and is where the wire
// (mailbox), the rule files (rules), the database (store) and the mail
// templates (templates) meet.
package desk

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// Clock tells the time. Tests inject one to move time instead of waiting.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

// Mailbox is a published address maildesk reads and answers from.
type Mailbox struct {
	Name    string // the config name rules refer to
	Address string // e.g. fta-pass@origin.or.kr
	// History says which mail already in the folder at the mailbox's
	// first start is stored as history; the zero value is
	// config.DefaultHistory.
	History config.History
}

// Options configure a Desk.
type Options struct {
	Store     *store.Store
	Rules     *rules.Set
	Templates *templates.Set
	Mailboxes []Mailbox
	Location  *time.Location // deadlines and dates shown to people; default Asia/Seoul
	Clock     Clock          // default SystemClock
	Logger    *slog.Logger
	// TrustedAuthServID names the institute's mail server whose
	// Authentication-Results header can verify a handler's direct answer.
	TrustedAuthServID string
	// DeadlinePass, when set, is called after each pass of the deadline
	// clock (tests wait on it).
	DeadlinePass func()
	// AckLimit is how many acknowledgements one address may get per hour
	// before maildesk stops answering it (mail loops); default
	// DefaultAckLimit.
	AckLimit int
	// StaffNoticeLimit is how many notices a handler gets per hour about
	// one customer's new mail before the rest is only stored (a flood);
	// default DefaultStaffNoticeLimit.
	StaffNoticeLimit int
	// Abort, when set, ends when work in flight must stop: the second phase
	// of shutdown, after the grace (DESIGN: two-phase shutdown). An SMTP
	// conversation under way runs until then, not further. Unset, work in
	// flight is never cut off.
	Abort context.Context
	// HandlerNoticeLimit is how many notices of new mail one handler gets
	// per hour from all customers together; default
	// DefaultHandlerNoticeLimit.
	HandlerNoticeLimit int
	// StaffAttachmentsMax is the largest total size of a customer's files
	// a handler's notice carries (staff_attachments_max); 0 means
	// DefaultStaffAttachmentsMax, negative never attach (only list).
	StaffAttachmentsMax int64
	// Observer, when set, is told what the desk did (the daemon's metrics).
	Observer Observer
	// Instance names this process as the holder of mailbox leases when
	// several share a PostgreSQL database (RunLeased); default the host,
	// the process id and a random part.
	Instance string
}

// DefaultAckLimit is how many acknowledgements one address gets per hour
// at most: enough for a customer who writes about three things, few enough
// that an auto-responder which opens a new ticket with every answer (no
// Auto-Submitted, no References) stops after three rounds.
const DefaultAckLimit = 3

// DefaultStaffNoticeLimit is how many notices of new mail from one customer
// a handler gets per hour: far more than a conversation needs, and it keeps
// a script gone wrong or a mail bomb (1,000 mails a minute) from being
// multiplied into the handler's mailbox. The last notice before the limit
// says so; the mail after it is stored and listed by `maildesk tickets`.
const DefaultStaffNoticeLimit = 20

// DefaultHandlerNoticeLimit is how many notices of new mail a handler gets
// per hour in all: five times the busiest hour the institute has seen, and
// a bound on what a flood from many addresses puts in one mailbox. The
// rest is stored, with a staff-notice-held event on its ticket.
const DefaultHandlerNoticeLimit = 100

// Desk is a running helpdesk.
type Desk struct {
	store     *store.Store
	rules     atomic.Pointer[rules.Set]
	templates atomic.Pointer[templates.Set]
	staff     atomic.Pointer[staffIndex] // of the latest rule set asked for
	mailboxes map[string]Mailbox         // by name
	order     []string                   // mailbox names in the configuration's order
	own       map[string]bool            // our addresses, lower-case, without +tags
	loc       *time.Location
	clock     Clock
	log       *slog.Logger
	ackLimit  int
	// staffLimit is the notices a handler gets per customer an hour.
	staffLimit int
	// handlerLimit is the notices a handler gets an hour in all.
	handlerLimit int
	kick         chan struct{} // wakes the outbox
	// turn alternates the store's writer between intake and the outbox
	// (see turn.go); whoever holds its one slot is in its turn.
	turn chan struct{}
	// deadlineKick wakes the deadline clock when a deadline changed.
	deadlineKick chan struct{}
	key          atomic.Pointer[[]byte] // the reply-token key, once loaded
	deadlinePass func()
	trustedAuth  string
	attachMax    int64 // see Options.StaffAttachmentsMax; <= 0 attaches nothing

	abort    context.Context // see Options.Abort; never nil
	observer Observer        // see Options.Observer; never nil
	instance string          // see Options.Instance
	// leaseTTL and leaseRenew are LeaseTTL and how often a holder
	// renews (tests change them).
	leaseTTL, leaseRenew time.Duration

	failMu sync.Mutex
	failed map[string]int // intake failures by mailbox/uidvalidity/uid

	warnMu sync.Mutex
	warned map[string]time.Time // what onceAnHour last said yes to, and when
}

// onceAnHour reports whether what was not yet said in the hour before now,
// so that a limit that holds for an hour is logged once, not per mail.
func (d *Desk) onceAnHour(what string, now time.Time) bool {
	d.warnMu.Lock()
	defer d.warnMu.Unlock()
	if last, ok := d.warned[what]; ok && now.Sub(last) < time.Hour && !now.Before(last) {
		return false
	}
	if d.warned == nil {
		d.warned = map[string]time.Time{}
	}
	d.warned[what] = now
	return true
}

// New makes a Desk.
func New(o Options) (*Desk, error) {
	if o.Store == nil || o.Rules == nil || o.Templates == nil {
		return nil, fmt.Errorf("desk: store, rules and templates are required")
	}
	return build(o)
}

// build makes a Desk from o; Preview makes one without a store.
func build(o Options) (*Desk, error) {
	if o.Rules == nil || o.Templates == nil {
		return nil, fmt.Errorf("desk: rules and templates are required")
	}
	d := &Desk{
		store:        o.Store,
		mailboxes:    map[string]Mailbox{},
		own:          map[string]bool{},
		loc:          o.Location,
		clock:        o.Clock,
		log:          o.Logger,
		ackLimit:     o.AckLimit,
		staffLimit:   o.StaffNoticeLimit,
		handlerLimit: o.HandlerNoticeLimit,
		deadlinePass: o.DeadlinePass,
		trustedAuth:  strings.ToLower(o.TrustedAuthServID),
		kick:         make(chan struct{}, 1),
		turn:         make(chan struct{}, 1),
		deadlineKick: make(chan struct{}, 1),
	}
	if d.loc == nil {
		loc, err := time.LoadLocation("Asia/Seoul")
		if err != nil {
			return nil, fmt.Errorf("desk: load Asia/Seoul: %w", err)
		}
		d.loc = loc
	}
	if d.clock == nil {
		d.clock = SystemClock
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.ackLimit == 0 {
		d.ackLimit = DefaultAckLimit
	}
	if d.staffLimit == 0 {
		d.staffLimit = DefaultStaffNoticeLimit
	}
	d.abort = o.Abort
	if d.observer = o.Observer; d.observer == nil {
		d.observer = nopObserver{}
	}
	if d.abort == nil {
		d.abort = context.Background()
	}
	if d.handlerLimit == 0 {
		d.handlerLimit = DefaultHandlerNoticeLimit
	}
	d.instance, d.leaseTTL, d.leaseRenew = o.Instance, LeaseTTL, LeaseTTL/leaseRenewals
	if d.instance == "" {
		d.instance = newInstance()
	}
	d.attachMax = o.StaffAttachmentsMax
	if d.attachMax == 0 {
		d.attachMax = DefaultStaffAttachmentsMax
	}
	for _, m := range o.Mailboxes {
		d.mailboxes[m.Name] = m
		d.order = append(d.order, m.Name)
		d.own[message.Canonical(m.Address)] = true
	}
	d.rules.Store(o.Rules)
	d.templates.Store(o.Templates)
	return d, nil
}

// SetRules replaces the rules in force (a validated reload). Open tickets
// keep the deadlines they were given.
func (d *Desk) SetRules(s *rules.Set) {
	d.rules.Store(s)
	d.Wake()
}

// Wake makes the outbox and the deadline clock look at the database now,
// instead of when they planned to: after a reload, or after another process
// (or a test moving the clock) changed what is due.
func (d *Desk) Wake() {
	d.wake()
	d.wakeDeadlines()
}

// SetTemplates replaces the templates in force.
func (d *Desk) SetTemplates(s *templates.Set) { d.templates.Store(s) }

// wake tells the outbox loop that something may be due.
func (d *Desk) wake() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

var discardLogger = slog.New(slog.DiscardHandler)
