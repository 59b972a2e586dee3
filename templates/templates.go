// Package templates holds maildesk's mail templates (Korean first, English
// below), embedded; files in an override directory replace them by name.
//
// The templates of mail to customers (ack, correction-ack, notice, interim, transfer,
// answer, correction-result) get EnglishFirst, the ticket's language: each writes its Korean
// and its English part once, as {{define "korean"}} and {{define
// "english"}}, and puts them in that order or the other.
//
// A template name has a text part, name.txt (text/template), and optionally an
// HTML part, name.html (html/template, which escapes what it inserts). An
// override directory that has either file of a name replaces that whole
// template: otherwise an admin who rewrote ack.txt would see the built-in
// ack.html sent along with it, and most mail clients show the HTML.
//
// Templates can use two functions: kdate formats a time in Korean
// ("2026년 11월 27일(금) 14:00"), edate in English ("Friday, 27 November
// 2026, 14:00 KST"). Both print the time in its own zone, so callers set
// the zone before rendering.
package templates

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed builtin
var builtin embed.FS

// Set is a loaded template set. It is read-only after Load and safe for
// concurrent use.
type Set struct {
	text  map[string]*texttemplate.Template
	html  map[string]*htmltemplate.Template
	files map[string]string // "ack.txt" -> the path errors name
}

// Ack is the data of the "ack" template, the acknowledgement a customer gets
// for a new inquiry.
type Ack struct {
	Tag        string    // "[FTA-PASS #12]"
	Subject    string    // customer's subject
	Category   string    // Korean category name
	CategoryEn string    // English category name
	Customer   string    // customer display name or address
	Handler    Contact   // who answers
	Received   time.Time // in the configured zone already
	Due        time.Time // when the customer will have an answer, zone set
	Mailbox    string    // published address
	// EnglishFirst: the customer wrote in English (or a route says so);
	// the English part comes first.
	EnglishFirst bool
}

// Quarantine is the data of the "quarantine" template: the note a handler
// gets when a mail to their mailbox could not be read.
type Quarantine struct {
	Handler  Contact
	Mailbox  string // published address
	Tag      string // "[FTA-PASS #12]"
	TicketID int64
	From     string
	Subject  string
	Received time.Time // zone set
	Reason   string
}

// History is the data of the "history" template: the one note a handler
// gets when maildesk, at a mailbox's first start, stored the mail already
// there as history instead of answering it.
type History struct {
	Handler Contact
	Mailbox string    // published address
	Count   int       // messages stored as history
	Before  time.Time // mail that arrived before this is history; zone set
}

// Notice is the data of the "notice" template (the delay notice an inquiry
// gets before its deadline lapses unanswered) and of "interim" (the same
// for a complaint, in the wording of an interim notice).
type Notice struct {
	Tag        string // "[FTA-PASS #12]"
	Subject    string
	Category   string
	CategoryEn string
	Customer   string
	Handler    Contact
	Received   time.Time // zone set
	Due        time.Time // the deadline that will not hold
	Expected   time.Time // the expected completion date
	Reason     string    // why the answer is late
	Status     string    // where the inquiry stands now
	ReasonEn   string    // English versions for the English part; "" repeats Reason
	StatusEn   string
	Mailbox    string
	// EnglishFirst: the ticket's language is English (see Ack).
	EnglishFirst bool
}

// Alert is the data of the "alert" template: the supervisor's mail when a
// deadline passed unanswered.
type Alert struct {
	Supervisor Contact
	Handler    Contact
	Tag        string
	TicketID   int64
	Subject    string
	Category   string
	CategoryEn string
	Customer   string
	Received   time.Time // zone set
	Due        time.Time
	Late       string   // how late, in Korean, e.g. "2시간 5분"
	LateEn     string   // the same in English, e.g. "2 h 5 min"
	Text       string   // what the customer last wrote, quoted history folded away
	History    []string // the ticket's last messages, one line each (as in Staff)
	Events     []string // the ticket's last events (deferred, assigned, notes …), one line each
}

