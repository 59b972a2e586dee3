// Command maildesk turns published mailboxes into a helpdesk: it reads them
// over IMAP, keeps tickets in SQLite, acknowledges every inquiry with the
// handler's name and contact, and keeps the service standards' deadlines.
//
// Usage:
//
//	maildesk run   [-config FILE] [-check-login]  the daemon (default FILE: ./maildesk.toml)
//	maildesk demo  [-dir DIR]                     the daemon with embedded IMAP and SMTP servers on loopback
//	maildesk rules check [-config FILE] [-no-secrets]   validate config, rules and templates
//	maildesk rules test  [-config FILE] [-json] [-at TIME] MSG.eml   what would happen to this mail
//	maildesk tickets [-config FILE] [-json]       list tickets
//	maildesk ticket  [-config FILE] [-json] [-full] ID   one ticket with its messages and events (ID as listed, or its tag: "[QUAL #2]")
//	maildesk ticket  [-config FILE] ID -raw N     message N of the ticket, exactly as received
//	maildesk ticket  [-config FILE] ID -attachments DIR   write the files of the mail received into DIR
//	maildesk ticket defer [-config FILE] ID --until DATE --reason TEXT [--status TEXT]
//	maildesk ticket close [-config FILE] ID       close a ticket (the survey follows, when the category has one)
//	maildesk report  [-config FILE] [-from DATE] [-to DATE] [-category ID] [-format text|json|csv|html] [-o FILE]   the charter report of a period
//	maildesk calendar [-config FILE] [-json] [YEAR]   holidays and working time as the daemon counts them
//	maildesk backup  [-config FILE] DEST          an online, consistent copy of the database
//	maildesk migrate-store -from FILE -to URL [-to-password-env NAME | -to-password-file PATH]   copy the SQLite database into an empty PostgreSQL one, verified
//	maildesk oauth login [-config FILE] [-browser [-listen ADDR]] MAILBOX|smtp   sign an account in with OAuth 2.0 (device code, or a browser) and write its token_file
//	maildesk version                              version, VCS revision and Go version of this binary
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const usage = `usage:
  maildesk run   [-config FILE] [-check-login]  run the daemon (default FILE: ./maildesk.toml);
                                                -check-login: log in everywhere once and report
  maildesk demo  [-dir DIR]                     run with embedded IMAP and SMTP servers on loopback
  maildesk rules check [-config FILE] [-no-secrets]   validate config, rules and templates
  maildesk rules test  [-config FILE] [-json] [-at TIME] MSG.eml   show what would happen to a mail; changes nothing
  maildesk tickets [-config FILE] [-json]       list tickets
  maildesk ticket  [-config FILE] [-json] [-full] ID   show one ticket (ID as listed, or its tag: "[QUAL #2]")
  maildesk ticket  [-config FILE] ID -raw N     write message N of the ticket exactly as received
  maildesk ticket  [-config FILE] ID -attachments DIR   write the files of its mail into DIR
  maildesk ticket defer [-config FILE] ID --until DATE --reason TEXT [--status TEXT]
                                                set the expected completion date the customer is told
  maildesk ticket close [-config FILE] ID       close a ticket; the customer gets the survey if the category has one
  maildesk report  [-config FILE] [-from DATE] [-to DATE] [-category ID] [-format text|json|csv|html] [-o FILE]
                                                the charter report of a period (default: this year to today)
  maildesk ticket new [-config FILE] -category CAT -channel web|post|visit|fax|phone -name NAME
                [-email ADDR] [-phone PHONE] -subject TEXT (-text TEXT | -file FILE) [-received TIME] [-handler ID]
                                                register a complaint received by phone, post, visit, fax or web
  maildesk compensation [-config FILE] [-json] [-from DATE] [-to DATE]   the ledger of upheld correction requests
  maildesk compensation paid [-config FILE] ENTRY [--note TEXT]         mark a ledger entry paid
  maildesk calendar [-config FILE] [-json] [YEAR]   holidays and working time as the daemon counts them
  maildesk backup  [-config FILE] DEST          an online, consistent copy of the database, checked
  maildesk migrate-store -from FILE -to postgres://USER@HOST/DB [-to-password-env NAME | -to-password-file PATH]
                                                copy the SQLite database (daemon stopped) into an empty
                                                PostgreSQL one in one transaction, verified per table by
                                                row count and SHA-256 checksum
  maildesk oauth login [-config FILE] [-browser [-listen ADDR]] MAILBOX|smtp
                                                sign the account in with OAuth 2.0 (device code: prints the
                                                address and the code; -browser: Google) and write its token_file
  maildesk version                              version, VCS revision and Go version of this binary
`

