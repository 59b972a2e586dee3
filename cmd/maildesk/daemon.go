package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/store"
)

type daemonOptions struct {
	log *slog.Logger
	// logTo, when set, is where log goes: the daemon then makes its own
	// logger in the configured log_format (log is for what comes before
	// the configuration is read).
	logTo io.Writer
	clock desk.Clock
	// watcher tunes every mailbox watcher (tests shorten the intervals).
	watcher func(*mailbox.Watcher)
	// ready, when set, is called once the daemon is running.
	ready func(*desk.Desk)
	// reloadEvery overrides how often rule files are checked (tests).
	reloadEvery time.Duration
	// reloaded, when set, is called after each reload attempt (tests).
	reloaded func(error)
	// deadlinePass, when set, is called after each pass of the deadline
	// clock (tests).
	deadlinePass func()
	// fileCheckEvery overrides how often the database file is checked
	// (tests).
	fileCheckEvery time.Duration
	// grace overrides shutdownGrace (tests).
	grace time.Duration
	// closing, when set, is called just before the store is closed with
	// the loops still running (tests: there must be none).
	closing func(running []string)
	// httpListening, when set, is told the [http] listener's address
	// (tests listen on port 0).
	httpListening func(net.Addr)
}

// shutdownGrace is how long work in flight (an SMTP conversation, an intake
// transaction) may run on after the stop signal.
const shutdownGrace = 10 * time.Second

// runDaemon runs until ctx is cancelled. Shutdown has two phases: ctx stops
// new work at once; work in flight gets shutdownGrace to finish.
func runDaemon(ctx context.Context, configPath string, o daemonOptions) error {
	log := o.log
	l, err := desk.Load(configPath, desk.LoadOptions{})
	if err != nil {
		return err
	}
	cfg := l.Config
	if o.logTo != nil && cfg.LogFormat == config.LogJSON {
		log = newLogger(o.logTo, true)
	}
	release, err := store.Lock(cfg.Database)
	if err != nil {
		return err
	}
	defer release()
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	// The store is closed only once every loop has returned: a loop cut
	// off by the abort may still be recording what it did.
	var lp loops
	defer func() {
		if o.closing != nil {
			o.closing(lp.running())
		}
		st.Close()
	}()
	for _, w := range st.Warnings() {
		log.Warn(w)
	}
	warnCleartext(log, cfg)
	clockNow := time.Now
	if o.clock != nil {
		clockNow = o.clock.Now
	}
	op, err := newOps(cfg, st, &lp, log, clockNow)
	if err != nil {
		return err
	}
	defer op.close()
	if op.ln != nil && o.httpListening != nil {
		o.httpListening(op.ln.Addr())
	}
	// A database deleted or replaced under the daemon stops it: writing on
	// to the unlinked file would lose everything from then on.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	fileEvery := cmp.Or(o.fileCheckEvery, fileCheckEvery)
	// The second phase of shutdown: after the grace, abort ends what is
	// still in flight (an SMTP conversation).
	abort, abortNow := context.WithCancel(context.WithoutCancel(ctx))
	defer abortNow()
	lp.start(ctx, log, "database file check", func() error {
		t := time.NewTicker(fileEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				if err := st.CheckFile(); err != nil {
					log.Error("stopping: the database file is gone", "database", cfg.Database, "err", err)
					stop(err)
					return nil
				}
			}
		}
	})

	mboxes := mailboxesOf(cfg)
	d, err := desk.New(desk.Options{
		Store: st, Rules: l.Rules, Templates: l.Templates, Mailboxes: mboxes,
		Location: cfg.Location, Clock: o.clock, Logger: log, DeadlinePass: o.deadlinePass,
		TrustedAuthServID: cfg.TrustedAuthServID, Abort: abort,
		StaffAttachmentsMax: staffAttachmentsMax(cfg), Observer: op.metrics,
	})
	if err != nil {
		return err
	}
	tokens := newTokenSources(cfg, log, op.metrics.OAuthRefreshFailed)
	sender := senderOf(cfg, tokens)
	// When the daemon returns, every loop has stopped: the session the
	// outbox left open to the relay gets its QUIT.
	defer sender.Close()
	lp.start(ctx, log, "http", func() error { return op.serve(ctx, cmp.Or(o.grace, shutdownGrace)) })
	lp.start(ctx, log, "systemd notify", func() error { return op.notifySystemd(ctx) })

	// Every loop stops taking new work as soon as ctx ends; what is in
	// flight (an intake transaction, an SMTP conversation) runs to its end.
	for _, m := range cfg.Mailboxes {
		w := &mailbox.Watcher{Account: accountOf(cfg, m, tokens), Handler: d, Logger: log}
		if o.watcher != nil {
			o.watcher(w)
		}
		op.watch(w)
		// After the tests' hook, so that what they wait for has happened.
		then := w.Synced
		w.Synced = func(name string) {
			if err := d.Synced(ctx, name); err != nil && ctx.Err() == nil {
				log.Error("after the catch-up pass", "mailbox", name, "err", err)
			}
			if then != nil {
				then(name)
			}
			// Last: a test holding its hook sees the daemon not ready yet.
			op.fetched(name)
		}
		// With several instances on one PostgreSQL database, the one
		// holding the mailbox's lease watches it and the others stand by.
		watch := func(ctx context.Context) error {
			op.metrics.Watching(m.Name, true)
			defer op.metrics.Watching(m.Name, false)
			return w.Run(ctx)
		}
		lp.start(ctx, log, "watcher "+m.Name, func() error {
			return d.RunLeased(ctx, desk.LeaseName(m.Name), watch, func(string) { op.ready.Elsewhere(m.Name) })
		})
	}
	lp.start(ctx, log, "outbox", func() error { return d.RunOutbox(ctx, sender) })
	lp.start(ctx, log, "deadlines", func() error { return d.RunDeadlines(ctx) })
	rl := &reloader{cfg: cfg, desk: d, log: log, every: reloadEvery, done: func(err error) {
		op.metrics.Reloaded(err)
		if o.reloaded != nil {
			o.reloaded(err)
		}
	}}
	if o.reloadEvery > 0 {
		rl.every = o.reloadEvery
	}
	lp.start(ctx, log, "reloader", func() error { return rl.run(ctx) })

	log.Info("maildesk running", "config", cfg.Path, "database", cfg.Database, "mailboxes", len(cfg.Mailboxes), "instance", d.Instance())
	// Once at start, not at each reload: the holiday table's end comes
	// closer by the year, not by the edit.
	now := time.Now()
	if o.clock != nil {
		now = o.clock.Now()
	}
	for _, w := range l.Rules.Warnings(now) {
		log.Warn(w)
	}
	if o.ready != nil {
		o.ready(d)
	}
	<-ctx.Done()
	op.stopping()
	done := make(chan struct{})
	go func() { lp.wg.Wait(); close(done) }()
	grace := cmp.Or(o.grace, shutdownGrace)
	select {
	case <-done:
	case <-time.After(grace):
		// A delivery cut off here was recorded as attempted before it
		// started, so it is retried later, not lost.
		log.Warn("work in flight did not finish in time; aborting it", "grace", grace, "running", lp.running())
		abortNow()
		<-done
	}
	if err := context.Cause(ctx); errors.Is(err, store.ErrFileReplaced) {
		log.Info("maildesk stopped", "err", err)
		return err
	}
	log.Info("maildesk stopped")
	return nil
}

