package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/store"
)

// closeTicket closes a ticket as #close does, without an answer: the
// customer gets the survey when the category has one. It writes the
// database the daemon uses; the daemon's clock sends a delayed survey.
func closeTicket(ctx context.Context, configPath, idArg string, w io.Writer) error {
	st, cfg, id, err := openTicket(ctx, configPath, idArg)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := cliDesk(st, cfg)
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
