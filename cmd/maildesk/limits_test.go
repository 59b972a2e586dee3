package main

import (
	"strings"
	"testing"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

// TestMaxMessageSizeEndToEnd: max_message_size in maildesk.toml reaches the
// watcher. A mail above it is stored as its header, quarantined with the
// reason, and its handler told; the mail after it is stored as usual.
func TestMaxMessageSizeEndToEnd(t *testing.T) {
	s := newStack(t)
	s.setConfig(`max_message_size = "64KB"`)
	big := maildesktest.Inquiry("big@example.com", "fta-pass@origin.or.kr", "도면", "big@example.com", strings.Repeat("0123456789abcdef\r\n", 6000))
	if err := s.mail.Deliver("fta-pass@origin.or.kr", big); err != nil {
		t.Fatal(err)
	}
	if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.Inquiry("small@example.com", "fta-pass@origin.or.kr", "문의", "small@example.com", "문의\r\n")); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, s.configPath)
	st := s.db()
	snap := s.waitFor(st, "both mails stored and the outbox drained", func(sn snapshot) bool {
		if sn.cursors["fta-pass"] != 2 {
			return false
		}
		for _, d := range append(sn.outbox, sn.staff...) {
			if d.State == store.Queued {
				return false
			}
		}
		return true
	})
	var quarantined, inquiries int
	for _, ms := range snap.messages {
		for _, m := range ms {
			switch m.Kind {
			case desk.KindQuarantined:
				quarantined++
				if !strings.Contains(m.Quarantine, "max_message_size") || m.From != "big@example.com" {
					t.Errorf("quarantined mail from %s: reason %q", m.From, m.Quarantine)
				}
			case desk.KindInquiry:
				inquiries++
			}
		}
	}
	notices := 0
	for _, d := range snap.outbox {
		if d.Kind == desk.KindQuarantineNotice {
			notices++
		}
	}
	if quarantined != 1 || inquiries != 1 || notices != 1 {
		t.Errorf("got %d quarantined, %d inquiries, %d quarantine notices; want 1 each", quarantined, inquiries, notices)
	}
}
