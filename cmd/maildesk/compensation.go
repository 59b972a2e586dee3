package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/store"
)

// compensationCommand is `maildesk compensation`: the ledger of upheld
// correction requests, and `compensation paid ENTRY` to mark one paid.
func compensationCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "paid" {
		fs := newFlags("compensation paid", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		note := fs.String("note", "", "how it was paid (a transfer number), kept with the entry")
		if err := parseFlags(fs, args[1:], 1); err != nil {
			return err
		}
		return markPaid(ctx, *config, fs.Arg(0), *note, stdout)
	}
	fs := newFlags("compensation", stderr)
	config := fs.String("config", "maildesk.toml", "configuration `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	from := fs.String("from", "", "only entries decided on or after this `date` (2026-12-01)")
	to := fs.String("to", "", "only entries decided on or before this `date` (2026-12-31)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	return listLedger(ctx, *config, *from, *to, *asJSON, stdout)
}

// ledgerEntry is a ledger entry as the CLI shows it; its JSON is part of
// the interface contract.
type ledgerEntry struct {
	*store.Correction
	Paid bool `json:"paid"`
}

func listLedger(ctx context.Context, configPath, fromArg, toArg string, asJSON bool, w io.Writer) error {
	st, cfg, err := openExisting(ctx, configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	var from, to time.Time
	if fromArg != "" {
		if from, err = time.ParseInLocation("2006-01-02", fromArg, cfg.Location); err != nil {
			return usagef("-from %q: want a date like 2026-12-01", fromArg)
		}
	}
	if toArg != "" {
		if to, err = time.ParseInLocation("2006-01-02", toArg, cfg.Location); err != nil {
			return usagef("-to %q: want a date like 2026-12-31", toArg)
		}
		to = to.AddDate(0, 0, 1) // the whole day
	}
	l, err := desk.Ledger(ctx, st, from, to)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]ledgerEntry, 0, len(l))
		for _, c := range l {
			out = append(out, ledgerEntry{Correction: c, Paid: c.Paid()})
		}
		return writeJSON(w, out)
	}
	rows := [][]string{{"ENTRY", "TICKET", "CUSTOMER", "AMOUNT (KRW)", "DECIDED BY", "DECIDED", "PAID"}}
	var total, unpaid int64
	for _, c := range l {
		paid := "no"
		if c.Paid() {
			paid = c.PaidAt.In(cfg.Location).Format("2006-01-02")
			if c.PaidNote != "" {
				paid += " (" + truncate(c.PaidNote, 30) + ")"
			}
		} else {
			unpaid += c.Amount
		}
		total += c.Amount
		customer := c.Customer
		if c.Name != "" {
			customer = strings.TrimSpace(c.Name + " " + customer)
		}
		rows = append(rows, []string{strconv.FormatInt(c.ID, 10), c.Tag, customer, desk.FormatKRW(c.Amount), c.Handler,
			fmtLocal(c.DecidedAt, cfg.Location), paid})
	}
	if err := writeColumns(terminalWriter{w}, rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%d entries, %s KRW, %s KRW unpaid\n", len(l), desk.FormatKRW(total), desk.FormatKRW(unpaid))
	return err
}

func markPaid(ctx context.Context, configPath, entryArg, note string, w io.Writer) error {
	id, err := strconv.ParseInt(strings.TrimSpace(entryArg), 10, 64)
	if err != nil || id <= 0 {
		return usagef("compensation paid %q: want the ENTRY number `maildesk compensation` lists", entryArg)
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
	c, err := d.MarkPaid(ctx, id, strings.TrimSpace(note))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &exitError{code: 1, msg: fmt.Sprintf("maildesk compensation paid: no ledger entry %d (see maildesk compensation)", id)}
	case errors.Is(err, store.ErrPaid):
		return &exitError{code: 1, msg: fmt.Sprintf("maildesk compensation paid: entry %d was paid already; nothing changed", id)}
	case err != nil:
		return err
	}
	_, err = fmt.Fprintf(w, "entry %d (%s, %s KRW) marked paid\n", c.ID, c.Tag, desk.FormatKRW(c.Amount))
	return err
}
