package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/store"
)

// closeTicket closes a ticket as #close does, without an answer: the
// customer gets the survey when the category has one. It writes the
// database the daemon uses; the daemon's clock sends a delayed survey.
func closeTicket(ctx context.Context, configPath, idArg string, w io.Writer) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(idArg, "#"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("ticket close: %q is not a ticket number", idArg)
	}
	st, cfg, err := openExisting(ctx, configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	l, err := desk.LoadRules(cfg)
	if err != nil {
		return err
	}
	d, err := desk.New(desk.Options{Store: st, Rules: l.Rules, Templates: l.Templates, Location: cfg.Location, Mailboxes: mailboxesOf(cfg)})
	if err != nil {
		return err
	}
	t, err := d.Close(ctx, id, "cli")
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("ticket close: no ticket %d", id)
	case errors.Is(err, desk.ErrClosed):
		return fmt.Errorf("ticket close: ticket %d is closed already", id)
	case err != nil:
		return err
	}
	fmt.Fprintf(w, "%s closed %s\n", t.FullTag(), fmtLocal(t.ClosedAt, cfg.Location))
	return nil
}
