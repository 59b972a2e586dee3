package message

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	netmail "net/mail"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/kioi/maildesk/message/internal/charset"
)

// Address is one mailbox address. Addr keeps the local part as given and
// lower-cases the domain; Name is the decoded display name.
type Address struct {
	Name, Addr string
}

// String renders a in RFC 5322 form ("Name <local@domain>"); a non-ASCII
// name is RFC 2047 encoded. An Address without Addr renders as its (quoted
// or encoded) name alone, and the zero Address as "".
func (a Address) String() string {
	if a.Addr == "" {
		if a.Name == "" {
			return ""
		}
		if isASCII(a.Name) {
			return strconv.Quote(a.Name)
		}
		return mime.QEncoding.Encode("utf-8", a.Name)
	}
	return (&netmail.Address{Name: a.Name, Address: a.Addr}).String()
}

// Attachment describes one attached file.
type Attachment struct {
	Name        string // decoded file name without directories; "" when the part has none
	ContentType string // lower-case media type without parameters, e.g. "application/pdf"
	Size        int64  // decoded size in bytes
	Data        []byte // decoded content, so that staff answers can be relayed with their files
}

// Message is a parsed mail.
type Message struct {
	MessageID   string    // without angle brackets; "" when absent
	InReplyTo   []string  // ids without brackets; at most InReplyToHead+InReplyToTail (see MaxIDLen)
	References  []string  // ids without brackets, in order, duplicates removed; at most ReferencesHead+ReferencesTail
	Subject     string    // decoded (RFC 2047), trimmed
	From        Address   // first From address (zero when missing/unparsable)
	ReplyTo     []Address //
	To, Cc      []Address //
	ReturnPath  string    // envelope sender from Return-Path, without brackets; "" when absent or "<>"
	NullSender  bool      // Return-Path: <>
	Date        time.Time // zero when missing/unparsable
	Text        string    // readable plain text body, UTF-8, "\n" line ends
	HTMLOnly    bool      // every part of Text was derived from HTML (no text/plain body was used)
	Attachments []Attachment

	// NewText is what the sender wrote in this mail: Text without the
	// quoted history and the signature (see SplitReply). Quoted is the
	// rest of Text. Ticket views and staff relays show NewText.
	NewText, Quoted string

	// Forwarded holds the mails attached as message/rfc822 (forwarded
	// mail), parsed the same way, in order. Their text is not part of
	// Text; each is also listed in Attachments.
	Forwarded []*Message

	// Header is the top-level header as received (raw values; use its
	// methods, or the fields above, for decoded values).
	Header mail.Header

	// Defects are what Parse read around: problems that did not keep the
	// text from being read (a header line that is not a field, a missing
	// final boundary, an attachment whose base64 is broken, a forwarded
	// mail that is itself broken). What cannot be read is a *ParseError
	// instead. Each is short enough to show in a ticket view.
	Defects []string

	deliveryReport bool // a multipart/report or machine-report part (delivery-status, ...) was seen
}

// ParseError lists why Parse could not read a mail: no header at all, a
// text that could not be decoded (its multipart structure lost, its base64
// broken), a resource limit passed. Error() gives the first problem, which
// is short enough to serve as a quarantine reason.
type ParseError struct {
	Problems []string
}

func (e *ParseError) Error() string {
	if len(e.Problems) == 0 {
		return "parse: malformed message"
	}
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return fmt.Sprintf("%s (and %d more problems)", e.Problems[0], len(e.Problems)-1)
}

// MaxDepth is how deeply multiparts may nest before Parse gives up on the
// deeper parts and reports an error.
const MaxDepth = 50

const maxProblems = 20

// MaxParts is how many MIME parts Parse looks at in one message; the rest
// are skipped and reported as an error.
const MaxParts = 10000

// recoverPanics turns a panic inside Parse into an error. The fuzz test
// switches it off so that a panic is seen.
var recoverPanics = true

// Parse parses raw RFC 5322 bytes. It is forgiving, as Python's email
// package, PHP's mailparse and Thunderbird are: what it can read around is
// listed in Message.Defects (header lines that are not fields, a missing
// closing boundary, a guessed boundary, an attachment with broken base64
// or an unknown Content-Transfer-Encoding, a broken forwarded mail). Only
// a mail that cannot be read returns a non-nil *ParseError, together with
// as much as could be decoded: no header fields at all, a text whose
// multipart structure or transfer encoding is broken, nesting deeper than
// MaxDepth, more than MaxParts parts. An unknown or wrong charset is
// neither (see charset.Decode), and nor are missing or unparsable
// Message-ID, Date or address headers. The returned Message is never nil.
func Parse(raw []byte) (msg *Message, err error) {
	p := &parser{}
	m := &Message{}
	if recoverPanics {
		defer func() {
			if r := recover(); r != nil {
				msg = m
				m.Defects = p.defects
				p.fail("parse: internal error: %v", r)
				err = &ParseError{Problems: p.problems}
			}
		}()
	}
	p.message(m, raw, 0)
	if len(p.problems) > 0 {
		return m, &ParseError{Problems: p.problems}
	}
	return m, nil
}

