// Package rules reads the files admins edit — maildesk.toml and the rules
// directory — validates them with file:line errors, and makes pure decisions
// from them (category, handler, deadline).
//
// The rules directory holds any number of *.toml files, read in name order and
// merged, so admins can split them as they like (handlers.toml,
// categories.toml, mailboxes.toml). Each kind of rule is an array of tables
// ([[handler]], [[category]], [[mailbox]]) so that new kinds (routes by
// sender or keyword, absences, a calendar) can be added as new tables without
// changing the existing ones.
package rules

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Handler is a member of staff who answers a kind of mail.
type Handler struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Phone      string `json:"phone"`
	Email      string `json:"email"`
}

// Clock values of a category: how its reply window is counted.
const (
	ClockCalendar = "calendar" // wall-clock hours
	ClockWorking  = "working"  // business hours (see Category.Due)
)

// Category is a kind of inquiry with its own ticket tag and service standard.
type Category struct {
	ID     string
	Name   string // Korean display name
	NameEn string
	Tag    string // ticket tag prefix: "FTA-PASS" in "[FTA-PASS #12]"

	// Window is the time within which the customer gets an answer.
	Window time.Duration
	// Clock says how Window is counted: ClockCalendar or ClockWorking.
	Clock string
	// NoticeBefore is how long before the deadline the customer is told of
	// a delay if no answer has gone out; 0 means no advance notice.
	NoticeBefore time.Duration
	// Supervisor is the handler ID alerted when a deadline passes
	// unanswered; "" for nobody.
	Supervisor string
	// AckTemplate names the template of the acknowledgement; default "ack".
	AckTemplate string
}

// MailboxRule is what happens by default to mail arriving at a mailbox named in
// maildesk.toml.
type MailboxRule struct {
	Name        string // mailbox name in maildesk.toml
	Category    string // category ID
	Handler     string // handler ID
	Acknowledge bool   // send the customer an acknowledgement; default true
}

// Set is the merged content of a rules directory. It is read-only once loaded:
// a reload builds a new Set, so one can be shared between goroutines.
type Set struct {
	Handlers   map[string]*Handler
	Categories map[string]*Category
	Mailboxes  map[string]*MailboxRule
	Files      []string // the files read, in order

	where map[string]Problem // "mailbox:fta-pass" -> file and line of its definition
}

// ErrNoRule is returned by Decide for a mailbox that has no rule.
var ErrNoRule = errors.New("no rule")

// The files' own shape.
type rulesFile struct {
	Handler  []handlerFile     `toml:"handler"`
	Category []categoryFile    `toml:"category"`
	Mailbox  []mailboxRuleFile `toml:"mailbox"`
}

type handlerFile struct {
	ID         string `toml:"id"`
	Name       string `toml:"name"`
	Department string `toml:"department"`
	Phone      string `toml:"phone"`
	Email      string `toml:"email"`
}

type categoryFile struct {
	ID           string `toml:"id"`
	Name         string `toml:"name"`
	NameEn       string `toml:"name_en"`
	Tag          string `toml:"tag"`
	Window       string `toml:"window"`
	Clock        string `toml:"clock"`
	NoticeBefore string `toml:"notice_before"`
	Supervisor   string `toml:"supervisor"`
	AckTemplate  string `toml:"ack_template"`
}

type mailboxRuleFile struct {
	Name        string `toml:"name"`
	Category    string `toml:"category"`
	Handler     string `toml:"handler"`
	Acknowledge *bool  `toml:"acknowledge"`
}

var tagRE = regexp.MustCompile(`^[A-Z0-9-]+$`)

