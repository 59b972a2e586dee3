package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/mailbox"
)

// checkLogin logs in to every mailbox and to the SMTP relay once, as the
// daemon would, and reports each: what an admin runs after a password
// change, instead of waiting for the watcher's slow retry of a refused
// login (which it keeps slow so that the account is not locked). Any
// failure is exit status 1.
func checkLogin(ctx context.Context, configPath string, w io.Writer) error {
	l, err := desk.Load(configPath, desk.LoadOptions{})
	if err != nil {
		return err
	}
	cfg := l.Config
	failed := 0
	report := func(what, where, credentials string, err error) {
		if err == nil {
			fmt.Fprintf(w, "ok      %s (%s)\n", what, where)
			return
		}
		failed++
		fmt.Fprintf(w, "FAILED  %s (%s): %v\n", what, where, err)
		if credentials != "" {
			fmt.Fprintf(w, "        the password is from %s\n", credentials)
		}
	}
	for _, m := range cfg.Mailboxes {
		acct := accountOf(cfg, m)
		err := (&mailbox.Watcher{Account: acct}).Check(ctx)
		report("imap "+m.Name, acct.Username+" at "+net.JoinHostPort(acct.Host, strconv.Itoa(acct.Port)), acct.Credentials, err)
	}
	err = senderOf(cfg).Check(ctx)
	who := cfg.SMTP.Username
	if who != "" {
		who += " at "
	}
	report("smtp relay", who+net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port)), cfg.SMTP.Password.Source(), err)
	if failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d logins failed", failed, len(cfg.Mailboxes)+1)}
	}
	return nil
}