// message fills m from raw; depth is the MIME nesting depth at which raw
// sits (0 for the top-level mail).
func (p *parser) message(m *Message, raw []byte, depth int) {
	raw = normalizeLineEnds(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")))
	h, body, herr := readHeader(raw, true)
	if herr != "" {
		p.defect("parse header: %s", herr)
	}
	if h.Len() == 0 {
		p.fail("parse header: no header fields")
	}
	m.Header = mail.Header{Header: message.Header{Header: h}}
	p.fillHeader(m, h)

	c := p.entity(h, body, depth, "text/plain")
	m.deliveryReport = p.deliveryReport
	m.Attachments = c.atts
	m.Forwarded = c.forwarded
	var texts []string
	htmlOnly := false
	for _, f := range c.frags {
		if f.problem != "" {
			// This is the text the mail is read by, and it is broken.
			p.fail("%s", f.problem)
		}
		t := tidyFragment(f.text)
		if t == "" {
			continue
		}
		if len(texts) == 0 {
			htmlOnly = true
		}
		if !f.html {
			htmlOnly = false
		}
		texts = append(texts, t)
	}
	m.Text = strings.Join(texts, "\n\n")
	m.HTMLOnly = htmlOnly
	m.NewText, m.Quoted = SplitReply(m.Text)
	m.Defects = p.defects
}

// embedded parses a message/rfc822 part one level below depth. Its own
// problems are only defects of the outer mail: a forwarded mail with a
// broken part must not quarantine the reply that carries it. Only the
// resource limits (MaxDepth, MaxParts), which guard the whole parse, carry
// over as they are.
func (p *parser) embedded(data []byte, depth int) *Message {
	sub := &parser{parts: p.parts}
	m := &Message{}
	if depth+1 >= MaxDepth {
		p.fail("parse: MIME nesting deeper than %d levels", MaxDepth)
		return m
	}
	sub.message(m, data, depth+1)
	p.parts = sub.parts
	for _, pr := range sub.problems {
		if strings.Contains(pr, "nesting deeper than") || strings.Contains(pr, "MIME parts") {
			p.fail("%s", pr)
			return m
		}
	}
	for _, pr := range sub.problems {
		p.defect("forwarded mail: %s", pr)
	}
	return m
}

type parser struct {
	problems       []string // the mail cannot be read: a *ParseError
	defects        []string // read around: Message.Defects
	deliveryReport bool
	parts          int
}

// fail notes why the mail cannot be read.
func (p *parser) fail(format string, args ...any) {
	if len(p.problems) < maxProblems {
		p.problems = append(p.problems, fmt.Sprintf(format, args...))
	}
}

// defect notes a problem read around.
func (p *parser) defect(format string, args ...any) {
	if len(p.defects) < maxProblems {
		p.defects = append(p.defects, fmt.Sprintf(format, args...))
	}
}

// ---------------------------------------------------------------------------
// Header block

// normalizeLineEnds turns CR-only mail (old Mac clients) into LF mail.
func normalizeLineEnds(raw []byte) []byte {
	if bytes.IndexByte(raw, '\n') >= 0 || bytes.IndexByte(raw, '\r') < 0 {
		return raw
	}
	return bytes.ReplaceAll(raw, []byte("\r"), []byte("\n"))
}

// readHeader splits b into its header and body and parses the header. It
// keeps going past lines that are not header fields: such a line is dropped
// when a header field follows it, and otherwise taken as the start of a
// body that lacks its separating blank line. The returned problem is ""
// when the header block was well-formed.
func readHeader(b []byte, top bool) (textproto.Header, []byte, string) {
	var clean bytes.Buffer
	problem := ""
	note := func(s string) {
		if problem == "" {
			problem = s
		}
	}
	var body []byte
	kept := false // the previous line was a kept field (continuations follow it)
	first := true
	pos := 0
	for pos < len(b) {
		line, next := nextLine(b, pos)
		if len(line) == 0 {
			body = b[next:]
			break
		}
		switch {
		case first && len(bytes.Trim(line, " \t")) == 0:
			// Blank-looking lines before the first field: skip them.
			pos = next
			continue
		case line[0] == ' ' || line[0] == '\t':
			if kept {
				clean.Write(line)
				clean.WriteString("\r\n")
			} else if first {
				note("malformed MIME header initial line: " + quoteShort(line))
				if t := bytes.TrimLeft(line, " \t"); validField(t) {
					clean.Write(t)
					clean.WriteString("\r\n")
					kept = true
				}
			}
		case first && top && bytes.HasPrefix(line, []byte("From ")):
			// mbox separator line: not part of the message
		case validField(line):
			clean.Write(line)
			clean.WriteString("\r\n")
			kept = true
		default:
			note("malformed MIME header line: " + quoteShort(line))
			kept = false
			if nl, _ := nextLine(b, next); next < len(b) && validField(nl) {
				break // drop this line, more fields follow
			}
			// The body starts here, without a blank line before it.
			body = b[pos:]
			next = len(b)
		}
		first = false
		pos = next
	}
	clean.WriteString("\r\n")
	h, err := textproto.ReadHeader(bufio.NewReaderSize(&clean, clean.Len()+16))
	if err != nil {
		note(strings.TrimPrefix(err.Error(), "message: "))
	}
	return h, body, problem
}

// nextLine returns the line starting at pos without its line end, and the
// position after the line end.
func nextLine(b []byte, pos int) ([]byte, int) {
	i := bytes.IndexByte(b[pos:], '\n')
	if i < 0 {
		return bytes.TrimSuffix(b[pos:], []byte("\r")), len(b)
	}
	return bytes.TrimSuffix(b[pos:pos+i], []byte("\r")), pos + i + 1
}

// validField reports whether line is "Key: value" with a valid RFC 5322
// field name (trailing blanks before the colon are tolerated).
func validField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	key := bytes.TrimRight(line[:i], " \t")
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

func quoteShort(b []byte) string {
	s := charset.FixHeader(string(b))
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		s = string(r[:60]) + "…"
	}
	return strconv.Quote(s)
}