// errUsage is a command-line mistake: the usage text is printed with it.
var errUsage = errors.New("usage")

// usagef is a command-line mistake with its own message: exit status 2,
// the message, then the usage text. Exit statuses are 0 ok, 1 failure
// (a problem found, a login refused, no such ticket), 2 usage.
func usagef(format string, args ...any) error {
	return &exitError{code: 2, msg: "maildesk: " + fmt.Sprintf(format, args...) + "\n\n" + usage}
}

// exitError carries a specific exit code, e.g. from `rules check`.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	ctx, stop := shutdownContext()
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var ee *exitError
	switch {
	case err == nil || errors.Is(err, context.Canceled):
	case errors.Is(err, errUsage):
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, ee.msg)
		}
		os.Exit(ee.code)
	default:
		fmt.Fprintln(os.Stderr, "maildesk:", err)
		os.Exit(1)
	}
}

// shutdownContext is cancelled by the first SIGINT or SIGTERM; a second one
// exits at once, for an operator who does not want to wait for the grace
// period.
func shutdownContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case s := <-sigs:
			slog.Info("shutting down", "signal", s.String())
			cancel()
		case <-ctx.Done():
			return
		}
		s := <-sigs
		slog.Warn("second signal: exiting now", "signal", s.String())
		os.Exit(1)
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }
}