// Load reads all *.toml files of dir in name order and merges them. On failure
// the error is Problems listing everything wrong, each with file and line.
func Load(dir string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, Problems{{File: dir, Msg: fmt.Sprintf("reading rules directory: %v", err)}}
	}
	s := &Set{
		Handlers:   map[string]*Handler{},
		Categories: map[string]*Category{},
		Mailboxes:  map[string]*MailboxRule{},
		where:      map[string]Problem{},
	}
	var ps Problems
	// A reference from one rule to another, checked once all files are
	// merged: a rule may name a handler defined in a later file.
	type ref struct {
		file       *tomlFile
		key, value string
		handler    bool   // a handler ID, else a category ID
		msg        string // format of the problem when value is unknown
	}
	var refs []ref
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		s.Files = append(s.Files, path)
		data, err := os.ReadFile(path)
		if err != nil {
			ps = append(ps, Problem{File: path, Msg: err.Error()})
			continue
		}
		var raw rulesFile
		f, ok := decodeTOML(path, data, &raw)
		if ok {
			for i := range raw.Handler {
				s.addHandler(f, "handler."+strconv.Itoa(i+1), &raw.Handler[i])
			}
			for i := range raw.Category {
				key := "category." + strconv.Itoa(i+1)
				if c := s.addCategory(f, key, &raw.Category[i]); c != nil && c.Supervisor != "" {
					refs = append(refs, ref{f, key + ".supervisor", c.Supervisor, true, "supervisor %q is not a handler"})
				}
			}
			for i := range raw.Mailbox {
				key := "mailbox." + strconv.Itoa(i+1)
				if r := s.addMailbox(f, key, &raw.Mailbox[i]); r != nil {
					if r.Handler != "" {
						refs = append(refs, ref{f, key + ".handler", r.Handler, true, "unknown handler %q"})
					}
					if r.Category != "" {
						refs = append(refs, ref{f, key + ".category", r.Category, false, "unknown category %q"})
					}
				}
			}
		}
		ps = append(ps, f.ps...)
	}
	if len(s.Files) == 0 {
		ps = append(ps, Problem{File: dir, Msg: "no *.toml rule files"})
	}
	for _, r := range refs {
		var ok bool
		if r.handler {
			_, ok = s.Handlers[r.value]
		} else {
			_, ok = s.Categories[r.value]
		}
		if !ok {
			ps = append(ps, Problem{File: r.file.path, Line: r.file.line(r.key), Msg: fmt.Sprintf(r.msg, r.value)})
		}
	}
	if err := ps.err(s.Files...); err != nil {
		return nil, err
	}
	return s, nil
}

// define records where a rule is defined, reporting an ID defined twice with
// both places. It returns false for a duplicate.
func (s *Set) define(f *tomlFile, kind, id, key string) bool {
	here := Problem{File: f.path, Line: f.line(key)}
	if first, dup := s.where[kind+":"+id]; dup {
		f.addf(key, "%s %q already defined at %s:%d", kind, id, first.File, first.Line)
		return false
	}
	s.where[kind+":"+id] = here
	return true
}

// id checks an ID's presence and spelling. IDs are typed by staff in
// commands and by admins in references, so they are kept to [a-z0-9-]+.
func (f *tomlFile) id(table, field, value string) bool {
	if !f.required(table, field, value) {
		return false
	}
	if !nameRE.MatchString(value) {
		f.addf(table+"."+field, "%s %q: use lower-case letters, digits and '-'", field, value)
		return false
	}
	return true
}

func (s *Set) addHandler(f *tomlFile, key string, raw *handlerFile) {
	ok := f.id(key, "id", raw.ID)
	f.required(key, "name", raw.Name)
	if f.required(key, "email", raw.Email) {
		if a, err := mail.ParseAddress(raw.Email); err != nil || a.Address != raw.Email {
			f.addf(key+".email", "email %q is not an email address like name@example.org", raw.Email)
		}
	}
	if ok && s.define(f, "handler", raw.ID, key+".id") {
		s.Handlers[raw.ID] = &Handler{ID: raw.ID, Name: raw.Name, Department: raw.Department, Phone: raw.Phone, Email: raw.Email}
	}
}

