package desk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kioi/maildesk/mailbox"
	"github.com/kioi/maildesk/store"
)

// deliverBatch hands raws to DeliverBatch as UIDs first, first+1, …
func (f *fixture) deliverBatch(mbox string, uv, first uint32, raws ...[]byte) (int, error) {
	f.t.Helper()
	msgs := make([]mailbox.Fetched, len(raws))
	for i, raw := range raws {
		msgs[i] = mailbox.Fetched{UID: first + uint32(i), Raw: raw}
	}
	return f.desk.DeliverBatch(context.Background(), mbox, uv, msgs)
}

// stored tells which of the UIDs 1..max of mbox (UIDVALIDITY 1) are stored,
// and how many received messages the database holds in all: each UID
// stored once when the two agree.
func (f *fixture) stored(mbox string, max uint32) (uids []uint32, inbound int) {
	f.t.Helper()
	ctx := context.Background()
	err := f.store.Read(ctx, func(tx *store.Tx) error {
		for uid := uint32(1); uid <= max; uid++ {
			_, err := tx.MessageByUID(ctx, mbox, 1, uid)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			uids = append(uids, uid)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, ms := range f.state(mbox).messages {
		for _, m := range ms {
			if m.Direction == store.In {
				inbound++
			}
		}
	}
	return uids, inbound
}

func setIntakeFault(t *testing.T, fn func(uid uint32) error) {
	t.Helper()
	intakeFault = fn
	t.Cleanup(func() { intakeFault = nil })
}

// TestBatchThreadsWithinTheBatch: two mails of one new conversation in one
// batch make one ticket, because the reply sees the inquiry's Message-ID
// inside the batch's transaction; a third sender's mail opens its own.
func TestBatchThreadsWithinTheBatch(t *testing.T) {
	f := newFixture(t)
	n, err := f.deliverBatch("fta-pass", 1, 1,
		mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "b1@x"}.raw(),
		mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "다른 문의", id: "b2@x"}.raw(),
		mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 원산지 문의", id: "b3@x",
			headers: []string{"In-Reply-To: <b1@x>", "References: <b1@x>"}, body: "추가로 여쭙니다.\r\n"}.raw(),
	)
	if err != nil || n != 3 {
		t.Fatalf("DeliverBatch: got %d, %v; want 3, nil", n, err)
	}
	s := f.state("fta-pass")
	if len(s.tickets) != 2 {
		t.Fatalf("tickets: got %d, want 2 (the reply threads into the first)", len(s.tickets))
	}
	kinds := map[string]string{}
	for _, ms := range s.messages {
		for _, m := range ms {
			if m.Direction == store.In {
				kinds[m.MessageID] = fmt.Sprintf("%s on %d", m.Kind, m.TicketID)
			}
		}
	}
	want := map[string]string{"b1@x": "inquiry on 1", "b2@x": "inquiry on 2", "b3@x": "followup on 1"}
	for id, w := range want {
		if kinds[id] != w {
			t.Errorf("%s: got %q, want %q", id, kinds[id], w)
		}
	}
	if len(s.outbox) != 2 {
		t.Errorf("acks: got %d, want 2 (none for the follow-up)", len(s.outbox))
	}
	if s.cursor.LastUID != 3 {
		t.Errorf("cursor: got %+v, want at UID 3", s.cursor)
	}
}

