package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/metrics"
	"github.com/kioi/maildesk/store"
)

// ops wires what operators watch: the metrics, the readiness behind
// /readyz and READY=1, the [http] listener and systemd's notifications.
type ops struct {
	metrics *metrics.Metrics
	ready   *metrics.Readiness
	log     *slog.Logger
	ln      net.Listener // nil without [http] listen
}

// newOps makes the metrics and readiness of the daemon on st, and opens
// the [http] listener when one is configured: a listener that cannot be
// opened stops the start, as a wrong mailbox table would.
func newOps(cfg *config.Config, st *store.Store, lp *loops, log *slog.Logger, now func() time.Time) (*ops, error) {
	names := make([]string, len(cfg.Mailboxes))
	for i, m := range cfg.Mailboxes {
		names[i] = m.Name
	}
	b := readBuildInfo()
	o := &ops{log: log, ready: metrics.NewReadiness(names)}
	o.metrics = metrics.New(metrics.Options{
		Version: b.Version, Revision: b.Revision, Mailboxes: names, Now: now, Logger: log,
		OAuthAccounts: oauthAccounts(cfg),
		State:         func(ctx context.Context) (metrics.State, error) { return storeState(ctx, st, now()) },
		Panics:        lp.panicCounts,
	})
	o.ready.StoreOpen(st.CheckFile)
	if cfg.HTTP.Listen == "" {
		return o, nil
	}
	if cfg.HTTP.Remote() && !cfg.HTTP.AllowRemote {
		log.Warn(`[http] listen is reachable from other machines and /metrics has no authentication; set allow_remote = true if that is meant`,
			"listen", cfg.HTTP.Listen)
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("[http] listen: %w", err)
	}
	o.ln = ln
	return o, nil
}

// storeState is the store's part of the metrics, read at scrape time.
func storeState(ctx context.Context, st *store.Store, now time.Time) (metrics.State, error) {
	var g *store.Gauges
	err := st.Read(ctx, func(tx *store.Tx) (err error) { g, err = tx.Gauges(ctx, now); return err })
	if err != nil {
		return metrics.State{}, err
	}
	return metrics.State{Open: g.Open, Overdue: g.Overdue, OutboxPending: g.OutboxPending, OutboxOldest: g.OutboxOldest}, nil
}

// serve serves the [http] endpoints until ctx ends, then gives requests in
// flight the grace to finish. Run as one of the loops, so the store stays
// open until the last scrape has read it.
func (o *ops) serve(ctx context.Context, grace time.Duration) error {
	if o.ln == nil {
		return nil
	}
	srv := &http.Server{
		Handler:           metrics.Handler(o.metrics, o.ready, o.log),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.log.Handler(), slog.LevelWarn),
	}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
	})
	defer stop()
	o.log.Info("serving /metrics, /healthz and /readyz", "listen", o.ln.Addr().String())
	err := srv.Serve(o.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("[http] serve: %w", err)
}

// watch adds the metrics' and readiness's hooks to a mailbox watcher,
// after any the tests set.
func (o *ops) watch(w *mailbox.Watcher) {
	loggedIn, disconnected := w.LoggedIn, w.Disconnected
	w.LoggedIn = func(name string) {
		if loggedIn != nil {
			loggedIn(name)
		}
		o.metrics.Connected(name)
		o.ready.LoggedIn(name)
	}
	w.Disconnected = func(name string, err error) {
		if disconnected != nil {
			disconnected(name, err)
		}
		o.metrics.Disconnected(name, err != nil)
	}
}

// fetched records a mailbox's completed catch-up pass.
func (o *ops) fetched(name string) {
	o.metrics.Fetched(name, time.Now())
	o.ready.Fetched(name)
}

// notifySystemd tells systemd (Type=notify) READY=1 once the daemon is
// ready as /readyz means it, and pings its watchdog when WatchdogSec is set.
// Outside systemd (no NOTIFY_SOCKET) every notification is a no-op.
func (o *ops) notifySystemd(ctx context.Context) error {
	interval, err := sddaemon.SdWatchdogEnabled(false)
	if err != nil {
		o.log.Warn("systemd watchdog settings not understood; not pinging it", "err", err)
		interval = 0
	}
	var tick <-chan time.Time
	if interval > 0 {
		// Three pings a period: one lost to a busy machine is no restart.
		t := time.NewTicker(interval / 3)
		defer t.Stop()
		tick = t.C
		o.sdNotify(sddaemon.SdNotifyWatchdog)
	}
	ready := o.ready.Ready()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ready:
			ready = nil
			o.sdNotify(sddaemon.SdNotifyReady)
			o.log.Info("maildesk ready: every mailbox logged in and fetched")
		case <-tick:
			// The ping comes from the daemon's own loop registry: a
			// process that is wedged (or stopped) misses it and systemd
			// restarts it. A mailbox that cannot connect does not stop
			// the pings: the backoff handles it, and the metrics show it.
			o.sdNotify(sddaemon.SdNotifyWatchdog)
		}
	}
}

// stopping marks the daemon not ready and tells systemd it is stopping.
func (o *ops) stopping() {
	o.ready.Stopping()
	o.sdNotify(sddaemon.SdNotifyStopping)
}

func (o *ops) sdNotify(state string) {
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		o.log.Warn("systemd notification failed", "state", state, "err", err)
	}
}

// panicCounts is the recovered panics of every loop started, by name: the
// loops that never panicked are there at 0, so an alert on an increase
// has a series from the start.
func (l *loops) panicCounts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.active))
	for name := range l.active {
		out[name] = l.panics[name]
	}
	return out
}

// close closes the listener if serve never ran (a start that failed later).
func (o *ops) close() {
	if o.ln != nil {
		o.ln.Close()
	}
}