func (s *Set) addCategory(f *tomlFile, key string, raw *categoryFile) *Category {
	c := &Category{
		ID:          raw.ID,
		Name:        raw.Name,
		NameEn:      raw.NameEn,
		Tag:         raw.Tag,
		Clock:       orDefault(raw.Clock, ClockCalendar),
		Supervisor:  raw.Supervisor,
		AckTemplate: orDefault(raw.AckTemplate, "ack"),
	}
	idOK := f.id(key, "id", raw.ID)
	f.required(key, "name", raw.Name)
	tagOK := f.required(key, "tag", raw.Tag)
	if tagOK && !tagRE.MatchString(raw.Tag) {
		f.addf(key+".tag", "tag %q: use upper-case letters, digits and '-'", raw.Tag)
		tagOK = false
	}
	if f.required(key, "window", raw.Window) {
		d, err := ParseDuration(raw.Window)
		switch {
		case err != nil:
			f.addf(key+".window", "window: %v", err)
		case d <= 0:
			f.addf(key+".window", "window %q must be positive", raw.Window)
		default:
			c.Window = d
		}
	}
	if raw.NoticeBefore != "" {
		d, err := ParseDuration(raw.NoticeBefore)
		switch {
		case err != nil:
			f.addf(key+".notice_before", "notice_before: %v", err)
		case d < 0:
			f.addf(key+".notice_before", "notice_before %q must not be negative", raw.NoticeBefore)
		case c.Window > 0 && d >= c.Window:
			f.addf(key+".notice_before", "notice_before %q must be shorter than window %q", raw.NoticeBefore, raw.Window)
		default:
			c.NoticeBefore = d
		}
	}
	if c.Clock != ClockCalendar && c.Clock != ClockWorking {
		f.addf(key+".clock", "clock = %q: want \"calendar\" or \"working\"", c.Clock)
	}
	if !idOK || !s.define(f, "category", raw.ID, key+".id") {
		return nil
	}
	if tagOK {
		// Tags are what threading keys on, so two categories cannot share one.
		s.define(f, "tag", raw.Tag, key+".tag")
	}
	s.Categories[raw.ID] = c
	return c
}

func (s *Set) addMailbox(f *tomlFile, key string, raw *mailboxRuleFile) *MailboxRule {
	r := &MailboxRule{Name: raw.Name, Category: raw.Category, Handler: raw.Handler, Acknowledge: true}
	if raw.Acknowledge != nil {
		r.Acknowledge = *raw.Acknowledge
	}
	ok := f.id(key, "name", raw.Name)
	f.required(key, "category", raw.Category)
	f.required(key, "handler", raw.Handler)
	if ok && s.define(f, "mailbox", raw.Name, key+".name") {
		s.Mailboxes[raw.Name] = r
		return r
	}
	return nil
}

// Validate checks the set against the config: every config mailbox has a rule,
// and every rule names a known mailbox, category and handler. Load already
// checked the references within the set; checking them again keeps Validate
// correct for a Set built by hand.
func (s *Set) Validate(cfg *Config) error {
	if cfg == nil {
		return errors.New("validate rules: no config")
	}
	var ps Problems
	cfgFile := cfg.file
	if cfgFile == "" {
		cfgFile = cfg.Path
	}
	at := func(kind, id string) Problem {
		if p, ok := s.where[kind+":"+id]; ok {
			return p
		}
		return Problem{File: "rules"}
	}
	known := map[string]bool{}
	for _, mb := range cfg.Mailboxes {
		known[mb.Name] = true
		if _, ok := s.Mailboxes[mb.Name]; !ok {
			ps = append(ps, Problem{File: cfgFile, Line: cfg.mailboxLines[mb.Name],
				Msg: fmt.Sprintf("mailbox %q has no [[mailbox]] rule in %s", mb.Name, cfg.Rules)})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.Mailboxes)) {
		r := s.Mailboxes[name]
		if !known[name] {
			p := at("mailbox", name)
			p.Msg = fmt.Sprintf("rule for mailbox %q, which is not in %s", name, cfgFile)
			ps = append(ps, p)
		}
		if _, ok := s.Categories[r.Category]; !ok {
			p := at("mailbox", name)
			p.Msg = fmt.Sprintf("unknown category %q", r.Category)
			ps = append(ps, p)
		}
		if _, ok := s.Handlers[r.Handler]; !ok {
			p := at("mailbox", name)
			p.Msg = fmt.Sprintf("unknown handler %q", r.Handler)
			ps = append(ps, p)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.Categories)) {
		c := s.Categories[id]
		if _, ok := s.Handlers[c.Supervisor]; c.Supervisor != "" && !ok {
			p := at("category", id)
			p.Msg = fmt.Sprintf("supervisor %q is not a handler", c.Supervisor)
			ps = append(ps, p)
		}
	}
	return ps.err(append([]string{cfgFile}, s.Files...)...)
}