// Staff is the data of the "staff" template: what a handler gets for a new
// inquiry, a customer's follow-up or a transfer. Replying to it answers the
// customer.
type Staff struct {
	Handler  Contact
	Tag      string
	Category string
	Customer string
	Subject  string
	Due      time.Time // zone set
	Text     string    // what the customer wrote, quoted history folded away
	History  []string  // the ticket so far, one line each
	Mailbox  string
	FollowUp bool // the customer wrote again
	Transfer bool // the ticket was handed to this handler
	Bounce   bool // a mail to the customer came back undelivered; Text says which and why
	// Former: Text is a reply from a handler the ticket has since left;
	// it was not sent to the customer.
	Former bool
	// Flood: the customer's mail comes faster than a conversation; this is
	// the last notice about it for the hour, the rest is only stored.
	Flood bool
	// DeferExample is a date a week ahead, YYYY-MM-DD, for the example
	// #defer line: a fixed date in the template would lie in the past.
	DeferExample string
	// Mentions is the tag of another customer's ticket that the subject
	// of this new ticket carries ("[QUAL #2]"), for #merge; "" when none.
	Mentions string
	// Attachments are the files of the customer's mail, listed whether or
	// not this notice carries them: a handler must know they exist.
	Attachments []Attachment
	// Extract is the command that writes the files out of the database
	// ("maildesk ticket 12 -attachments DIR") when the notice does not
	// carry them all; "" when it does.
	Extract string
	// AttachMax is the limit the files were over, e.g. "10 MB" (the
	// staff_attachments_max setting); "" when attaching is off.
	AttachMax string
	// Defects are what maildesk read around in the customer's mail (a
	// damaged attachment, a broken part), so the handler does not trust
	// a file that may be cut short.
	Defects []string
	// Correction is set on a correction request (a category with a
	// compensation key): the compensation #uphold records without an
	// amount, written out ("10,000", "0"); "" on other tickets.
	Correction string
}

// Attachment is one file of a customer's mail, as a handler's notice lists
// it. Name is the one maildesk gives the file, which `-attachments` writes
// too: stripped of path separators and control characters.
type Attachment struct {
	Name     string // e.g. "오류화면.png"
	Type     string // media type, e.g. "image/png"
	Size     string // e.g. "1.2 MB"
	Attached bool   // this notice carries the file
}

// Original is the data of the "original" template: a handler's #original
// command is answered with the customer's mail as received, attached.
type Original struct {
	Handler  Contact
	Tag      string
	Number   int       // the message's number, as `maildesk ticket` lists it
	From     string    // who sent it
	Subject  string    // its subject
	Received time.Time // when maildesk stored it; zone set
	Name     string    // the attached file's name, e.g. "ticket-12-message-1.eml"
}

// Answer is the data of the "answer" template: a staff answer as the
// customer receives it, with the handler's signature.
type Answer struct {
	Text    string
	Handler Contact
	Mailbox string
	// EnglishFirst: the ticket's language is English; the signature is
	// the English one.
	EnglishFirst bool
}

// Transfer is the data of the "transfer" template: the customer is told who
// now handles the inquiry.
type Transfer struct {
	Tag      string
	Subject  string
	Customer string
	Handler  Contact // the new handler
	Due      time.Time
	Mailbox  string
	// EnglishFirst: the ticket's language is English (see Ack).
	EnglishFirst bool
}

// CorrectionResult is the data of the "correction-result" template: the
// customer of a correction request (시정요청) is told the outcome, after
// #uphold (with the apology and the compensation) or #dismiss (with the
// reason).
type CorrectionResult struct {
	Tag      string
	Subject  string
	Customer string
	Handler  Contact // who decided
	Upheld   bool    // true: upheld (#uphold); false: not upheld (#dismiss)
	// Compensation is the KRW the customer is paid, 0 for none;
	// CompensationText is it written out: "10,000".
	Compensation     int64
	CompensationText string
	Reason           string // #dismiss's reason; "" when upheld
	Text             string // what the handler wrote below the command, if anything
	Received         time.Time
	Mailbox          string
	// EnglishFirst: the ticket's language is English (see Ack).
	EnglishFirst bool
}

