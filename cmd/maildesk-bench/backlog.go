package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// fetchBatch is the number of UIDs per FETCH, the watcher's own batch size,
// so that the plain fetch does the same IMAP work maildesk does.
const fetchBatch = 100

// benchBacklog seeds o.backlog messages into a Dovecot mailbox, times a
// plain go-imap UID FETCH of all of them, then starts maildesk on a fresh
// database and times its intake of the same messages.
func benchBacklog(ctx context.Context, o options, dir string) ([]result, error) {
	dv, err := startDovecot(dir, mailboxNames())
	if err != nil {
		return nil, err
	}
	defer dv.Stop()
	sizes, fromCorpus := messageSizes(o.corpus)
	g := &backlogGen{rng: rand.New(rand.NewPCG(8, 8)), sizes: sizes, attachFrac: o.attachFrac, replyFrac: o.replyFrac,
		to: "fta-pass@origin.or.kr", date: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	sd, err := seedBacklog(dv, g, o.backlog, []string{"fta-pass"})
	if err != nil {
		return nil, err
	}
	rs := []result{{"2 backlog", "messages seeded", sd.describe(o, fromCorpus), ""}}

	// Dovecot indexes a new maildir on first access; neither side pays it.
	if _, err := plainFetch(dv.Addr(), false); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	plain, err := plainFetch(dv.Addr(), true)
	if err != nil {
		return nil, err
	}
	if plain.n != o.backlog {
		return nil, fmt.Errorf("plain fetch: got %d messages, want %d", plain.n, o.backlog)
	}
	plainRate := float64(plain.n) / plain.d.Seconds()

	sys, err := mailSystem(o)
	if err != nil {
		return nil, err
	}
	defer sys.Close()
	acks := watchAcks(sys)
	db := filepath.Join(dir, "maildesk.db")
	cfg, err := writeConfig(dir, db, dv.Addr(), sys.SMTPAddr())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	c, err := startChild(o.maildesk, cfg)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go c.sampleRSS(sctx, 100*time.Millisecond)

	var st *store.Store
	for st == nil {
		if _, err := os.Stat(db); err == nil {
			time.Sleep(100 * time.Millisecond) // let the daemon migrate first
			if st, err = store.Open(ctx, db); err != nil {
				return nil, err
			}
		} else if time.Since(start) > 30*time.Second {
			return nil, fmt.Errorf("maildesk made no database\n%s", c.log())
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	defer st.Close()
	var intake time.Duration
	var ackedAtEnd int // acks accepted by SMTP when the cursor reached the last UID
	for {
		var last uint32
		err := st.Read(ctx, func(tx *store.Tx) error {
			var err error
			_, last, err = tx.Cursor(ctx, "fta-pass")
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if last >= plain.maxUID {
			intake = time.Since(start)
			ackedAtEnd = acks.n()
			break
		}
		if time.Since(start) > 30*time.Minute {
			return nil, fmt.Errorf("maildesk stored up to uid %d of %d in 30 minutes\n%s", last, plain.maxUID, c.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	peak := c.rss()
	c.mu.Lock()
	peak = max(peak, c.peakRSS)
	c.mu.Unlock()
	var counts map[string]int
	st.Read(ctx, func(tx *store.Tx) error { counts, err = tx.MessageCounts(ctx); return err })
	flow, err := ackFlow(ctx, st, acks, ackedAtEnd)
	if err != nil {
		return nil, err
	}
	rate := float64(o.backlog) / intake.Seconds()
	ratio := rate / plainRate
	return append(rs,
		result{"2 backlog", "plain go-imap UID FETCH (batches of 100)", fmt.Sprintf("%.0f msg/s (%s for %d)", plainRate, fmtDur(plain.d), plain.n), ""},
		result{"2 backlog", "maildesk intake, process start -> cursor at last UID", fmt.Sprintf("%.0f msg/s (%s)", rate, fmtDur(intake)),
			fmt.Sprintf("< 60s for 10,000: %s", verdict(intake*time.Duration(10000)/time.Duration(o.backlog) < time.Minute))},
		result{"2 backlog", "intake rate / plain fetch rate", fmt.Sprintf("%.2f", ratio), ">= 0.2 (issue 21): " + verdict(ratio >= 0.2)},
		result{"2 backlog", "stored by then", fmt.Sprintf("%v; %d acks already at SMTP", counts, ackedAtEnd), ""},
		result{"2 backlog", "acks accepted by SMTP when the cursor reached the last UID", fmt.Sprintf("%.2f (%d of %d queued)", flow.share(), ackedAtEnd, flow.due),
			">= 0.5: " + verdict(flow.share() >= 0.5)},
		result{"2 backlog", "ack commit (outbox created_at) -> accepted by SMTP", flow.latency(), ""},
		result{"2 backlog", "daemon peak RSS under the backlog", fmtMB(peak), "< 150 MB: " + verdict(peak < 150*1024)},
	), nil
}

// seeded is what seedBacklog put in the mailboxes.
type seeded struct {
	n, attach, replies int
	bytes              int64
	per                map[string]int // messages by mailbox
}

func (sd seeded) describe(o options, fromCorpus bool) string {
	src := "corpus"
	if !fromCorpus {
		src = "built-in deciles (no corpus at " + o.corpus + ")"
	}
	return fmt.Sprintf("%d, %.1f MB, %d with attachment, %d replies; sizes from %s",
		sd.n, float64(sd.bytes)/(1<<20), sd.attach, sd.replies, src)
}

// seedBacklog writes n messages of g straight into the maildirs of boxes,
// in turn, before Dovecot has seen them: the backlog of an outage.
func seedBacklog(dv *dovecot.Server, g *backlogGen, n int, boxes []string) (seeded, error) {
	sd := seeded{per: map[string]int{}}
	base := time.Now().Add(-24 * time.Hour).Unix()
	for i := 1; i <= n; i++ {
		box := boxes[(i-1)%len(boxes)]
		g.to = box + "@origin.or.kr"
		m := g.next(i)
		sd.n++
		sd.per[box]++
		sd.bytes += int64(len(m.raw))
		if g.sent[len(g.sent)-1] != m {
			sd.replies++
		}
		if contentType(m.raw) != "" {
			sd.attach++
		}
		// Dovecot gives new maildir files UIDs in the order of the time
		// their name starts with: one second apart keeps the backlog's order.
		name := filepath.Join(dv.Maildir(box), "new", strconv.FormatInt(base+int64(i), 10)+".M0P"+strconv.Itoa(i)+".bench")
		if err := os.WriteFile(name, m.raw, 0o644); err != nil {
			return sd, err
		}
		if err := os.Chown(name, 65534, 65534); err != nil {
			return sd, err
		}
	}
	return sd, nil
}

func contentType(raw []byte) string {
	const h = "Content-Type: multipart/mixed"
	for i := 0; i+len(h) <= len(raw) && i < 2000; i++ {
		if string(raw[i:i+len(h)]) == h {
			return "multipart/mixed"
		}
	}
	return ""
}

type fetchResult struct {
	n      int
	bytes  int64
	maxUID uint32
	d      time.Duration
}

// plainFetch reads every message of INBOX with UID FETCH BODY.PEEK[] in
// the watcher's batch size, and does nothing else with them; the clock
// runs from after login to the last byte.
func plainFetch(addr string, timedRun bool) (fetchResult, error) {
	var r fetchResult
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return r, err
	}
	defer c.Close()
	if err := c.Login("fta-pass", benchPassword).Wait(); err != nil {
		return r, err
	}
	start := time.Now()
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return r, err
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return r, err
	}
	uids := data.AllUIDs()
	if !timedRun {
		return r, nil
	}
	for batch := range slices.Chunk(uids, fetchBatch) {
		msgs, err := c.Fetch(imap.UIDSetNum(batch...), &imap.FetchOptions{
			UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
		}).Collect()
		if err != nil {
			return r, err
		}
		for _, m := range msgs {
			if len(m.BodySection) > 0 {
				r.n++
				r.bytes += int64(len(m.BodySection[0].Bytes))
				r.maxUID = max(r.maxUID, uint32(m.UID))
			}
		}
	}
	r.d = time.Since(start)
	return r, nil
}

// drainLimit bounds the wait for the acks still queued when the backlog
// is stored, so that a stuck outbox cannot hold the benchmark for hours.
const drainLimit = 90 * time.Second

type ackFlowResult struct {
	due, atEnd int             // acks queued, and accepted, when the cursor reached the last UID
	lat        []time.Duration // commit of each ack's outbox row -> accepted by SMTP
	missing    int             // acks not at SMTP within drainLimit after the backlog
}

func (f ackFlowResult) share() float64 {
	if f.due == 0 {
		return 0
	}
	return float64(f.atEnd) / float64(f.due)
}

func (f ackFlowResult) latency() string {
	s := fmt.Sprintf("p50 %s  p95 %s  max %s (n=%d)", fmtDur(percentile(f.lat, 50)), fmtDur(percentile(f.lat, 95)),
		fmtDur(percentile(f.lat, 100)), len(f.lat))
	if f.missing > 0 {
		s += fmt.Sprintf("; %d not sent within %s after the backlog", f.missing, drainLimit)
	}
	return s
}

// ackFlow counts the acks queued by the time the cursor reached the last
// UID (no mail is taken in after that), waits for the outbox to send them,
// and matches each ack's outbox row (its created_at is written in the
// intake transaction) to the time the SMTP sink accepted it, by the ack's
// Message-ID.
func ackFlow(ctx context.Context, st *store.Store, acks *capturedAcks, atEnd int) (ackFlowResult, error) {
	f := ackFlowResult{atEnd: atEnd}
	var rows []*store.Delivery
	err := st.Read(ctx, func(tx *store.Tx) error {
		all, err := tx.Deliveries(ctx, "")
		for _, d := range all {
			if d.Kind == "ack" {
				rows = append(rows, d)
			}
		}
		return err
	})
	if err != nil {
		return f, fmt.Errorf("list acks: %w", err)
	}
	f.due = len(rows)
	for begin := time.Now(); acks.n() < f.due && time.Since(begin) < drainLimit; {
		time.Sleep(50 * time.Millisecond)
	}
	acks.mu.Lock()
	defer acks.mu.Unlock()
	for _, d := range rows {
		var raw []byte
		if err := st.Read(ctx, func(tx *store.Tx) error { raw, err = tx.MessageRaw(ctx, d.MessageID); return err }); err != nil {
			return f, fmt.Errorf("ack %d: %w", d.ID, err)
		}
		m, err := message.Parse(raw)
		if err != nil {
			return f, fmt.Errorf("parse ack %d: %w", d.ID, err)
		}
		at, ok := acks.byOwnID[m.MessageID]
		if !ok {
			f.missing++
			continue
		}
		f.lat = append(f.lat, at.Sub(d.CreatedAt))
	}
	return f, nil
}
