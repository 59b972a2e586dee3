package main

import (
	"github.com/kioi/maildesk/dovecottest"
)

// dovecot is a throwaway Dovecot instance on a loopback port, the one the
// tests use.
type dovecot struct {
	*dovecottest.Server
	addr string
}

// benchPassword is every benchmark account's password, on loopback only.
const benchPassword = "bench"

// findDovecot returns the dovecot binary, or why the benchmarks that need
// it cannot run here.
func findDovecot() (string, error) { return dovecottest.Find() }

// startDovecot runs Dovecot in dir with one maildir account per user.
// Unlike the tests' instances, fsync is off: the benchmark measures
// maildesk, and the backlog is seeded before the clock starts.
func startDovecot(dir string, users []string) (*dovecot, error) {
	s, err := dovecottest.Start(dovecottest.Config{
		Dir: dir, Users: users, Password: benchPassword, Name: "maildesk-bench", NoFsync: true,
	})
	if err != nil {
		return nil, err
	}
	return &dovecot{Server: s, addr: s.Addr()}, nil
}

func (dv *dovecot) stop() { dv.Stop() }

// deliver hands raw to Dovecot's LDA, as the institute's MTA would.
func (dv *dovecot) deliver(user, from string, raw []byte) error { return dv.Deliver(user, from, raw) }

// maildir returns user's Maildir, for seeding a backlog without going
// through the LDA 10,000 times.
func (dv *dovecot) maildir(user string) string { return dv.Maildir(user) }
