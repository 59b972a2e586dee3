package rules

import (
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/kioi/maildesk/internal/tomlcheck"
)

// Priority values of a route.
const (
	PriorityHigh   = "high"
	PriorityNormal = "normal"
	PriorityLow    = "low"
)

// Route is one [[route]] rule: conditions on a new mail and what to do when
// they all hold. Routes are tried in order (file name order, then order in
// the file); the first that matches decides, and the mailbox's [[mailbox]]
// rule fills in what the route leaves unset.
//
// Within one condition any of the values may match; every condition given
// must match. Text conditions are substrings, case-insensitive for Latin
// letters, compared in Unicode NFC so that Korean typed on any system
// matches.
type Route struct {
	File string // base name of the rules file
	Line int    // line of the [[route]] header
	Name string // optional, for logs

	// Disabled keeps a route in the file without effect.
	Disabled bool

	Mailboxes   []string // mailbox names from maildesk.toml
	To          []string // recipient addresses or domains
	From        []string // sender addresses or domains ("example.com" or "@example.com", subdomains included)
	Subject     []string // keywords in the subject
	Body        []string // keywords in the body
	Keywords    []string // keywords in the subject or the body
	Attachments []string // shell patterns for attachment file names ("*.pdf")
	// HasAttachment, when set, requires mail with (true) or without
	// (false) attachments.
	HasAttachment *bool

	Category    string // category ID, "" to keep the mailbox's
	Handler     string // handler ID, "" for the category's or the mailbox's
	Priority    string // PriorityHigh, PriorityNormal, PriorityLow or ""
	Acknowledge *bool  // nil keeps the mailbox's setting
	// Language, LangEnglish or LangKorean, sets what the customer's mail
	// leads with, whatever they wrote in; "" leaves it to their mail.
	Language string

	path string // the file as read, for Validate's problems
}

// Where names the route for logs: "routes.toml:12".
func (r *Route) Where() string {
	return r.File + ":" + strconv.Itoa(r.Line)
}

// prepared is an Input folded once for matching.
type prepared struct {
	in            *Input
	subject, body string
	from          string
	to            []string
	attachments   []string
}

// fold makes text comparable: NFC, because Korean may arrive decomposed
// (macOS mail), and lower case for Latin letters.
//
// Every new inquiry's whole body is folded (the keyword routes look at
// it), and in the backlog's profile that was 5% of intake: NFC's quick
// check and unicode.ToLower look up every Hangul syllable in tables. Text
// made only of ASCII, precomposed Hangul syllables and Hangul
// compatibility jamo, as most of our mail is, is NFC already (none of
// them composes with what precedes it, and a conjoining jamo that would
// compose with a syllable is not among them) and has upper case only in
// ASCII; it is lower-cased byte by byte. Anything else, invalid UTF-8
// included, takes the general way; both give the same result
// (TestFoldFastPath, FuzzFold).
func fold(s string) string {
	upper := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			upper = upper || ('A' <= c && c <= 'Z')
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(r >= 0xAC00 && r <= 0xD7A3) && !(r >= 0x3131 && r <= 0x318E) {
			return foldGeneral(s)
		}
		i += size
	}
	if !upper {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func foldGeneral(s string) string {
	return strings.ToLower(norm.NFC.String(s))
}

func prepare(in *Input) *prepared {
	p := &prepared{in: in, subject: fold(in.Subject), body: fold(in.Text), from: normAddress(in.From)}
	for _, a := range in.To {
		p.to = append(p.to, normAddress(a))
	}
	for _, a := range in.Attachments {
		p.attachments = append(p.attachments, fold(a))
	}
	return p
}

// normAddress lower-cases an address and drops plus-addressing
// ("fta-pass+t12.x@…" is fta-pass@…), which maildesk itself uses for reply
// tokens. It is for the patterns admins write; desk hands Input's
// addresses over in message.Canonical form (which rules may not import),
// on which normAddress changes nothing, and any other caller still gets a
// case- and +tag-blind match.
func normAddress(a string) string {
	a = strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(a), "<>")))
	local, domain, ok := strings.Cut(a, "@")
	if !ok {
		return a
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	return local + "@" + domain
}

