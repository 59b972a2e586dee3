package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/store"
)

// migrateArgs are the flags of `maildesk migrate-store`.
type migrateArgs struct {
	from, to      string
	pwEnv, pwFile string
}

// migrateStore copies the SQLite database a.from into the empty
// PostgreSQL database a.to (store.CopyToPostgres) and prints what it
// copied and checked. The password comes from -to-password-env or
// -to-password-file, read as config reads database_password_env and
// database_password_file; a URL holding one is refused, as the database
// key refuses it, since a command line is visible to every local user.
func migrateStore(ctx context.Context, a migrateArgs, w io.Writer) error {
	switch {
	case a.from == "" || a.to == "":
		return usagef("migrate-store: want -from FILE and -to postgres://…")
	case store.IsPostgres(a.from):
		return usagef("migrate-store: -from is the SQLite file to copy, not a PostgreSQL URL")
	case !store.IsPostgres(a.to):
		return usagef("migrate-store: -to must be a postgres:// or postgresql:// URL")
	case config.URLHasPassword(a.to):
		return &exitError{code: 2, msg: "maildesk migrate-store: -to: passwords do not belong on the command line, where other users see them; use -to-password-env (an environment variable) or -to-password-file"}
	case a.pwEnv != "" && a.pwFile != "":
		return &exitError{code: 2, msg: "maildesk migrate-store: set -to-password-env or -to-password-file, not both"}
	}
	var pw config.Secret
	var err error
	switch {
	case a.pwEnv != "":
		if pw, err = config.SecretFromEnv(a.pwEnv); err != nil {
			return fmt.Errorf("migrate-store: -to-password-env: %w", err)
		}
	case a.pwFile != "":
		if pw, err = config.SecretFromFile(a.pwFile); err != nil {
			return fmt.Errorf("migrate-store: -to-password-file: %w", err)
		}
	}
	rep, err := store.CopyToPostgres(ctx, a.from, a.to, store.CopyOptions{Password: pw.Reveal()})
	if err != nil {
		return err
	}
	printCopyReport(w, rep)
	return nil
}

func printCopyReport(w io.Writer, rep *store.CopyReport) {
	fmt.Fprintf(w, "copied %s to %s (schema version %d)\n\n", rep.From, rep.To, rep.SchemaVersion)
	width := len("total")
	for _, t := range rep.Tables {
		width = max(width, len(t.Table))
	}
	line := func(table, rows, converted, elapsed, sum string) {
		l := fmt.Sprintf("%-*s  %9s  %9s  %8s  %s", width, table, rows, converted, elapsed, sum)
		fmt.Fprintln(w, strings.TrimRight(l, " "))
	}
	line("table", "rows", "converted", "time", "sha256 (rows in key order)")
	for _, t := range rep.Tables {
		if t.Skipped != "" {
			line(t.Table, "-", "-", "-", "not copied: "+t.Skipped)
			continue
		}
		line(t.Table, strconv.FormatInt(t.Rows, 10), strconv.FormatInt(t.Converted, 10), t.Elapsed.Round(time.Millisecond).String(), t.Checksum)
	}
	line("total", strconv.FormatInt(rep.Rows(), 10), strconv.FormatInt(rep.Converted(), 10), rep.Elapsed.Round(time.Millisecond).String(), "")
	rate := float64(rep.Rows()) / max(rep.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "\nok: %d rows in %s (%.0f rows/s); every table's row count and checksum read back from PostgreSQL match the file; committed\n",
		rep.Rows(), rep.Elapsed.Round(time.Millisecond), rate)
	if n := rep.Converted(); n > 0 {
		fmt.Fprintf(w, "note: %d text values held a NUL byte or invalid UTF-8, which PostgreSQL's text cannot store; they were stored with U+FFFD in their place (raw mail is copied byte for byte)\n", n)
	}
	fmt.Fprintf(w, "next: set database = %q and database_password_env or database_password_file in maildesk.toml, start maildesk; keep %s as the fallback\n", rep.To, rep.From)
}