func (p *parser) fillHeader(m *Message, h textproto.Header) {
	if ids := parseMsgIDs(h.Get("Message-Id"), true); len(ids) > 0 {
		m.MessageID = ids[0]
	}
	m.InReplyTo = parseMsgIDsCapped(h.Get("In-Reply-To"), false, InReplyToHead, InReplyToTail)
	m.References = parseMsgIDsCapped(strings.Join(h.Values("References"), " "), false, ReferencesHead, ReferencesTail)
	m.Subject = cleanText(charset.DecodeHeader(h.Get("Subject")))
	if from := parseAddressList(h.Get("From")); len(from) > 0 {
		m.From = from[0]
	}
	m.ReplyTo = parseAddressList(h.Get("Reply-To"))
	m.To = parseAddressList(strings.Join(h.Values("To"), ", "))
	m.Cc = parseAddressList(strings.Join(h.Values("Cc"), ", "))
	if h.Has("Return-Path") {
		rp := parseReturnPath(h.Get("Return-Path"))
		if rp == "" {
			m.NullSender = true
		}
		m.ReturnPath = rp
	}
	m.Date = parseDate(h.Get("Date"))
}

// cleanText trims s and turns line breaks and tabs into spaces.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t', '\v', '\f':
			return ' '
		case 0:
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// Limits on the message ids Parse keeps. A sender controls In-Reply-To and
// References completely, and every id kept is a string held in memory,
// stored, and looked up when threading; a mail with 40,000 References
// ids must not cost 40,000 of each. RFC 5322 §3.6.4 has a reply's
// References be its parent's References plus the parent's Message-ID, so
// the first id names the thread's root and the last ones its most recent
// mails: that is what threading needs, and what the middle of a long
// chain adds is already named by its ends. Ids beyond the limits are
// dropped silently (a Message has no list of defects to note it in); the
// ids kept stay in document order.
const (
	// MaxIDLen is the longest message id kept, in bytes: RFC 5322's
	// line length limit. An id that cannot be written on one line is
	// not an id, and it would be one more long key to store and index.
	MaxIDLen = 998

	// ReferencesHead and ReferencesTail are how many References ids are
	// kept from the start of the header (the thread's root) and from its
	// end (the most recent mails); those in between are dropped.
	ReferencesHead = 2
	ReferencesTail = 48

	// InReplyToHead and InReplyToTail cap In-Reply-To the same way. It
	// names the parent, so it rarely holds more than one id; a few more
	// are kept for mailers that list several parents.
	InReplyToHead = 1
	InReplyToTail = 4
)

// parseMsgIDs extracts message ids (without brackets) in order, without
// duplicates. Bracketed ids are taken from anywhere in the value (In-Reply-To
// often carries prose around them); without brackets, bare tokens
// containing "@" are taken, or for a Message-ID (single) the first token.
// Ids longer than MaxIDLen are dropped; the number kept is not capped
// (see parseMsgIDsCapped).
func parseMsgIDs(v string, single bool) []string {
	if single {
		return parseMsgIDsCapped(v, true, 1, 0)
	}
	return parseMsgIDsCapped(v, false, -1, 0)
}

