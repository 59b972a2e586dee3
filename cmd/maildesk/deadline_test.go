package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
)

// testClock is moved by the test; the daemon's loops are woken after each
// move, as they would be by the passing of real time.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) advance(d time.Duration, dk *desk.Desk) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	dk.Wake()
}

const shortWindowRules = `
[[handler]]
id = "mslim"
name = "임민수"
department = "FTA-PASS 운영팀"
phone = "031-600-0722"
email = "mslim@origin.or.kr"

[[handler]]
id = "kioi"
name = "김감독"
department = "고객지원팀"
email = "kioi@origin.or.kr"

[[category]]
id = "fta-pass"
name = "FTA-PASS 문의"
name_en = "FTA-PASS inquiry"
tag = "FTA-PASS"
window = "60s"
clock = "calendar"
notice_before = "40s"
supervisor = "kioi"

[[mailbox]]
name = "fta-pass"
category = "fta-pass"
handler = "mslim"
`

// TestDovecotDeadlines: a category whose window is 60 s with the notice 40 s
// before. Delivered into Dovecot, the inquiry is acknowledged; 20 s later the
// customer gets the delay notice with reason, status and expected date; once
// the window passes the supervisor gets the alert. Time is the test's clock.
func TestDovecotDeadlines(t *testing.T) {
	t.Run("unanswered", func(t *testing.T) { dovecotDeadlines(t, "unanswered") })
	t.Run("answered", func(t *testing.T) { dovecotDeadlines(t, "answered") })
	t.Run("deferred", func(t *testing.T) { dovecotDeadlines(t, "deferred") })
}

