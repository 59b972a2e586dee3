// Package rules reads the rules directory admins edit, validates it with
// file:line errors, and makes pure decisions from it (category, handler,
// deadline); maildesk.toml is package config's.
//
// The rules directory holds any number of *.toml files, read in name order and
// merged, so admins can split them as they like (handlers.toml,
// categories.toml, mailboxes.toml, routes.toml, calendar.toml). Each kind of
// rule is an array of tables ([[handler]] with its [[handler.absence]],
// [[category]], [[mailbox]], [[route]]) or, for the one business calendar, a
// [calendar] table; docs/rules.md is the admins' reference.
package rules

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kioi/maildesk/internal/tomlcheck"
)

// Handler is a member of staff who answers a kind of mail.
type Handler struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Department string `json:"department"`
	Phone      string `json:"phone"`
	Email      string `json:"email"`
	// NameEn and DepartmentEn are what the English part of a customer's
	// mail calls the handler; "" when the rules give none, and the
	// English part then repeats the Korean.
	NameEn       string `json:"name_en,omitempty"`
	DepartmentEn string `json:"department_en,omitempty"`
	// Absences are the days the handler is away, in date order, each
	// with the handler who takes over.
	Absences []Absence `json:"-"`
}

// Absence is a run of days, From to To inclusive in the calendar's zone, on
// which a handler is away and Delegate answers instead.
type Absence struct {
	From, To Date
	Delegate string // handler ID
	Note     string // optional, for admins ("연차", "교육 출장")

	pos Problem // where it is written, for messages
}

// Covers reports whether d is one of the absence's days.
func (a *Absence) Covers(d Date) bool {
	return !d.Before(a.From) && !a.To.Before(d)
}

// AbsentOn returns the absence covering d, if any.
func (h *Handler) AbsentOn(d Date) (*Absence, bool) {
	for i := range h.Absences {
		if h.Absences[i].Covers(d) {
			return &h.Absences[i], true
		}
	}
	return nil, false
}

// Category is a kind of inquiry with its own ticket tag and service standard.
type Category struct {
	ID     string
	Name   string // Korean display name
	NameEn string
	Tag    string // ticket tag prefix: "FTA-PASS" in "[FTA-PASS #12]"

	// Window is the time within which the customer gets an answer,
	// counted on Clock. On ClockWorkingHours it is working time: a window
	// written "5d" is 40h.
	Window time.Duration
	// Clock says how Window is counted: ClockCalendar,
	// ClockBusinessDays or ClockWorkingHours.
	Clock string
	// NoticeBefore is how long before the deadline, on the same clock, the
	// customer is told of a delay if no answer has gone out; 0 means no
	// advance notice.
	NoticeBefore time.Duration
	// NoticeReason and NoticeStatus are the delay notice's default reason
	// and current status, until staff set their own; the En variants are
	// for the English part of the notice, "" to leave it out.
	NoticeReason, NoticeReasonEn string
	NoticeStatus, NoticeStatusEn string
	// Supervisor is the handler ID alerted when a deadline passes
	// unanswered; "" for nobody.
	Supervisor string
	// Handler is the handler ID for mail a route puts in this category
	// without naming a handler; "" leaves the mailbox's handler.
	Handler string
	// AckTemplate and NoticeTemplate name the templates of the
	// acknowledgement and of the delay notice; default "ack" and "notice".
	AckTemplate    string
	NoticeTemplate string
	// Closing and the satisfaction survey (rules/survey.go).
	Closing
	// Corrections: the category takes correction requests (시정요청), so
	// #uphold and #dismiss work on its tickets; set by the compensation
	// key, even at 0. Compensation is what #uphold pays without an
	// amount, in KRW; 0 upholds without compensation.
	Corrections  bool
	Compensation int64

	cal          *Calendar     // the set's calendar; nil for a Category built by hand
	templateUses []TemplateUse // the templates its file names, for TemplateUses
}

