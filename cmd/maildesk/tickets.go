package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

// ticketView is a ticket as the CLI shows it; its JSON is part of the
// interface contract (DESIGN.md). Tag shadows the stored prefix with the tag
// as customers see it, "[FTA-PASS #12]".
type ticketView struct {
	*store.Ticket
	Tag      string        `json:"tag"`
	Messages []messageView `json:"messages,omitempty"`
	Events   []store.Event `json:"events,omitempty"`
}

type messageView struct {
	// Number is the message's place on the ticket, from 1, as
	// `ticket ID -raw N` takes it.
	Number     int        `json:"number"`
	MessageID  string     `json:"message_id"`
	Direction  string     `json:"direction"`
	Kind       string     `json:"kind"`
	From       string     `json:"from"`
	To         []string   `json:"to"`
	Subject    string     `json:"subject"`
	Date       *time.Time `json:"date"`
	StoredAt   time.Time  `json:"stored_at"`
	Text       string     `json:"text,omitempty"`      // what the sender wrote in this mail
	FullText   string     `json:"full_text,omitempty"` // with the quoted history, when there was any
	Quarantine string     `json:"quarantine,omitempty"`
	Defects    []string   `json:"defects,omitempty"` // what was read around (message.Message.Defects)
	// Attachments are the mail's files, read from its raw bytes, under
	// the names `-attachments` writes them as.
	Attachments []attachmentView `json:"attachments,omitempty"`
}

type attachmentView struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func viewOf(t *store.Ticket) ticketView { return ticketView{Ticket: t, Tag: t.FullTag()} }

// openExisting opens the database of a config for reading; it does not
// create one where none is, which would hide a wrong -config.
func openExisting(ctx context.Context, configPath string) (*store.Store, *config.Config, error) {
	cfg, err := config.LoadNoSecrets(configPath)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(cfg.Database); err != nil && !store.IsPostgres(cfg.Database) {
		return nil, nil, fmt.Errorf("no database at %s (has `maildesk run` started with this config?)", cfg.Database)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return st, cfg, nil
}

// openStore opens the database cfg names: an SQLite file, or PostgreSQL
// with the password from database_password_env or database_password_file
// (config resolves it even for LoadNoSecrets).
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	return store.Open(ctx, cfg.Database, store.WithPassword(cfg.DatabasePassword.Reveal()))
}

// ticketQuery is what `maildesk tickets` was asked for.
type ticketQuery struct {
	status, handler, category, since, search string
	limit                                    int
}

// filter turns q into the store's filter, in loc for -since.
func (q ticketQuery) filter(loc *time.Location) (store.TicketFilter, error) {
	f := store.TicketFilter{Handler: q.handler, Category: q.category, Search: q.search, Limit: q.limit}
	yes, no := true, false
	switch q.status {
	case "":
		f.Status = []string{store.StatusOpen}
	case "open":
		f.Status, f.Overdue = []string{store.StatusOpen}, &no
	case "overdue":
		f.Status, f.Overdue = []string{store.StatusOpen}, &yes
	case store.StatusAnswered, store.StatusClosed, store.StatusQuarantined:
		f.Status = []string{q.status}
	case "all":
	default:
		return f, usagef("-status %q: want open, overdue, answered, closed, quarantined or all", q.status)
	}
	if q.since != "" {
		d, err := time.ParseInLocation("2006-01-02", q.since, loc)
		if err != nil {
			return f, usagef("-since %q: want a date like 2026-12-01", q.since)
		}
		f.Since = d
	}
	if q.limit < 0 {
		return f, usagef("-limit %d: want 0 or more", q.limit)
	}
	return f, nil
}