// Input is what a decision looks at. It will grow (sender, keywords,
// attachments) as routing rules are added; callers fill what they know.
type Input struct {
	Mailbox string // mailbox name from maildesk.toml
	From    string // sender address
	Subject string
	Text    string // plain-text body
}

// Decision is what the rules say should happen to a new inquiry.
type Decision struct {
	Category    *Category
	Handler     *Handler
	Acknowledge bool
}

// Decide picks category and handler for a new inquiry. Today that is the
// mailbox's default; it fails, wrapping ErrNoRule, for a mailbox without a
// rule, which Validate rules out for configured mailboxes.
func (s *Set) Decide(in Input) (Decision, error) {
	r, ok := s.Mailboxes[in.Mailbox]
	if !ok {
		return Decision{}, fmt.Errorf("decide for mailbox %q: %w", in.Mailbox, ErrNoRule)
	}
	c, ok := s.Categories[r.Category]
	if !ok {
		return Decision{}, fmt.Errorf("decide for mailbox %q: unknown category %q", in.Mailbox, r.Category)
	}
	h, ok := s.Handlers[r.Handler]
	if !ok {
		return Decision{}, fmt.Errorf("decide for mailbox %q: unknown handler %q", in.Mailbox, r.Handler)
	}
	return Decision{Category: c, Handler: h, Acknowledge: r.Acknowledge}, nil
}

// Due returns the deadline for something received at t under category c.
//
// Both clocks are counted in calendar time for now: t+Window. Working-hour
// counting (ClockWorking, the Civil Petitions Act rule for windows of five
// days or less) needs the business calendar, which is not there yet; until
// then a working-clock category gets the earlier, calendar deadline, never a
// later one.
func (c *Category) Due(t time.Time) time.Time {
	return t.Add(c.Window)
}

// TagFor formats the subject tag of ticket n: "[FTA-PASS #12]".
func (c *Category) TagFor(n int64) string {
	return "[" + c.Tag + " #" + strconv.FormatInt(n, 10) + "]"
}

var tagInSubjectRE = regexp.MustCompile(`\[\s*([A-Za-z0-9-]+)\s*#\s*([0-9]+)\s*\]`)

// ParseTag finds a ticket tag "[PREFIX #N]" anywhere in a subject. Mail
// clients and people mangle tags, so the prefix is matched case-insensitively
// (and returned upper-cased) and spaces are optional: "RE:[fta-pass#12]" gives
// "FTA-PASS", 12. The first well-formed tag wins.
func ParseTag(subject string) (prefix string, n int64, ok bool) {
	for _, m := range tagInSubjectRE.FindAllStringSubmatch(subject, -1) {
		n, err := strconv.ParseInt(m[2], 10, 64)
		if err != nil || n <= 0 {
			continue
		}
		return strings.ToUpper(m[1]), n, true
	}
	return "", 0, false
}

// ParseDuration parses a rule file duration: Go syntax ("48h", "90m") with an
// optional leading number of days ("5d", "1d12h"), since service standards are
// written in days.
func ParseDuration(s string) (time.Duration, error) {
	rest := strings.TrimSpace(s)
	var days int64
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err == nil && n >= 0 && n <= 365*100 {
			days, rest = n, rest[i+1:]
		}
	}
	d := time.Duration(days) * 24 * time.Hour
	if rest == "" {
		if days == 0 && strings.TrimSpace(s) == "" {
			return 0, fmt.Errorf("empty duration")
		}
		return d, nil
	}
	if rest[0] == '-' || rest[0] == '+' {
		if days > 0 {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
	}
	g, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want e.g. \"48h\", \"30m\" or \"5d\"", s)
	}
	return d + g, nil
}
