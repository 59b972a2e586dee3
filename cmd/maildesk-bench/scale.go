package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// genBatch is how many messages one generating transaction writes.
const genBatch = 20000

// generated describes a generated store.
type generated struct {
	tickets, messages int
	open              int
	ids               [][]string // Message-IDs by ticket, in order
	took              time.Duration
}

// filler is the text generated messages are cut from.
var filler = strings.Repeat(koreanLine+englishLine, 2000)

// generateStore writes tickets with messages per ticket straight through
// the store API, in large transactions. openFrac of the tickets are open,
// with their deadlines in the future; the rest are answered or closed.
func generateStore(ctx context.Context, st *store.Store, tickets, messages int, openFrac float64, sizes []int, now time.Time) (*generated, error) {
	g := &generated{tickets: tickets, messages: messages, ids: make([][]string, tickets+1)}
	rng := rand.New(rand.NewPCG(3, 3))
	per := max(messages/tickets, 1)
	start := time.Now()
	tid := 0
	var hash [16]byte
	for tid < tickets {
		err := st.Write(ctx, func(tx *store.Tx) error {
			for n := 0; n < genBatch && tid < tickets; n += per {
				tid++
				created := now.Add(-time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
				t := &store.Ticket{
					Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: store.StatusAnswered,
					Handler:  store.Contact{ID: "mslim", Name: "임민수", Department: "원산지정보팀", Phone: "031-600-0722", Email: "mslim@origin.or.kr"},
					Customer: fmt.Sprintf("customer%d@example.co.kr", tid/2), CustomerName: "김고객",
					Subject:   fmt.Sprintf("원산지확인서 발급 문의 %d", tid),
					CreatedAt: created, UpdatedAt: created.Add(time.Hour),
				}
				t.CustomerKey = message.Canonical(t.Customer) // as intake stores it, so threading finds it
				due := created.Add(48 * time.Hour)
				t.DueAt = &due
				switch r := rng.Float64(); {
				case r < openFrac:
					t.Status = store.StatusOpen
					// Pending deadlines in the future, so the daemon idles.
					created = now.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
					due = now.Add(24*time.Hour + time.Duration(rng.Int64N(int64(10*24*time.Hour))))
					notice := due.Add(-12 * time.Hour)
					t.CreatedAt, t.UpdatedAt, t.DueAt, t.NoticeAt = created, created, &due, &notice
				case r < openFrac+0.15:
					t.Status = store.StatusClosed
					t.AnsweredAt, t.ClosedAt = &t.UpdatedAt, &t.UpdatedAt
				default:
					t.AnsweredAt = &t.UpdatedAt
				}
				if t.Status == store.StatusOpen {
					g.open++
				}
				if err := tx.InsertTicket(ctx, t); err != nil {
					return err
				}
				var ids []string
				for k := range per {
					dir, kind, from, to := store.In, "inquiry", t.Customer, "fta-pass@origin.or.kr"
					switch k % 4 {
					case 1:
						dir, kind, from, to = store.Out, "ack", to, from
					case 2:
						dir, kind, from, to = store.Out, "staff", "fta-pass@origin.or.kr", "mslim@origin.or.kr"
					case 3:
						kind = "followup"
					}
					if k == per-1 && k > 0 {
						dir, kind, from, to = store.Out, "answer", "fta-pass@origin.or.kr", t.Customer
					}
					size := sizes[rng.IntN(len(sizes))]
					body := filler[:min(size, len(filler))]
					for i := range hash {
						hash[i] = byte(rng.Uint32())
					}
					id := fmt.Sprintf("gen-%d-%d-%x@origin.or.kr", tid, k, rng.Uint32())
					m := &store.Message{
						TicketID: t.ID, Direction: dir, Kind: kind, Mailbox: "fta-pass",
						MessageID: id, ContentHash: hex.EncodeToString(hash[:]), From: from, To: []string{to},
						Subject: t.Subject, Date: &created, Text: body[:min(len(body)/2, 4000)],
						NewText: body[:min(len(body)/4, 500)], Refs: ids,
						Raw: []byte("Message-ID: <" + id + ">\r\nSubject: " + t.Subject + "\r\n\r\n" + body), CreatedAt: created,
					}
					if dir == store.In {
						m.UIDValidity, m.UID = 1, uint32(tid*per+k)
					}
					if err := tx.InsertMessage(ctx, m); err != nil {
						return err
					}
					ids = append(ids, id)
				}
				g.ids[tid] = ids
				if err := tx.AddEvent(ctx, t.ID, created, "opened", "category fta-pass, handler mslim"); err != nil {
					return err
				}
				if t.AnsweredAt != nil {
					if err := tx.AddEvent(ctx, t.ID, *t.AnsweredAt, "answered", "by mslim"); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("generate tickets: %w", err)
		}
	}
	g.messages = tickets * per
	g.took = time.Since(start)
	return g, nil
}

// loadDesk makes a Desk over st with the example rules and built-in
// templates, as the daemon would with the configuration in dir.
func loadDesk(dir string, st *store.Store, clock desk.Clock, pass func()) (*desk.Desk, error) {
	cfgPath, err := writeConfig(dir, st.Path(), "127.0.0.1:1", "127.0.0.1:1")
	if err != nil {
		return nil, err
	}
	l, err := desk.Load(cfgPath, desk.LoadOptions{})
	if err != nil {
		return nil, err
	}
	var mbs []desk.Mailbox
	for _, m := range benchMailboxes {
		mbs = append(mbs, desk.Mailbox{Name: m.name, Address: m.address})
	}
	return desk.New(desk.Options{Store: st, Rules: l.Rules, Templates: l.Templates, Mailboxes: mbs, Location: l.Config.Location,
		Clock: clock, DeadlinePass: pass, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// benchStore generates the large store and times threading, listing and
// showing on it, its size per message and the daemon's memory idling on it.
func benchStore(ctx context.Context, o options, dir string) ([]result, error) {
	db := filepath.Join(dir, "big.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	sizes, _ := messageSizes(o.corpus)
	now := time.Now()
	g, err := generateStore(ctx, st, o.tickets, o.messages, 0.05, sizes, now)
	if err != nil {
		st.Close()
		return nil, err
	}
	// Closing checkpoints the WAL, so the file size is the database's.
	st.Close()
	info, err := os.Stat(db)
	if err != nil {
		return nil, err
	}
	rs := []result{
		{"3 store", "generated", fmt.Sprintf("%d messages in %d tickets (%d open) in %s", g.messages, g.tickets, g.open, fmtDur(g.took)), ""},
		{"3 store", "database size per message", fmt.Sprintf("%.1f KB (%.2f GB in all; raw sizes drawn from the corpus)",
			float64(info.Size())/float64(g.messages)/1024, float64(info.Size())/(1<<30)), ""},
	}
	if st, err = store.Open(ctx, db); err != nil {
		return nil, err
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(5, 5))

	// Threading rule 1 alone: In-Reply-To and References against every stored Message-ID.
	lookup, err := timed(2000, func(int) error {
		ids := g.ids[1+rng.IntN(g.tickets)]
		return st.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.TicketByReferences(ctx, []string{ids[len(ids)-1], ids[0]})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	rs = append(rs, result{"3 store", "thread a reply: references lookup", dist(lookup),
		"p99 < 1ms: " + verdict(percentile(lookup, 99) < time.Millisecond)})

	// The whole intake of a reply and of a new inquiry on this database:
	// parse, dedupe, thread, store, queue mail, advance the cursor.
	d, err := loadDesk(dir, st, nil, nil)
	if err != nil {
		return nil, err
	}
	uid := uint32(1)
	replies, err := timed(300, func(i int) error {
		t := 1 + rng.IntN(g.tickets)
		ids := g.ids[t]
		raw := []byte(fmt.Sprintf("From: customer%d@example.co.kr\r\nTo: fta-pass@origin.or.kr\r\nSubject: Re: x\r\nMessage-ID: <reply-%d@example.co.kr>\r\nIn-Reply-To: <%s>\r\nReferences: <%s>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s",
			t/2, i, ids[len(ids)-1], ids[0], koreanLine))
		uid++
		return d.Deliver(ctx, "fta-pass", 2, uid, raw)
	})
	if err != nil {
		return nil, err
	}
	inquiries, err := timed(300, func(i int) error {
		uid++
		return d.Deliver(ctx, "fta-pass", 2, uid, inquiry(fmt.Sprintf("new%d@example.com", i), "fta-pass@origin.or.kr", "새 문의", fmt.Sprintf("new-%d@example.com", i)))
	})
	if err != nil {
		return nil, err
	}
	rs = append(rs,
		result{"3 store", "whole intake of a reply (Deliver)", dist(replies), ""},
		result{"3 store", "whole intake of a new inquiry (Deliver)", dist(inquiries), ""})

	var open int
	list, err := timed(5, func(int) error {
		return st.Read(ctx, func(tx *store.Tx) error {
			ts, err := tx.Tickets(ctx, store.TicketFilter{Status: []string{store.StatusOpen}})
			open = len(ts)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	page, err := timed(200, func(int) error {
		return st.Read(ctx, func(tx *store.Tx) error {
			_, err := tx.Tickets(ctx, store.TicketFilter{Status: []string{store.StatusOpen}, Limit: 50})
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	show, err := timed(500, func(int) error {
		id := int64(1 + rng.IntN(g.tickets))
		return st.Read(ctx, func(tx *store.Tx) error {
			if _, err := tx.Ticket(ctx, id); err != nil {
				return err
			}
			if _, err := tx.Messages(ctx, id); err != nil {
				return err
			}
			_, err := tx.Events(ctx, id)
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	rs = append(rs,
		result{"3 store", fmt.Sprintf("list all %d open tickets", open), dist(list), ""},
		result{"3 store", "list the newest 50 open tickets", dist(page), ""},
		result{"3 store", "show one ticket (ticket, messages, events)", dist(show), ""})
	st.Close()

	// The daemon idling on this database, in its own process.
	if _, err := dovecot.Find(); err != nil {
		return append(rs, result{"3 store", "daemon RSS, idle on this database", "not measured: " + err.Error(), ""}), nil
	}
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
	cfg, err := writeConfig(dir, db, dv.Addr(), sys.SMTPAddr())
	if err != nil {
		return nil, err
	}
	c, err := startChild(o.maildesk, cfg)
	if err != nil {
		return nil, err
	}
	// The outbox sends what the intake above queued, then all is quiet.
	time.Sleep(5 * time.Second)
	idle := c.rss()
	c.stop()
	return append(rs, result{"3 store", "daemon RSS, idle on this database", fmtMB(idle), "< 150 MB: " + verdict(idle < 150*1024)}), nil
}
