package maildesktest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/kioi/maildesk/store"
)

// Inquiry builds a plain UTF-8 mail as a customer's client sends it, with
// extra header lines (such as "In-Reply-To: <x>") before the body.
func Inquiry(from, to, subject, msgID, body string, extra ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: Wed, 25 Nov 2026 10:00:00 +0900\r\nMessage-ID: <%s>\r\n", from, to, subject, msgID)
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(body)
	return b.Bytes()
}

// CountKind counts the stored messages of one kind (inbound, ack, staff, …).
func CountKind(ms []*store.Message, kind string) int {
	n := 0
	for _, m := range ms {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

// WaitLimit bounds every wait for something asynchronous. It is a hang
// guard, not a speed assertion: the events waited for take milliseconds,
// and a wait ends as soon as its condition holds.
const WaitLimit = 90 * time.Second

// WaitUntil polls cond until it holds, failing t after WaitLimit.
func WaitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(WaitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
