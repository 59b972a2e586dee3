package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/store"
)

// rulesCheck validates config, rules and templates through the same path the
// daemon starts with; problems go out one per line as file:line: message.
// Warnings (the holiday table running out) follow the ok line; they do not
// fail the check. With noSecrets the passwords are not read, for a check of
// rule edits on a workstation or in CI, where they are not.
func rulesCheck(configPath string, noSecrets bool, w io.Writer) error {
	return rulesCheckAt(configPath, noSecrets, time.Now(), w)
}

// rulesCheckAt is rulesCheck as of now (tests).
func rulesCheckAt(configPath string, noSecrets bool, now time.Time, w io.Writer) error {
	l, err := desk.Load(configPath, desk.LoadOptions{NoSecrets: noSecrets})
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	unread := ""
	if noSecrets {
		unread = " (passwords not read: -no-secrets)"
	}
	fmt.Fprintf(w, "ok: %s: %d mailboxes, %d categories, %d handlers, rules from %d files, templates %s%s\n",
		l.Config.Path, len(l.Config.Mailboxes), len(l.Rules.Categories), len(l.Rules.Handlers), len(l.Rules.Files),
		strings.Join(l.Templates.Names(), ", "), unread)
	for _, warning := range l.Rules.Warnings(now) {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
	return nil
}

// rulesTest shows what maildesk would do with a mail, without changing
// anything: the database, when there is one, is only read.
func rulesTest(ctx context.Context, configPath, emlPath, at, mailbox string, asJSON bool, w io.Writer) error {
	l, err := desk.Load(configPath, desk.LoadOptions{NoSecrets: true})
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(emlPath)
	if err != nil {
		return err
	}
	var now time.Time
	if at != "" {
		if now, err = parseUntil(at, l.Config.Location); err != nil {
			return usagef("-at %q: %v", at, err)
		}
	}
	var st *store.Store
	if _, err := os.Stat(l.Config.Database); err == nil || store.IsPostgres(l.Config.Database) {
		if st, err = openStore(ctx, l.Config); err != nil {
			return err
		}
		defer st.Close()
	}
	mboxes := mailboxesOf(l.Config)
	if mailbox != "" {
		var names []string
		for _, m := range mboxes {
			names = append(names, m.Name)
		}
		if !slices.Contains(names, mailbox) {
			return usagef("-mailbox %q: no such mailbox in %s (have %s)", mailbox, configPath, strings.Join(names, ", "))
		}
	}
	p, err := desk.Preview(ctx, desk.PreviewInput{
		Store: st, Rules: l.Rules, Templates: l.Templates, Mailboxes: mboxes, Mailbox: mailbox, Location: l.Config.Location, Raw: raw, Now: now,
	})
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, p)
	}
	switch p.MailboxBy {
	case "guessed":
		fmt.Fprintf(w, "mailbox:      %s (guessed: no recipient is one of the mailboxes; say which with -mailbox)\n", p.Mailbox)
	default:
		fmt.Fprintf(w, "mailbox:      %s\n", p.Mailbox)
	}
	fmt.Fprintf(w, "from:         %s\n", p.From)
	fmt.Fprintf(w, "subject:      %s\n", p.Subject)
	if p.ParseError != "" {
		fmt.Fprintf(w, "quarantine:   %s\n", p.ParseError)
	}
	if p.Automatic != "" {
		fmt.Fprintf(w, "automatic:    %s (stored, never answered)\n", p.Automatic)
	}
	fmt.Fprintf(w, "action:       %s\n", p.Action)
	if p.Rating != 0 {
		fmt.Fprintf(w, "rating:       %d (a survey answer: stored, thanked; 1 or 2 reopens the ticket)\n", p.Rating)
	}
	if p.TicketID != 0 {
		reopens := ""
		if p.Reopens {
			reopens = " (answered: this mail opens it again, with a new deadline)"
		}
		fmt.Fprintf(w, "ticket:       #%d%s\n", p.TicketID, reopens)
	}
	if p.Category != "" {
		loc := l.Config.Location
		fmt.Fprintf(w, "rule:         %s\n", p.Rule)
		fmt.Fprintf(w, "category:     %s (priority %s)\n", p.Category, p.Priority)
		fmt.Fprintf(w, "handler:      %s, %s, %s, %s\n", p.Handler.Name, p.Handler.Department, p.Handler.Phone, p.Handler.Email)
		if p.Absent != "" {
			fmt.Fprintf(w, "              (delegate: %s is away)\n", p.Absent)
		}
		fmt.Fprintf(w, "received:     %s\n", p.ReceivedAt.In(loc).Format("2006-01-02 15:04 MST (Mon)"))
		fmt.Fprintf(w, "due:          %s\n", p.DueAt.In(loc).Format("2006-01-02 15:04 MST (Mon)"))
		fmt.Fprintf(w, "notice:       %s\n", fmtLocal(p.NoticeAt, loc))
		fmt.Fprintf(w, "templates:    %s, %s\n", p.Template, p.NoticeTmpl)
		fmt.Fprintf(w, "acknowledge:  %v\n", p.Acknowledge)
	}
	if p.Language != "" {
		fmt.Fprintf(w, "language:     %s (%s)\n", p.Language, p.LanguageBy)
	}
	if p.AckText != "" {
		fmt.Fprintf(w, "\n--- acknowledgement: %s\n%s\n", p.AckSubject, p.AckText)
	}
	return nil
}
