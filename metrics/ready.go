package metrics

import (
	"fmt"
	"slices"
	"sync"
)

// Readiness is the one state behind /readyz and systemd's READY=1: the
// store is open and every mailbox has logged in and completed a fetch
// since start. Once a mailbox has, it stays ready through reconnects:
// maildesk_imap_connected shows those, and a daemon that dropped out of
// readiness with every IMAP hiccup would be restarted by an orchestrator
// for what the backoff handles.
type Readiness struct {
	mu        sync.Mutex
	storeOpen bool
	storeErr  func() error // checked at each Check while open
	mailboxes []string
	loggedIn  map[string]bool
	fetched   map[string]bool
	ready     chan struct{} // closed the first time all is ready
	stopping  bool
}

// NewReadiness tracks the named mailboxes.
func NewReadiness(mailboxes []string) *Readiness {
	return &Readiness{
		mailboxes: slices.Clone(mailboxes),
		loggedIn:  map[string]bool{},
		fetched:   map[string]bool{},
		ready:     make(chan struct{}),
	}
}

// StoreOpen records that the store is open; check, when not nil, is asked
// at each Check whether it still is usable (the database file is still the
// one opened).
func (r *Readiness) StoreOpen(check func() error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.storeOpen, r.storeErr = true, check
	r.update()
}

// Stopping records that shutdown has begun: the daemon is no longer ready.
func (r *Readiness) Stopping() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopping = true
}

// LoggedIn records that mailbox logged in.
func (r *Readiness) LoggedIn(mailbox string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loggedIn[mailbox] = true
	r.update()
}

// Fetched records that mailbox completed a catch-up pass.
func (r *Readiness) Fetched(mailbox string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loggedIn[mailbox] = true
	r.fetched[mailbox] = true
	r.update()
}

// Elsewhere records that another instance sharing the database holds
// mailbox's lease and watches it: this one, standing by to take it over,
// is ready for it as it is.
func (r *Readiness) Elsewhere(mailbox string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loggedIn[mailbox] = true
	r.fetched[mailbox] = true
	r.update()
}

// Ready is closed the first time everything is ready (for READY=1).
func (r *Readiness) Ready() <-chan struct{} { return r.ready }

// Check lists what is not ready, in a stable order; none when ready.
func (r *Readiness) Check() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.problems(true)
}

// problems lists what is not ready; live also runs the store's check,
// which update (under every hook) leaves to Check.
func (r *Readiness) problems(live bool) []string {
	var out []string
	switch {
	case r.stopping:
		out = append(out, "shutting down")
	case !r.storeOpen:
		out = append(out, "store: not open")
	case live && r.storeErr != nil:
		if err := r.storeErr(); err != nil {
			out = append(out, fmt.Sprintf("store: %v", err))
		}
	}
	for _, m := range r.mailboxes {
		switch {
		case !r.loggedIn[m]:
			out = append(out, fmt.Sprintf("mailbox %s: not logged in yet", m))
		case !r.fetched[m]:
			out = append(out, fmt.Sprintf("mailbox %s: logged in, first fetch not done", m))
		}
	}
	return out
}

func (r *Readiness) update() {
	if len(r.problems(false)) > 0 {
		return
	}
	select {
	case <-r.ready:
	default:
		close(r.ready)
	}
}
