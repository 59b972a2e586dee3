package desk

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/store"
)

// deadlineRules: FTA-PASS answers in 48 calendar hours with a notice 8 hours
// before; "boss" is alerted when a deadline passes.
var deadlineRules = map[string]string{
	"rules.toml": `
[[handler]]
id = "mslim"
name = "임민수"
department = "FTA-PASS 운영팀"
phone = "031-600-0722"
email = "mslim@origin.or.kr"

[[handler]]
id = "boss"
name = "김팀장"
email = "boss@origin.or.kr"

[[category]]
id = "fta-pass"
name = "FTA-PASS 문의"
name_en = "FTA-PASS inquiry"
tag = "FTA-PASS"
window = "48h"
clock = "calendar"
notice_before = "8h"
supervisor = "boss"

[[mailbox]]
name = "fta-pass"
category = "fta-pass"
handler = "mslim"
`,
}

// outbox lists the kinds of mail queued so far, in order, with recipients.
func (f *fixture) queued() []string {
	f.t.Helper()
	ctx := context.Background()
	var out []string
	err := f.store.Read(ctx, func(tx *store.Tx) error {
		for _, tk := range must(tx.Tickets(ctx, store.TicketFilter{})) {
			for _, m := range must(tx.Messages(ctx, tk.ID)) {
				if m.Direction == store.Out && m.Kind != KindStaffNotice {
					out = append(out, m.Kind+" "+strings.Join(m.To, ","))
				}
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (f *fixture) tick() time.Time {
	f.t.Helper()
	next, err := f.desk.processDeadlines(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return next
}

func (f *fixture) ticket(id int64) *store.Ticket {
	f.t.Helper()
	var t *store.Ticket
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		t, err = tx.Ticket(context.Background(), id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return t
}

func sameList(a, b []string) bool { return strings.Join(a, "|") == strings.Join(b, "|") }

func TestDelayNoticeAndAlert(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	f.deliver("fta-pass", 1, 1, mail{from: "김고객 <kim@example.co.kr>", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "d1@x"}.raw())
	tk := f.ticket(1)
	wantDue, wantNotice := start.Add(48*time.Hour), start.Add(40*time.Hour)
	if !tk.DueAt.Equal(wantDue) || tk.NoticeAt == nil || !tk.NoticeAt.Equal(wantNotice) {
		t.Fatalf("due %v notice %v; want %v and %v", tk.DueAt, tk.NoticeAt, wantDue, wantNotice)
	}
	if next := f.tick(); !next.Equal(wantNotice) {
		t.Fatalf("next wake: got %v, want the notice time %v", next, wantNotice)
	}
	f.clock.Add(40*time.Hour - time.Second)
	f.tick()
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr"}) {
		t.Fatalf("a second before the notice: got %v", got)
	}
	f.clock.Add(time.Second)
	if next := f.tick(); !next.Equal(wantDue) {
		t.Errorf("next wake after the notice: got %v, want the deadline %v", next, wantDue)
	}
	f.tick() // again: nothing twice
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "notice kim@example.co.kr"}) {
		t.Fatalf("at the notice time: got %v", got)
	}
	notice := f.ackOf(1)
	for _, want := range []string{"임민수", "031-600-0722", "2026년 11월 27일(금) 14:00", // the deadline
		"2026년 11월 29일(일) 14:00", // expected: one more window
		defaultDelayReason, defaultDelayStatus} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("notice lacks %q:\n%s", want, notice.Text)
		}
	}
	if !strings.HasPrefix(notice.Subject, "[FTA-PASS #1] ") || len(notice.InReplyTo) != 1 || notice.InReplyTo[0] != "d1@x" {
		t.Errorf("notice subject %q, In-Reply-To %v", notice.Subject, notice.InReplyTo)
	}
	f.clock.Add(8*time.Hour + 30*time.Minute)
	if next := f.tick(); !next.IsZero() {
		t.Errorf("next wake after the alert: got %v, want nothing pending", next)
	}
	f.tick()
	want := []string{"ack kim@example.co.kr", "notice kim@example.co.kr", "alert boss@origin.or.kr"}
	if got := f.queued(); !sameList(got, want) {
		t.Fatalf("after the deadline: got %v, want %v", got, want)
	}
	alert := f.ackOf(2)
	for _, want := range []string{"김팀장 님", "[FTA-PASS #1]", "김고객 <kim@example.co.kr>",
		"경과 시간: 30분", "Late by:  30 min",
		// The case itself: the customer's words, the mails, the events.
		"고객이 보낸 내용(최근) ----\n문의드립니다.", "in  inquiry      kim@example.co.kr", "out notice       ", "opened       category fta-pass"} {
		if !strings.Contains(alert.Text, want) {
			t.Errorf("alert lacks %q:\n%s", want, alert.Text)
		}
	}
	if tk := f.ticket(1); tk.OverdueAt == nil || tk.NoticeSentAt == nil {
		t.Errorf("ticket: overdue %v notice sent %v", tk.OverdueAt, tk.NoticeSentAt)
	}
}

func TestLateness(t *testing.T) {
	for _, c := range []struct {
		late   time.Duration
		ko, en string
	}{
		{0, "0분", "0 min"},
		{59 * time.Second, "0분", "0 min"},
		{30 * time.Minute, "30분", "30 min"},
		{2*time.Hour + 5*time.Minute + 40*time.Second, "2시간 5분", "2 h 5 min"},
		{75 * time.Hour, "75시간 0분", "75 h 0 min"},
	} {
		if ko, en := lateKo(c.late), lateEn(c.late); ko != c.ko || en != c.en {
			t.Errorf("%v: got %q / %q, want %q / %q", c.late, ko, en, c.ko, c.en)
		}
	}
}

func TestAnsweredTicketGetsNoNotice(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "a1@x"}.raw())
	ctx := context.Background()
	err := f.store.Write(ctx, func(tx *store.Tx) error {
		tk := must(tx.Ticket(ctx, 1))
		now := f.clock.Now()
		tk.Status, tk.AnsweredAt = store.StatusAnswered, &now
		return tx.UpdateTicket(ctx, tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(72 * time.Hour)
	if next := f.tick(); !next.IsZero() {
		t.Errorf("next wake: got %v, want nothing pending", next)
	}
	if got := f.queued(); len(got) != 1 {
		t.Fatalf("queued: got %v, want the ack only", got)
	}
	// The customer writes again after the answer: a new 48-hour window.
	f.deliver("fta-pass", 1, 2, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의", id: "a2@x",
		headers: []string{"In-Reply-To: <a1@x>"}}.raw())
	tk := f.ticket(1)
	if tk.Status != store.StatusOpen || !tk.DueAt.Equal(f.clock.Now().Add(48*time.Hour)) || tk.NoticeSentAt != nil {
		t.Fatalf("after a follow-up: status %s due %v notice sent %v", tk.Status, tk.DueAt, tk.NoticeSentAt)
	}
	f.clock.Add(40 * time.Hour)
	f.tick()
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "notice kim@example.co.kr"}) {
		t.Fatalf("in the new window: got %v", got)
	}
}