// TestBatchQuarantinesOnlyTheBadMail: a mail that cannot be parsed in the
// middle of a batch is quarantined on its own; the mail around it is taken
// in as usual and the cursor passes all of them.
func TestBatchQuarantinesOnlyTheBadMail(t *testing.T) {
	f := newFixture(t)
	bad := []byte("From: park@example.co.kr\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n")
	n, err := f.deliverBatch("fta-pass", 1, 1,
		mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의 하나", id: "q1@x"}.raw(),
		bad,
		mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의 둘", id: "q3@x"}.raw(),
	)
	if err != nil || n != 3 {
		t.Fatalf("DeliverBatch: got %d, %v; want 3, nil", n, err)
	}
	s := f.state("fta-pass")
	var statuses []string
	for _, tk := range s.tickets {
		statuses = append(statuses, string(tk.Status))
	}
	if got := strings.Join(statuses, ","); got != "open,quarantined,open" {
		t.Errorf("ticket statuses: got %s, want open,quarantined,open", got)
	}
	q := s.messages[s.tickets[1].ID]
	if len(q) == 0 || q[0].Kind != KindQuarantined || q[0].Quarantine == "" {
		t.Errorf("the quarantined ticket's mail: got %+v, want the bad mail quarantined with a reason", q)
	}
	if uids, in := f.stored("fta-pass", 10); fmt.Sprint(uids) != "[1 2 3]" || in != 3 {
		t.Errorf("stored UIDs: got %v (%d received messages), want [1 2 3] (3)", uids, in)
	}
	if s.cursor.LastUID != 3 {
		t.Errorf("cursor: got %+v, want at UID 3", s.cursor)
	}
}

// TestBatchAckRateLimit: the acknowledgement rate limit counts the acks
// queued earlier in the same batch.
func TestBatchAckRateLimit(t *testing.T) {
	f := newFixture(t)
	var raws [][]byte
	for i := 1; i <= 6; i++ {
		raws = append(raws, mail{from: "loop@example.com", to: "fta-pass@origin.or.kr",
			subject: fmt.Sprintf("문의 %d", i), id: fmt.Sprintf("rl%d@x", i)}.raw())
	}
	if n, err := f.deliverBatch("fta-pass", 1, 1, raws...); err != nil || n != 6 {
		t.Fatalf("DeliverBatch: got %d, %v; want 6, nil", n, err)
	}
	if s := f.state("fta-pass"); len(s.tickets) != 6 || len(s.outbox) != DefaultAckLimit {
		t.Fatalf("got %d tickets, %d acks; want 6 and %d", len(s.tickets), len(s.outbox), DefaultAckLimit)
	}
}

// TestBatchDedupe: the same mail under two UIDs of one batch is stored
// once; the whole batch fetched again (a crash after the commit, before
// \Seen) changes nothing.
func TestBatchDedupe(t *testing.T) {
	f := newFixture(t)
	a := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "d1@x"}.raw()
	b := mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "d2@x"}.raw()
	for round := 1; round <= 2; round++ {
		if n, err := f.deliverBatch("fta-pass", 1, 1, a, b, a); err != nil || n != 3 {
			t.Fatalf("round %d: DeliverBatch: got %d, %v; want 3, nil", round, n, err)
		}
		s := f.state("fta-pass")
		if len(s.tickets) != 2 || len(s.outbox) != 2 || s.cursor.LastUID != 3 {
			t.Fatalf("round %d: got %d tickets, %d acks, cursor %+v; want 2, 2, at UID 3", round, len(s.tickets), len(s.outbox), s.cursor)
		}
	}
}