// TemplateUse is a template a rule file names, where it names it, and the
// kind of mail it is rendered as ("ack" or "notice"), so that the caller
// holding the templates can check that it exists and renders.
type TemplateUse struct {
	Field string // "ack_template"
	Name  string // the template's name
	Kind  string // the built-in template whose data it gets
	Pos   Problem
}

// TemplateUses lists the templates the categories name explicitly, in file
// order. (A category that names none uses the built-in names, which the
// template loader checks itself.)
func (s *Set) TemplateUses() []TemplateUse {
	var uses []TemplateUse
	for _, c := range s.Categories {
		uses = append(uses, c.templateUses...)
	}
	sort.Slice(uses, func(i, j int) bool {
		a, b := uses[i].Pos, uses[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return uses
}

// MailboxRule is what happens by default to mail arriving at a mailbox named in
// maildesk.toml.
type MailboxRule struct {
	Name        string // mailbox name in maildesk.toml
	Category    string // category ID
	Handler     string // handler ID
	Acknowledge bool   // send the customer an acknowledgement; default true
	Priority    string // default PriorityNormal
}

// Set is the merged content of a rules directory. It is read-only once loaded:
// a reload builds a new Set, so one can be shared between goroutines.
type Set struct {
	Handlers   map[string]*Handler
	Categories map[string]*Category
	Mailboxes  map[string]*MailboxRule
	// Routes in the order they are tried, disabled ones included.
	Routes []*Route
	// Calendar counts the reply windows; Load always sets it.
	Calendar *Calendar
	// ReportTo are the handlers who get the monthly charter report by
	// mail (report_to = ["kioi"]); empty for none.
	ReportTo []string
	Files    []string // the files read, in order

	where map[string]Problem // "mailbox:fta-pass" -> file and line of its definition
}

// ErrNoRule is returned by Decide for a mailbox that has no rule.
var ErrNoRule = errors.New("no rule")

// The files' own shape.
type rulesFile struct {
	Handler  []handlerFile     `toml:"handler"`
	Category []categoryFile    `toml:"category"`
	Mailbox  []mailboxRuleFile `toml:"mailbox"`
	Route    []routeFile       `toml:"route"`
	Calendar *calendarFile     `toml:"calendar"`
	ReportTo []string          `toml:"report_to"`
}

type handlerFile struct {
	ID           string        `toml:"id"`
	Name         string        `toml:"name"`
	NameEn       string        `toml:"name_en"`
	Department   string        `toml:"department"`
	DepartmentEn string        `toml:"department_en"`
	Phone        string        `toml:"phone"`
	Email        string        `toml:"email"`
	Absence      []absenceFile `toml:"absence"`
}

type absenceFile struct {
	From     any    `toml:"from"` // a TOML date or a string
	To       any    `toml:"to"`
	Delegate string `toml:"delegate"`
	Note     string `toml:"note"`
}

type categoryFile struct {
	ID             string `toml:"id"`
	Name           string `toml:"name"`
	NameEn         string `toml:"name_en"`
	Tag            string `toml:"tag"`
	Window         string `toml:"window"`
	Clock          string `toml:"clock"`
	NoticeBefore   string `toml:"notice_before"`
	NoticeReason   string `toml:"notice_reason"`
	NoticeReasonEn string `toml:"notice_reason_en"`
	NoticeStatus   string `toml:"notice_status"`
	NoticeStatusEn string `toml:"notice_status_en"`
	Supervisor     string `toml:"supervisor"`
	Handler        string `toml:"handler"`
	AckTemplate    string `toml:"ack_template"`
	NoticeTemplate string `toml:"notice_template"`
	closingFile
	Compensation *int64 `toml:"compensation"`
}

type mailboxRuleFile struct {
	Name        string `toml:"name"`
	Category    string `toml:"category"`
	Handler     string `toml:"handler"`
	Acknowledge *bool  `toml:"acknowledge"`
	Priority    string `toml:"priority"`
}

// MaxCompensation is the most KRW one upheld correction request may pay,
// from a category's compensation or a #uphold AMOUNT: a hundred times the
// charter's 10,000 KRW, so that a typo of a few zeros is refused.
const MaxCompensation = 1_000_000

var tagRE = regexp.MustCompile(`^[A-Z0-9-]+$`)

// Load reads all *.toml files of dir in name order and merges them, with the
// calendar in Asia/Seoul unless a [calendar] table names another zone. On
// failure the error is Problems listing everything wrong, each with file and
// line.
func Load(dir string) (*Set, error) { return LoadWithZone(dir, nil) }

// LoadWithZone is Load with loc (maildesk.toml's timezone) as the
// calendar's zone when the rules name none; nil means Asia/Seoul.
func LoadWithZone(dir string, loc *time.Location) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, Problems{{File: dir, Msg: fmt.Sprintf("reading rules directory: %v", err)}}
	}
	// Files are read through an os.Root: a symlink that leads out of the
	// directory is refused, so the rules are exactly what sits in it.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, Problems{{File: dir, Msg: fmt.Sprintf("reading rules directory: %v", err)}}
	}
	defer root.Close()
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
	var unread []string // files that could not be read or decoded
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".toml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		s.Files = append(s.Files, path)
		data, err := root.ReadFile(e.Name())
		if err != nil {
			ps = append(ps, Problem{File: path, Msg: err.Error()})
			unread = append(unread, path)
			continue
		}
		var raw rulesFile
		f, ok := decodeTOML(path, data, &raw)
		if !ok {
			unread = append(unread, path)
		}
		if ok {
			for i := range raw.Handler {
				key := "handler." + strconv.Itoa(i+1)
				if h := s.addHandler(f, key, &raw.Handler[i]); h != nil {
					for j, a := range h.Absences {
						if a.Delegate != "" {
							k := key + ".absence." + strconv.Itoa(j+1) + ".delegate"
							refs = append(refs, ref{f, k, a.Delegate, true, "absence of " + strconv.Quote(h.ID) + ": unknown delegate %q"})
						}
					}
				}
			}
			for i := range raw.Category {
				key := "category." + strconv.Itoa(i+1)
				if c := s.addCategory(f, key, &raw.Category[i]); c != nil {
					if c.Supervisor != "" {
						refs = append(refs, ref{f, key + ".supervisor", c.Supervisor, true, "supervisor %q is not a handler"})
					}
					if c.Handler != "" {
						refs = append(refs, ref{f, key + ".handler", c.Handler, true, "unknown handler %q"})
					}
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
			for i := range raw.Route {
				key := "route." + strconv.Itoa(i+1)
				r := f.route(key, &raw.Route[i])
				s.Routes = append(s.Routes, r)
				if r.Handler != "" && tomlcheck.IsName(r.Handler) {
					refs = append(refs, ref{f, key + ".handler", r.Handler, true, "unknown handler %q"})
				}
				if r.Category != "" && tomlcheck.IsName(r.Category) {
					refs = append(refs, ref{f, key + ".category", r.Category, false, "unknown category %q"})
				}
			}
			if raw.ReportTo != nil && s.define(f, "report_to", "", "report_to") {
				for _, id := range raw.ReportTo {
					if !slices.Contains(s.ReportTo, id) {
						s.ReportTo = append(s.ReportTo, id)
					}
					refs = append(refs, ref{f, "report_to", id, true, "report_to: unknown handler %q"})
				}
			}
			if raw.Calendar != nil {
				if s.define(f, "calendar", "", "calendar") {
					s.Calendar = f.calendar(raw.Calendar, loc)
				}
			}
		}
		ps = append(ps, f.Problems...)
	}
	if len(s.Files) == 0 {
		ps = append(ps, Problem{File: dir, Msg: "no *.toml rule files"})
	}
	if len(unread) > 0 && len(refs) > 0 {
		// What the unread file defines is unknown, so every reference to
		// it would be a false "unknown category" in each file that names
		// one: one line says so instead.
		ps = append(ps, Problem{File: dir, Msg: fmt.Sprintf("references between rule files (categories, handlers, delegates, absences) not checked, because %s could not be read", strings.Join(unread, ", "))})
		refs = nil
	}
	for _, r := range refs {
		var ok bool
		if r.handler {
			_, ok = s.Handlers[r.value]
		} else {
			_, ok = s.Categories[r.value]
		}
		if !ok {
			ps = append(ps, Problem{File: r.file.Path, Line: r.file.Line(r.key), Msg: fmt.Sprintf(r.msg, r.value)})
		}
	}
	if len(unread) == 0 {
		ps = append(ps, s.checkAbsences()...)
	}
	if s.Calendar == nil {
		s.Calendar = DefaultCalendar(loc)
	}
	for _, c := range s.Categories {
		c.cal = s.Calendar
	}
	if err := ps.Err(s.Files...); err != nil {
		return nil, err
	}
	return s, nil
}

// define records where a rule is defined, reporting an ID defined twice with
// both places. It returns false for a duplicate.
func (s *Set) define(f *tomlFile, kind, id, key string) bool {
	here := Problem{File: f.Path, Line: f.Line(key)}
	if first, dup := s.where[kind+":"+id]; dup {
		if id == "" {
			f.Addf(key, "[%s] already defined at %s:%d", kind, first.File, first.Line)
		} else {
			f.Addf(key, "%s %q already defined at %s:%d", kind, id, first.File, first.Line)
		}
		return false
	}
	s.where[kind+":"+id] = here
	return true
}

// id checks an ID's presence and spelling. IDs are typed by staff in
// commands and by admins in references, so they are kept to [a-z0-9-]+.
func (f *tomlFile) id(table, field, value string) bool {
	if !f.Required(table, field, value) {
		return false
	}
	if !tomlcheck.IsName(value) {
		f.Addf(table+"."+field, "%s %q: use lower-case letters, digits and '-'", field, value)
		return false
	}
	return true
}

func (s *Set) addHandler(f *tomlFile, key string, raw *handlerFile) *Handler {
	ok := f.id(key, "id", raw.ID)
	f.Required(key, "name", raw.Name)
	if f.Required(key, "email", raw.Email) {
		if a, err := mail.ParseAddress(raw.Email); err != nil || a.Address != raw.Email {
			f.Addf(key+".email", "email %q is not an email address like name@example.org", raw.Email)
		}
	}
	for _, field := range []struct{ key, value string }{{"name_en", raw.NameEn}, {"department_en", raw.DepartmentEn}} {
		if hasHangul(field.value) {
			f.Addf(key+"."+field.key, "%s %q has Hangul: it is what the English part of a mail says; leave it out to repeat the Korean", field.key, field.value)
		} else if f.Has(key+"."+field.key) && strings.TrimSpace(field.value) == "" {
			f.Addf(key+"."+field.key, "%q must not be empty; leave it out to repeat the Korean", field.key)
		}
	}
	h := &Handler{ID: raw.ID, Name: raw.Name, Department: raw.Department, Phone: raw.Phone, Email: raw.Email,
		NameEn: raw.NameEn, DepartmentEn: raw.DepartmentEn}
	for i := range raw.Absence {
		k := key + ".absence." + strconv.Itoa(i+1)
		// Every problem of an absence names whose it is: a handlers file
		// lists many, and a line number alone sends the admin counting
		// tables.
		n := len(f.Problems)
		ab, ok := f.absence(k, &raw.Absence[i], raw.ID)
		for j := n; j < len(f.Problems); j++ {
			f.Problems[j].Msg = fmt.Sprintf("absence of %q: %s", raw.ID, f.Problems[j].Msg)
		}
		if ok {
			h.Absences = append(h.Absences, ab)
		}
	}
	if ok && s.define(f, "handler", raw.ID, key+".id") {
		s.Handlers[raw.ID] = h
		return h
	}
	return nil
}

// absence checks one [[handler.absence]] of handler id at key k.
func (f *tomlFile) absence(k string, a *absenceFile, id string) (Absence, bool) {
	from, okFrom := f.date(k+".from", a.From)
	to, okTo := f.date(k+".to", a.To)
	f.Required(k, "delegate", a.Delegate)
	switch {
	case a.Delegate != "" && a.Delegate == id:
		f.Addf(k+".delegate", "the delegate is the absent handler itself")
		return Absence{}, false
	case !okFrom || !okTo:
		return Absence{}, false
	case to.Before(from):
		f.Addf(k+".to", "from %s is after to %s", from, to)
		return Absence{}, false
	case a.Delegate == "":
		return Absence{}, false
	}
	return Absence{From: from, To: to, Delegate: a.Delegate, Note: a.Note, pos: Problem{File: f.Path, Line: f.Line(k)}}, true
}

// checkAbsences finds overlapping absences of one handler and delegates
// who are away on one of the days they would take over: either would leave
// mail with nobody to answer it.
func (s *Set) checkAbsences() Problems {
	var ps Problems
	for _, id := range slices.Sorted(maps.Keys(s.Handlers)) {
		h := s.Handlers[id]
		slices.SortStableFunc(h.Absences, func(a, b Absence) int { return a.From.Compare(b.From) })
		kept := h.Absences[:0]
		for _, a := range h.Absences {
			if n := len(kept); n > 0 && !kept[n-1].To.Before(a.From) {
				prev := kept[n-1]
				ps = append(ps, Problem{File: a.pos.File, Line: a.pos.Line,
					Msg: fmt.Sprintf("absence of %q: %s..%s overlaps the one at line %d (%s..%s)", id, a.From, a.To, prev.pos.Line, prev.From, prev.To)})
				continue
			}
			kept = append(kept, a)
		}
		h.Absences = kept
	}
	for _, id := range slices.Sorted(maps.Keys(s.Handlers)) {
		for _, a := range s.Handlers[id].Absences {
			d, ok := s.Handlers[a.Delegate]
			if !ok {
				continue // reported as an unknown delegate
			}
			for _, b := range d.Absences {
				if b.To.Before(a.From) || a.To.Before(b.From) {
					continue
				}
				first := a.From
				if first.Before(b.From) {
					first = b.From
				}
				ps = append(ps, Problem{File: a.pos.File, Line: a.pos.Line,
					Msg: fmt.Sprintf("absence of %q: delegate %q is absent too on %s (absence at %s:%d)", id, a.Delegate, first, b.pos.File, b.pos.Line)})
				break
			}
		}
	}
	return ps
}

// window parses a window or lead time for a clock: a day is 8 working hours
// on the working-hours clock and 24 hours on the others.
func window(s, clock string) (time.Duration, error) {
	days, rest, err := tomlcheck.ParseDays(s)
	if err != nil {
		return 0, err
	}
	day := 24 * time.Hour
	if clock == ClockWorkingHours {
		day = workingDay
	}
	return time.Duration(days)*day + rest, nil
}

func (s *Set) addCategory(f *tomlFile, key string, raw *categoryFile) *Category {
	c := &Category{
		ID:             raw.ID,
		Name:           raw.Name,
		NameEn:         raw.NameEn,
		Tag:            raw.Tag,
		NoticeReason:   raw.NoticeReason,
		NoticeReasonEn: raw.NoticeReasonEn,
		NoticeStatus:   raw.NoticeStatus,
		NoticeStatusEn: raw.NoticeStatusEn,
		Supervisor:     raw.Supervisor,
		Handler:        raw.Handler,
		AckTemplate:    cmp.Or(raw.AckTemplate, "ack"),
		NoticeTemplate: cmp.Or(raw.NoticeTemplate, "notice"),
	}
	if raw.Compensation != nil {
		switch n := *raw.Compensation; {
		case n < 0 || n > MaxCompensation:
			f.Addf(key+".compensation", "compensation = %d: want KRW from 0 to %d", n, MaxCompensation)
		default:
			c.Corrections, c.Compensation = true, n
		}
	}
	idOK := f.id(key, "id", raw.ID)
	f.Required(key, "name", raw.Name)
	tagOK := f.Required(key, "tag", raw.Tag)
	if tagOK && !tagRE.MatchString(raw.Tag) {
		f.Addf(key+".tag", "tag %q: use upper-case letters, digits and '-'", raw.Tag)
		tagOK = false
	}
	clock, ok := NormalizeClock(cmp.Or(raw.Clock, ClockCalendar))
	c.Clock = clock
	if !ok {
		f.Addf(key+".clock", "clock = %q: want \"calendar\", \"business-days\" or \"working-hours\"", raw.Clock)
	}
	if f.Required(key, "window", raw.Window) {
		d, err := window(raw.Window, clock)
		switch {
		case err != nil:
			f.Addf(key+".window", "window: %v", err)
		case d <= 0:
			f.Addf(key+".window", "window %q must be positive", raw.Window)
		default:
			c.Window = d
		}
	}
	if raw.NoticeBefore != "" {
		d, err := window(raw.NoticeBefore, clock)
		switch {
		case err != nil:
			f.Addf(key+".notice_before", "notice_before: %v", err)
		case d < 0:
			f.Addf(key+".notice_before", "notice_before %q must not be negative", raw.NoticeBefore)
		case c.Window > 0 && d >= c.Window:
			f.Addf(key+".notice_before", "notice_before %q must be shorter than window %q", raw.NoticeBefore, raw.Window)
		default:
			c.NoticeBefore = d
		}
	}
	for _, t := range []struct{ field, kind, value string }{
		{"ack_template", "ack", raw.AckTemplate}, {"notice_template", "notice", raw.NoticeTemplate},
	} {
		switch {
		case t.value == "":
		case !templateRE.MatchString(t.value):
			f.Addf(key+"."+t.field, "%s %q: use letters, digits, '-' and '_'", t.field, t.value)
		default:
			c.templateUses = append(c.templateUses, TemplateUse{Field: t.field, Name: t.value, Kind: t.kind,
				Pos: Problem{File: f.Path, Line: f.Line(key + "." + t.field)}})
		}
	}
	c.Closing = f.closing(key, raw.closingFile, clock)
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

// templateRE keeps template names to file names that cannot leave the
// template directory.
var templateRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func (s *Set) addMailbox(f *tomlFile, key string, raw *mailboxRuleFile) *MailboxRule {
	r := &MailboxRule{Name: raw.Name, Category: raw.Category, Handler: raw.Handler, Acknowledge: true,
		Priority: cmp.Or(raw.Priority, PriorityNormal)}
	if raw.Acknowledge != nil {
		r.Acknowledge = *raw.Acknowledge
	}
	switch r.Priority {
	case PriorityHigh, PriorityNormal, PriorityLow:
	default:
		f.Addf(key+".priority", "priority = %q: want \"high\", \"normal\" or \"low\"", r.Priority)
	}
	ok := f.id(key, "name", raw.Name)
	f.Required(key, "category", raw.Category)
	f.Required(key, "handler", raw.Handler)
	if ok && s.define(f, "mailbox", raw.Name, key+".name") {
		s.Mailboxes[raw.Name] = r
		return r
	}
	return nil
}

// Deployment is what Validate checks a Set against: the mailboxes
// maildesk.toml defines, and where, for messages. The config package reads
// them; desk.Load fills this from its Config.
type Deployment struct {
	File      string // maildesk.toml as problems name it
	Rules     string // the rules directory it names
	Mailboxes []DeployedMailbox
}

// DeployedMailbox is a mailbox of maildesk.toml and the line of its name.
type DeployedMailbox struct {
	Name string
	Line int
}

// Validate checks the set against the deployment: every mailbox has a rule,
// and every rule names a known mailbox, category and handler. Load already
// checked the references within the set; checking them again keeps Validate
// correct for a Set built by hand.
func (s *Set) Validate(d Deployment) error {
	var ps Problems
	cfgFile := d.File
	at := func(kind, id string) Problem {
		if p, ok := s.where[kind+":"+id]; ok {
			return p
		}
		return Problem{File: "rules"}
	}
	known := map[string]bool{}
	for _, mb := range d.Mailboxes {
		known[mb.Name] = true
		if _, ok := s.Mailboxes[mb.Name]; !ok {
			ps = append(ps, Problem{File: cfgFile, Line: mb.Line,
				Msg: fmt.Sprintf("mailbox %q has no [[mailbox]] rule in %s", mb.Name, d.Rules)})
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
	for _, r := range s.Routes {
		for _, m := range r.Mailboxes {
			if !known[m] {
				ps = append(ps, Problem{File: r.path, Line: r.Line,
					Msg: fmt.Sprintf("route names mailbox %q, which is not in %s", m, cfgFile)})
			}
		}
	}
	return ps.Err(append([]string{cfgFile}, s.Files...)...)
}

// Input is what a decision looks at; callers fill what they know.
type Input struct {
	Mailbox     string   // mailbox name from maildesk.toml
	To          []string // recipient addresses (To, Cc, Delivered-To)
	From        string   // sender address
	Subject     string
	Text        string   // plain-text body
	Attachments []string // attachment file names, "" for an unnamed one
	// At is when the mail was received; Due and NoticeAt are counted from
	// it. The zero time leaves them zero.
	At time.Time
}

// Decision is what the rules say should happen to a new inquiry.
type Decision struct {
	Category *Category
	// Handler answers the ticket: the assigned handler, or their
	// delegate when the assigned one is absent on In.At's day.
	Handler *Handler
	// Absent is the assigned handler when they are away and Handler is
	// their delegate; nil otherwise.
	Absent      *Handler
	Acknowledge bool
	Priority    string // PriorityHigh, PriorityNormal or PriorityLow
	// Rule says what decided, for logs and `rules test`:
	// `routes.toml:12 (keyword "민원" in subject)` or
	// "mailbox fta-pass default".
	Rule string
	// Language is what the customer's mail leads with, LangKorean or
	// LangEnglish, decided once for the ticket from this first mail;
	// LanguageBy says why, for `rules test`.
	Language, LanguageBy string
	// Due is In.At plus the category's window on its clock; NoticeAt is
	// NoticeBefore earlier on the same clock (Due when there is no
	// advance notice).
	Due, NoticeAt time.Time
}

// Decide picks category, handler and deadlines for a new inquiry: the first
// enabled route whose conditions all hold, completed by the mailbox's rule;
// or the mailbox's rule alone. It fails, wrapping ErrNoRule, when neither
// says which category and handler, which Validate rules out for configured
// mailboxes.
func (s *Set) Decide(in Input) (Decision, error) {
	mr := s.Mailboxes[in.Mailbox]
	var (
		route *Route
		why   string
	)
	if len(s.Routes) > 0 {
		p := prepare(&in)
		for _, r := range s.Routes {
			if r.Disabled {
				continue
			}
			if w, ok := r.match(p); ok {
				route, why = r, w
				break
			}
		}
	}
	var d Decision
	catID, handlerID := "", ""
	if mr != nil {
		catID, handlerID = mr.Category, mr.Handler
		d.Acknowledge, d.Priority = mr.Acknowledge, mr.Priority
		d.Rule = "mailbox " + in.Mailbox + " default"
	} else {
		d.Acknowledge, d.Priority = true, PriorityNormal
	}
	if route != nil {
		d.Rule = route.Where()
		if route.Name != "" {
			d.Rule += " " + route.Name
		}
		d.Rule += " (" + why + ")"
		if route.Category != "" {
			catID = route.Category
			if c, ok := s.Categories[catID]; ok && c.Handler != "" {
				handlerID = c.Handler
			}
		}
		if route.Handler != "" {
			handlerID = route.Handler
		}
		if route.Priority != "" {
			d.Priority = route.Priority
		}
		if route.Acknowledge != nil {
			d.Acknowledge = *route.Acknowledge
		}
	}
	if catID == "" || handlerID == "" {
		if route != nil {
			return Decision{}, fmt.Errorf("decide for mailbox %q: %s leaves category or handler unset and the mailbox has no rule: %w", in.Mailbox, d.Rule, ErrNoRule)
		}
		return Decision{}, fmt.Errorf("decide for mailbox %q: %w", in.Mailbox, ErrNoRule)
	}
	c, ok := s.Categories[catID]
	if !ok {
		return Decision{}, fmt.Errorf("decide for mailbox %q: unknown category %q", in.Mailbox, catID)
	}
	h, ok := s.Handlers[handlerID]
	if !ok {
		return Decision{}, fmt.Errorf("decide for mailbox %q: unknown handler %q", in.Mailbox, handlerID)
	}
	d.Category, d.Handler = c, h
	d.Language, d.LanguageBy = language(&in, route)
	if !in.At.IsZero() {
		if dh, delegated := s.Delegate(h, in.At); delegated {
			d.Handler, d.Absent = dh, h
		}
		d.Due = c.Due(in.At)
		d.NoticeAt = c.NoticeAt(d.Due)
	}
	return d, nil
}

// Delegate returns who answers for h at t: h itself (false), or, when h is
// absent on t's day in the calendar's zone, their delegate (true) — and that
// delegate's delegate if they are away too, as far as the chain goes without
// a loop. Load rejects delegates who are away themselves; following the
// chain keeps a hand-built Set safe.
func (s *Set) Delegate(h *Handler, t time.Time) (*Handler, bool) {
	if h == nil {
		return nil, false
	}
	cal := s.Calendar
	if cal == nil {
		cal = defaultCalendar()
	}
	day := DateOf(t.In(cal.Location()))
	seen := map[string]bool{h.ID: true}
	cur := h
	for {
		a, absent := cur.AbsentOn(day)
		if !absent {
			break
		}
		next, ok := s.Handlers[a.Delegate]
		if !ok || seen[next.ID] {
			break
		}
		seen[next.ID] = true
		cur = next
	}
	return cur, cur != h
}

var defaultCalendar = sync.OnceValue(func() *Calendar { return DefaultCalendar(nil) })

// Due returns the deadline for something received at t under category c:
// Window after t on the category's clock, counted on the calendar of the
// rules the category was loaded with (the default calendar for a Category
// built by hand).
func (c *Category) Due(t time.Time) time.Time {
	return c.calendar().Add(t, c.Window, c.Clock)
}

// NoticeAt returns when the delay notice for a deadline due goes out:
// NoticeBefore earlier on the category's clock, or due itself when there is
// no advance notice.
func (c *Category) NoticeAt(due time.Time) time.Time {
	if c.NoticeBefore <= 0 {
		return due
	}
	return c.calendar().Sub(due, c.NoticeBefore, c.Clock)
}

// Elapsed returns the time from t to u counted on the category's clock
// (the first-response time "on the category's clock" of the report).
func (c *Category) Elapsed(t, u time.Time) time.Duration {
	return c.calendar().Elapsed(t, u, c.Clock)
}

func (c *Category) calendar() *Calendar {
	if c.cal != nil {
		return c.cal
	}
	return defaultCalendar()
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
