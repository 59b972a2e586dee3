package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/internal/postgres"
	"github.com/kioi/maildesk/store"
)

// engineBoxes are the mailboxes the engines benchmark fills: three, so
// that two instances have mailboxes to share out.
var engineBoxes = []string{"fta-pass", "qualification", "education"}

// benchEngines measures intake on each engine in one run (issue 20): the
// same backlog (o.engines messages over three mailboxes, in a fresh
// Dovecot each time) taken in by one maildesk on SQLite, one on
// PostgreSQL, and two sharing one PostgreSQL database.
func benchEngines(ctx context.Context, o options, dir string) ([]result, error) {
	if _, err := postgres.Find(); err != nil {
		return []result{{"5 engines", "intake per engine", "not run: " + err.Error(), ""}}, nil
	}
	pg, err := postgres.Start()
	if err != nil {
		return nil, err
	}
	defer pg.Stop()
	sizes, fromCorpus := messageSizes(o.corpus)

	// exec is maildesk's default on PostgreSQL (safe behind PgBouncer in
	// transaction mode); cache_statement is what a URL may choose on a
	// direct connection (docs/scaling.md).
	const cached = "&default_query_exec_mode=cache_statement"
	runs := []struct {
		label     string
		pg        bool
		url       string // added to the URL's parameters
		instances int
	}{
		{"SQLite, 1 instance", false, "", 1},
		{"PostgreSQL (exec), 1 instance", true, "", 1},
		{"PostgreSQL (exec), 2 instances", true, "", 2},
		{"PostgreSQL (cache_statement), 1 instance", true, cached, 1},
		{"PostgreSQL (cache_statement), 2 instances", true, cached, 2},
	}
	var rs []result
	var first float64
	for i, r := range runs {
		sub := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		database := filepath.Join(sub, "maildesk.db")
		if r.pg {
			url, drop, err := postgres.NewSchema(ctx, pg.URL())
			if err != nil {
				return nil, err
			}
			defer drop()
			database = url + r.url
		}
		// The same mail every run: the generator starts from one seed.
		g := &backlogGen{rng: rand.New(rand.NewPCG(20, 20)), sizes: sizes, attachFrac: o.attachFrac, replyFrac: o.replyFrac,
			date: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
		d, err := intakeOn(ctx, o, sub, database, r.instances, g)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.label, err)
		}
		if i == 0 {
			rs = append(rs, result{"5 engines", "messages seeded (per run, over " + strings.Join(engineBoxes, ", ") + ")", d.seeded.describe(o, fromCorpus), ""})
		}
		rate := float64(o.engines) / d.took.Seconds()
		if i == 0 {
			first = rate
		}
		rs = append(rs, result{"5 engines", "intake, " + r.label, fmt.Sprintf("%.0f msg/s (%s; %.2f of SQLite's)", rate, fmtDur(d.took), rate/first),
			"mailboxes watched per instance: " + d.split})
	}
	return rs, nil
}

type intakeRun struct {
	seeded seeded
	took   time.Duration // first instance started -> every cursor at its last UID
	split  string        // mailboxes each instance held at the end
}

// intakeOn seeds a fresh Dovecot from g and times n instances of maildesk
// on database taking all of it in.
func intakeOn(ctx context.Context, o options, dir, database string, n int, g *backlogGen) (intakeRun, error) {
	var r intakeRun
	dv, err := startDovecot(dir, mailboxNames())
	if err != nil {
		return r, err
	}
	defer dv.Stop()
	if r.seeded, err = seedBacklog(dv, g, o.engines, engineBoxes); err != nil {
		return r, err
	}
	// Dovecot indexes a new maildir on first access: not maildesk's time.
	for _, box := range engineBoxes {
		if err := warmMailbox(dv.Addr(), box); err != nil {
			return r, fmt.Errorf("warm-up: %w", err)
		}
	}
	sys, err := mailSystem(o)
	if err != nil {
		return r, err
	}
	defer sys.Close()
	var children []*child
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	start := time.Now()
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprint("instance", i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return r, err
		}
		cfg, err := writeConfig(sub, database, dv.Addr(), sys.SMTPAddr())
		if err != nil {
			return r, err
		}
		c, err := startChild(o.maildesk, cfg)
		if err != nil {
			return r, err
		}
		children = append(children, c)
	}
	var st *store.Store
	for st == nil {
		if !store.IsPostgres(database) {
			if _, err := os.Stat(database); err != nil {
				if time.Since(start) > 30*time.Second {
					return r, fmt.Errorf("maildesk made no database\n%s", children[0].log())
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			time.Sleep(100 * time.Millisecond) // let the daemon migrate first
		}
		if st, err = store.Open(ctx, database); err != nil {
			return r, err
		}
	}
	defer st.Close()
	for {
		done := true
		err := st.Read(ctx, func(tx *store.Tx) error {
			for _, box := range engineBoxes {
				_, last, err := tx.Cursor(ctx, box)
				if errors.Is(err, store.ErrNotFound) {
					err = nil
				}
				if err != nil {
					return err
				}
				// A fresh maildir numbers its mail from 1.
				done = done && int(last) >= r.seeded.per[box]
			}
			return nil
		})
		if err != nil {
			return r, err
		}
		if done {
			r.took = time.Since(start)
			break
		}
		if time.Since(start) > 30*time.Minute {
			return r, fmt.Errorf("intake not done in 30 minutes\n%s", children[0].log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var leases []store.Lease
	st.Read(ctx, func(tx *store.Tx) (err error) { leases, err = tx.Leases(ctx); return err })
	held := map[string]int{}
	for _, l := range leases {
		held[l.Holder]++
	}
	var split []string
	for _, k := range held {
		split = append(split, fmt.Sprint(k))
	}
	r.split = strings.Join(split, " + ")
	if len(leases) == 0 {
		r.split = "all (SQLite: no leases)"
	}
	return r, nil
}

// warmMailbox selects box once, so that Dovecot builds its index.
func warmMailbox(addr, box string) error {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(box, benchPassword).Wait(); err != nil {
		return err
	}
	_, err = c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	return err
}