// matchAddress matches a normalised address against an address or a
// domain pattern, returning how it matched.
func matchAddress(addr, pattern string) (string, bool) {
	pat := strings.ToLower(pattern)
	if strings.Contains(pat, "@") && !strings.HasPrefix(pat, "@") {
		return "", addr == normAddress(pat)
	}
	dom := strings.TrimPrefix(pat, "@")
	_, got, ok := strings.Cut(addr, "@")
	if !ok {
		return "", false
	}
	return " domain", got == dom || strings.HasSuffix(got, "."+dom)
}

// match reports whether every condition of r holds for p, and why.
func (r *Route) match(p *prepared) (string, bool) {
	var why []string
	if len(r.Mailboxes) > 0 {
		ok := false
		for _, m := range r.Mailboxes {
			if m == p.in.Mailbox {
				why, ok = append(why, fmt.Sprintf("mailbox %q", m)), true
				break
			}
		}
		if !ok {
			return "", false
		}
	}
	if len(r.To) > 0 {
		ok := false
	to:
		for _, pat := range r.To {
			for i, a := range p.to {
				if kind, m := matchAddress(a, pat); m {
					why, ok = append(why, fmt.Sprintf("recipient%s %q (%s)", kind, pat, p.in.To[i])), true
					break to
				}
			}
		}
		if !ok {
			return "", false
		}
	}
	if len(r.From) > 0 {
		ok := false
		for _, pat := range r.From {
			if kind, m := matchAddress(p.from, pat); m {
				why, ok = append(why, fmt.Sprintf("sender%s %q", kind, pat)), true
				break
			}
		}
		if !ok {
			return "", false
		}
	}
	keyword := func(words []string, where ...string) bool {
		for _, w := range words {
			fw := fold(w)
			for _, place := range where {
				text := p.subject
				if place == "body" {
					text = p.body
				}
				if strings.Contains(text, fw) {
					why = append(why, fmt.Sprintf("keyword %q in %s", w, place))
					return true
				}
			}
		}
		return false
	}
	if len(r.Subject) > 0 && !keyword(r.Subject, "subject") {
		return "", false
	}
	if len(r.Body) > 0 && !keyword(r.Body, "body") {
		return "", false
	}
	if len(r.Keywords) > 0 && !keyword(r.Keywords, "subject", "body") {
		return "", false
	}
	if r.HasAttachment != nil {
		has := len(p.attachments) > 0
		if has != *r.HasAttachment {
			return "", false
		}
		if has {
			why = append(why, "has an attachment")
		} else {
			why = append(why, "no attachment")
		}
	}
	if len(r.Attachments) > 0 {
		ok := false
	att:
		for _, pat := range r.Attachments {
			for i, a := range p.attachments {
				if m, _ := path.Match(fold(pat), a); m {
					why, ok = append(why, fmt.Sprintf("attachment %q matches %q", p.in.Attachments[i], pat)), true
					break att
				}
			}
		}
		if !ok {
			return "", false
		}
	}
	return strings.Join(why, ", "), true
}

// The [[route]] table.
type routeFile struct {
	Name          string `toml:"name"`
	Disabled      bool   `toml:"disabled"`
	Mailbox       any    `toml:"mailbox"`
	To            any    `toml:"to"`
	From          any    `toml:"from"`
	Subject       any    `toml:"subject"`
	Body          any    `toml:"body"`
	Keywords      any    `toml:"keywords"`
	HasAttachment *bool  `toml:"has_attachment"`
	Attachment    any    `toml:"attachment"`
	Category      string `toml:"category"`
	Handler       string `toml:"handler"`
	Priority      string `toml:"priority"`
	Acknowledge   *bool  `toml:"acknowledge"`
	Language      string `toml:"language"`
}

