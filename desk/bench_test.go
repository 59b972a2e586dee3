package desk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/examples"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// newBenchDesk is a Desk on a fresh database with the example rules and
// the built-in templates, its clock standing at start. The database is
// SQLite's; MAILDESK_TEST_STORE_ENGINE=postgres makes it a PostgreSQL
// schema (a benchmark runs in one run of postgres.RunBoth, never both).
func newBenchDesk(b *testing.B, clock Clock, pass func()) (*Desk, *store.Store) {
	b.Helper()
	dir := b.TempDir()
	files, err := examples.FS.ReadDir("rules")
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range files {
		data, err := examples.FS.ReadFile("rules/" + f.Name())
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	rs, err := rules.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), maildesktest.Database(b, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	seoul, _ := time.LoadLocation("Asia/Seoul")
	d, err := New(Options{
		Store: st, Rules: rs, Templates: tmpl, Location: seoul, Clock: clock, DeadlinePass: pass,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}, {Name: "qualification", Address: "qualification@origin.or.kr"}, {Name: "education", Address: "education@origin.or.kr"}, {Name: "correction", Address: "correction@origin.or.kr"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return d, st
}

// BenchmarkIntake is the whole intake of one message (parse, dedupe,
// thread, route, store, queue the acknowledgement and the handler's
// notice, advance the cursor): new inquiries, and replies to them.
func BenchmarkIntake(b *testing.B) {
	for _, kind := range []string{"inquiry", "reply"} {
		b.Run(kind, func(b *testing.B) {
			d, _ := newBenchDesk(b, &fakeClock{t: start}, nil)
			ctx := context.Background()
			uid := uint32(0)
			deliver := func(raw []byte) {
				uid++
				if err := d.Deliver(ctx, "fta-pass", 1, uid, raw); err != nil {
					b.Fatal(err)
				}
			}
			// Replies go round many open tickets, as in a real mailbox:
			// replying to one ticket only would measure a ticket of
			// thousands of messages, whose staff notice lists its history.
			tickets := 500
			if testing.Short() {
				tickets = 50
			}
			if kind == "reply" {
				for k := range tickets {
					deliver(mail{from: fmt.Sprintf("kim%d@example.co.kr", k), to: "fta-pass@origin.or.kr",
						subject: "원산지 문의", id: fmt.Sprintf("p%d@example.co.kr", k)}.raw())
				}
			}
			i := 0
			for b.Loop() {
				i++
				m := mail{from: fmt.Sprintf("c%d@example.co.kr", i), to: "fta-pass@origin.or.kr",
					subject: "원산지확인서 발급 문의", id: fmt.Sprintf("q%d@example.co.kr", i)}
				if kind == "reply" {
					k := i % tickets
					m.from, m.subject = fmt.Sprintf("kim%d@example.co.kr", k), "Re: 원산지 문의"
					m.headers = []string{fmt.Sprintf("In-Reply-To: <p%d@example.co.kr>", k)}
				}
				deliver(m.raw())
			}
		})
	}
}

// BenchmarkIntakeBatch is the backlog's path: batches of 100 fetched
// mails stored by DeliverBatch in one transaction each, seven in ten new
// inquiries and three in ten replies quoting the ticket's first mail, each
// with a Korean body of some 3 KB. Reported per mail (ns/mail), so it
// reads beside maildesk-bench's backlog rate.
func BenchmarkIntakeBatch(b *testing.B) {
	const batch = 100
	d, _ := newBenchDesk(b, &fakeClock{t: start}, nil)
	ctx := context.Background()
	para := strings.Repeat("원산지확인서 발급 절차와 필요 서류를 알고 싶습니다. 수출 품목은 HS 8471.30 입니다.\r\n", 30)
	quote := "\r\n2026년 11월 25일 (수) 오후 2:00, 고객 <c@example.co.kr>님이 작성:\r\n" +
		strings.Repeat("> 이전 문의 내용입니다. 인증수출자 지정 요건을 확인하고 싶습니다.\r\n", 20)
	uid, n := uint32(0), 0
	msgs := make([]mailbox.Fetched, batch)
	for b.Loop() {
		for j := range msgs {
			n++
			uid++
			m := mail{from: fmt.Sprintf("c%d@example.co.kr", n), to: "fta-pass@origin.or.kr",
				subject: "원산지확인서 발급 문의", id: fmt.Sprintf("q%d@example.co.kr", n), body: para}
			if n%10 < 3 && n > batch {
				// A reply to an inquiry of an earlier batch.
				k := n - batch
				m.from, m.subject, m.id = fmt.Sprintf("c%d@example.co.kr", k), "Re: 원산지확인서 발급 문의", fmt.Sprintf("r%d@example.co.kr", n)
				m.headers = []string{fmt.Sprintf("In-Reply-To: <q%d@example.co.kr>", k)}
				m.body = "추가로 문의드립니다.\r\n" + quote
			}
			msgs[j] = mailbox.Fetched{UID: uid, Raw: m.raw()}
		}
		if _, err := d.DeliverBatch(ctx, "fta-pass", 1, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/mail")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkDeadlinePass is one pass of the deadline clock over open
// tickets of which a batch of 100 has its delay notice due: the notices
// are queued and the next deadline found. Setup is per iteration, outside
// the timer.
func BenchmarkDeadlinePass(b *testing.B) {
	open := 2000
	if testing.Short() {
		open = 300
	}
	for b.Loop() {
		b.StopTimer()
		clock := &fakeClock{t: start}
		pass := make(chan struct{}, 1)
		d, st := newBenchDesk(b, clock, func() {
			select {
			case pass <- struct{}{}:
			default:
			}
		})
		ctx := context.Background()
		err := st.Write(ctx, func(tx *store.Tx) error {
			for i := range open {
				due := start.Add(time.Duration(i+1) * time.Hour)
				notice := due.Add(-12 * time.Hour)
				if i < 100 {
					notice = start.Add(-time.Minute)
				}
				t := &store.Ticket{Tag: "FTA-PASS", Mailbox: "fta-pass", Category: "fta-pass", Status: store.StatusOpen,
					Customer: fmt.Sprintf("c%d@example.co.kr", i), Subject: "문의", CreatedAt: start, UpdatedAt: start,
					DueAt: &due, NoticeAt: &notice}
				if err := tx.InsertTicket(ctx, t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		b.StartTimer()
		go func() { done <- d.RunDeadlines(runCtx) }()
		<-pass
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