// TestDeferKeepsThePromise: a defer before the deadline tells the customer
// at once (reason, status, the promised and the new date), exactly once;
// nothing goes out at the old notice time or the old deadline; the
// supervisor is alerted when the new date passes unanswered; a date not
// after the deadline is refused (issue 13: the promised time used to pass
// silently and the notice said "later than the promised 05:36 … expected
// 05:36").
func TestDeferKeepsThePromise(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "f1@x"}.raw())
	promised := start.Add(48 * time.Hour)
	f.clock.Add(10 * time.Hour)
	until := start.Add(7 * 24 * time.Hour)
	for _, early := range []time.Time{start, start.Add(24 * time.Hour), promised} {
		if _, err := f.desk.Defer(context.Background(), 1, early, "early", ""); err == nil {
			t.Errorf("defer to %v (deadline %v): got nil error", early, promised)
		}
	}
	if _, err := f.desk.Defer(context.Background(), 1, until, "관세청 유권해석을 기다리고 있습니다.", "관세청에 질의했습니다."); err != nil {
		t.Fatal(err)
	}
	f.tick()
	f.tick()
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "notice kim@example.co.kr"}) {
		t.Fatalf("right after the defer: got %v, want the ack and one notice", got)
	}
	notice := f.ackOf(1)
	for _, want := range []string{"관세청 유권해석을 기다리고 있습니다.", "관세청에 질의했습니다.",
		"2026년 11월 27일(금) 14:00",  // promised
		"2026년 12월 2일(수) 14:00"} { // expected
		if !strings.Contains(notice.Text, want) {
			t.Errorf("notice lacks %q:\n%s", want, notice.Text)
		}
	}
	if tk := f.ticket(1); tk.PromisedAt == nil || !tk.PromisedAt.Equal(promised) {
		t.Errorf("promised deadline: got %v, want %v kept", tk.PromisedAt, promised)
	}
	f.clock.Add(promised.Sub(f.clock.Now()) + time.Minute) // past the old notice time and deadline
	f.tick()
	if got := f.queued(); len(got) != 2 {
		t.Fatalf("after the promised deadline: got %v, want nothing more", got)
	}
	f.clock.Add(until.Sub(f.clock.Now()) + time.Minute)
	f.tick()
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "notice kim@example.co.kr", "alert boss@origin.or.kr"}) {
		t.Fatalf("after the new date: got %v, want the alert", got)
	}
}

