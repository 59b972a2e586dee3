package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/store"
)

type daemonOptions struct {
	log   *slog.Logger
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
	st, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, w := range st.Warnings() {
		log.Warn(w)
	}
	warnCleartext(log, cfg)
	// A database deleted or replaced under the daemon stops it: writing on
	// to the unlinked file would lose everything from then on.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	fileEvery := cmp.Or(o.fileCheckEvery, fileCheckEvery)
	var wg sync.WaitGroup
	goLoop(&wg, log, "database file check", func() error {
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
		TrustedAuthServID: cfg.TrustedAuthServID,
	})
	if err != nil {
		return err
	}
	sender := mailbox.NewSender(mailbox.SMTPConfig{
		Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Security: cfg.SMTP.Security,
		Username: cfg.SMTP.Username, Password: cfg.SMTP.Password.Reveal(), HELO: cfg.SMTP.Helo,
	})

	// Every loop stops taking new work as soon as ctx ends; what is in
	// flight (an intake transaction, an SMTP conversation) runs to its end.
	for _, m := range cfg.Mailboxes {
		w := &mailbox.Watcher{
			Account: mailbox.Account{
				Name: m.Name, Host: m.Host, Port: m.Port, Security: m.Security,
				Username: m.Username, Password: m.Password.Reveal(), Folder: m.Folder, After: m.After,
				MaxMessageSize: cfg.MaxMessageSize,
			},
			Handler: d,
			Logger:  log,
		}
		if o.watcher != nil {
			o.watcher(w)
		}
		// After the tests' hook, so that what they wait for has happened.
		then := w.Synced
		w.Synced = func(name string) {
			if err := d.Synced(ctx, name); err != nil && ctx.Err() == nil {
				log.Error("after the catch-up pass", "mailbox", name, "err", err)
			}
			if then != nil {
				then(name)
			}
		}
		goLoop(&wg, log, "watcher "+m.Name, func() error { return w.Run(ctx) })
	}
	goLoop(&wg, log, "outbox", func() error { return d.RunOutbox(ctx, sender) })
	goLoop(&wg, log, "deadlines", func() error { return d.RunDeadlines(ctx) })
	rl := &reloader{cfg: cfg, desk: d, log: log, every: reloadEvery, done: o.reloaded}
	if o.reloadEvery > 0 {
		rl.every = o.reloadEvery
	}
	goLoop(&wg, log, "reloader", func() error { return rl.run(ctx) })

	log.Info("maildesk running", "config", cfg.Path, "database", cfg.Database, "mailboxes", len(cfg.Mailboxes))
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
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		// A delivery cut off here was recorded as attempted before it
		// started, so it is retried later, not lost.
		log.Warn("work in flight did not finish in time; exiting anyway", "grace", shutdownGrace)
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

// goLoop runs a long-lived loop, restarting it after a panic or an error
// (logged and counted) until it returns nil.
func goLoop(wg *sync.WaitGroup, log *slog.Logger, name string, loop func() error) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		delay := time.Second
		for {
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
					}
				}()
				return loop()
			}()
			if err == nil {
				return
			}
			log.Error("loop stopped; restarting", "loop", name, "err", err, "in", delay)
			time.Sleep(delay)
			delay = min(2*delay, time.Minute)
		}
	}()
}
