package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
)

// capturedAcks records when each acknowledgement reached the SMTP server,
// by the Message-ID of the inquiry it answers.
type capturedAcks struct {
	mu sync.Mutex
	at map[string]time.Time
	// byOwnID is when each ack arrived, by the ack's own Message-ID: the
	// backlog matches it to the ack's outbox row.
	byOwnID map[string]time.Time
	count   int
	notify  chan struct{}
}

func watchAcks(sys *localmail.System) *capturedAcks {
	a := &capturedAcks{at: map[string]time.Time{}, byOwnID: map[string]time.Time{}, notify: make(chan struct{}, 1)}
	sys.OnCapture(func(c localmail.Captured) {
		m, _ := message.Parse(c.Raw)
		if m == nil || m.Header.Get("X-Maildesk-Kind") != "ack" {
			return
		}
		a.mu.Lock()
		for _, id := range m.InReplyTo {
			a.at[id] = c.At
		}
		a.byOwnID[m.MessageID] = c.At
		a.count++
		a.mu.Unlock()
		select {
		case a.notify <- struct{}{}:
		default:
		}
	})
	return a
}

// wait returns when the ack of id arrived, or an error after limit.
func (a *capturedAcks) wait(ctx context.Context, id string, limit time.Duration) (time.Time, error) {
	deadline := time.After(limit)
	for {
		a.mu.Lock()
		t, ok := a.at[id]
		a.mu.Unlock()
		if ok {
			return t, nil
		}
		select {
		case <-a.notify:
		case <-deadline:
			return time.Time{}, fmt.Errorf("no acknowledgement of %s within %v", id, limit)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func (a *capturedAcks) n() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.count
}

// mailSystem starts the loopback SMTP server that stands in for the relay.
func mailSystem(o options) (*localmail.System, error) {
	return localmail.Start(localmail.Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0", Logger: o.log})
}

// benchLatency delivers o.n inquiries one by one into Dovecot with its LDA
// while maildesk runs (IDLE), and times each from the start of the
// delivery to the acknowledgement's arrival at the SMTP server.
func benchLatency(ctx context.Context, o options, dir string) ([]result, error) {
	dv, err := startDovecot(dir, mailboxNames())
	if err != nil {
		return nil, err
	}
	defer dv.Stop()
	sys, err := mailSystem(o)
	if err != nil {
		return nil, err
	}
	defer sys.Close()
	acks := watchAcks(sys)
	cfg, err := writeConfig(dir, filepath.Join(dir, "maildesk.db"), dv.Addr(), sys.SMTPAddr())
	if err != nil {
		return nil, err
	}
	c, err := startChild(o.maildesk, cfg)
	if err != nil {
		return nil, err
	}
	defer c.stop()

	anchor, err := startAnchor(dv.Addr(), "fta-pass")
	if err != nil {
		return nil, fmt.Errorf("IDLE anchor: %w", err)
	}
	defer anchor.close()
	var delivered uint32
	var floor []time.Duration // delivery -> EXISTS at the anchor

	// A first inquiry proves the chain works and leaves maildesk idling.
	send := func(i int) (time.Duration, error) {
		id := fmt.Sprintf("lat-%d-%x@customer.example.co.kr", i, rand.Uint32())
		from := fmt.Sprintf("latency%d@customer.example.co.kr", i)
		raw := inquiry(from, "fta-pass@origin.or.kr", fmt.Sprintf("원산지확인서 발급 문의 %d", i), id)
		start := time.Now()
		if err := dv.Deliver("fta-pass", from, raw); err != nil {
			return 0, err
		}
		delivered++
		at, err := acks.wait(ctx, id, 60*time.Second)
		if err != nil {
			return 0, fmt.Errorf("%w\nmaildesk log:\n%s", err, c.log())
		}
		seen, err := anchor.wait(ctx, delivered, 60*time.Second)
		if err != nil {
			return 0, err
		}
		if i > 0 {
			floor = append(floor, seen.Sub(start))
		}
		return at.Sub(start), nil
	}
	if _, err := send(0); err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	idle := c.rss()

	var lat []time.Duration
	for i := 1; i <= o.n; i++ {
		d, err := send(i)
		if err != nil {
			return nil, err
		}
		lat = append(lat, d)
		// Spaced out, with jitter, so that each inquiry meets an idle daemon
		// at a different point of its IDLE.
		time.Sleep(o.spacing/2 + rand.N(o.spacing))
	}
	p95, floor95 := percentile(lat, 95), percentile(floor, 95)
	return []result{
		{"1 latency", "delivery into Dovecot -> ack at SMTP", dist(lat), "p95 <= 5s: " + verdict(p95 <= 5*time.Second)},
		{"1 latency", "delivery -> EXISTS at a bare go-imap IDLE client (the anchor)", dist(floor), ""},
		{"1 latency", "ack p95 - anchor p95", fmtDur(p95 - floor95), "<= 100ms (issue 21): " + verdict(p95-floor95 <= 100*time.Millisecond)},
		{"1 latency", "daemon RSS, idle (small database)", fmtMB(idle), "< 150 MB: " + verdict(idle < 150*1024)},
	}, nil
}
