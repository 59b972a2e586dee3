package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// TestAbsenceFollowUpReachesTheDelegate: a ticket opened before its
// handler went away stays theirs, but the customer's follow-up during the
// absence is also told to the delegate, whose reply, with the delegate's
// own token, answers the customer.
func TestAbsenceFollowUpReachesTheDelegate(t *testing.T) {
	s := newStack(t)
	st := s.db()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "원산지 문의", "ab1@example.co.kr", "문의드립니다.\r\n"))
	ack, _ := message.Parse(s.waitCaptured(1)[0].Raw)
	s.waitFor(st, "the ticket", func(sn snapshot) bool { return len(sn.tickets) == 1 && len(sn.staff) == 1 })
	d.stop()

	// mslim is away from today for a week; kioi takes over.
	s.addAbsence(7)
	d = startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))

	s.send("kim@example.co.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "Re: "+ack.Subject, "ab2@example.co.kr",
			"추가로 여쭙니다.\r\n", "In-Reply-To: <"+ack.MessageID+">"))
	var toDelegate *message.Message
	maildesktest.WaitUntil(t, "the follow-up's notice to the delegate", func() bool {
		for _, c := range s.staffNotices() {
			if m, _ := message.Parse(c.Raw); len(c.To) == 1 && c.To[0] == "kioi@origin.or.kr" && strings.Contains(m.Text, "추가로 여쭙니다.") {
				toDelegate = m
				return true
			}
		}
		return false
	})
	handlerCopies := 0
	for _, c := range s.staffNotices() {
		if m, _ := message.Parse(c.Raw); len(c.To) == 1 && c.To[0] == "mslim@origin.or.kr" && strings.Contains(m.Text, "추가로 여쭙니다.") {
			handlerCopies++
		}
	}
	if handlerCopies != 1 {
		t.Errorf("the absent handler got %d copies of the follow-up's notice, want 1 (for when they are back)", handlerCopies)
	}

	// The delegate answers with their own token.
	s.send("kioi@origin.or.kr", []string{"fta-pass@origin.or.kr"},
		maildesktest.Inquiry("김대리 <kioi@origin.or.kr>", toDelegate.ReplyTo[0].Addr, "RE: "+toDelegate.Subject, "ab-answer@origin.or.kr",
			"대신 답변드립니다. 발급 메뉴에서 신청하시면 됩니다.\r\n", "In-Reply-To: <"+toDelegate.MessageID+">"))
	answers := s.waitCaptured(2)
	answer, _ := message.Parse(answers[1].Raw)
	if answers[1].To[0] != "kim@example.co.kr" || !strings.HasPrefix(answer.Text, "대신 답변드립니다.") {
		t.Fatalf("the delegate's answer: to %v:\n%s", answers[1].To, answer.Text)
	}
	snap := s.waitFor(st, "ticket answered", func(sn snapshot) bool {
		return len(sn.tickets) == 1 && sn.tickets[0].Status == store.StatusAnswered
	})
	if n := maildesktest.CountKind(snap.messages[snap.tickets[0].ID], desk.KindStaffReply); n != 1 {
		t.Errorf("staff replies stored: %d, want 1", n)
	}
	for _, c := range s.staffNotices() {
		if m, _ := message.Parse(c.Raw); strings.Contains(m.Subject, "Unverified mail from your address") {
			t.Errorf("a spoof warning was sent to %v: %s", c.To, m.Subject)
		}
	}
}

// addAbsence gives handler mslim in the stack's rules an absence from
// today (in Seoul) for days more days, with kioi as the delegate.
func (s *stack) addAbsence(days int) time.Time {
	s.t.Helper()
	seoul, _ := time.LoadLocation("Asia/Seoul")
	today := time.Now().In(seoul)
	path := filepath.Join(s.dir, "rules", "handlers.toml")
	rulesText, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatal(err)
	}
	away := fmt.Sprintf("[[handler.absence]]\nfrom = %s\nto = %s\ndelegate = \"kioi\"\n\n[[handler]]\nid = \"bslee\"",
		today.Format("2006-01-02"), today.AddDate(0, 0, days).Format("2006-01-02"))
	edited := strings.Replace(string(rulesText), "[[handler]]\nid = \"bslee\"", away, 1)
	if edited == string(rulesText) {
		s.t.Fatal("handlers.toml: the bslee table to insert the absence before is not there")
	}
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return today
}