func dovecotDeadlines(t *testing.T, mode string) {
	maildesktest.NeedDovecot(t)
	dir := t.TempDir()
	all, err := exampleMailboxes(dir)
	if err != nil {
		t.Fatal(err)
	}
	var mboxes []config.Mailbox
	for _, m := range all {
		if m.Name == "fta-pass" {
			mboxes = append(mboxes, m)
		}
	}
	os.RemoveAll(filepath.Join(dir, "rules"))
	os.MkdirAll(filepath.Join(dir, "rules"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "rules", "rules.toml"), []byte(shortWindowRules), 0o644); err != nil {
		t.Fatal(err)
	}
	dv := startDovecot(t, names(mboxes))
	sys, err := localmail.Start(localmail.Options{IMAPAddr: "127.0.0.1:0", SMTPAddr: "127.0.0.1:0", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close()
	cfg, err := writeDemoConfig(dir, dv.Addr(), sys.SMTPAddr(), mboxes)
	if err != nil {
		t.Fatal(err)
	}
	engineConfig(t, cfg)
	s := &stack{t: t, dir: dir, mail: sys, configPath: cfg, mboxes: mboxes}

	clock := &testClock{t: time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)} // Wed 14:00 KST
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *desk.Desk, 1)
	errc := make(chan error, 1)
	passes := make(chan struct{}, 100)
	go func() {
		errc <- runDaemon(ctx, cfg, daemonOptions{log: testLogger(t), clock: clock, ready: func(d *desk.Desk) { ready <- d },
			deadlinePass: func() {
				select {
				case passes <- struct{}{}:
				default:
				}
			}})
	}()
	dk := <-ready
	// settle waits for a pass of the deadline clock that began after now.
	settle := func() {
		for len(passes) > 0 {
			<-passes
		}
		dk.Wake()
		select {
		case <-passes:
		case <-time.After(maildesktest.WaitLimit):
			t.Fatal("the deadline clock did not run")
		}
	}

	dv.deliver(t, "fta-pass", "kim@example.co.kr", maildesktest.Inquiry("=?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>", "fta-pass@origin.or.kr",
		"=?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?=", "dl1@example.co.kr", "원산지 문의입니다.\r\n"))
	caps := s.waitCaptured(1)
	checkAck(t, caps[0], "kim@example.co.kr", "dl1@example.co.kr", "[FTA-PASS #1]", "031-600-0722")

	if mode == "deferred" {
		deferredDeadline(t, s, dv, clock, dk, settle)
		cancel()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		return
	}
	if mode == "answered" {
		// The handler answers within the window: no notice, no alert.
		notice := firstStaffNotice(t, s)
		dv.deliver(t, "fta-pass", "mslim@origin.or.kr", maildesktest.Inquiry("mslim@origin.or.kr", notice.ReplyTo[0].Addr, "RE: "+notice.Subject,
			"dl-answer@origin.or.kr", "답변드립니다.\r\n", "In-Reply-To: <"+notice.MessageID+">"))
		s.waitCaptured(2)
		s.waitFor(s.db(), "answered", func(sn snapshot) bool { return sn.tickets[0].Status == "answered" })
		for _, step := range []time.Duration{20 * time.Second, 40 * time.Second, 24 * time.Hour} {
			clock.advance(step, dk)
			settle()
		}
		snap := s.waitFor(s.db(), "outbox drained", func(sn snapshot) bool {
			for _, o := range sn.outbox {
				if o.State != "sent" {
					return false
				}
			}
			return true
		})
		if got := s.captured(); len(got) != 2 || len(snap.outbox) != 2 {
			t.Fatalf("after the answer: %d mails sent, %d queued; want the ack and the answer only", len(got), len(snap.outbox))
		}
		if tk := snap.tickets[0]; tk.NoticeSentAt != nil || tk.OverdueAt != nil {
			t.Errorf("answered ticket: notice sent %v, overdue %v", tk.NoticeSentAt, tk.OverdueAt)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		return
	}

	clock.advance(19*time.Second, dk)
	clock.advance(time.Second, dk) // 20 s: the notice time
	caps = s.waitCaptured(2)
	notice, err := message.Parse(caps[1].Raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("delay notice as the customer received it:\n%s", caps[1].Raw[:headerEnd(caps[1].Raw)])
	t.Logf("delay notice text:\n%s", notice.Text)
	if caps[1].To[0] != "kim@example.co.kr" || !strings.HasPrefix(notice.Subject, "[FTA-PASS #1] ") || notice.InReplyTo[0] != "dl1@example.co.kr" {
		t.Errorf("notice: to %v subject %q in-reply-to %v", caps[1].To, notice.Subject, notice.InReplyTo)
	}
	for _, want := range []string{"지연 사유", "현재 처리 상황", "처리 예정일: 2026년 11월 25일(수) 14:02", "임민수", "031-600-0722"} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("notice lacks %q", want)
		}
	}

	clock.advance(40*time.Second, dk) // 60 s: the deadline
	caps = s.waitCaptured(3)
	alert, err := message.Parse(caps[2].Raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alert as the supervisor received it:\n%s", caps[2].Raw[:headerEnd(caps[2].Raw)])
	t.Logf("alert text:\n%s", alert.Text)
	if caps[2].To[0] != "kioi@origin.or.kr" || !strings.Contains(alert.Text, "김감독 님") || !strings.Contains(alert.Text, "[FTA-PASS #1]") {
		t.Errorf("alert: to %v text:\n%s", caps[2].To, alert.Text)
	}

	// Nothing more, however long we wait: the ticket records both.
	clock.advance(24*time.Hour, dk)
	snap := s.waitFor(s.db(), "three mails delivered", func(sn snapshot) bool {
		return len(sn.outbox) == 3 && sn.outbox[2].State == "sent"
	})
	if tk := snap.tickets[0]; tk.NoticeSentAt == nil || tk.OverdueAt == nil {
		t.Errorf("ticket: notice sent %v, overdue %v", tk.NoticeSentAt, tk.OverdueAt)
	}
	if got := len(s.captured()); got != 3 {
		t.Fatalf("mails sent: got %d, want 3 (ack, notice, alert)", got)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// deferredDeadline: the handler's #defer with a date that has passed is
// refused in a "not processed" mail; the handler answers that mail with
// the right date, which runs (its token is good: no spoof warning); the
// customer gets one delay notice at once with the promised and the new
// date, nothing at the old deadline, and the supervisor's alert comes
// when the new date passes.
func deferredDeadline(t *testing.T, s *stack, dv *dovecotInstance, clock *testClock, dk *desk.Desk, settle func()) {
	notice := firstStaffNotice(t, s)
	dv.deliver(t, "fta-pass", "mslim@origin.or.kr", maildesktest.Inquiry("mslim@origin.or.kr", notice.ReplyTo[0].Addr, "RE: "+notice.Subject,
		"dl-defer1@origin.or.kr", "#defer 2026-11-20 관세청 질의 중\r\n", "In-Reply-To: <"+notice.MessageID+">"))
	var refused *message.Message
	maildesktest.WaitUntil(t, "the not-processed mail", func() bool {
		for _, c := range s.staffNotices() {
			if m, _ := message.Parse(c.Raw); m != nil && strings.Contains(m.Subject, "Not processed") {
				refused = m
				return true
			}
		}
		return false
	})
	if len(refused.ReplyTo) != 1 || !strings.HasPrefix(refused.ReplyTo[0].Addr, "fta-pass+t1.") {
		t.Fatalf("the not-processed mail carries no token: Reply-To %v", refused.ReplyTo)
	}
	dv.deliver(t, "fta-pass", "mslim@origin.or.kr", maildesktest.Inquiry("mslim@origin.or.kr", refused.ReplyTo[0].Addr, "RE: "+refused.Subject,
		"dl-defer2@origin.or.kr", "#defer 2026-11-27 관세청 질의 중\r\n", "In-Reply-To: <"+refused.MessageID+">"))
	caps := s.waitCaptured(2)
	n, err := message.Parse(caps[1].Raw)
	if err != nil {
		t.Fatal(err)
	}
	if n.Header.Get("X-Maildesk-Kind") != desk.KindNotice || caps[1].To[0] != "kim@example.co.kr" {
		t.Fatalf("after the #defer: sent %s to %v, want the delay notice to the customer", n.Header.Get("X-Maildesk-Kind"), caps[1].To)
	}
	for _, want := range []string{"2026년 11월 25일(수) 14:01", "처리 예정일: 2026년 11월 27일(금) 18:00", "관세청 질의 중"} {
		if !strings.Contains(n.Text, want) {
			t.Errorf("delay notice lacks %q:\n%s", want, n.Text)
		}
	}
	for _, c := range s.staffNotices() {
		if m, _ := message.Parse(c.Raw); m != nil && strings.Contains(m.Subject, "사칭") {
			t.Errorf("a spoof warning for the corrected reply: %s", m.Subject)
		}
	}
	for _, step := range []time.Duration{20 * time.Second, 41 * time.Second, time.Hour} {
		clock.advance(step, dk) // the old notice time, the old deadline
		settle()
	}
	if got := len(s.captured()); got != 2 {
		t.Fatalf("after the promised deadline: %d mails to customers and supervisors, want the ack and the notice", got)
	}
	clock.advance(2*24*time.Hour+5*time.Hour, dk) // past 2026-11-27 18:00 KST
	caps = s.waitCaptured(3)
	if a, _ := message.Parse(caps[2].Raw); a == nil || a.Header.Get("X-Maildesk-Kind") != desk.KindAlert || caps[2].To[0] != "kioi@origin.or.kr" {
		t.Fatalf("after the new date: got %v to %v, want the alert to the supervisor", a.Header.Get("X-Maildesk-Kind"), caps[2].To)
	}
}

// firstStaffNotice waits for the first handler's notice and parses it.
func firstStaffNotice(t *testing.T, s *stack) *message.Message {
	t.Helper()
	var notice *message.Message
	maildesktest.WaitUntil(t, "the handler's notice", func() bool {
		for _, c := range s.staffNotices() {
			notice, _ = message.Parse(c.Raw)
			return notice != nil
		}
		return false
	})
	return notice
}

func headerEnd(raw []byte) int {
	if i := strings.Index(string(raw), "\r\n\r\n"); i >= 0 {
		return i
	}
	return len(raw)
}
