package desk

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that counts what it is told.
type recorder struct {
	mu      sync.Mutex
	counts  map[string]int // "intake fta-pass inquiry", "sent ack", "failed ack true", "deadline notice"
	latency []time.Duration
}

func (r *recorder) add(key string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = map[string]int{}
	}
	r.counts[key] += n
}

func (r *recorder) Intake(mbox, kind string) { r.add("intake "+mbox+" "+kind, 1) }
func (r *recorder) Sent(kind string, queued time.Duration) {
	r.add("sent "+kind, 1)
	if kind == KindAck {
		r.mu.Lock()
		r.latency = append(r.latency, queued)
		r.mu.Unlock()
	}
}
func (r *recorder) Failed(kind string, permanent bool) {
	r.add(fmt.Sprintf("failed %s %v", kind, permanent), 1)
}
func (r *recorder) DeadlineNotices(kind string, n int) { r.add("deadline "+kind, n) }

// take returns the counts so far and starts again.
func (r *recorder) take() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.counts
	r.counts = nil
	if c == nil {
		c = map[string]int{}
	}
	return c
}

func observed(f *fixture) *recorder {
	r := &recorder{}
	f.desk.observer = r
	return r
}

func TestObserverIntake(t *testing.T) {
	quarantine := []byte("From: kim@example.co.kr\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n")
	inquiry := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "i1@x"}.raw()
	tests := []struct {
		name string
		raws [][]byte // delivered as UIDs 1, 2, … of fta-pass, one at a time
		want map[string]int
	}{
		{"inquiry", [][]byte{inquiry}, map[string]int{"intake fta-pass inquiry": 1}},
		{"follow-up", [][]byte{inquiry, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의", id: "i2@x",
			headers: []string{"In-Reply-To: <i1@x>"}}.raw()},
			map[string]int{"intake fta-pass inquiry": 1, "intake fta-pass followup": 1}},
		{"automatic", [][]byte{mail{from: "a@example.com", to: "fta-pass@origin.or.kr", subject: "away", id: "a1@x",
			headers: []string{"Auto-Submitted: auto-replied"}}.raw()}, map[string]int{"intake fta-pass automatic": 1}},
		{"quarantined", [][]byte{quarantine}, map[string]int{"intake fta-pass quarantined": 1}},
		{"duplicate", [][]byte{inquiry, inquiry}, map[string]int{"intake fta-pass inquiry": 1, "intake fta-pass duplicate": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r := observed(f)
			for i, raw := range tc.raws {
				f.deliver("fta-pass", 1, uint32(i+1), raw)
			}
			if got := r.take(); !maps.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// A batch rolled back counts nothing; the one-by-one retry counts what
// it commits.
func TestObserverBatchCountsCommitsOnly(t *testing.T) {
	f := newFixture(t)
	r := observed(f)
	var raws [][]byte
	for i := 1; i <= 4; i++ {
		raws = append(raws, mail{from: fmt.Sprintf("c%d@example.com", i), to: "fta-pass@origin.or.kr",
			subject: "문의", id: fmt.Sprintf("b%d@x", i)}.raw())
	}
	errStore := errors.New("disk I/O error")
	setIntakeFault(t, func(uid uint32) error {
		if uid == 3 {
			return errStore
		}
		return nil
	})
	if n, err := f.deliverBatch("fta-pass", 1, 1, raws...); !errors.Is(err, errStore) || n != 2 {
		t.Fatalf("DeliverBatch: got %d, %v; want 2 and the store error", n, err)
	}
	if got, want := r.take(), map[string]int{"intake fta-pass inquiry": 2}; !maps.Equal(got, want) {
		t.Errorf("after the failed batch: got %v, want %v", got, want)
	}
	setIntakeFault(t, nil)
	if n, err := f.deliverBatch("fta-pass", 1, 3, raws[2:]...); err != nil || n != 2 {
		t.Fatalf("retry: got %d, %v; want 2, nil", n, err)
	}
	if got, want := r.take(), map[string]int{"intake fta-pass inquiry": 2}; !maps.Equal(got, want) {
		t.Errorf("after the retry: got %v, want %v", got, want)
	}
}

func TestObserverOutbox(t *testing.T) {
	f := newFixture(t)
	sys, sender := smtpSink(t)
	ctx := context.Background()
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "o1@x"}.raw())
	r := observed(f)

	steps := []struct {
		name    string
		refuse  int
		advance time.Duration
		want    map[string]int
	}{
		// The ack and the handler's notice, both refused for now.
		{"451", 451, 0, map[string]int{"failed ack false": 1, "failed staff false": 1}},
		{"retried", 0, retryDelay(1), map[string]int{"sent ack": 1, "sent staff": 1}},
	}
	for _, s := range steps {
		sys.Refuse(s.refuse)
		f.clock.Add(s.advance)
		if _, err := f.desk.deliverDue(ctx, sender); err != nil {
			t.Fatal(err)
		}
		if got := r.take(); !maps.Equal(got, s.want) {
			t.Errorf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
	// The latency runs from the queueing to the acceptance: here the retry
	// delay on the fake clock.
	if !slices.Equal(r.latency, []time.Duration{retryDelay(1)}) {
		t.Errorf("ack latency: got %v, want [%v]", r.latency, retryDelay(1))
	}

	f.deliver("fta-pass", 1, 2, mail{from: "nobody@example.com", to: "fta-pass@origin.or.kr", subject: "문의", id: "o2@x"}.raw())
	r.take()
	sys.Refuse(550)
	if _, err := f.desk.deliverDue(ctx, sender); err != nil {
		t.Fatal(err)
	}
	got := r.take()
	if got["failed ack true"] != 1 {
		t.Errorf("after a 550: got %v, want failed ack true: 1", got)
	}
	for k := range got {
		if strings.HasPrefix(k, "sent") {
			t.Errorf("after a 550: %s", k)
		}
	}
}

// The deadline clock counts the notices and alerts it queued, once each.
func TestObserverDeadlines(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "d1@x"}.raw())
	r := observed(f)
	steps := []struct {
		advance time.Duration
		want    map[string]int
	}{
		{0, map[string]int{}},
		{40 * time.Hour, map[string]int{"deadline notice": 1}},
		{0, map[string]int{}}, // nothing twice
		{8*time.Hour + 30*time.Minute, map[string]int{"deadline alert": 1}},
	}
	for i, s := range steps {
		f.clock.Add(s.advance)
		f.tick()
		if got := r.take(); !maps.Equal(got, s.want) {
			t.Errorf("step %d: got %v, want %v", i, got, s.want)
		}
	}
}
