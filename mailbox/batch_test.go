package mailbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// batchHandler is a memHandler that also takes whole batches. failAt makes
// the first batch starting at that UID store its first message only and
// fail, as a store error on the second message would; onRetry runs at the
// start of the next batch after that failure.
type batchHandler struct {
	*memHandler
	bmu     sync.Mutex
	batches [][]uint32
	failAt  uint32
	failed  bool
	retried bool
	onRetry func()
}

func (h *batchHandler) DeliverBatch(ctx context.Context, mailbox string, uidValidity uint32, msgs []Fetched) (int, error) {
	var uids []uint32
	for _, m := range msgs {
		uids = append(uids, m.UID)
	}
	h.bmu.Lock()
	h.batches = append(h.batches, uids)
	fail := !h.failed && uids[0] == h.failAt
	h.failed = h.failed || fail
	retry := h.failed && !fail && !h.retried
	h.retried = h.retried || retry
	h.bmu.Unlock()
	if retry && h.onRetry != nil {
		h.onRetry()
	}
	for i, m := range msgs {
		if fail && i == 1 {
			return 1, errors.New("database is locked (injected)")
		}
		if err := h.Deliver(ctx, mailbox, uidValidity, m.UID, m.Raw); err != nil {
			return i, err
		}
	}
	return len(msgs), nil
}

// TestWatcherBatchHandler: a BatchHandler gets each FETCH's messages at
// once, in UID order. When it stores only part of a batch, \Seen goes on
// the part it stored and nothing else, and the rest is fetched again from
// its cursor: nothing is skipped and nothing flagged before it is stored.
func TestWatcherBatchHandler(t *testing.T) {
	s := newIMAPTestServer(t, nil)
	s.start()
	for i := 1; i <= 5; i++ {
		s.appendMessage("INBOX", testMessage(i))
	}
	h := &batchHandler{memHandler: newMemHandler(), failAt: 3}
	var seenAtRetry []uint32
	h.onRetry = func() {
		_, flags := s.state("INBOX")
		for uid := uint32(1); uid <= 5; uid++ {
			if hasFlag(flags[uid], imap.FlagSeen) {
				seenAtRetry = append(seenAtRetry, uid)
			}
		}
	}
	r := startWatcher(t, &Watcher{Account: s.account(), Handler: h, BatchSize: 2, SafetyPoll: time.Hour})
	r.waitSynced()

	if got := h.uids(); !slices.Equal(got, []uint32{1, 2, 3, 4, 5}) {
		t.Errorf("stored uids: got %v, want [1 2 3 4 5]", got)
	}
	h.bmu.Lock()
	batches := fmt.Sprint(h.batches)
	h.bmu.Unlock()
	if want := "[[1 2] [3 4] [4 5]]"; batches != want {
		t.Errorf("batches: got %s, want %s (the failed batch's rest fetched again from the cursor)", batches, want)
	}
	if want := []uint32{1, 2, 3}; !slices.Equal(seenAtRetry, want) {
		t.Errorf("\\Seen after the partial batch: got %v, want %v (only what was stored)", seenAtRetry, want)
	}
	_, flags := s.state("INBOX")
	for uid := uint32(1); uid <= 5; uid++ {
		if !hasFlag(flags[uid], imap.FlagSeen) {
			t.Errorf("uid %d flags: got %v, want \\Seen", uid, flags[uid])
		}
	}
}