func listTickets(ctx context.Context, configPath string, q ticketQuery, asJSON bool, w io.Writer) error {
	st, cfg, err := openExisting(ctx, configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := q.filter(cfg.Location)
	if err != nil {
		return err
	}
	var ts []*store.Ticket
	err = st.Read(ctx, func(tx *store.Tx) (err error) {
		ts, err = tx.Tickets(ctx, f)
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		views := make([]ticketView, 0, len(ts))
		for _, t := range ts {
			views = append(views, viewOf(t))
		}
		return writeJSON(w, views)
	}
	w = terminalWriter{w}
	rows := [][]string{{"ID", "TICKET", "STATUS", "PRIORITY", "CHANNEL", "HANDLER", "CUSTOMER", "DUE", "SUBJECT"}}
	for _, t := range ts {
		rows = append(rows, []string{strconv.FormatInt(t.ID, 10), t.FullTag(), statusText(t), cmp.Or(t.Priority, "-"), t.Channel, t.Handler.Name, customerText(t),
			fmtLocal(t.DueAt, cfg.Location), truncate(t.Subject, 50)})
	}
	return writeColumns(w, rows)
}

// customerText is a ticket's customer for people: "name <address>", and
// the phone given when it was registered from another channel.
func customerText(t *store.Ticket) string {
	s := t.Customer
	switch {
	case t.Customer == "":
		s = cmp.Or(t.CustomerName, "-") + " (no email)"
	case t.CustomerName != "":
		s = t.CustomerName + " <" + t.Customer + ">"
	}
	if t.CustomerPhone != "" {
		s += ", " + t.CustomerPhone
	}
	return s
}

// statusText is a ticket's status for people: an open ticket past its
// deadline, the one a supervisor scans for, says "overdue".
func statusText(t *store.Ticket) string {
	if t.Status == store.StatusOpen && t.OverdueAt != nil {
		return "overdue"
	}
	return t.Status
}

// writeColumns prints rows as aligned columns. text/tabwriter counts every
// rune as one column, but a terminal gives Hangul two, so a Korean handler's
// name would push the rest of its row out of line.
func writeColumns(w io.Writer, rows [][]string) error {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// displayWidth is how many terminal columns s takes: East Asian wide and
// fullwidth characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// ticketNumber reads a ticket number, "12" or "#12".
// openTicket opens the database of configPath for a command on the
// ticket ref names (see ticketID).
func openTicket(ctx context.Context, configPath, ref string) (*store.Store, *config.Config, int64, error) {
	st, cfg, err := openExisting(ctx, configPath)
	if err != nil {
		return nil, nil, 0, err
	}
	id, err := ticketID(ctx, st, ref)
	if err != nil {
		st.Close()
		return nil, nil, 0, err
	}
	return st, cfg, id, nil
}

// cliDesk is a desk on st for the commands that change a ticket outside
// the daemon (defer, close): it watches nothing and sends nothing; the
// running daemon sends what they queue.
func cliDesk(st *store.Store, cfg *config.Config) (*desk.Desk, error) {
	l, err := desk.LoadRules(cfg)
	if err != nil {
		return nil, err
	}
	return desk.New(desk.Options{Store: st, Rules: l.Rules, Templates: l.Templates, Location: cfg.Location, Mailboxes: mailboxesOf(cfg)})
}

// ticketID finds the ticket a command line names: its id as `tickets`
// lists it (12), or its tag as subjects show it ("[QUAL #2]", QUAL-2).
func ticketID(ctx context.Context, st *store.Store, ref string) (int64, error) {
	var id int64
	err := st.Read(ctx, func(tx *store.Tx) error {
		t, err := desk.FindTicket(ctx, tx, ref)
		if err == nil {
			id = t.ID
		}
		return err
	})
	return id, err
}

// textLines is how many lines of a message's text `ticket` shows without
// -full.
const textLines = 12

func showTicket(ctx context.Context, configPath, idArg string, asJSON, full bool, w io.Writer) error {
	st, cfg, id, err := openTicket(ctx, configPath, idArg)
	if err != nil {
		return err
	}
	defer st.Close()
	var v ticketView
	err = st.Read(ctx, func(tx *store.Tx) error {
		t, err := tx.Ticket(ctx, id)
		if err != nil {
			return err
		}
		v = viewOf(t)
		ms, err := tx.Messages(ctx, id)
		if err != nil {
			return err
		}
		for i, m := range ms {
			raw, err := tx.MessageRaw(ctx, m.ID)
			if err != nil {
				return err
			}
			mv := messageView{
				Number: i + 1, Attachments: attachmentViews(raw),
				MessageID: m.MessageID, Direction: m.Direction, Kind: m.Kind, From: m.From, To: m.To,
				Subject: m.Subject, Date: m.Date, StoredAt: m.CreatedAt, Text: m.Text, Quarantine: m.Quarantine,
				Defects: m.Defects,
			}
			if m.NewText != "" && m.NewText != m.Text {
				mv.Text, mv.FullText = m.NewText, m.Text
			}
			v.Messages = append(v.Messages, mv)
		}
		v.Events, err = tx.Events(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no ticket %d", id)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, v)
	}
	w = terminalWriter{w}
	loc := cfg.Location
	fmt.Fprintf(w, "%s %s\n", v.Tag, v.Subject)
	fmt.Fprintf(w, "status:    %s\n", statusText(v.Ticket))
	fmt.Fprintf(w, "category:  %s (mailbox %s)\n", v.Category, v.Mailbox)
	fmt.Fprintf(w, "channel:   %s\n", v.Channel)
	fmt.Fprintf(w, "customer:  %s\n", customerText(v.Ticket))
	fmt.Fprintf(w, "handler:   %s, %s, %s, %s\n", v.Handler.Name, v.Handler.Department, v.Handler.Phone, v.Handler.Email)
	fmt.Fprintf(w, "created:   %s\n", v.CreatedAt.In(loc).Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "due:       %s\n", fmtLocal(v.DueAt, loc))
	fmt.Fprintf(w, "notice:    %s\n", fmtLocal(v.NoticeAt, loc))
	fmt.Fprintf(w, "answered:  %s\n", fmtLocal(v.AnsweredAt, loc))
	if v.PromisedAt != nil && v.DueAt != nil && !v.PromisedAt.Equal(*v.DueAt) {
		fmt.Fprintf(w, "promised:  %s (deferred: expected %s)\n", fmtLocal(v.PromisedAt, loc), fmtLocal(v.ExpectedAt, loc))
	}
	if away := awayLine(cfg, v.Ticket); away != "" {
		fmt.Fprintf(w, "away:      %s\n", away)
	}
	fmt.Fprintln(w, "\nmessages:")
	for _, m := range v.Messages {
		fmt.Fprintf(w, "  %2d %s %-3s %-11s %s -> %s  %s\n", m.Number, m.StoredAt.In(loc).Format("01-02 15:04"), m.Direction, m.Kind,
			m.From, strings.Join(m.To, ", "), m.Subject)
		text := m.Text
		if full && m.FullText != "" {
			text = m.FullText
		}
		lines := strings.Split(strings.TrimSpace(text), "\n")
		if strings.TrimSpace(text) == "" {
			lines = nil
		}
		for i, l := range lines {
			if !full && i == textLines {
				fmt.Fprintf(w, "      | … %d more lines (-full shows all)\n", len(lines)-textLines)
				break
			}
			fmt.Fprintf(w, "      | %s\n", l)
		}
		for _, a := range m.Attachments {
			fmt.Fprintf(w, "      attachment: %s (%s, %s)\n", a.Name, a.ContentType, desk.HumanSize(a.Size))
		}
		if m.Quarantine != "" {
			fmt.Fprintf(w, "      quarantined: %s\n", m.Quarantine)
		}
		for _, d := range m.Defects {
			fmt.Fprintf(w, "      read around: %s\n", d)
		}
	}
	fmt.Fprintln(w, "\nevents:")
	for _, e := range v.Events {
		fmt.Fprintf(w, "  %s %-12s %s\n", e.At.In(loc).Format("01-02 15:04:05"), e.Kind, e.Detail)
	}
	return nil
}

// awayLine says who is away of the people on t today: its handler, with
// the delegate who takes their mail. "" when nobody is, or when the rules
// cannot be read (the view is for reading; `rules check` reports them).
func awayLine(cfg *config.Config, t *store.Ticket) string {
	l, err := desk.LoadRules(cfg)
	if err != nil {
		return ""
	}
	h := l.Rules.Handlers[t.Handler.ID]
	if h == nil {
		return ""
	}
	now := time.Now()
	a, away := h.AbsentOn(rules.DateOf(now.In(l.Rules.Calendar.Location())))
	if !away {
		return ""
	}
	dh, _ := l.Rules.Delegate(h, now)
	who := a.Delegate
	if dh != nil {
		who = fmt.Sprintf("%s (%s)", dh.Name, dh.ID)
	}
	return fmt.Sprintf("%s (%s) is away %s to %s; %s gets this ticket's notices too and may answer", h.Name, h.ID, a.From, a.To, who)
}

// terminalWriter writes text from mail to a terminal with its control
// characters (ESC, BEL, the rest of C0 but tab and newline, DEL and C1)
// replaced: a subject or a name with an escape sequence in it must not
// retitle, recolour or rewrite the terminal of whoever lists the tickets.
// JSON needs none of this: encoding/json escapes them.
type terminalWriter struct{ w io.Writer }

func (t terminalWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(t.w, terminalSafe(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// terminalSafe replaces control characters and invalid UTF-8 in s with
// U+FFFD, keeping tabs and newlines.
func terminalSafe(s string) string {
	clean := true
	for _, r := range s {
		if isControl(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7f && r <= 0x9f) ||
		// Bidirectional overrides and isolates reorder what follows them.
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func fmtLocal(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