// Reminder is the data of the "reminder" template: a ticket registered
// without an email address (a complaint by phone, post, visit or fax)
// cannot be mailed, so each mail the customer would have had goes to the
// handler instead, with its text, to be given by phone or letter.
type Reminder struct {
	Handler  Contact
	Tag      string
	Subject  string
	Channel  string // "phone", "post", …
	Customer string // the customer's name
	Phone    string // the customer's phone, "" when not given
	Kind     string // the mail it stands for: "ack", "notice", "answer", …
	What     string // that mail in words: "접수 안내 / acknowledgement"
	Text     string // the mail's text, to be given to the customer
	Mailbox  string
}

// StaffError is the data of the "staff-error" template: a staff mail that
// could not be carried out.
type StaffError struct {
	Handler  Contact
	Tag      string
	Problems []string
	Handlers string // the handler ids #assign accepts
	// DeferExample is a date a week ahead, as in Staff.
	DeferExample string
}

// Spoof is the data of the "spoof" template: a handler is warned that a
// mail used their address without proof.
type Spoof struct {
	Handler Contact
	Tag     string
	From    string
	Subject string
	Mailbox string
}

// FYI is the data of the "fyi" template: a handler back from an absence
// hears of the tickets their delegate took.
type FYI struct {
	Handler Contact
	Tickets []string // one line each: tag, subject, delegate, status
}

// Contact is how a customer reaches a member of staff. NameEn and
// DepartmentEn are for English parts and may be empty: templates write
// {{or .Handler.NameEn .Handler.Name}}.
type Contact struct {
	Name, Department, Phone, Email string
	NameEn, DepartmentEn           string
}

var funcs = map[string]any{
	"kdate": kdate,
	"edate": edate,
}

var koreanWeekdays = [...]string{"일", "월", "화", "수", "목", "금", "토"}

// kdate formats t the way Korean official mail writes a deadline:
// "2026년 11월 27일(금) 14:00". The zero time gives "".
func kdate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d년 %d월 %d일(%s) %02d:%02d",
		t.Year(), int(t.Month()), t.Day(), koreanWeekdays[t.Weekday()], t.Hour(), t.Minute())
}

// edate formats t in British-style English with the zone, since readers abroad
// need it: "Friday, 27 November 2026, 14:00 KST". The zero time gives "".
func edate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("Monday, 2 January 2006, 15:04 MST")
}

