package mailbox

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// oversizeHandler is a memHandler that also takes oversized mail.
type oversizeHandler struct {
	*memHandler
	mu   sync.Mutex
	big  map[uint32]int64  // uid → size
	head map[uint32]string // uid → the header passed
}

func (h *oversizeHandler) DeliverOversized(ctx context.Context, mailbox string, uidValidity, uid uint32, header []byte, size int64) error {
	h.mu.Lock()
	h.big[uid], h.head[uid] = size, string(header)
	h.mu.Unlock()
	// Recorded and the cursor moved, as the real store does.
	return h.memHandler.Deliver(ctx, mailbox, uidValidity, uid, append([]byte("X-Oversized: yes\r\n"), header...))
}

// bigMessage is a mail of about size bytes.
func bigMessage(n, size int) string {
	head := fmt.Sprintf("From: big%d@example.com\r\nTo: fta-pass@origin.or.kr\r\nSubject: big %d\r\nMessage-ID: <big%d@example.com>\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n", n, n, n)
	line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", 2) + "\r\n"
	return head + strings.Repeat(line, (size-len(head))/len(line)+1)
}

// TestWatcherOversizedMail: mail above MaxMessageSize (by the server's
// RFC822.SIZE) is never fetched whole: its header goes to the Handler's
// DeliverOversized, in UID order with the rest, the cursor moves past it
// and it is flagged like any other. The 50 MB case is the figure.
func TestWatcherOversizedMail(t *testing.T) {
	tests := []struct {
		name     string
		limit    int64
		bigSize  int
		handlers bool // an OversizeHandler; else plain Deliver gets the header
	}{
		{"50 MB against the default 25 MB", 0, 50 << 20, true},
		{"a configured 64 KB limit", 64 << 10, 100 << 10, true},
		{"handler without DeliverOversized", 64 << 10, 100 << 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newIMAPTestServer(t, nil)
			s.start()
			s.appendMessage("INBOX", testMessage(1))
			s.appendMessage("INBOX", bigMessage(2, tt.bigSize))
			s.appendMessage("INBOX", testMessage(3))
			mh := newMemHandler()
			var h Handler = mh
			oh := &oversizeHandler{memHandler: mh, big: map[uint32]int64{}, head: map[uint32]string{}}
			if tt.handlers {
				h = oh
			}
			r := startWatcher(t, &Watcher{Account: func() Account { a := s.account(); a.MaxMessageSize = tt.limit; return a }(),
				Handler: h, SafetyPoll: time.Hour})
			r.waitSynced()
			stored, _, cur := mh.snapshot()
			var uids []uint32
			for _, d := range stored {
				uids = append(uids, d.uid)
				if len(d.raw) > 1<<20 {
					t.Errorf("uid %d: %d bytes reached the handler, want at most the header", d.uid, len(d.raw))
				}
			}
			if !slices.Equal(uids, []uint32{1, 2, 3}) || cur.LastUID != 3 {
				t.Fatalf("stored uids %v, cursor %+v; want 1, 2, 3 in order and the cursor at 3", uids, cur)
			}
			if stored[0].raw != testMessage(1) || stored[2].raw != testMessage(3) {
				t.Errorf("the small mails were not delivered whole")
			}
			if !strings.Contains(stored[1].raw, "Subject: big 2\r\n") || strings.Contains(stored[1].raw, "QUJD") {
				t.Errorf("uid 2: got %.200q…, want its header only", stored[1].raw)
			}
			if tt.handlers {
				if oh.big[2] < int64(tt.bigSize) || !strings.HasPrefix(oh.head[2], "From: big2@") {
					t.Errorf("DeliverOversized: size %d (want ≥ %d), header %.80q", oh.big[2], tt.bigSize, oh.head[2])
				}
				if len(oh.big) != 1 {
					t.Errorf("DeliverOversized calls for uids %v, want only 2", oh.big)
				}
			}
			_, inbox := s.state("INBOX")
			for uid := uint32(1); uid <= 3; uid++ {
				if !hasFlag(inbox[uid], imap.FlagSeen) {
					t.Errorf("uid %d flags: got %v, want \\Seen", uid, inbox[uid])
				}
			}
		})
	}
}