// TestBatchCrashBeforeCommit: a batch cut short inside its transaction
// (here by cancellation, as a shutdown or a crash would) leaves nothing of
// it: no message, no ticket, no queued mail, the cursor where it was.
// Fetched again, every message is taken in once.
func TestBatchCrashBeforeCommit(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "c1@x"}.raw())
	batch := [][]byte{
		mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의", id: "c2@x", headers: []string{"In-Reply-To: <c1@x>"}}.raw(),
		mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "새 문의", id: "c3@x"}.raw(),
		mail{from: "choi@example.co.kr", to: "fta-pass@origin.or.kr", subject: "또 문의", id: "c4@x"}.raw(),
	}
	before := f.state("fta-pass")

	ctx, cancel := context.WithCancel(context.Background())
	setIntakeFault(t, func(uid uint32) error {
		if uid == 4 {
			// Mid-batch: UIDs 2 and 3 are written in the transaction but
			// not committed; a reader must not see them.
			uids, _ := f.stored("fta-pass", 10)
			if s := f.state("fta-pass"); fmt.Sprint(uids) != "[1]" || s.cursor.LastUID != 1 {
				t.Errorf("mid-batch, a reader sees UIDs %v, cursor %+v; want only UID 1", uids, s.cursor)
			}
			cancel()
			return ctx.Err()
		}
		return nil
	})
	msgs := []mailbox.Fetched{{UID: 2, Raw: batch[0]}, {UID: 3, Raw: batch[1]}, {UID: 4, Raw: batch[2]}}
	n, err := f.desk.DeliverBatch(ctx, "fta-pass", 1, msgs)
	if err == nil || n != 0 {
		t.Fatalf("DeliverBatch cut short: got %d, %v; want 0 and an error", n, err)
	}
	after := f.state("fta-pass")
	uids, _ := f.stored("fta-pass", 10)
	if len(after.tickets) != len(before.tickets) || len(after.outbox) != len(before.outbox) ||
		len(after.staff) != len(before.staff) || fmt.Sprint(uids) != "[1]" || after.cursor != before.cursor {
		t.Fatalf("after the cut: %d tickets, %d acks, %d notices, UIDs %v, cursor %+v; want as before: %d, %d, %d, [1], %+v",
			len(after.tickets), len(after.outbox), len(after.staff), uids, after.cursor,
			len(before.tickets), len(before.outbox), len(before.staff), before.cursor)
	}

	intakeFault = nil
	if n, err := f.deliverBatch("fta-pass", 1, 2, batch...); err != nil || n != 3 {
		t.Fatalf("fetched again: got %d, %v; want 3, nil", n, err)
	}
	s := f.state("fta-pass")
	if uids, in := f.stored("fta-pass", 10); fmt.Sprint(uids) != "[1 2 3 4]" || in != 4 {
		t.Errorf("stored UIDs: got %v (%d received messages), want [1 2 3 4] (4)", uids, in)
	}
	if len(s.tickets) != 3 || len(s.outbox) != 3 || s.cursor.LastUID != 4 {
		t.Errorf("got %d tickets, %d acks, cursor %+v; want 3, 3, at UID 4", len(s.tickets), len(s.outbox), s.cursor)
	}
}

// TestBatchStoreErrorSkipsNothing: a message whose intake fails for good
// (a store error) rolls the batch back; the messages before it are then
// taken in one by one, and neither it nor anything after it is skipped:
// the cursor stops before it and DeliverBatch says how many went in. A
// failure that passes is retried at once, one by one, and all go in.
func TestBatchStoreErrorSkipsNothing(t *testing.T) {
	f := newFixture(t)
	var raws [][]byte
	for i := 1; i <= 5; i++ {
		raws = append(raws, mail{from: fmt.Sprintf("c%d@example.com", i), to: "fta-pass@origin.or.kr",
			subject: "문의", id: fmt.Sprintf("e%d@x", i)}.raw())
	}
	errStore := errors.New("disk I/O error")
	setIntakeFault(t, func(uid uint32) error {
		if uid == 3 {
			return errStore
		}
		return nil
	})
	n, err := f.deliverBatch("fta-pass", 1, 1, raws...)
	if !errors.Is(err, errStore) || n != 2 {
		t.Fatalf("DeliverBatch: got %d, %v; want 2 and the store error", n, err)
	}
	s := f.state("fta-pass")
	if uids, in := f.stored("fta-pass", 10); fmt.Sprint(uids) != "[1 2]" || in != 2 {
		t.Errorf("stored UIDs: got %v (%d received messages), want [1 2] (2)", uids, in)
	}
	if s.cursor.LastUID != 2 || len(s.outbox) != 2 {
		t.Errorf("cursor %+v, %d acks; want at UID 2 and 2", s.cursor, len(s.outbox))
	}

	// The watcher retries from the cursor: UIDs 3 to 5. This time the
	// failure passes after one try.
	failed := false
	setIntakeFault(t, func(uid uint32) error {
		if uid == 4 && !failed {
			failed = true
			return errStore
		}
		return nil
	})
	if n, err := f.deliverBatch("fta-pass", 1, 3, raws[2:]...); err != nil || n != 3 {
		t.Fatalf("retry: got %d, %v; want 3, nil", n, err)
	}
	s = f.state("fta-pass")
	if uids, in := f.stored("fta-pass", 10); fmt.Sprint(uids) != "[1 2 3 4 5]" || in != 5 {
		t.Errorf("stored UIDs: got %v (%d received messages), want [1 2 3 4 5] (5)", uids, in)
	}
	if s.cursor.LastUID != 5 || len(s.tickets) != 5 || len(s.outbox) != 5 {
		t.Errorf("cursor %+v, %d tickets, %d acks; want at UID 5, 5, 5", s.cursor, len(s.tickets), len(s.outbox))
	}
}

