package mailbox

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// sendN delivers n mails in a row through s, failing t on an error.
func sendN(t *testing.T, s *Sender, n int) {
	t.Helper()
	for i := range n {
		if err := s.Send(context.Background(), "fta-pass@origin.or.kr", []string{fmt.Sprintf("c%d@example.com", i)}, []byte(rawReply)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
}

// waitFor polls cond (a state of the test server, which moves on its
// own goroutines) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A burst of mail goes over one session, each mail once and whole, and
// the session ends after its share of mail or when closed.
func TestSenderReusesSession(t *testing.T) {
	tests := []struct {
		name     string
		mails    int
		sessions int
	}{
		{"one mail", 1, 1},
		{"a burst", 10, 1},
		{"a session's share", sessionMessages, 1},
		{"one more than a session's share", sessionMessages + 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &smtpTestServer{}
			startSMTP(t, srv, plainSMTP, nil)
			s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none"})
			sendN(t, s, tt.mails)
			got := srv.received()
			if len(got) != tt.mails {
				t.Fatalf("received %d mails, want %d", len(got), tt.mails)
			}
			for i, r := range got {
				if want := fmt.Sprintf("c%d@example.com", i); len(r.to) != 1 || r.to[0] != want || string(r.data) != rawReply {
					t.Errorf("mail %d: to %v, %d bytes; want to %s, the message verbatim", i, r.to, len(r.data), want)
				}
			}
			if n, _ := srv.sessions(); n != tt.sessions {
				t.Errorf("%d mails took %d sessions, want %d", tt.mails, n, tt.sessions)
			}
			s.Close()
			waitFor(t, "every session to end after Close", func() bool { n, ended := srv.sessions(); return n == ended })
		})
	}
}

// A session the relay dropped while it was idle costs nothing: the next
// mail goes over a new one, once.
func TestSenderRedialsADroppedSession(t *testing.T) {
	srv := &smtpTestServer{}
	startSMTP(t, srv, plainSMTP, nil)
	s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none"})
	sendN(t, s, 1)
	srv.mu.Lock()
	first := srv.conns[0]
	srv.mu.Unlock()
	first.Close() // as a relay restarting, or timing an idle session out
	waitFor(t, "the dropped session to end", func() bool { _, ended := srv.sessions(); return ended == 1 })
	sendN(t, s, 1)
	if got := srv.received(); len(got) != 2 {
		t.Fatalf("received %d mails, want 2", len(got))
	}
	if n, _ := srv.sessions(); n != 2 {
		t.Errorf("sessions: %d, want 2 (the dropped one and a new one)", n)
	}
	s.Close()
}

// A session is not kept past keepIdle, nor after a refusal: the next mail
// dials again.
func TestSenderEndsSessions(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		srv := &smtpTestServer{}
		startSMTP(t, srv, plainSMTP, nil)
		s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none"})
		s.keepIdle = time.Millisecond
		sendN(t, s, 1)
		waitFor(t, "the idle session to end", func() bool { _, ended := srv.sessions(); return ended == 1 })
		sendN(t, s, 1)
		if n, _ := srv.sessions(); n != 2 {
			t.Errorf("sessions: %d, want 2", n)
		}
		s.Close()
	})
	t.Run("refused", func(t *testing.T) {
		srv := &smtpTestServer{}
		startSMTP(t, srv, plainSMTP, nil)
		s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none"})
		srv.inject(&srv.rcptErr, smtpErr(421))
		if err := s.Send(context.Background(), "a@b.c", []string{"x@y.z"}, []byte(rawReply)); err == nil {
			t.Fatal("Send with RCPT refused: got nil error")
		}
		waitFor(t, "the refused session to end", func() bool { _, ended := srv.sessions(); return ended == 1 })
		srv.inject(&srv.rcptErr, nil)
		sendN(t, s, 1)
		if n, _ := srv.sessions(); n != 2 {
			t.Errorf("sessions: %d, want 2", n)
		}
		if got := srv.received(); len(got) != 1 {
			t.Errorf("received %d mails, want 1", len(got))
		}
		s.Close()
	})
}

// Concurrent Sends each get a session; each mail arrives once.
func TestSenderConcurrentSessions(t *testing.T) {
	srv := &smtpTestServer{}
	startSMTP(t, srv, plainSMTP, nil)
	s := NewSender(SMTPConfig{Host: srv.host, Port: srv.port, Security: "none"})
	errs := make(chan error, 40)
	for g := range 4 {
		go func() {
			for i := range 10 {
				errs <- s.Send(context.Background(), "a@b.c", []string{fmt.Sprintf("g%d-%d@example.com", g, i)}, []byte(rawReply))
			}
		}()
	}
	for range 40 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	got := srv.received()
	seen := map[string]int{}
	for _, r := range got {
		seen[r.to[0]]++
	}
	if len(got) != 40 || len(seen) != 40 {
		t.Errorf("received %d mails to %d recipients, want 40 and 40", len(got), len(seen))
	}
	s.Close()
	waitFor(t, "every session to end", func() bool { n, ended := srv.sessions(); return n == ended })
}
