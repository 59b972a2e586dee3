// Package metrics is what the daemon shows its operators: Prometheus
// metrics, and the health and readiness that /healthz, /readyz and
// systemd's READY=1 report. It imports nothing of the project: the daemon's
// wiring feeds it label values and numbers, and desk calls it through an
// interface of its own.
//
// Label values are bounded: mailbox and category names come from the
// configuration and the rules, kinds from closed sets; never an address.
package metrics

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// State is what the store holds that the gauges show: computed at scrape
// time rather than kept in memory, so it cannot drift from the database
// (another process, `maildesk ticket close`, writes it too).
type State struct {
	Open    map[string]int // open tickets by category
	Overdue map[string]int // open tickets past their deadline, by category
	// OutboxPending is the number of queued deliveries; OutboxOldest the
	// creation time of the oldest (zero when none is queued).
	OutboxPending int
	OutboxOldest  time.Time
}

// Options configures New.
type Options struct {
	Version, Revision string
	// Mailboxes are the configured mailbox names: their series exist (at
	// zero) from the start, so an alert on a mailbox that never connected
	// has a series to fire on.
	Mailboxes []string
	// OAuthAccounts are the accounts that sign in with OAuth 2.0: their
	// refresh-failure series exist from the start.
	OAuthAccounts []string
	// State reads the store at scrape time; nil leaves the store gauges out.
	State func(ctx context.Context) (State, error)
	// Panics reports the recovered panics by loop since start (the
	// daemon's loop registry counts them); nil leaves them out.
	Panics func() map[string]int
	// Now is the clock for outbox_oldest_pending_seconds; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Metrics holds the daemon's metrics. Its methods are safe for concurrent
// use and cheap: desk and the watchers call them on their hot paths.
type Metrics struct {
	reg *prometheus.Registry

	intake          *prometheus.CounterVec
	sent            *prometheus.CounterVec
	failed          *prometheus.CounterVec
	ackLatency      prometheus.Histogram
	deadlineNotices *prometheus.CounterVec
	imapConnected   *prometheus.GaugeVec
	watching        *prometheus.GaugeVec
	imapReconnects  *prometheus.CounterVec
	lastFetch       *prometheus.GaugeVec
	reloads         *prometheus.CounterVec
	oauthFailures   *prometheus.CounterVec
}

// New makes the metrics and registers them, with the Go runtime's and the
// process's collectors, on a registry of their own.
func New(o Options) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.intake = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_intake_messages_total",
		Help: "Mail taken in, by mailbox and kind (inquiry, followup, automatic, bounce, quarantined, staff, history, duplicate).",
	}, []string{"mailbox", "kind"})
	m.sent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_outbox_sent_total",
		Help: "Deliveries the SMTP relay accepted, by kind of mail (ack, staff, notice, alert, answer, …).",
	}, []string{"kind"})
	m.failed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_outbox_failed_total",
		Help: `Failed delivery attempts, by kind of mail; permanent="true" when the delivery was given up, "false" when it is retried.`,
	}, []string{"kind", "permanent"})
	m.ackLatency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "maildesk_ack_latency_seconds",
		Help: "Time from an acknowledgement's queueing (with its inquiry, in one transaction) to its acceptance by the SMTP relay.",
		// From the sub-second of a healthy relay to the hours of a retried one.
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 4 * 3600},
	})
	m.deadlineNotices = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_deadline_notices_total",
		Help: "Mail the deadline clock queued, by kind (notice: delay notice to the customer, alert: missed deadline to the supervisor, fyi: note to a handler back from absence).",
	}, []string{"kind"})
	m.imapConnected = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "maildesk_imap_connected",
		Help: "1 while the mailbox's IMAP session is logged in, 0 otherwise.",
	}, []string{"mailbox"})
	m.watching = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "maildesk_mailbox_watching",
		Help: "1 while this instance watches the mailbox (on PostgreSQL: holds its lease), 0 while another instance does or none yet.",
	}, []string{"mailbox"})
	m.imapReconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_imap_reconnects_total",
		Help: "IMAP sessions of the mailbox that ended in an error (each is followed by a reconnect after a backoff).",
	}, []string{"mailbox"})
	m.lastFetch = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "maildesk_mailbox_last_fetch_timestamp_seconds",
		Help: "Unix time of the mailbox's last completed catch-up pass (fetch); 0 before the first.",
	}, []string{"mailbox"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_rules_reload_total",
		Help: `Reloads of rules and templates, by result ("ok", or "error" when the rules in force stayed).`,
	}, []string{"result"})
	m.oauthFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "maildesk_oauth_refresh_failures_total",
		Help: `Failed OAuth 2.0 token requests, by account (a mailbox's name, or "smtp"); the account retries with backoff.`,
	}, []string{"account"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "maildesk_build_info",
		Help: "Always 1; the labels name the running build.",
	}, []string{"version", "revision"})
	build.WithLabelValues(o.Version, o.Revision).Set(1)

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.intake, m.sent, m.failed, m.ackLatency, m.deadlineNotices,
		m.imapConnected, m.watching, m.imapReconnects, m.lastFetch, m.reloads, m.oauthFailures, build,
	)
	for _, name := range o.Mailboxes {
		m.imapConnected.WithLabelValues(name)
		m.watching.WithLabelValues(name)
		m.imapReconnects.WithLabelValues(name)
		m.lastFetch.WithLabelValues(name)
	}
	for _, name := range o.OAuthAccounts {
		m.oauthFailures.WithLabelValues(name)
	}
	for _, r := range []string{"ok", "error"} {
		m.reloads.WithLabelValues(r)
	}
	if o.State != nil {
		now := o.Now
		if now == nil {
			now = time.Now
		}
		log := o.Logger
		if log == nil {
			log = slog.Default()
		}
		m.reg.MustRegister(&stateCollector{state: o.State, now: now, log: log})
	}
	if o.Panics != nil {
		m.reg.MustRegister(&panicCollector{panics: o.Panics})
	}
	return m
}