// parseMsgIDsCapped is parseMsgIDs keeping only the first head and the
// last tail distinct ids (head < 0: all of them). Its memory is bounded
// by head+tail whatever the header holds: the ids kept are substrings of
// v, and no list of all ids is built.
func parseMsgIDsCapped(v string, single bool, head, tail int) []string {
	v = charset.FixHeader(v)
	l := idList{head: head, tail: tail}
	rest := v
	bracketed := false
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i+1:], '>')
		if j < 0 {
			break
		}
		bracketed = true
		l.add(rest[i+1 : i+1+j])
		rest = rest[i+1+j+1:]
	}
	if !bracketed {
		isSep := func(c byte) bool { return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n' }
		for pos := 0; pos < len(v); {
			for pos < len(v) && isSep(v[pos]) {
				pos++
			}
			start := pos
			for pos < len(v) && !isSep(v[pos]) {
				pos++
			}
			if start == pos {
				break
			}
			tok := strings.Trim(v[start:pos], "<>")
			if single || strings.Contains(tok, "@") {
				l.add(tok)
			}
			if single && len(l.first) > 0 {
				break
			}
		}
	}
	return l.ids()
}

// idList collects distinct ids keeping the first head and the last tail
// of them (head < 0: all). An id seen again while it is kept is a
// duplicate; one seen again after it was dropped is kept anew, once.
type idList struct {
	head, tail int
	first      []string
	last       []string // a ring of up to tail ids, the oldest at start
	start      int
	kept       map[string]bool
}

func (l *idList) add(id string) {
	if strings.ContainsAny(id, " \t\r\n") {
		id = strings.Join(strings.Fields(id), "")
	}
	if id == "" || len(id) > MaxIDLen || l.kept[id] {
		return
	}
	if l.kept == nil {
		l.kept = map[string]bool{}
	}
	l.kept[id] = true
	if l.head < 0 || len(l.first) < l.head {
		l.first = append(l.first, id)
		return
	}
	if l.tail <= 0 {
		delete(l.kept, id)
		return
	}
	if len(l.last) < l.tail {
		l.last = append(l.last, id)
		return
	}
	delete(l.kept, l.last[l.start])
	l.last[l.start] = id
	l.start = (l.start + 1) % l.tail
}

// ids returns the kept ids in document order, nil when there are none.
func (l *idList) ids() []string {
	if len(l.first)+len(l.last) == 0 {
		return nil
	}
	out := make([]string, 0, len(l.first)+len(l.last))
	out = append(out, l.first...)
	out = append(out, l.last[l.start:]...)
	return append(out, l.last[:l.start]...)
}

func parseReturnPath(v string) string {
	v = strings.TrimSpace(stripComments(charset.FixHeader(v)))
	if i := strings.IndexByte(v, '<'); i >= 0 {
		v = v[i+1:]
		if j := strings.IndexByte(v, '>'); j >= 0 {
			v = v[:j]
		}
	}
	return normAddr(v)
}

// ---------------------------------------------------------------------------
// Addresses

var addrParser = netmail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}}

// parseAddressList parses an address header leniently: net/mail first, then
// per comma-separated item with heuristics for what net/mail rejects
// (unquoted commas, bare "MAILER-DAEMON", comment-only entries ...).
func parseAddressList(v string) []Address {
	v = strings.TrimSpace(charset.FixHeader(v))
	if v == "" {
		return nil
	}
	if list, err := addrParser.ParseList(v); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, newAddress(a.Name, a.Address))
		}
		return out
	}
	var out []Address
	items := splitAddressList(v)
	for i := 0; i < len(items); i++ {
		item := items[i]
		if strings.TrimSpace(item) == "" {
			continue
		}
		// An unquoted comma inside a display name ("Lee, Young <a@b>"):
		// an item with no address followed by one with <addr> is one name.
		if !strings.ContainsAny(item, "@<") && i+1 < len(items) && strings.Contains(items[i+1], "<") {
			items[i+1] = item + "," + items[i+1]
			continue
		}
		if a, err := addrParser.Parse(item); err == nil {
			out = append(out, newAddress(a.Name, a.Address))
			continue
		}
		if a, ok := parseAddressLenient(item); ok {
			out = append(out, a)
		}
	}
	return out
}

func newAddress(name, addr string) Address {
	if strings.Contains(name, "=?") {
		name = charset.DecodeHeader(name)
	}
	return Address{Name: cleanText(name), Addr: normAddr(addr)}
}

// normAddr trims an address and lower-cases its domain.
func normAddr(a string) string {
	a = strings.TrimSpace(a)
	if len(a) > 7 && strings.EqualFold(a[:7], "mailto:") {
		a = a[7:]
	}
	a = strings.Join(strings.Fields(a), "")
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		a = a[:i] + strings.ToLower(a[i:])
	}
	return a
}