// Load parses the embedded templates and then the override dir's files (dir
// "" = none), and renders each on trial (Check). An override with an error
// is an error naming file:line; all broken files are reported together.
func Load(overrideDir string) (*Set, error) {
	s, err := parse(overrideDir)
	if err != nil {
		return nil, err
	}
	if errs := s.checkKnown(); len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// parse is Load without the trial renderings.
func parse(overrideDir string) (*Set, error) {
	s := &Set{
		text:  map[string]*texttemplate.Template{},
		html:  map[string]*htmltemplate.Template{},
		files: map[string]string{},
	}
	builtinFS, err := fs.Sub(builtin, "builtin")
	if err != nil {
		return nil, fmt.Errorf("load built-in templates: %w", err)
	}
	if errs := s.parseDir(builtinFS, "builtin", false); len(errs) > 0 {
		return nil, fmt.Errorf("load built-in templates: %w", errs)
	}
	if overrideDir == "" {
		return s, nil
	}
	if _, err := os.Stat(overrideDir); err != nil {
		return nil, fmt.Errorf("load template overrides: %w", err)
	}
	// An os.Root, not os.DirFS: a symlink (or a name with "..") that leads
	// out of the directory is refused, so a template file can never make
	// maildesk mail out a file from elsewhere (a secret, /etc/shadow).
	root, err := os.OpenRoot(overrideDir)
	if err != nil {
		return nil, fmt.Errorf("load template overrides: %w", err)
	}
	defer root.Close()
	if errs := s.parseDir(root.FS(), overrideDir, true); len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// parseDir parses the *.txt and *.html files of fsys into s. For an override
// directory, every name found there first loses its built-in parts. dir is
// how files are named in errors.
func (s *Set) parseDir(fsys fs.FS, dir string, override bool) Errors {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return Errors{{File: dir, Msg: fmt.Sprintf("cannot read the directory: %v", err), Err: err}}
	}
	type file struct{ name, ext string }
	var files []file
	seen := map[string]bool{}
	for _, e := range entries {
		ext := path.Ext(e.Name())
		name := strings.TrimSuffix(e.Name(), ext)
		if e.IsDir() || (ext != ".txt" && ext != ".html") || name == "" || strings.HasPrefix(name, ".") {
			continue // READMEs, editor backups and the like
		}
		files = append(files, file{name, ext})
		seen[name] = true
	}
	if override {
		for name := range seen {
			delete(s.text, name)
			delete(s.html, name)
		}
	}
	var errs Errors
	for _, f := range files {
		fileName := f.name + f.ext
		display := filepath.Join(dir, fileName)
		s.files[fileName] = display
		b, err := fs.ReadFile(fsys, fileName)
		if err != nil {
			errs = append(errs, &Error{File: display, Msg: err.Error(), Err: err})
			continue
		}
		switch f.ext {
		case ".txt":
			t, err := texttemplate.New(fileName).Funcs(funcs).Option("missingkey=error").Parse(string(b))
			if err != nil {
				errs = append(errs, positioned(display, err))
				continue
			}
			s.text[f.name] = t
		case ".html":
			t, err := htmltemplate.New(fileName).Funcs(funcs).Option("missingkey=error").Parse(string(b))
			if err == nil {
				err = checkEscaping(t)
			}
			if err != nil {
				errs = append(errs, positioned(display, err))
				continue
			}
			s.html[f.name] = t
		}
	}
	for name := range seen {
		if _, ok := s.text[name]; !ok && s.html[name] != nil {
			errs = append(errs, &Error{File: filepath.Join(dir, name+".html"),
				Msg: fmt.Sprintf("no %s.txt beside it; every mail needs a text part", name)})
		}
	}
	sortErrors(errs)
	return errs
}

// errStop ends a trial execution at its first write.
var errStop = errors.New("stop")

type stopWriter struct{}

func (stopWriter) Write([]byte) (int, error) { return 0, errStop }

var _ io.Writer = stopWriter{}

// checkEscaping finds the errors html/template only reports when a template
// is first executed (an attribute left open, a value in an ambiguous context),
// so that they show up at load time with their line, not in the first mail.
// Escaping happens before execution starts; the trial stops at the first
// write.
func checkEscaping(t *htmltemplate.Template) error {
	err := t.Execute(stopWriter{}, nil)
	var escErr *htmltemplate.Error
	if errors.As(err, &escErr) {
		return err
	}
	return nil
}

// Render executes template name (e.g. "ack") with data; it returns the text
// part and, when a name.html template exists, the HTML part.
func (s *Set) Render(name string, data any) (text, html string, err error) {
	t, ok := s.text[name]
	if !ok {
		return "", "", fmt.Errorf("render: %w %q (have %s)", ErrNoTemplate, name, joinNames(s.Names()))
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("render %s.txt: %w", name, err)
	}
	text = b.String()
	if h, ok := s.html[name]; ok {
		b.Reset()
		if err := h.Execute(&b, data); err != nil {
			return "", "", fmt.Errorf("render %s.html: %w", name, err)
		}
		html = b.String()
	}
	return text, html, nil
}

func joinNames(names []string) string { return strings.Join(names, ", ") }

// Names lists the template names, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.text))
	for name := range s.text {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
