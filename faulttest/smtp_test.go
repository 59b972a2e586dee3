package faulttest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestSMTPTrouble: the relay answers 4xx for a while, across a restart of
// the daemon, then accepts; one recipient is refused with 5xx. Every queued
// mail is delivered exactly once in the end, the refused one is recorded as
// failed on its ticket, and nothing queued is lost.
func TestSMTPTrouble(t *testing.T) {
	needDovecot(t)
	dv := startDovecot(t, mailboxNames)
	sk := startSink(t)
	const refused = "nobody@example.com"
	sk.set(func(s *sink) {
		s.tempFail = true
		s.reject[refused] = true
	})
	e := newEnv(t, dv.Addr(), sk.addr)
	p := e.startReady(t)

	customers := []string{"ok1@example.com", "ok2@example.com", "ok3@example.com", refused}
	var convs []conversation
	for i, c := range customers {
		id := fmt.Sprintf("smtp%d@example.com", i+1)
		if err := dv.Deliver("fta-pass", c, maildesktest.Inquiry(c, "fta-pass@origin.or.kr", "문의 "+c, id, "문의입니다.\r\n")); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, conversation{customer: c, ids: []string{id}})
	}
	// Every queued mail tried once and deferred.
	db := e.rawDB(t, true)
	pr := e.waitProgress(t, "every delivery deferred once", func(pr progress) bool {
		if pr.cursors["fta-pass"] != len(customers) || pr.queued == 0 {
			return false
		}
		var untried int
		if err := db.QueryRow(`SELECT count(*) FROM outbox WHERE state = 'queued' AND (attempts = 0 OR last_error = '')`).Scan(&untried); err != nil {
			return false
		}
		return untried == 0
	})
	queued := pr.queued
	if got := len(sk.mails()); got != 0 {
		t.Fatalf("mails accepted while the relay answers 4xx: got %d, want 0", got)
	}
	p.stop(t)
	after, err := e.progress(t)
	if err != nil || after.queued != queued {
		t.Fatalf("queued after a clean restart: got %d (%v), want %d", after.queued, err, queued)
	}

	// The relay is back; the retry time is moved to now instead of waiting
	// for the real backoff.
	sk.set(func(s *sink) { s.tempFail = false })
	e.advanceRetries(t)
	p = e.startReady(t)
	e.waitProgress(t, "the outbox drained", func(pr progress) bool { return pr.queued == 0 })
	p.stop(t)

	s := e.snapshot(t)
	checkStoredOnce(t, s, convs)
	dups := sinkDuplicates(t, sk, s)
	if dups != 0 {
		t.Errorf("duplicates after 4xx and a clean restart: got %d, want 0", dups)
	}
	if len(s.failed) != 1 || len(s.failed[0].To) != 1 || s.failed[0].To[0] != refused {
		var to [][]string
		for _, d := range s.failed {
			to = append(to, d.To)
		}
		t.Fatalf("failed deliveries: got %v, want one to %s", to, refused)
	}
	if !strings.Contains(s.failed[0].LastError, "550") {
		t.Errorf("failed delivery's error: got %q, want the 550 reply", s.failed[0].LastError)
	}
	tid := s.failed[0].TicketID
	var kinds []string
	failedEvent := false
	for _, ev := range s.events[tid] {
		kinds = append(kinds, ev.Kind)
		failedEvent = failedEvent || ev.Kind == "send-failed"
	}
	if !failedEvent {
		t.Errorf("ticket %d events: got %v, want a send-failed event", tid, kinds)
	}
	sk.mu.Lock()
	tempFails := sk.tempFails
	sk.mu.Unlock()
	t.Logf("SMTP trouble: %d mails queued, %d answered 451 (deferred, kept across a restart), then %d sent once each, "+
		"%d refused with 550 and recorded on ticket %d (events %v)", queued, tempFails, len(s.sent), len(s.failed), tid, kinds)

	// Issue 7 also asks that the handler is told of a permanent failure.
	t.Run("handler told", func(t *testing.T) {
		staff := maildesktest.CountKind(s.messages[tid], desk.KindStaffNotice)
		for _, m := range s.messages[tid] {
			if m.Direction == store.Out && m.Kind == desk.KindStaffNotice && m.CreatedAt.After(s.failed[0].CreatedAt) {
				return
			}
		}
		t.Errorf("a permanent delivery failure is recorded on ticket %d but the handler is not told "+
			"(%d staff notice(s) on the ticket, all from intake)", tid, staff)
	})
}