// splitAddressList splits at commas outside quotes, <>, and comments.
func splitAddressList(v string) []string {
	var out []string
	depth, angle := 0, false
	quoted, esc := false, false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && (quoted || depth > 0):
			esc = true
		case quoted:
			if c == '"' {
				quoted = false
			}
		case c == '"':
			quoted = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case (c == ',' || c == ';') && !angle:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// stripComments removes RFC 5322 comments "(...)" outside quoted strings.
func stripComments(v string) string {
	s, _ := splitComments(v)
	return s
}

func splitComments(v string) (rest, comments string) {
	var out, com strings.Builder
	depth := 0
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case quoted:
			out.WriteByte(c)
			if c == '"' {
				quoted = false
			} else if c == '\\' && i+1 < len(v) {
				i++
				out.WriteByte(v[i])
			}
		case c == '"' && depth == 0:
			quoted = true
			out.WriteByte(c)
		case c == '(':
			if depth > 0 {
				com.WriteByte(c)
			} else if com.Len() > 0 {
				com.WriteByte(' ')
			}
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth > 0 {
				com.WriteByte(c)
			}
		case depth > 0:
			com.WriteByte(c)
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), com.String()
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		s = strings.ReplaceAll(s, `\"`, `"`)
		s = strings.ReplaceAll(s, `\\`, `\`)
	}
	return strings.TrimSpace(s)
}

func parseAddressLenient(item string) (Address, bool) {
	item = strings.TrimSpace(item)
	if i := strings.LastIndexByte(item, '<'); i >= 0 {
		addr := item[i+1:]
		after := ""
		if j := strings.IndexByte(addr, '>'); j >= 0 {
			addr, after = addr[:j], addr[j+1:]
		}
		name := unquote(strings.TrimSpace(item[:i]))
		if name == "" {
			_, name = splitComments(after)
		}
		a := Address{Name: cleanText(charset.DecodeHeader(name)), Addr: normAddr(stripComments(addr))}
		return a, a.Addr != "" || a.Name != ""
	}
	rest, comment := splitComments(item)
	fields := strings.Fields(rest)
	addr := ""
	var others []string
	for _, f := range fields {
		if addr == "" && strings.Contains(f, "@") {
			addr = strings.Trim(f, `"'`)
			continue
		}
		others = append(others, f)
	}
	name := unquote(strings.Join(others, " "))
	if addr == "" && len(others) == 1 && comment == "" && name != "" && !strings.ContainsAny(name, " \"") {
		// A bare local name such as "MAILER-DAEMON".
		addr, name = name, ""
	}
	if name == "" {
		name = comment
	}
	a := Address{Name: cleanText(charset.DecodeHeader(name)), Addr: normAddr(addr)}
	return a, a.Addr != "" || a.Name != ""
}

// ---------------------------------------------------------------------------
// Date

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	time.RFC3339,
}