// Registry is where the metrics are registered (the /metrics handler
// gathers it; tests read it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// OAuthRefreshFailed counts one failed token request of account.
func (m *Metrics) OAuthRefreshFailed(account string) { m.oauthFailures.WithLabelValues(account).Inc() }

// Intake counts one message taken in at mailbox, of kind.
func (m *Metrics) Intake(mailbox, kind string) { m.intake.WithLabelValues(mailbox, kind).Inc() }

// Sent counts a delivery the relay accepted, queued for the time given.
// An acknowledgement's time is observed in the ack latency histogram.
func (m *Metrics) Sent(kind string, queued time.Duration) {
	m.sent.WithLabelValues(kind).Inc()
	if kind == "ack" {
		m.ackLatency.Observe(max(queued, 0).Seconds())
	}
}

// Failed counts a failed delivery attempt: permanent when it was given up.
func (m *Metrics) Failed(kind string, permanent bool) {
	m.failed.WithLabelValues(kind, strconv.FormatBool(permanent)).Inc()
}

// DeadlineNotices counts n mails of kind the deadline clock queued.
func (m *Metrics) DeadlineNotices(kind string, n int) {
	m.deadlineNotices.WithLabelValues(kind).Add(float64(n))
}

// Connected records that mailbox's IMAP session logged in.
func (m *Metrics) Connected(mailbox string) { m.imapConnected.WithLabelValues(mailbox).Set(1) }

// Disconnected records that mailbox's session ended; failed when it ended
// in an error and will be retried (not at shutdown).
func (m *Metrics) Disconnected(mailbox string, failed bool) {
	m.imapConnected.WithLabelValues(mailbox).Set(0)
	if failed {
		m.imapReconnects.WithLabelValues(mailbox).Inc()
	}
}

// Watching records whether this instance watches mailbox: with several
// instances on one database, the sum over them is 1 for every mailbox
// when all is well (an alert on 0 finds a mailbox nobody watches, where
// maildesk_imap_connected is 0 on every instance standing by).
func (m *Metrics) Watching(mailbox string, on bool) {
	v := 0.0
	if on {
		v = 1
	}
	m.watching.WithLabelValues(mailbox).Set(v)
}

// Fetched records a completed catch-up pass of mailbox at t.
func (m *Metrics) Fetched(mailbox string, t time.Time) {
	m.lastFetch.WithLabelValues(mailbox).Set(float64(t.UnixNano()) / 1e9)
}

// Reloaded counts a reload of the rules; err is its outcome.
func (m *Metrics) Reloaded(err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.reloads.WithLabelValues(result).Inc()
}

var (
	openDesc = prometheus.NewDesc("maildesk_tickets_open",
		"Open tickets (not answered, closed or quarantined), by category.", []string{"category"}, nil)
	overdueDesc = prometheus.NewDesc("maildesk_tickets_overdue",
		"Open tickets whose deadline has passed, by category.", []string{"category"}, nil)
	pendingDesc = prometheus.NewDesc("maildesk_outbox_pending",
		"Deliveries queued and not yet accepted or given up.", nil, nil)
	oldestDesc = prometheus.NewDesc("maildesk_outbox_oldest_pending_seconds",
		"Age of the oldest queued delivery; 0 when none is queued.", nil, nil)
	panicsDesc = prometheus.NewDesc("maildesk_loop_panics_total",
		"Panics recovered in the daemon's long-lived loops since start, by loop.", []string{"loop"}, nil)
)

// stateCollector reads the store's state at each scrape.
type stateCollector struct {
	state func(context.Context) (State, error)
	now   func() time.Time
	log   *slog.Logger
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- openDesc
	ch <- overdueDesc
	ch <- pendingDesc
	ch <- oldestDesc
}

// scrapeTimeout bounds the store's queries: a scrape must not queue behind
// a database that is stuck (Prometheus's own default timeout is 10 s).
const scrapeTimeout = 5 * time.Second

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.state(ctx)
	if err != nil {
		// The gauges are left out, and the scrape says why: a gauge at 0
		// would read as "nothing open".
		c.log.Warn("metrics: reading the store", "err", err)
		ch <- prometheus.NewInvalidMetric(openDesc, err)
		return
	}
	for cat, n := range s.Open {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(n), cat)
	}
	for cat, n := range s.Overdue {
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(n), cat)
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(s.OutboxPending))
	age := 0.0
	if !s.OutboxOldest.IsZero() {
		age = max(c.now().Sub(s.OutboxOldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

// panicCollector exposes the loop registry's panic counts as counters.
type panicCollector struct{ panics func() map[string]int }

func (c *panicCollector) Describe(ch chan<- *prometheus.Desc) { ch <- panicsDesc }

func (c *panicCollector) Collect(ch chan<- prometheus.Metric) {
	for loop, n := range c.panics() {
		ch <- prometheus.MustNewConstMetric(panicsDesc, prometheus.CounterValue, float64(n), loop)
	}
}
