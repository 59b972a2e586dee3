package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/mailbox"
)

// appendConfig adds lines (a table) at the end of the stack's maildesk.toml.
func (s *stack) appendConfig(lines ...string) {
	s.t.Helper()
	f, err := os.OpenFile(s.configPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + strings.Join(lines, "\n") + "\n"); err != nil {
		s.t.Fatal(err)
	}
}

// opsDaemon is a daemon with [http] on a loopback port whose first
// catch-up pass of every mailbox waits until release is closed, so that a
// test sees it before its first fetch.
type opsDaemon struct {
	base    string // http://127.0.0.1:PORT
	release chan struct{}
	synced  chan string
	stop    func()
}

func startOpsDaemon(t *testing.T, s *stack, log *slog.Logger) *opsDaemon {
	t.Helper()
	s.appendConfig("[http]", `listen = "127.0.0.1:0"`)
	d := &opsDaemon{release: make(chan struct{}), synced: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan net.Addr, 1)
	ready := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- runDaemon(ctx, s.configPath, daemonOptions{
			log: log,
			watcher: func(w *mailbox.Watcher) {
				w.Backoff = mailbox.Backoff{Min: 10 * time.Millisecond, Max: 100 * time.Millisecond}
				w.Synced = func(name string) {
					<-d.release
					select {
					case d.synced <- name:
					default:
					}
				}
			},
			httpListening: func(a net.Addr) { addr <- a },
			reloadEvery:   20 * time.Millisecond,
			ready:         func(*desk.Desk) { close(ready) },
		})
	}()
	select {
	case <-ready:
	case err := <-errc:
		t.Fatalf("daemon did not start: %v", err)
	}
	d.base = "http://" + (<-addr).String()
	var once sync.Once
	d.stop = func() {
		once.Do(func() {
			select {
			case <-d.release:
			default:
				close(d.release)
			}
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("daemon: %v", err)
			}
		})
	}
	t.Cleanup(d.stop)
	return d
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// metricValue is the value of the sample of name whose labels include all
// of labels ("k=v" each), summed over the samples that match; -1 when none.
func metricValue(body, name string, labels ...string) float64 {
	sum, found := 0.0, false
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, ls, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		match := true
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			match = match && strings.Contains(","+strings.TrimSuffix(ls, "}")+",", ","+k+"="+strconv.Quote(v)+",")
		}
		if !match {
			continue
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		sum, found = sum+f, true
	}
	if !found {
		return -1
	}
	return sum
}

// checkOps runs the acceptance on a started stack: /healthz 200;
// /readyz 503 before the first fetch and 200 after; after one inquiry
// (deliver puts it in fta-pass) /metrics counts its intake and its ack.
func checkOps(t *testing.T, s *stack, deliver func(raw []byte)) *opsDaemon {
	d := startOpsDaemon(t, s, testLogger(t))
	if code, _ := httpGet(t, d.base+"/healthz"); code != 200 {
		t.Errorf("/healthz: got %d, want 200", code)
	}
	code, body := httpGet(t, d.base+"/readyz")
	if code != 503 || !strings.Contains(body, "mailbox fta-pass: ") {
		t.Errorf("/readyz before the first fetch: got %d %q, want 503 naming fta-pass", code, body)
	}
	close(d.release)
	maildesktest.WaitUntil(t, "/readyz 200", func() bool { code, _ := httpGet(t, d.base+"/readyz"); return code == 200 })

	raw := maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "=?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?=",
		"ops1@example.co.kr", "원산지확인서 발급 문의입니다.\r\n")
	deliver(raw)
	s.waitCaptured(1)
	var m string
	maildesktest.WaitUntil(t, "the ack counted in /metrics", func() bool {
		_, m = httpGet(t, d.base+"/metrics")
		return metricValue(m, "maildesk_outbox_sent_total", "kind=ack") >= 1
	})
	checks := []struct {
		name   string
		labels []string
		min    float64
	}{
		{"maildesk_intake_messages_total", []string{"mailbox=fta-pass", "kind=inquiry"}, 1},
		{"maildesk_outbox_sent_total", []string{"kind=ack"}, 1},
		{"maildesk_ack_latency_seconds_count", nil, 1},
		{"maildesk_imap_connected", []string{"mailbox=fta-pass"}, 1},
		{"maildesk_mailbox_watching", []string{"mailbox=fta-pass"}, 1},
		{"maildesk_mailbox_last_fetch_timestamp_seconds", []string{"mailbox=fta-pass"}, float64(time.Now().Add(-time.Hour).Unix())},
		{"maildesk_tickets_open", []string{"category=fta-pass"}, 1},
		{"maildesk_outbox_pending", nil, 0},
		{"maildesk_loop_panics_total", []string{"loop=outbox"}, 0},
		{"maildesk_build_info", nil, 1},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	}
	for _, c := range checks {
		if got := metricValue(m, c.name, c.labels...); got < c.min {
			t.Errorf("%s%v: got %v, want >= %v", c.name, c.labels, got, c.min)
		}
	}
	// Label values are configured names, never an address.
	if strings.Contains(m, "kim@example.co.kr") || strings.Contains(m, "origin.or.kr") {
		t.Errorf("/metrics shows an address:\n%s", m)
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", m)
	}
	return d
}