func parseDate(v string) time.Time {
	v = strings.TrimSpace(charset.FixHeader(v))
	if v == "" {
		return time.Time{}
	}
	if t, err := netmail.ParseDate(v); err == nil {
		return t
	}
	c := strings.Join(strings.Fields(stripComments(v)), " ")
	c = strings.ReplaceAll(c, ",", ", ")
	c = strings.Join(strings.Fields(c), " ")
	if t, err := netmail.ParseDate(c); err == nil {
		return t
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, c); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ---------------------------------------------------------------------------
// MIME structure

type textFrag struct {
	text string
	html bool
	// problem is why text could not be decoded: the mail cannot be read
	// when this fragment is its text (an alternative not chosen is only
	// a defect).
	problem string
}

type content struct {
	frags     []textFrag
	atts      []Attachment
	forwarded []*Message
}

func (c *content) add(o content) {
	c.frags = append(c.frags, o.frags...)
	c.atts = append(c.atts, o.atts...)
	c.forwarded = append(c.forwarded, o.forwarded...)
}

func (c content) hasText(plainOnly bool) bool {
	for _, f := range c.frags {
		if plainOnly && f.html {
			continue
		}
		if strings.TrimSpace(f.text) != "" {
			return true
		}
	}
	return false
}

// entity turns one MIME entity (header h, raw body) into text fragments and
// attachments.
func (p *parser) entity(h textproto.Header, body []byte, depth int, defaultType string) content {
	mt, params := parseMediaType(h.Get("Content-Type"), defaultType)
	disp, dparams := parseMediaType(h.Get("Content-Disposition"), "")
	name := attachmentName(dparams, params)

	if strings.HasPrefix(mt, "multipart/") {
		return p.multipart(mt, params, body, depth)
	}
	switch mt {
	case "message/rfc822", "message/global":
		data := p.attachmentBody(h, body, mt)
		if name == "" {
			name = embeddedName(data)
		}
		return content{
			atts:      []Attachment{{Name: name, ContentType: mt, Size: int64(len(data)), Data: data}},
			forwarded: []*Message{p.embedded(data, depth)},
		}
	case "message/delivery-status", "message/global-delivery-status",
		"message/disposition-notification", "message/global-disposition-notification",
		"message/feedback-report":
		p.deliveryReport = true
	}
	inlineText := (mt == "text/plain" || mt == "text/html") && disp != "attachment" && name == ""
	if !inlineText {
		data := p.attachmentBody(h, body, mt)
		return content{atts: []Attachment{{Name: name, ContentType: mt, Size: int64(len(data)), Data: data}}}
	}
	data, problem := decodeBody(h, body, mt)
	if mt == "text/html" {
		cs := params["charset"]
		if cs == "" {
			cs = htmlMetaCharset(data)
		}
		return content{frags: []textFrag{{text: HTMLToText(charset.Decode(cs, data)), html: true, problem: problem}}}
	}
	t := normalizeNewlines(charset.Decode(params["charset"], data))
	if strings.EqualFold(params["format"], "flowed") {
		t = unflow(t, strings.EqualFold(params["delsp"], "yes"))
	}
	return content{frags: []textFrag{{text: t, problem: problem}}}
}

func (p *parser) multipart(mt string, params map[string]string, body []byte, depth int) content {
	if mt == "multipart/report" {
		p.deliveryReport = true
	}
	if depth >= MaxDepth {
		p.fail("parse: MIME nesting deeper than %d levels", MaxDepth)
		return content{}
	}
	// Without its parts, the body is raw MIME: kept as text, so that
	// something shows, but a mail read by it cannot be read.
	raw := func(problem string) content {
		return content{frags: []textFrag{{text: normalizeNewlines(charset.Fallback(body)), problem: problem}}}
	}
	boundary := params["boundary"]
	if boundary == "" {
		boundary = sniffBoundary(body)
		if boundary == "" {
			return raw(fmt.Sprintf("parse %s: missing boundary parameter", mt))
		}
		p.defect("parse %s: missing boundary parameter (guessed %q)", mt, boundary)
	}
	parts, found, closed := splitMultipart(body, boundary)
	if !found {
		return raw(fmt.Sprintf("parse %s: boundary %q not found", mt, boundary))
	}
	if !closed {
		// The parts before the cut are whole; the last one may be cut
		// short, which its own decoding notes.
		p.defect("parse %s: missing closing boundary %q", mt, "--"+boundary+"--")
	}
	childType := "text/plain"
	if mt == "multipart/digest" {
		childType = "message/rfc822"
	}
	children := make([]content, 0, len(parts))
	for _, raw := range parts {
		if p.parts++; p.parts > MaxParts {
			p.fail("parse: more than %d MIME parts", MaxParts)
			break
		}
		ph, pbody, perr := readHeader(raw, false)
		if perr != "" {
			p.defect("parse part header: %s", perr)
		}
		children = append(children, p.entity(ph, pbody, depth+1, childType))
	}
	var out content
	if mt != "multipart/alternative" {
		for _, c := range children {
			out.add(c)
		}
		return out
	}
	// multipart/alternative: prefer an alternative with plain text, then
	// one with any (HTML-derived) text, else the first.
	best := -1
	for i, c := range children {
		if c.hasText(true) {
			best = i
			break
		}
	}
	if best < 0 {
		for i, c := range children {
			if c.hasText(false) {
				best = i
				break
			}
		}
	}
	if best < 0 && len(children) > 0 {
		best = 0
	}
	for i, c := range children {
		if i == best {
			out.add(c)
			continue
		}
		for _, f := range c.frags {
			if f.problem != "" {
				p.defect("%s (an alternative not shown)", f.problem)
			}
		}
		// Files carried only by another alternative are still files.
		for _, a := range c.atts {
			if a.Name != "" {
				out.atts = append(out.atts, a)
			}
		}
		out.forwarded = append(out.forwarded, c.forwarded...)
	}
	return out
}

// sniffBoundary guesses the boundary of a multipart body whose header lost
// it: the first line that looks like a delimiter.
func sniffBoundary(body []byte) string {
	for pos := 0; pos < len(body); {
		line, next := nextLine(body, pos)
		if len(line) > 2 && bytes.HasPrefix(line, []byte("--")) {
			b := strings.TrimRight(string(line[2:]), " \t")
			if b != "" && !strings.ContainsAny(b, " \t") && len(b) <= 200 {
				return b
			}
		}
		pos = next
	}
	return ""
}

// splitMultipart splits body at the delimiter lines "--boundary" and stops
// at "--boundary--". found reports whether any delimiter was seen, closed
// whether the closing one was. Part contents exclude the line break before
// each delimiter.
func splitMultipart(body []byte, boundary string) (parts [][]byte, found, closed bool) {
	delim := []byte("--" + boundary)
	partStart := -1
	for pos := 0; pos < len(body); {
		line, next := nextLine(body, pos)
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			isClose := bytes.HasPrefix(rest, []byte("--"))
			if isClose {
				rest = rest[2:]
			}
			if len(bytes.Trim(rest, " \t")) == 0 {
				if partStart >= 0 {
					end := pos
					if end > 0 && body[end-1] == '\n' {
						end--
						if end > 0 && body[end-1] == '\r' {
							end--
						}
					}
					if end < partStart {
						end = partStart
					}
					parts = append(parts, body[partStart:end])
				}
				found = true
				if isClose {
					return parts, true, true
				}
				partStart = next
			}
		}
		pos = next
	}
	if partStart >= 0 {
		parts = append(parts, body[partStart:])
	}
	return parts, found, false
}

