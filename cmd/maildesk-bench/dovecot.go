package main

import (
	"github.com/kioi/maildesk/internal/dovecot"
)

// benchPassword is every benchmark account's password, on loopback only.
const benchPassword = "bench"

// startDovecot runs Dovecot in dir with one maildir account per user.
// Unlike the tests' instances, fsync is off: the benchmark measures
// maildesk, and the backlog is seeded before the clock starts.
func startDovecot(dir string, users []string) (*dovecot.Server, error) {
	return dovecot.Start(dovecot.Config{
		Dir: dir, Users: users, Password: benchPassword, Name: "maildesk-bench", NoFsync: true,
	})
}