// TestOpsEndpoints: the acceptance on the in-process mail stack.
func TestOpsEndpoints(t *testing.T) {
	s := newStack(t)
	d := checkOps(t, s, func(raw []byte) {
		s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"}, raw)
	})
	// A rule edit that does not pass the checks is counted as a failed
	// reload (the rules in force stay).
	if err := os.WriteFile(filepath.Join(s.dir, "rules", "zz-broken.toml"), []byte("[[category]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	maildesktest.WaitUntil(t, "a failed reload counted", func() bool {
		_, m := httpGet(t, d.base+"/metrics")
		return metricValue(m, "maildesk_rules_reload_total", "result=error") >= 1
	})
}

// TestDovecotOpsEndpoints: the same end to end on Dovecot.
func TestDovecotOpsEndpoints(t *testing.T) {
	s, dv := newDovecotStack(t)
	checkOps(t, s, func(raw []byte) { dv.deliver(t, "fta-pass", "kim@example.co.kr", raw) })
}

// syncBuffer is a log destination the daemon and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHTTPRemoteWarning(t *testing.T) {
	tests := []struct {
		table    []string
		wantWarn bool
	}{
		{[]string{`listen = "127.0.0.1:0"`}, false},
		{[]string{`listen = "0.0.0.0:0"`}, true},
		{[]string{`listen = "0.0.0.0:0"`, "allow_remote = true"}, false},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.table, " "), func(t *testing.T) {
			s := newStack(t)
			s.appendConfig(append([]string{"[http]"}, tc.table...)...)
			var logs syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			ready := make(chan struct{})
			go func() {
				errc <- runDaemon(ctx, s.configPath, daemonOptions{
					log:   slog.New(slog.NewTextHandler(&logs, nil)),
					ready: func(*desk.Desk) { close(ready) },
				})
			}()
			select {
			case <-ready:
			case err := <-errc:
				t.Fatalf("daemon did not start: %v", err)
			}
			cancel()
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(logs.String(), "reachable from other machines"); got != tc.wantWarn {
				t.Errorf("warning logged: got %v, want %v\n%s", got, tc.wantWarn, logs.String())
			}
		})
	}
}

// TestHTTPListenInUse: a listener that cannot be opened stops the start
// with the reason.
func TestHTTPListenInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s := newStack(t)
	s.appendConfig("[http]", fmt.Sprintf("listen = %q", ln.Addr().String()))
	err = runDaemon(context.Background(), s.configPath, daemonOptions{log: testLogger(t)})
	if err == nil || !strings.Contains(err.Error(), "[http] listen") {
		t.Fatalf("got %v, want an [http] listen error", err)
	}
}

// TestSystemdNotify: under systemd (a fake NOTIFY_SOCKET) the daemon says
// READY=1 once every mailbox has fetched, pings the watchdog when
// WatchdogSec is set, and says STOPPING=1 when shutdown starts.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", strconv.Itoa(int((300 * time.Millisecond).Microseconds())))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	next := func(what string, skip ...string) string {
		t.Helper()
		deadline := time.After(maildesktest.WaitLimit)
		for {
			select {
			case m := <-msgs:
				if m == what {
					return m
				}
				if !contains(skip, m) {
					t.Fatalf("waiting for %q: got %q", what, m)
				}
			case <-deadline:
				t.Fatalf("no %q within %v", what, maildesktest.WaitLimit)
			}
		}
	}

	s := newStack(t)
	d := startOpsDaemon(t, s, testLogger(t))
	// The watchdog is pinged from the start, also before the daemon is
	// ready (the first fetch is held back here).
	next("WATCHDOG=1")
	next("WATCHDOG=1")
	close(d.release)
	next("READY=1", "WATCHDOG=1")
	code, _ := httpGet(t, d.base+"/readyz")
	if code != 200 {
		t.Errorf("/readyz after READY=1: got %d, want 200", code)
	}
	next("WATCHDOG=1")
	d.stop()
	next("STOPPING=1", "WATCHDOG=1")
	for {
		select {
		case m := <-msgs:
			if m == "READY=1" {
				t.Errorf("READY=1 sent twice")
			}
		default:
			return
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