// attachmentBody decodes a part that is a file, not text: a problem with
// it is a defect of the mail.
func (p *parser) attachmentBody(h textproto.Header, body []byte, mt string) []byte {
	data, problem := decodeBody(h, body, mt)
	if problem != "" {
		p.defect("%s", problem)
	}
	return data
}

// decodeBody undoes the Content-Transfer-Encoding of a leaf part, and says
// what was wrong with it ("" when nothing). Common misspellings ("quoted
// printable", "8bits", "base64;") are accepted. An unknown encoding leaves
// the bytes as they are; that is a problem only for non-text parts, whose
// content would then be wrong.
func decodeBody(h textproto.Header, body []byte, mt string) ([]byte, string) {
	cte := strings.ToLower(strings.Trim(stripComments(h.Get("Content-Transfer-Encoding")), " \t\"';"))
	switch {
	case cte == "" || cte == "none" || cte == "plain" || cte == "binary" ||
		strings.HasPrefix(cte, "7bit") || strings.HasPrefix(cte, "8bit") ||
		strings.HasPrefix(cte, "7-bit") || strings.HasPrefix(cte, "8-bit"):
		return body, ""
	case strings.HasPrefix(cte, "quoted"):
		return decodeQP(body), ""
	case strings.HasPrefix(cte, "base64"):
		out, err := charset.DecodeBase64(body)
		if err != nil {
			return out, fmt.Sprintf("parse %s part: decode base64: %v", mt, err)
		}
		return out, ""
	default:
		if !strings.HasPrefix(mt, "text/") {
			return body, fmt.Sprintf("parse %s part: unknown Content-Transfer-Encoding %q", mt, cte)
		}
		return body, ""
	}
}

// decodeQP decodes quoted-printable leniently: invalid escapes stay literal.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+2 < len(b) && charset.IsHex(b[i+1]) && charset.IsHex(b[i+2]) {
			out = append(out, charset.Unhex(b[i+1])<<4|charset.Unhex(b[i+2]))
			i += 2
			continue
		}
		// Soft line break: "=" [blanks] line end (or end of data).
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		switch {
		case j == len(b):
			i = j
		case b[j] == '\n':
			i = j
		case b[j] == '\r':
			if j+1 < len(b) && b[j+1] == '\n' {
				j++
			}
			i = j
		default:
			out = append(out, '=')
		}
	}
	return out
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// unflow undoes RFC 3676 format=flowed: soft-broken lines (ending in a
// space) are joined within a paragraph of equal quote depth.
func unflow(s string, delsp bool) string {
	lines := strings.Split(s, "\n")
	var out strings.Builder
	var para strings.Builder
	paraDepth, inPara := 0, false
	emit := func() {
		if !inPara {
			return
		}
		if paraDepth > 0 {
			out.WriteString(strings.Repeat(">", paraDepth))
			out.WriteByte(' ')
		}
		out.WriteString(para.String())
		out.WriteByte('\n')
		para.Reset()
		inPara = false
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		text := line[depth:]
		text = strings.TrimPrefix(text, " ") // space-stuffing
		flowed := text != "-- " && strings.HasSuffix(text, " ")
		if inPara && depth != paraDepth {
			emit()
		}
		if flowed && delsp {
			text = text[:len(text)-1]
		}
		para.WriteString(text)
		inPara, paraDepth = true, depth
		if !flowed {
			emit()
		}
	}
	emit()
	return strings.TrimSuffix(out.String(), "\n")
}

// tidyFragment strips a BOM, trailing blanks on each line, leading blank
// lines and trailing whitespace.
func tidyFragment(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\u00a0")
	}
	s = strings.Join(lines, "\n")
	s = strings.TrimLeft(s, "\n")
	return strings.TrimRight(s, " \t\n")
}

// embeddedName names a message/rfc822 attachment after its subject.
func embeddedName(data []byte) string {
	h, _, _ := readHeader(data, true)
	subj := cleanText(charset.DecodeHeader(h.Get("Subject")))
	subj = strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, subj)
	if r := []rune(subj); len(r) > 100 {
		subj = strings.TrimSpace(string(r[:100]))
	}
	if subj == "" {
		subj = "message"
	}
	return subj + ".eml"
}

