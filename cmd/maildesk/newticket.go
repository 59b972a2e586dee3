package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/kioi/maildesk/desk"
)

// newTicketArgs is what `maildesk ticket new` was given.
type newTicketArgs struct {
	config, category, channel, name, email, phone, subject, text, file, received, handler, mailbox string
}

// newTicket registers a complaint received by phone, post, visit, fax or
// on the web (desk.Register). It writes the database the daemon uses; the
// running daemon sends the acknowledgement or the handler's reminder
// within seconds.
func newTicket(ctx context.Context, a newTicketArgs, w io.Writer) error {
	var missing []string
	for _, f := range []struct{ flag, v string }{{"-category", a.category}, {"-channel", a.channel}, {"-name", a.name}, {"-subject", a.subject}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.flag)
		}
	}
	if (a.text == "") == (a.file == "") {
		missing = append(missing, "one of -text and -file")
	}
	if len(missing) > 0 {
		return &exitError{code: 2, msg: "ticket new: " + strings.Join(missing, ", ") + " required\n" + usage}
	}
	text := a.text
	if a.file != "" {
		b, err := os.ReadFile(a.file)
		if err != nil {
			return fmt.Errorf("ticket new: %w", err)
		}
		text = string(b)
	}
	st, cfg, err := openExisting(ctx, a.config)
	if err != nil {
		return err
	}
	defer st.Close()
	var received time.Time
	if a.received != "" {
		if received, err = parseReceived(a.received, cfg.Location); err != nil {
			return err
		}
	}
	l, err := desk.LoadRules(cfg)
	if err != nil {
		return err
	}
	d, err := desk.New(desk.Options{Store: st, Rules: l.Rules, Templates: l.Templates, Location: cfg.Location, Mailboxes: mailboxesOf(cfg)})
	if err != nil {
		return err
	}
	t, err := d.Register(ctx, desk.Registration{
		Category: a.category, Channel: a.channel, Name: a.name, Email: a.email, Phone: a.phone,
		Subject: a.subject, Text: text, Received: received, Handler: a.handler, Mailbox: a.mailbox, By: "cli",
	})
	if err != nil {
		return err
	}
	to := "the acknowledgement goes to " + t.Customer
	if t.Customer == "" {
		to = "no email address: " + t.Handler.ID + " gets each notice as a reminder to call or write"
	}
	fmt.Fprintf(w, "%s registered (ticket %d, %s), handler %s, due %s; %s (the running daemon sends it within seconds)\n",
		t.FullTag(), t.ID, t.Channel, t.Handler.ID, fmtLocal(t.DueAt, cfg.Location), to)
	return nil
}

// parseReceived reads when a complaint came in: a local time
// ("2026-12-01T15:00", "2026-12-01 15:00") or RFC 3339.
func parseReceived(s string, loc *time.Location) (time.Time, error) {
	if t, ok := parseInstant(s, loc); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("-received %q: want a time like 2026-12-01T15:00 (local) or RFC 3339", s)
}
