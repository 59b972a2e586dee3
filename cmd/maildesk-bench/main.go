// Command maildesk-bench measures maildesk's speed and scale (issue 8):
// acknowledgement latency and backlog throughput against a throwaway
// Dovecot on loopback with the real daemon in its own process, and the
// store and deadline clock on large generated databases. It prints one
// table; docs/performance.md explains the method and keeps a run's figures.
//
//	go run ./cmd/maildesk-bench                      # the full run (several minutes)
//	go run ./cmd/maildesk-bench -scale 0.01          # a smoke run, well under a minute
//	go run ./cmd/maildesk-bench -only store,deadlines -cpuprofile cpu.out
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type options struct {
	n          int // inquiries for the latency benchmark
	spacing    time.Duration
	backlog    int     // messages waiting in the mailbox
	engines    int     // messages over three mailboxes for the engines benchmark
	messages   int     // messages in the store benchmark
	tickets    int     // tickets in the store benchmark
	open       int     // open tickets in the deadline benchmark
	burst      int     // notices due at once
	attachFrac float64 // share of backlog mail with an attachment
	replyFrac  float64 // share of backlog mail replying to earlier mail
	corpus     string
	maildesk   string // daemon binary; built when empty
	keep       bool   // keep the work directory
	only       map[string]bool
	log        *slog.Logger
}

func main() {
	var o options
	var scale float64
	var only, cpuprofile string
	var verbose bool
	flag.IntVar(&o.n, "n", 200, "inquiries delivered one by one for the acknowledgement latency")
	flag.DurationVar(&o.spacing, "spacing", 250*time.Millisecond, "pause after each acknowledgement before the next inquiry")
	flag.IntVar(&o.backlog, "backlog", 10000, "messages waiting in the mailbox for the throughput benchmark")
	flag.IntVar(&o.engines, "engines", 3000, "messages over three mailboxes taken in on SQLite, PostgreSQL and two instances on PostgreSQL")
	flag.IntVar(&o.messages, "messages", 1000000, "messages in the generated store")
	flag.IntVar(&o.tickets, "tickets", 200000, "tickets in the generated store")
	flag.IntVar(&o.open, "open", 200000, "open tickets for the deadline clock")
	flag.IntVar(&o.burst, "burst", 1000, "delay notices due at once")
	flag.Float64Var(&scale, "scale", 1, "multiply -n, -backlog, -messages, -tickets, -open and -burst (0.01 for a smoke run)")
	flag.Float64Var(&o.attachFrac, "attachments", 0.10, "share of backlog messages with an attachment")
	flag.Float64Var(&o.replyFrac, "replies", 0.30, "share of backlog messages that reply to an earlier one")
	flag.StringVar(&o.corpus, "corpus", "../shared/corpus", "mail corpus whose message sizes the backlog draws from")
	flag.StringVar(&o.maildesk, "maildesk", "", "maildesk binary to measure (default: go build ./cmd/maildesk)")
	flag.StringVar(&only, "only", "latency,backlog,store,deadlines,engines", "benchmarks to run, comma separated")
	flag.StringVar(&cpuprofile, "cpuprofile", "", "write this process's CPU profile (store and deadline benchmarks run in process) to file")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (databases, Dovecot, logs)")
	flag.BoolVar(&verbose, "v", false, "log progress")
	flag.Parse()

	scaled := func(p *int, min int) { *p = max(int(math.Round(float64(*p)*scale)), min) }
	scaled(&o.n, 5)
	scaled(&o.backlog, 50)
	scaled(&o.engines, 60)
	scaled(&o.messages, 500)
	scaled(&o.tickets, 100)
	scaled(&o.open, 200)
	scaled(&o.burst, 10)
	o.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		o.only[strings.TrimSpace(s)] = true
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	o.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "maildesk-bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "maildesk-bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// result is one row of the table.
type result struct {
	bench, metric, value, goal string
}

func run(ctx context.Context, o options, out io.Writer) error {
	dir, err := os.MkdirTemp("", "maildesk-bench-")
	if err != nil {
		return err
	}
	// Dovecot's unprivileged processes must reach the mail under dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(out, "work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	var rs []result
	add := func(r ...result) { rs = append(rs, r...) }
	add(result{"machine", "cpus, model", fmt.Sprintf("%d, %s (%s/%s, %s)", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version()), ""},
		result{"machine", "load average at start (1, 5, 15 min)", loadAvg(), ""})
	needDaemon := o.only["latency"] || o.only["backlog"] || o.only["store"] || o.only["engines"]
	if needDaemon && o.maildesk == "" {
		o.log.Info("building maildesk")
		if o.maildesk, err = buildMaildesk(dir); err != nil {
			return err
		}
	}
	steps := []struct {
		name string
		fn   func(context.Context, options, string) ([]result, error)
	}{
		{"latency", benchLatency},
		{"backlog", benchBacklog},
		{"store", benchStore},
		{"deadlines", benchDeadlines},
		{"engines", benchEngines},
	}
	for _, s := range steps {
		if !o.only[s.name] {
			continue
		}
		sub := fmt.Sprintf("%s/%s", dir, s.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		o.log.Info("benchmark", "name", s.name)
		start := time.Now()
		r, err := s.fn(ctx, o, sub)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		add(r...)
		add(result{s.name, "benchmark wall time", fmtDur(time.Since(start)), ""})
	}
	add(result{"machine", "load average at end (1, 5, 15 min)", loadAvg(), ""})
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "benchmark\tmetric\tvalue\tgoal")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.bench, r.metric, r.value, r.goal)
	}
	return tw.Flush()
}

// percentile returns the p-th percentile (0..100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// dist formats p50/p95/p99/max of ds.
func dist(ds []time.Duration) string {
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s (n=%d)", fmtDur(percentile(ds, 50)), fmtDur(percentile(ds, 95)),
		fmtDur(percentile(ds, 99)), fmtDur(percentile(ds, 100)), len(ds))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(100 * time.Nanosecond).String()
	}
}

func fmtMB(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// timeBudget bounds each repeated measurement: a slow operation is
// sampled fewer times (at least minSamples) rather than for hours.
const (
	timeBudget = 20 * time.Second
	minSamples = 20
)

// timed runs fn reps times, or fewer within timeBudget, and returns each
// duration.
func timed(reps int, fn func(i int) error) ([]time.Duration, error) {
	ds := make([]time.Duration, 0, reps)
	begin := time.Now()
	for i := range reps {
		if i >= minSamples && time.Since(begin) > timeBudget {
			break
		}
		t := time.Now()
		if err := fn(i); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(t))
	}
	return ds, nil
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg is the first three fields of /proc/loadavg: what else was
// running shows in the figures, so the table says so.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
