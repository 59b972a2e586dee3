package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

func TestMetricsExposition(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m := New(Options{
		Version: "v1.2.3", Revision: "abc", Mailboxes: []string{"fta-pass", "education"},
		OAuthAccounts: []string{"fta-pass", "smtp"},
		State: func(context.Context) (State, error) {
			return State{
				Open: map[string]int{"fta-pass": 3}, Overdue: map[string]int{"fta-pass": 1},
				OutboxPending: 2, OutboxOldest: now.Add(-90 * time.Second),
			}, nil
		},
		Panics: func() map[string]int { return map[string]int{"outbox": 2, "deadlines": 0} },
		Now:    func() time.Time { return now },
		Logger: quiet,
	})
	m.Intake("fta-pass", "inquiry")
	m.Intake("fta-pass", "inquiry")
	m.Sent("ack", 300*time.Millisecond)
	m.Sent("staff", time.Second)
	m.Failed("ack", false)
	m.DeadlineNotices("notice", 3)
	m.Connected("fta-pass")
	m.Watching("fta-pass", true)
	m.Watching("qualification", true)
	m.Watching("qualification", false)
	m.Disconnected("education", true)
	m.Fetched("fta-pass", time.Unix(1700000000, 0))
	m.Reloaded(nil)
	m.Reloaded(errors.New("bad"))
	m.OAuthRefreshFailed("smtp")

	code, body := get(t, Handler(m, NewReadiness(nil), quiet), "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: got %d, want 200", code)
	}
	for _, want := range []string{
		`maildesk_intake_messages_total{kind="inquiry",mailbox="fta-pass"} 2`,
		`maildesk_outbox_sent_total{kind="ack"} 1`,
		`maildesk_outbox_sent_total{kind="staff"} 1`,
		`maildesk_outbox_failed_total{kind="ack",permanent="false"} 1`,
		`maildesk_ack_latency_seconds_count 1`,
		`maildesk_ack_latency_seconds_bucket{le="0.5"} 1`,
		`maildesk_deadline_notices_total{kind="notice"} 3`,
		`maildesk_imap_connected{mailbox="fta-pass"} 1`,
		`maildesk_imap_connected{mailbox="education"} 0`,
		`maildesk_mailbox_watching{mailbox="fta-pass"} 1`,
		`maildesk_mailbox_watching{mailbox="qualification"} 0`,
		`maildesk_mailbox_watching{mailbox="education"} 0`,
		`maildesk_imap_reconnects_total{mailbox="education"} 1`,
		`maildesk_imap_reconnects_total{mailbox="fta-pass"} 0`,
		`maildesk_mailbox_last_fetch_timestamp_seconds{mailbox="fta-pass"} 1.7e+09`,
		`maildesk_mailbox_last_fetch_timestamp_seconds{mailbox="education"} 0`,
		`maildesk_tickets_open{category="fta-pass"} 3`,
		`maildesk_tickets_overdue{category="fta-pass"} 1`,
		`maildesk_outbox_pending 2`,
		`maildesk_outbox_oldest_pending_seconds 90`,
		`maildesk_loop_panics_total{loop="outbox"} 2`,
		`maildesk_loop_panics_total{loop="deadlines"} 0`,
		`maildesk_rules_reload_total{result="ok"} 1`,
		`maildesk_rules_reload_total{result="error"} 1`,
		`maildesk_oauth_refresh_failures_total{account="smtp"} 1`,
		`maildesk_oauth_refresh_failures_total{account="fta-pass"} 0`,
		`maildesk_build_info{revision="abc",version="v1.2.3"} 1`,
		`go_goroutines `,
		`process_start_time_seconds `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
	// The exposition must pass Prometheus's own linter (names, help, units).
	problems, err := testutil.GatherAndLint(m.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "maildesk_") {
			t.Errorf("lint %s: %s", p.Metric, p.Text)
		}
	}
}

// A store that cannot be read leaves its gauges out (a 0 would read as
// "nothing open") but the counters are still served.
func TestMetricsStoreError(t *testing.T) {
	m := New(Options{
		State:  func(context.Context) (State, error) { return State{}, errors.New("database is locked") },
		Logger: quiet,
	})
	m.Sent("ack", time.Second)
	code, body := get(t, Handler(m, NewReadiness(nil), quiet), "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: got %d, want 200", code)
	}
	if !strings.Contains(body, `maildesk_outbox_sent_total{kind="ack"} 1`) {
		t.Errorf("counters missing:\n%s", body)
	}
	if strings.Contains(body, "maildesk_outbox_pending") {
		t.Errorf("outbox_pending served from a failed read:\n%s", body)
	}
}

func TestReadiness(t *testing.T) {
	storeErr := error(nil)
	steps := []struct {
		name string
		do   func(r *Readiness)
		want []string
	}{
		{"start", func(*Readiness) {}, []string{"store: not open", "mailbox a: not logged in yet", "mailbox b: not logged in yet"}},
		{"store open", func(r *Readiness) { r.StoreOpen(func() error { return storeErr }) },
			[]string{"mailbox a: not logged in yet", "mailbox b: not logged in yet"}},
		{"a logs in", func(r *Readiness) { r.LoggedIn("a") },
			[]string{"mailbox a: logged in, first fetch not done", "mailbox b: not logged in yet"}},
		{"a fetched", func(r *Readiness) { r.Fetched("a") }, []string{"mailbox b: not logged in yet"}},
		// Another instance sharing the database holds b's lease: this
		// one stands by, ready.
		{"b watched elsewhere", func(r *Readiness) { r.Elsewhere("b") }, nil},
		{"database replaced", func(*Readiness) { storeErr = errors.New("replaced") }, []string{"store: replaced"}},
		{"database back", func(*Readiness) { storeErr = nil }, nil},
		{"stopping", func(r *Readiness) { r.Stopping() }, []string{"shutting down"}},
	}
	r := NewReadiness([]string{"a", "b"})
	h := Handler(New(Options{Logger: quiet}), r, quiet)
	const readyFrom = 4 // "b watched elsewhere"
	for i, s := range steps {
		s.do(r)
		code, body := get(t, h, "/readyz")
		wantCode, wantBody := 200, "ready\n"
		if s.want != nil {
			wantCode, wantBody = 503, strings.Join(s.want, "\n")+"\n"
		}
		if code != wantCode || body != wantBody {
			t.Errorf("%s: /readyz got %d %q, want %d %q", s.name, code, body, wantCode, wantBody)
		}
		// READY=1 is sent once: the channel stays closed after the first time.
		ready := false
		select {
		case <-r.Ready():
			ready = true
		default:
		}
		if wantReady := i >= readyFrom; ready != wantReady {
			t.Errorf("%s: Ready closed: got %v, want %v", s.name, ready, wantReady)
		}
		if code, _ := get(t, h, "/healthz"); code != 200 {
			t.Errorf("%s: /healthz got %d, want 200", s.name, code)
		}
	}
}