// TestDeadlinesCatchUpAfterDowntime: the daemon was down across a notice
// time and a deadline; at start each goes out once, in due order.
func TestDeadlinesCatchUpAfterDowntime(t *testing.T) {
	rs := rulesFrom(t, deadlineRules)
	f := newFixtureWith(t, rs)
	for i, id := range []string{"c1@x", "c2@x", "c3@x"} {
		f.deliver("fta-pass", 1, uint32(i+1), mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의 " + id, id: id}.raw())
		f.clock.Add(time.Hour)
	}
	f.clock.Add(72 * time.Hour) // "down" the whole time
	// A new Desk on the same database, as after a restart.
	d2, err := New(Options{Store: f.store, Rules: rs, Templates: f.desk.templates.Load(), Clock: f.clock,
		Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}}, Logger: f.desk.log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d2.processDeadlines(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.processDeadlines(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.queued()
	notices, alerts := 0, 0
	for _, k := range got {
		switch {
		case strings.HasPrefix(k, "notice"):
			notices++
		case strings.HasPrefix(k, "alert"):
			alerts++
		}
	}
	if notices != 3 || alerts != 3 {
		t.Fatalf("after downtime: got %v, want one notice and one alert per ticket", got)
	}
}

// TestPreviewMatchesIntake: what `maildesk rules test -at` says of a
// complaint received on a Friday evening is what intake then does — the
// 5-day window counted in working hours (40 h, weekends excluded), the
// interim notice 8 working hours before.
func TestPreviewMatchesIntake(t *testing.T) {
	f := newFixture(t)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	at := time.Date(2026, 11, 27, 17, 30, 0, 0, seoul) // Friday
	f.clock.Add(at.Sub(f.clock.Now()))
	raw := mail{from: "choi@example.com", to: "fta-pass@origin.or.kr", subject: "불친절한 응대에 대한 민원", id: "voc1@x",
		body: "상담 직원이 불친절했습니다. 항의합니다.\r\n"}.raw()
	p, err := Preview(context.Background(), PreviewInput{Store: f.store, Rules: f.desk.rules.Load(), Templates: f.desk.templates.Load(),
		Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}}, Location: seoul, Raw: raw, Now: at})
	if err != nil {
		t.Fatal(err)
	}
	wantDue := time.Date(2026, 12, 4, 17, 30, 0, 0, seoul)    // next Friday 17:30
	wantNotice := time.Date(2026, 12, 3, 17, 30, 0, 0, seoul) // 8 working hours before
	if p.Category != "voc" || !p.DueAt.Equal(wantDue) || p.NoticeAt == nil || !p.NoticeAt.Equal(wantNotice) || p.NoticeTmpl != "interim" {
		t.Fatalf("preview: category %s due %v notice %v template %s; want voc, %v, %v, interim",
			p.Category, p.DueAt.In(seoul), p.NoticeAt, p.NoticeTmpl, wantDue, wantNotice)
	}
	f.deliver("fta-pass", 1, 1, raw)
	tk := f.ticket(1)
	if tk.Category != p.Category || !tk.DueAt.Equal(p.DueAt) || !tk.NoticeAt.Equal(*p.NoticeAt) || tk.Handler.ID != p.Handler.ID {
		t.Fatalf("intake: category %s due %v notice %v handler %s; preview said %s %v %v %s",
			tk.Category, tk.DueAt, tk.NoticeAt, tk.Handler.ID, p.Category, p.DueAt, p.NoticeAt, p.Handler.ID)
	}
	// At the notice time the complaint gets the interim notice.
	f.clock.Add(wantNotice.Sub(f.clock.Now()))
	f.tick()
	got := f.queued()
	if len(got) != 2 || !strings.HasPrefix(got[1], "notice choi@example.com") {
		t.Fatalf("queued: got %v, want the ack and the interim notice", got)
	}
	if n := f.ackOf(1); !strings.Contains(n.Text, "민원 처리 중간 통지") {
		t.Errorf("interim notice text:\n%s", n.Text)
	}
}

var weekRules = map[string]string{
	"rules.toml": `
[[handler]]
id = "h"
name = "담당자"
email = "h@origin.or.kr"

[[handler]]
id = "boss"
name = "감독자"
email = "boss@origin.or.kr"

[[category]]
id = "cal"
name = "달력 시간"
tag = "CAL"
window = "48h"
clock = "calendar"
notice_before = "8h"
supervisor = "boss"

[[category]]
id = "biz"
name = "근무일"
tag = "BIZ"
window = "48h"
clock = "business-days"
notice_before = "8h"
supervisor = "boss"

[[category]]
id = "work"
name = "근무 시간"
tag = "WORK"
window = "5d"
clock = "working-hours"
notice_before = "1d"
supervisor = "boss"

[[mailbox]]
name = "fta-pass"
category = "cal"
handler = "h"

[[mailbox]]
name = "qualification"
category = "biz"
handler = "h"

[[mailbox]]
name = "education"
category = "work"
handler = "h"
`,
}

// TestSimulatedWeek: inquiries on a Friday evening, in working hours, and
// on the eve of Chuseok 2026, on each clock. The test clock jumps from one
// due time to the next as the scheduler reports them, checking a second
// before each that nothing is early; each notice and alert must be queued
// exactly at its time, once, and none for the ticket answered in between.
func TestSimulatedWeek(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	f := newFixtureWith(t, rulesFrom(t, weekRules))
	ctx := context.Background()
	arrivals := []time.Time{
		time.Date(2026, 9, 18, 19, 0, 0, 0, seoul), // Friday evening
		time.Date(2026, 9, 21, 11, 0, 0, 0, seoul), // Monday, working hours
		time.Date(2026, 9, 23, 10, 0, 0, 0, seoul), // Wednesday, the eve of Chuseok (24-26)
	}
	mboxes := []string{"fta-pass", "qualification", "education"}
	const answered = 5 // business days, Monday: answered at once
	type want struct{ due, notice time.Time }
	expected := map[int64]want{}
	noticed, alerted := map[int64]time.Time{}, map[int64]time.Time{}
	seen := map[int64]bool{}
	record := func() int {
		n := 0
		f.store.Read(ctx, func(tx *store.Tx) error {
			for id := range expected {
				for _, m := range must(tx.Messages(ctx, id)) {
					if m.Direction != store.Out || seen[m.ID] || (m.Kind != KindNotice && m.Kind != KindAlert) {
						continue
					}
					seen[m.ID] = true
					n++
					rec := noticed
					if m.Kind == KindAlert {
						rec = alerted
					}
					if _, dup := rec[id]; dup {
						t.Errorf("ticket %d: a second %s at %v", id, m.Kind, f.clock.Now().In(seoul))
					}
					rec[id] = f.clock.Now()
				}
			}
			return nil
		})
		return n
	}
	moveTo := func(at time.Time) { f.clock.Add(at.Sub(f.clock.Now())) }

	uid := uint32(0)
	next := time.Time{}
	for _, at := range arrivals {
		// Run the clock up to this arrival.
		for !next.IsZero() && next.Before(at) {
			moveTo(next.Add(-time.Second))
			f.tick()
			if n := record(); n > 0 {
				t.Errorf("%d mails queued a second before their time %v", n, next.In(seoul))
			}
			moveTo(next)
			next = f.tick()
			record()
		}
		moveTo(at)
		for _, mb := range mboxes {
			uid++
			f.deliver(mb, 1, uid, mail{from: "kim@example.co.kr", to: mb + "@origin.or.kr", subject: "문의 " + at.Format("01-02") + " " + mb,
				id: fmt.Sprintf("w%d@x", uid)}.raw())
			tk := f.ticket(int64(uid))
			expected[tk.ID] = want{*tk.DueAt, *tk.NoticeAt}
			if tk.ID == answered {
				err := f.store.Write(ctx, func(tx *store.Tx) error {
					now := f.clock.Now()
					tk.Status, tk.AnsweredAt = store.StatusAnswered, &now
					return tx.UpdateTicket(ctx, tk)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		next = f.tick()
		record()
	}
	for !next.IsZero() {
		moveTo(next.Add(-time.Second))
		f.tick()
		if n := record(); n > 0 {
			t.Errorf("%d mails queued a second before their time %v", n, next.In(seoul))
		}
		moveTo(next)
		next = f.tick()
		record()
	}

	// The hand-counted deadlines.
	for _, c := range []struct {
		id  int64
		due time.Time
	}{
		{1, time.Date(2026, 9, 20, 19, 0, 0, 0, seoul)}, // calendar: Sunday 19:00
		{2, time.Date(2026, 9, 22, 19, 0, 0, 0, seoul)}, // business days: Fri 5 h, Mon 24 h, Tue 19 h
		{3, time.Date(2026, 9, 29, 18, 0, 0, 0, seoul)}, // working hours: Mon-Wed, Chuseok and the weekend skipped, Mon 28, Tue 29
		{8, time.Date(2026, 9, 29, 10, 0, 0, 0, seoul)}, // business days across Chuseok (the example)
	} {
		if got := expected[c.id].due; !got.Equal(c.due) {
			t.Errorf("ticket %d due: got %v, want %v", c.id, got.In(seoul), c.due)
		}
	}
	for id, w := range expected {
		if id == answered {
			if _, ok := noticed[id]; ok {
				t.Errorf("ticket %d was answered but got a notice", id)
			}
			if _, ok := alerted[id]; ok {
				t.Errorf("ticket %d was answered but got an alert", id)
			}
			continue
		}
		if got := noticed[id]; !got.Equal(w.notice) {
			t.Errorf("ticket %d notice: queued %v, due %v", id, got.In(seoul), w.notice.In(seoul))
		}
		if got := alerted[id]; !got.Equal(w.due) {
			t.Errorf("ticket %d alert: queued %v, deadline %v", id, got.In(seoul), w.due.In(seoul))
		}
	}
	if len(noticed) != len(expected)-1 || len(alerted) != len(expected)-1 {
		t.Errorf("notices %d, alerts %d; want %d each", len(noticed), len(alerted), len(expected)-1)
	}
}

// TestIntakeWakesTheDeadlineClock: a new ticket (or a reopened one) brings
// a deadline that may come before the one the clock is sleeping towards, so
// intake must wake the clock once its transaction has committed; otherwise
// a short window's delay notice goes out late, up to the clock's longest
// sleep. The demo showed that: a 60 s window's notice, due after 20 s, went
// out after 58 s.
func TestIntakeWakesTheDeadlineClock(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	drain := func() {
		for {
			select {
			case <-f.desk.deadlineKick:
			default:
				return
			}
		}
	}
	woken := func() bool {
		select {
		case <-f.desk.deadlineKick:
			return true
		default:
			return false
		}
	}
	drain()
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "w1@x"}.raw())
	if !woken() {
		t.Fatal("a new ticket did not wake the deadline clock")
	}
	ctx := context.Background()
	err := f.store.Write(ctx, func(tx *store.Tx) error {
		tk := must(tx.Ticket(ctx, 1))
		now := f.clock.Now()
		tk.Status, tk.AnsweredAt = store.StatusAnswered, &now
		return tx.UpdateTicket(ctx, tk)
	})
	if err != nil {
		t.Fatal(err)
	}
	drain()
	f.deliver("fta-pass", 1, 2, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의", id: "w2@x",
		headers: []string{"In-Reply-To: <w1@x>"}}.raw())
	if !woken() {
		t.Fatal("a follow-up that reopened the ticket did not wake the deadline clock")
	}
	drain()
	f.deliver("fta-pass", 1, 2, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의", id: "w2@x",
		headers: []string{"In-Reply-To: <w1@x>"}}.raw())
	if woken() {
		t.Error("the same message fetched again woke the deadline clock: nothing changed")
	}
}
