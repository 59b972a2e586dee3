package dovecot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/kioi/maildesk/internal/dovecot"
	"github.com/kioi/maildesk/internal/maildesktest"
)

// count logs in as user and returns how many messages INBOX holds.
func count(t *testing.T, s *dovecot.Server, user string) uint32 {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(user, "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return sel.NumMessages
}

func TestServer(t *testing.T) {
	s := maildesktest.Dovecot(t, []string{"fta-pass", "education"}, "pw")
	raw := []byte("From: a@example.com\r\nTo: fta-pass@origin.or.kr\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n")
	if err := s.Deliver("fta-pass", "a@example.com", raw); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "fta-pass"); n != 1 {
		t.Fatalf("fta-pass INBOX after one delivery: %d messages", n)
	}
	if n := count(t, s, "education"); n != 0 {
		t.Fatalf("education INBOX: %d messages, want 0", n)
	}

	// Seeding the maildir directly, as the benchmark does.
	if err := os.WriteFile(filepath.Join(s.Maildir("education"), "new", "1.seed"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "education"); n != 1 {
		t.Fatalf("education INBOX after seeding: %d messages, want 1", n)
	}

	// A restart keeps the port and the mail.
	addr := s.Addr()
	s.Stop()
	if _, err := imapclient.DialInsecure(addr, nil); err == nil {
		t.Fatal("dialled a stopped server")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Errorf("address changed over a restart: %s, then %s", addr, s.Addr())
	}
	if n := count(t, s, "fta-pass"); n != 1 {
		t.Fatalf("fta-pass INBOX after a restart: %d messages, want 1", n)
	}
	if err := s.Doveadm("mailbox", "create", "-u", "fta-pass", "Done"); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart of a running server: got no error")
	}
}
