package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
)

// deferTicket sets a ticket's expected completion date, reason and status.
// It writes the database the daemon uses; the daemon's deadline clock picks
// the change up within seconds.
func deferTicket(ctx context.Context, configPath, idArg, until, reason, status string, w io.Writer) error {
	if until == "" || strings.TrimSpace(reason) == "" {
		return &exitError{code: 2, msg: "ticket defer: --until and --reason are required\n" + usage}
	}
	st, cfg, id, err := openTicket(ctx, configPath, idArg)
	if err != nil {
		return err
	}
	defer st.Close()
	at, err := parseUntil(until, cfg.Location)
	if err != nil {
		return err
	}
	d, err := cliDesk(st, cfg)
	if err != nil {
		return err
	}
	t, err := d.Defer(ctx, id, at, strings.TrimSpace(reason), strings.TrimSpace(status))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: expected completion %s; the delay notice goes to the customer now (the running daemon sends it within seconds)\n",
		t.FullTag(), fmtLocal(t.ExpectedAt, cfg.Location))
	return nil
}

// parseUntil reads a date ("2026-12-01": the end of that working day,
// 18:00) or a local time ("2026-12-01T15:00", "2026-12-01 15:00") or RFC 3339.
func parseUntil(s string, loc *time.Location) (time.Time, error) {
	if t, ok := parseInstant(s, loc); ok {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc); err == nil {
		return desk.EndOfDay(t, loc), nil
	}
	return time.Time{}, fmt.Errorf("--until %q: want a date like 2026-12-01 or 2026-12-01T15:00", s)
}

// parseInstant reads a time as the command line gives it: a local time
// ("2026-12-01T15:00", "2026-12-01 15:00") in loc, or RFC 3339.
func parseInstant(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func mailboxesOf(cfg *config.Config) []desk.Mailbox {
	var ms []desk.Mailbox
	for _, m := range cfg.Mailboxes {
		ms = append(ms, desk.Mailbox{Name: m.Name, Address: m.Address, History: m.History})
	}
	return ms
}