// run dispatches a subcommand. Cancellation of ctx is a clean exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "run":
		fs := newFlags("run", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		check := fs.Bool("check-login", false, "log in to every mailbox and the SMTP relay once, report, and exit (1 if any failed)")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		if *check {
			return checkLogin(ctx, *config, stdout)
		}
		log := newLogger(stderr, false)
		stopProfile, err := startCPUProfile(log)
		if err != nil {
			return err
		}
		defer stopProfile()
		return runDaemon(ctx, *config, daemonOptions{log: log, logTo: stderr})
	case "demo":
		fs := newFlags("demo", stderr)
		dir := fs.String("dir", "maildesk-demo", "`directory` for the demo's configuration and database")
		imapAddr := fs.String("imap", "127.0.0.1:1143", "loopback `address` of the demo IMAP server")
		smtpAddr := fs.String("smtp", "127.0.0.1:2525", "loopback `address` of the demo SMTP server")
		reset := fs.Bool("reset", false, "replace rule files edited in the demo directory with the examples")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		return runDemo(ctx, demoOptions{dir: *dir, imapAddr: *imapAddr, smtpAddr: *smtpAddr, out: stdout, log: newLogger(stderr, false), reset: *reset})
	case "rules":
		if len(args) == 0 {
			return errUsage
		}
		sub, args := args[0], args[1:]
		fs := newFlags("rules "+sub, stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		switch sub {
		case "check":
			noSecrets := fs.Bool("no-secrets", false, "do not read the passwords (a check of rule edits where they are not)")
			if err := parseFlags(fs, args, 0); err != nil {
				return err
			}
			return rulesCheck(*config, *noSecrets, stdout)
		case "test":
			asJSON := fs.Bool("json", false, "print JSON")
			at := fs.String("at", "", "pretend the mail arrives at `TIME` (2026-09-23T10:00, local zone); default now")
			mailbox := fs.String("mailbox", "", "the `name` of the mailbox the mail arrives in; default: the one its recipients name")
			if err := parseFlags(fs, args, 1); err != nil {
				return err
			}
			return rulesTest(ctx, *config, fs.Arg(0), *at, *mailbox, *asJSON, stdout)
		}
		return usagef("unknown command \"rules %s\": want rules check or rules test", sub)
	case "tickets":
		fs := newFlags("tickets", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		asJSON := fs.Bool("json", false, "print JSON")
		var q ticketQuery
		fs.StringVar(&q.status, "status", "", "open | overdue | answered | closed | quarantined | all (default: open and overdue)")
		fs.StringVar(&q.handler, "handler", "", "only this handler's tickets (`id`)")
		fs.StringVar(&q.category, "category", "", "only this category's tickets (`id`)")
		fs.StringVar(&q.since, "since", "", "only tickets opened on or after this `date` (2026-12-01)")
		fs.StringVar(&q.search, "search", "", "only tickets whose subject or text contains this `text`")
		fs.IntVar(&q.limit, "limit", 200, "at most this many, newest first (0: all)")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		return listTickets(ctx, *config, q, *asJSON, stdout)
	case "compensation":
		return compensationCommand(ctx, args, stdout, stderr)
	case "ticket":
		if len(args) > 0 && args[0] == "new" {
			fs := newFlags("ticket new", stderr)
			var a newTicketArgs
			fs.StringVar(&a.config, "config", "maildesk.toml", "configuration `file`")
			fs.StringVar(&a.category, "category", "", "category `id` from the rules (voc, correction, …)")
			fs.StringVar(&a.channel, "channel", "", "where it came in: web | post | visit | fax | phone")
			fs.StringVar(&a.name, "name", "", "the customer's `name`")
			fs.StringVar(&a.email, "email", "", "the customer's email `address`; without one the handler gets each notice to pass on")
			fs.StringVar(&a.phone, "phone", "", "the customer's `phone` number")
			fs.StringVar(&a.subject, "subject", "", "the complaint's subject")
			fs.StringVar(&a.text, "text", "", "what the customer said or wrote")
			fs.StringVar(&a.file, "file", "", "read the text from `FILE` (UTF-8) instead of -text")
			fs.StringVar(&a.received, "received", "", "when it came in: `TIME` 2026-12-01T15:00 (local) or RFC 3339; default now")
			fs.StringVar(&a.handler, "handler", "", "handler `id`; default as the rules route it")
			fs.StringVar(&a.mailbox, "mailbox", "", "the mailbox `name` its mail goes out from; default the category's, or the first")
			if err := parseFlags(fs, args[1:], 0); err != nil {
				return err
			}
			return newTicket(ctx, a, stdout)
		}
		if len(args) > 0 && args[0] == "defer" {
			fs := newFlags("ticket defer", stderr)
			config := fs.String("config", "maildesk.toml", "configuration `file`")
			until := fs.String("until", "", "expected completion `date`: 2026-12-01 (18:00 that day) or 2026-12-01T15:00")
			reason := fs.String("reason", "", "the reason for the delay the customer is told")
			status := fs.String("status", "", "the current status the customer is told")
			if err := parseFlags(fs, args[1:], 1); err != nil {
				return err
			}
			return deferTicket(ctx, *config, fs.Arg(0), *until, *reason, *status, stdout)
		}
		if len(args) > 0 && args[0] == "close" {
			fs := newFlags("ticket close", stderr)
			config := fs.String("config", "maildesk.toml", "configuration `file`")
			if err := parseFlags(fs, args[1:], 1); err != nil {
				return err
			}
			return closeTicket(ctx, *config, fs.Arg(0), stdout)
		}
		fs := newFlags("ticket", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		asJSON := fs.Bool("json", false, "print JSON")
		raw := fs.Int("raw", 0, "write message `N` (as numbered in the listing) to standard output exactly as received")
		dir := fs.String("attachments", "", "write the files of the mail received into `DIR` (never overwrites)")
		full := fs.Bool("full", false, "show each message's whole text, quoted history included")
		if err := parseFlags(fs, args, 1); err != nil {
			return err
		}
		switch {
		case *raw != 0 && *dir != "":
			return &exitError{code: 2, msg: "maildesk ticket: -raw and -attachments go one at a time"}
		case *raw != 0:
			return writeRaw(ctx, *config, fs.Arg(0), *raw, stdout)
		case *dir != "":
			return extractAttachments(ctx, *config, fs.Arg(0), *dir, stdout)
		}
		return showTicket(ctx, *config, fs.Arg(0), *asJSON, *full, stdout)
	case "calendar":
		return calendarCommand(args, stdout, stderr)
	case "backup":
		fs := newFlags("backup", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		if err := parseFlags(fs, args, 1); err != nil {
			return err
		}
		return backupDatabase(ctx, *config, fs.Arg(0), stdout)
	case "migrate-store":
		fs := newFlags("migrate-store", stderr)
		var a migrateArgs
		fs.StringVar(&a.from, "from", "", "the SQLite database `file` to copy (maildesk.db)")
		fs.StringVar(&a.to, "to", "", "the empty PostgreSQL database to copy into: postgres://USER@HOST/DB (no password in it)")
		fs.StringVar(&a.pwEnv, "to-password-env", "", "read PostgreSQL's password from the environment variable `NAME`")
		fs.StringVar(&a.pwFile, "to-password-file", "", "read PostgreSQL's password from the file at `PATH`")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		return migrateStore(ctx, a, stdout)
	case "report":
		fs := newFlags("report", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		format := fs.String("format", "text", "text | json | csv | html")
		from := fs.String("from", "", "first `date` of the period (2026-01-01), in the configured zone; default: January 1st of this year")
		to := fs.String("to", "", "last `date` of the period, included; default: today")
		category := fs.String("category", "", "only the tickets of this category `id`")
		out := fs.String("o", "", "write to `file` instead of standard output")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		return reportCommand(ctx, reportArgs{config: *config, format: *format, from: *from, to: *to, category: *category, out: *out}, time.Now(), stdout)
	case "oauth":
		if len(args) == 0 || args[0] != "login" {
			return usagef("want oauth login")
		}
		fs := newFlags("oauth login", stderr)
		config := fs.String("config", "maildesk.toml", "configuration `file`")
		browser := fs.Bool("browser", false, "sign in in a browser (authorization code, redirected to -listen) instead of with a device code: for Google")
		listen := fs.String("listen", "127.0.0.1:8765", "loopback `address` the browser is redirected to, with -browser")
		if err := parseFlags(fs, args[1:], 1); err != nil {
			return err
		}
		if !*browser {
			*listen = ""
		}
		return oauthLogin(ctx, *config, fs.Arg(0), *listen, stdout)
	case "version", "-version", "--version":
		return printVersion(stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("maildesk "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and demands exactly nargs positional arguments.
// Flags may also follow the positional ones (`maildesk ticket 12 -json`).
func parseFlags(fs *flag.FlagSet, args []string, nargs int) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return &exitError{code: 2}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) != nargs {
		return &exitError{code: 2, msg: fmt.Sprintf("%s: want %d argument(s), got %d\n%s", fs.Name(), nargs, len(pos), usage)}
	}
	return fs.Parse(pos) // leaves pos as fs.Args()
}

// newLogger is the daemon's one logger, which also becomes slog's default:
// the lines logged before a logger is at hand (the shutdown signal) then
// have the same format and destination as the rest.
func newLogger(w io.Writer, json bool) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("MAILDESK_DEBUG") != "" {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if json {
		h = slog.NewJSONHandler(w, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return log
}