// strings reads a value written as one string or an array of strings, so
// admins can write mailbox = "fta-pass" as well as keywords = ["a", "b"].
// Empty strings are reported: an empty keyword would match everything.
func (f *tomlFile) strings(key string, v any) []string {
	name := key[strings.LastIndexByte(key, '.')+1:]
	var out []string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		out = []string{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				f.Addf(key, "%q must be a string or an array of strings", name)
				return nil
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			f.Addf(key, "%q must not be empty", name)
			return nil
		}
	default:
		f.Addf(key, "%q must be a string or an array of strings", name)
		return nil
	}
	for _, s := range out {
		if strings.TrimSpace(s) == "" {
			f.Addf(key, "%q: empty value would match every mail", name)
			return nil
		}
	}
	return out
}

func (f *tomlFile) route(key string, raw *routeFile) *Route {
	r := &Route{
		File:          filepath.Base(f.Path),
		path:          f.Path,
		Line:          f.Line(key),
		Name:          raw.Name,
		Disabled:      raw.Disabled,
		Mailboxes:     f.strings(key+".mailbox", raw.Mailbox),
		To:            f.strings(key+".to", raw.To),
		From:          f.strings(key+".from", raw.From),
		Subject:       f.strings(key+".subject", raw.Subject),
		Body:          f.strings(key+".body", raw.Body),
		Keywords:      f.strings(key+".keywords", raw.Keywords),
		Attachments:   f.strings(key+".attachment", raw.Attachment),
		HasAttachment: raw.HasAttachment,
		Category:      raw.Category,
		Handler:       raw.Handler,
		Priority:      raw.Priority,
		Acknowledge:   raw.Acknowledge,
		Language:      raw.Language,
	}
	for _, m := range r.Mailboxes {
		if !tomlcheck.IsName(m) {
			f.Addf(key+".mailbox", "mailbox %q: use lower-case letters, digits and '-'", m)
		}
	}
	for _, field := range []struct {
		name string
		vals []string
	}{{"to", r.To}, {"from", r.From}} {
		for _, a := range field.vals {
			local, domain, at := strings.Cut(strings.TrimPrefix(a, "@"), "@")
			if strings.ContainsAny(a, " \t<>,") || at && (local == "" || domain == "") || !strings.Contains(domain+local, ".") {
				f.Addf(key+"."+field.name, "%s %q: want an address like name@example.org or a domain like example.org", field.name, a)
			}
		}
	}
	for _, p := range r.Attachments {
		if _, err := path.Match(p, ""); err != nil {
			f.Addf(key+".attachment", "attachment pattern %q: %v", p, err)
		}
	}
	switch r.Priority {
	case "", PriorityHigh, PriorityNormal, PriorityLow:
	default:
		f.Addf(key+".priority", "priority = %q: want \"high\", \"normal\" or \"low\"", r.Priority)
	}
	f.checkLanguage(key+".language", r.Language)
	if r.Category != "" && !tomlcheck.IsName(r.Category) {
		f.Addf(key+".category", "category %q: use lower-case letters, digits and '-'", r.Category)
	}
	if r.Handler != "" && !tomlcheck.IsName(r.Handler) {
		f.Addf(key+".handler", "handler %q: use lower-case letters, digits and '-'", r.Handler)
	}
	conditions := []string{"mailbox", "to", "from", "subject", "body", "keywords", "has_attachment", "attachment"}
	has := false
	for _, c := range conditions {
		has = has || f.Has(key+"."+c)
	}
	if !has {
		f.Addf(key, "route has no condition and would match every mail: give mailbox, to, from, subject, body, keywords, has_attachment or attachment")
	}
	if raw.Category == "" && raw.Handler == "" && raw.Priority == "" && raw.Acknowledge == nil && raw.Language == "" &&
		!f.Has(key+".category") && !f.Has(key+".handler") && !f.Has(key+".priority") && !f.Has(key+".language") {
		f.Addf(key, "route does nothing: give category, handler, priority, acknowledge or language")
	}
	return r
}