// fileCheckEvery is how often the daemon makes sure its database file is
// still the one it opened; every write checks too.
const fileCheckEvery = 5 * time.Second

// accountOf is the IMAP account of mailbox m; ts has its token source if
// it signs in with OAuth 2.0.
func accountOf(cfg *config.Config, m config.Mailbox, ts tokenSources) mailbox.Account {
	a := mailbox.Account{
		Name: m.Name, Host: m.Host, Port: m.Port, Security: m.Security,
		Username: m.Username, Password: m.Password.Reveal(), Credentials: m.Password.Source(), Folder: m.Folder, After: m.After,
		MaxMessageSize: cfg.MaxMessageSize,
	}
	if m.Auth == config.AuthOAuth2 {
		a.Auth, a.Token, a.Credentials = mailbox.AuthXOAUTH2, ts.source(m.Name), oauthCredentials(m.OAuth2)
		if m.OAuth2.Mechanism == config.MechOAuthBearer {
			a.Auth = mailbox.AuthOAuthBearer
		}
	}
	return a
}

// senderOf is the SMTP relay's sender.
func senderOf(cfg *config.Config, ts tokenSources) *mailbox.Sender {
	return mailbox.NewSender(mailbox.SMTPConfig{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Security: cfg.SMTP.Security,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Password.Reveal(), HELO: cfg.SMTP.Helo,
		Token: ts.source(smtpAccount),
	})
}

// warnCleartext warns of credentials that would cross a network in clear
// text: security = "none" is for a relay or an IMAP server on this host.
func warnCleartext(log *slog.Logger, cfg *config.Config) {
	if cfg.SMTP.Security == config.SecurityNone && !isLoopback(cfg.SMTP.Host) {
		log.Warn(`security = "none" to a host that is not this machine: the SMTP password and every mail cross the network in clear text`,
			"host", cfg.SMTP.Host)
	}
	for _, m := range cfg.Mailboxes {
		if m.Security == config.SecurityNone && !isLoopback(m.Host) {
			log.Warn(`security = "none" to a host that is not this machine: the IMAP password and every mail cross the network in clear text`,
				"mailbox", m.Name, "host", m.Host)
		}
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// loops runs the daemon's long-lived loops and knows which still run.
type loops struct {
	wg     sync.WaitGroup
	mu     sync.Mutex
	active map[string]int
	panics map[string]int // recovered panics by loop, since start
}

// start runs loop, restarting it with a growing pause (1 s to a minute)
// after a panic or an error, until it returns nil or ctx ends. A panic is
// logged with its stack and counted.
func (l *loops) start(ctx context.Context, log *slog.Logger, name string, loop func() error) {
	l.mu.Lock()
	if l.active == nil {
		l.active, l.panics = map[string]int{}, map[string]int{}
	}
	l.active[name]++
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer func() {
			l.mu.Lock()
			l.active[name]--
			l.mu.Unlock()
		}()
		delay := time.Second
		for {
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						l.mu.Lock()
						l.panics[name]++
						l.mu.Unlock()
						err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
					}
				}()
				return loop()
			}()
			if err == nil || ctx.Err() != nil {
				return
			}
			log.Error("loop stopped; restarting", "loop", name, "err", err, "in", delay, "panics", l.panicCount(name))
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			delay = min(2*delay, time.Minute)
		}
	}()
}

// running lists the loops that have not returned, sorted.
func (l *loops) running() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for name, n := range l.active {
		if n > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// panicCount is how often loop name panicked since start.
func (l *loops) panicCount(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.panics[name]
}

// staffAttachmentsMax turns staff_attachments_max into desk's option, in
// which 0 is the default: the setting's "0" (list, never attach) is
// negative there.
func staffAttachmentsMax(cfg *config.Config) int64 {
	if cfg.StaffAttachmentsMax == 0 {
		return -1
	}
	return cfg.StaffAttachmentsMax
}