// TestBatchWakesTheDeadlineClockAfterCommit: as for Deliver, the batch's
// new tickets wake the outbox and the deadline clock, and only once the
// transaction has committed.
func TestBatchWakesTheDeadlineClockAfterCommit(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	for _, ch := range []chan struct{}{f.desk.deadlineKick, f.desk.kick} {
		select {
		case <-ch:
		default:
		}
	}
	setIntakeFault(t, func(uid uint32) error {
		if uid == 2 {
			select {
			case <-f.desk.deadlineKick:
				t.Error("the deadline clock was woken inside the transaction")
			default:
			}
		}
		return nil
	})
	n, err := f.deliverBatch("fta-pass", 1, 1,
		mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "w1@x"}.raw(),
		mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "w2@x"}.raw(),
	)
	if err != nil || n != 2 {
		t.Fatalf("DeliverBatch: got %d, %v; want 2, nil", n, err)
	}
	for name, ch := range map[string]chan struct{}{"deadline clock": f.desk.deadlineKick, "outbox": f.desk.kick} {
		select {
		case <-ch:
		default:
			t.Errorf("a batch of new tickets did not wake the %s", name)
		}
	}
}

// TestBatchRollbackKeepsTheReplyKey: the first staff notice creates the
// reply-token key inside the intake transaction. When that transaction is
// a batch that rolls back, the key must not live on in memory only: the
// notices written after it must be signed with a key in the database, or
// no reply token would check after a restart.
func TestBatchRollbackKeepsTheReplyKey(t *testing.T) {
	f := newFixture(t)
	failed := false
	setIntakeFault(t, func(uid uint32) error {
		if uid == 2 && !failed {
			failed = true
			return errors.New("disk I/O error")
		}
		return nil
	})
	n, err := f.deliverBatch("fta-pass", 1, 1,
		mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "k1@x"}.raw(),
		mail{from: "lee@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "k2@x"}.raw(),
	)
	if err != nil || n != 2 || !failed {
		t.Fatalf("DeliverBatch: got %d, %v (fault injected: %v); want 2, nil after one rollback", n, err, failed)
	}
	ctx := context.Background()
	var stored []byte
	err = f.store.Read(ctx, func(tx *store.Tx) (err error) {
		stored, err = tx.Setting(ctx, replyKeySetting)
		return err
	})
	if err != nil {
		t.Fatalf("reply key in the database: %v", err)
	}
	if k := f.desk.key.Load(); k != nil && string(*k) != string(stored) {
		t.Errorf("the key in use is not the one in the database")
	}
	// Both notices went out with a reply address signed by the stored key.
	s := f.state("fta-pass")
	if len(s.staff) != 2 {
		t.Fatalf("staff notices: got %d, want 2", len(s.staff))
	}
	for i := range s.staff {
		notice := f.staffOf(i)
		if len(notice.ReplyTo) != 1 {
			t.Fatalf("notice %d: Reply-To %v, want one address", i, notice.ReplyTo)
		}
		// The ticket's id, not its position: PostgreSQL's sequences do
		// not roll back, so the retried batch's tickets have new ids.
		want := replyAddress(stored, "fta-pass@origin.or.kr", s.staff[i].TicketID, "mslim@origin.or.kr")
		if notice.ReplyTo[0].Addr != want {
			t.Errorf("notice %d: Reply-To %s, want %s (signed by the stored key)", i, notice.ReplyTo[0].Addr, want)
		}
	}
}
