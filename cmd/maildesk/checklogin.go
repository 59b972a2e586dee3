package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"

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
	tokens := newTokenSources(cfg, slog.New(slog.DiscardHandler), nil)
	failed := 0
	report := func(what, where, credentials string, err error) {
		if err == nil {
			fmt.Fprintf(w, "ok      %s (%s)\n", what, where)
			return
		}
		failed++
		fmt.Fprintf(w, "FAILED  %s (%s): %v\n", what, where, err)
		if credentials != "" {
			what := "password"
			if strings.Contains(credentials, "oauth2") {
				what = "access token"
			}
			fmt.Fprintf(w, "        the %s is from %s\n", what, credentials)
		}
	}
	for _, m := range cfg.Mailboxes {
		acct := accountOf(cfg, m, tokens)
		err := (&mailbox.Watcher{Account: acct}).Check(ctx)
		report("imap "+m.Name, acct.Username+" at "+net.JoinHostPort(acct.Host, strconv.Itoa(acct.Port)), acct.Credentials, err)
	}
	err = senderOf(cfg, tokens).Check(ctx)
	who := cfg.SMTP.Username
	if who != "" {
		who += " at "
	}
	credentials := cfg.SMTP.Password.Source()
	if cfg.SMTP.OAuth2 != nil {
		credentials = oauthCredentials(cfg.SMTP.OAuth2)
	}
	report("smtp relay", who+net.JoinHostPort(cfg.SMTP.Host, strconv.Itoa(cfg.SMTP.Port)), credentials, err)
	if failed > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d logins failed", failed, len(cfg.Mailboxes)+1)}
	}
	return nil
}