// htmlMetaCharset finds <meta charset=...> or http-equiv's charset= in the
// first bytes of an HTML document.
func htmlMetaCharset(b []byte) string {
	if len(b) > 4096 {
		b = b[:4096]
	}
	lb := bytes.ToLower(b)
	i := bytes.Index(lb, []byte("charset="))
	if i < 0 {
		return ""
	}
	rest := lb[i+len("charset="):]
	rest = bytes.TrimLeft(rest, "\"' ")
	j := 0
	for j < len(rest) && (rest[j] == '-' || rest[j] == '_' || rest[j] == '.' || rest[j] == ':' ||
		('a' <= rest[j] && rest[j] <= 'z') || ('0' <= rest[j] && rest[j] <= '9')) {
		j++
	}
	return string(rest[:j])
}

// ---------------------------------------------------------------------------
// Content-Type / Content-Disposition parameters

// parseMediaType parses "type/subtype; k=v; ..." leniently. The value is
// lower-cased ("" becomes def; a Content-Type without "/" also becomes def
// when def is a media type). Parameters are lower-cased keys with RFC 2231
// continuations and charsets resolved; values are not RFC 2047 decoded.
func parseMediaType(v, def string) (string, map[string]string) {
	v = charset.FixHeader(v)
	params := map[string]string{}
	semi := strings.IndexByte(v, ';')
	mt := v
	rest := ""
	if semi >= 0 {
		mt, rest = v[:semi], v[semi+1:]
	}
	mt = strings.ToLower(strings.TrimSpace(stripComments(mt)))
	mt = strings.Trim(mt, `"'`)
	if mt == "" || (strings.Contains(def, "/") && !strings.Contains(mt, "/")) {
		if mt == "text" {
			mt = "text/plain"
		} else {
			mt = def
		}
	}
	type seg struct {
		val     string
		encoded bool
	}
	ext := map[string]map[int]seg{}
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			break
		}
		eq := strings.IndexAny(rest, "=;")
		if eq < 0 || rest[eq] == ';' {
			// attribute without value: skip it
			if eq < 0 {
				break
			}
			rest = rest[eq+1:]
			continue
		}
		key := strings.ToLower(strings.TrimSpace(rest[:eq]))
		rest = strings.TrimLeft(rest[eq+1:], " \t\r\n")
		var val string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				c := rest[i]
				if c == '\\' && i+1 < len(rest) {
					i++
					b.WriteByte(rest[i])
					continue
				}
				if c == '"' {
					break
				}
				b.WriteByte(c)
			}
			val = b.String()
			if i < len(rest) {
				rest = rest[i+1:]
			} else {
				rest = ""
			}
			if j := strings.IndexByte(rest, ';'); j >= 0 {
				rest = rest[j+1:]
			} else {
				rest = ""
			}
		} else {
			j := strings.IndexByte(rest, ';')
			if j < 0 {
				val, rest = rest, ""
			} else {
				val, rest = rest[:j], rest[j+1:]
			}
			val = strings.TrimSpace(val)
		}
		if key == "" {
			continue
		}
		// RFC 2231: key*, key*N, key*N*
		if star := strings.IndexByte(key, '*'); star >= 0 {
			base := key[:star]
			suffix := key[star+1:]
			encoded := strings.HasSuffix(suffix, "*") || suffix == ""
			suffix = strings.TrimSuffix(suffix, "*")
			n := 0
			if suffix != "" {
				var err error
				n, err = strconv.Atoi(suffix)
				if err != nil || n < 0 || n > 999 {
					continue
				}
			}
			if ext[base] == nil {
				ext[base] = map[int]seg{}
			}
			if _, dup := ext[base][n]; !dup {
				ext[base][n] = seg{val, encoded}
			}
			continue
		}
		if _, dup := params[key]; !dup {
			params[key] = val
		}
	}
	for base, segs := range ext {
		idx := make([]int, 0, len(segs))
		for i := range segs {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		var raw []byte
		cs := ""
		for k, i := range idx {
			if i != k {
				break // gap in the continuation numbers
			}
			s := segs[i]
			val := s.val
			if s.encoded {
				if i == 0 {
					// charset'language'value
					if a := strings.IndexByte(val, '\''); a >= 0 {
						if b := strings.IndexByte(val[a+1:], '\''); b >= 0 {
							cs = val[:a]
							val = val[a+1+b+1:]
						}
					}
				}
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		params[base] = charset.Decode(cs, raw)
	}
	return mt, params
}

func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && charset.IsHex(s[i+1]) && charset.IsHex(s[i+2]) {
			out = append(out, charset.Unhex(s[i+1])<<4|charset.Unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}

// attachmentName picks the file name: Content-Disposition filename, else
// Content-Type name; RFC 2047 decoded, directories removed.
func attachmentName(dparams, params map[string]string) string {
	n := dparams["filename"]
	if strings.TrimSpace(n) == "" {
		n = params["name"]
	}
	n = cleanText(charset.DecodeHeader(n))
	if i := strings.LastIndexAny(n, `/\`); i >= 0 {
		n = n[i+1:]
	}
	return strings.TrimSpace(n)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
