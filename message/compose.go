package message

import (
	"bytes"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Outgoing is a mail to compose.
type Outgoing struct {
	From          Address
	To            []Address
	Cc            []Address
	ReplyTo       []Address
	Subject       string       // any Unicode; RFC 2047 encoded (UTF-8, B) when non-ASCII
	MessageID     string       // without brackets; required
	InReplyTo     string       // without brackets; optional
	References    []string     // without brackets
	Date          time.Time    // required; written in its own zone
	AutoSubmitted string       // e.g. "auto-replied", "auto-generated"; header omitted when ""
	Headers       [][2]string  // extra headers, e.g. {"X-Maildesk-Ticket", "FTA-PASS #12"}
	Text          string       // text/plain part (required)
	HTML          string       // optional text/html part -> multipart/alternative
	Attachments   []Attachment // files sent along (Name, ContentType, Data) -> multipart/mixed
}

// headers Compose writes itself; Outgoing.Headers may not set them.
var composeOwned = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "reply-to": true, "subject": true,
	"message-id": true, "in-reply-to": true, "references": true, "date": true,
	"auto-submitted": true, "mime-version": true, "content-type": true,
	"content-transfer-encoding": true, "sender": true, "return-path": true,
}

// Compose renders o into RFC 5322 bytes: CRLF line endings, MIME-Version,
// UTF-8 text/plain (plus text/html as multipart/alternative when o.HTML is
// set) in quoted-printable, or base64 when mostly non-ASCII (Korean), the
// given Message-ID, In-Reply-To, References and Auto-Submitted, and Date in
// o.Date's zone. It is built with go-mail; the output is deterministic for
// the same input except for the MIME boundary.
//
// Compose refuses what would make a broken or injectable header: a missing
// or malformed Message-ID, From or recipient address, a zero Date, an empty
// Text, CR or LF in a header value, and extra headers that duplicate each
// other or one Compose writes itself.
func Compose(o Outgoing) ([]byte, error) {
	if err := validMsgID(o.MessageID); err != nil {
		return nil, fmt.Errorf("compose: Message-ID: %w", err)
	}
	if o.InReplyTo != "" {
		if err := validMsgID(o.InReplyTo); err != nil {
			return nil, fmt.Errorf("compose: In-Reply-To: %w", err)
		}
	}
	for _, r := range o.References {
		if err := validMsgID(r); err != nil {
			return nil, fmt.Errorf("compose: References: %w", err)
		}
	}
	if o.Date.IsZero() {
		return nil, errors.New("compose: Date is required")
	}
	if strings.TrimSpace(o.Text) == "" {
		return nil, errors.New("compose: Text is required")
	}
	if len(o.To)+len(o.Cc) == 0 {
		return nil, errors.New("compose: no recipient")
	}
	from, err := composeAddr(o.From)
	if err != nil {
		return nil, fmt.Errorf("compose: From: %w", err)
	}
	to, err := composeAddrs(o.To)
	if err != nil {
		return nil, fmt.Errorf("compose: To: %w", err)
	}
	cc, err := composeAddrs(o.Cc)
	if err != nil {
		return nil, fmt.Errorf("compose: Cc: %w", err)
	}
	replyTo, err := composeAddrs(o.ReplyTo)
	if err != nil {
		return nil, fmt.Errorf("compose: Reply-To: %w", err)
	}
	if strings.ContainsAny(o.AutoSubmitted, "\r\n") || !isASCII(o.AutoSubmitted) {
		return nil, errors.New("compose: Auto-Submitted: invalid value")
	}
	seen := map[string]bool{}
	for _, kv := range o.Headers {
		k := strings.ToLower(kv[0])
		if !validField([]byte(kv[0] + ":")) {
			return nil, fmt.Errorf("compose: invalid header name %q", kv[0])
		}
		if composeOwned[k] {
			return nil, fmt.Errorf("compose: header %q is set by Compose", kv[0])
		}
		if seen[k] {
			return nil, fmt.Errorf("compose: header %q given twice", kv[0])
		}
		seen[k] = true
		if strings.ContainsAny(kv[1], "\r\n") {
			return nil, fmt.Errorf("compose: header %q: value contains a line break", kv[0])
		}
	}

	m := gomail.NewMsg(
		gomail.WithCharset(gomail.CharsetUTF8),
		gomail.WithEncoding(gomail.EncodingB64), // B encoding for headers: compact for Hangul
		gomail.WithNoDefaultUserAgent(),
	)
	m.SetMessageIDWithValue(o.MessageID)
	m.SetDateWithValue(o.Date)
	if s := cleanText(o.Subject); s != "" {
		m.Subject(s)
	}
	m.FromMailAddress(from)
	m.ToMailAddress(to...)
	if len(cc) > 0 {
		m.CcMailAddress(cc...)
	}
	if len(replyTo) > 0 {
		m.ReplyToMailAddress(replyTo...)
	}
	if o.InReplyTo != "" {
		m.SetGenHeader(gomail.HeaderInReplyTo, "<"+o.InReplyTo+">")
	}
	if len(o.References) > 0 {
		refs := make([]string, len(o.References))
		for i, r := range o.References {
			refs[i] = "<" + r + ">"
		}
		m.SetGenHeader(gomail.HeaderReferences, strings.Join(refs, " "))
	}
	if o.AutoSubmitted != "" {
		m.SetGenHeader(gomail.Header("Auto-Submitted"), o.AutoSubmitted)
	}
	for _, kv := range o.Headers {
		m.SetGenHeader(gomail.Header(kv[0]), kv[1])
	}
	m.SetBodyString(gomail.TypeTextPlain, crlf(o.Text), gomail.WithPartEncoding(bodyEncoding(o.Text)))
	if o.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, crlf(o.HTML), gomail.WithPartEncoding(bodyEncoding(o.HTML)))
	}
	for i, a := range o.Attachments {
		name := a.Name
		if name == "" {
			name = fmt.Sprintf("attachment-%d", i+1)
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		opts := []gomail.FileOption{gomail.WithFileContentType(gomail.ContentType(ct))}
		if ct == "message/rfc822" || ct == "message/global" {
			// RFC 2046 5.2.1: a message part is never base64 or
			// quoted-printable, or a client shows it as an opaque
			// file; its bytes go as they are, which keeps a mail
			// sent on exactly as received. One whose lines are too
			// long for that goes as a file that is named .eml.
			if fitsSMTPLines(a.Data) {
				opts = append(opts, gomail.WithFileEncoding(gomail.NoEncoding))
			} else {
				opts = []gomail.FileOption{gomail.WithFileContentType("application/octet-stream")}
			}
		}
		if err := m.AttachReader(name, bytes.NewReader(a.Data), opts...); err != nil {
			return nil, fmt.Errorf("compose: attach %q: %w", name, err)
		}
	}
	// Sized for the headers and both bodies in base64, so that the buffer
	// is not grown (and copied) line by line.
	var buf bytes.Buffer
	buf.Grow(4096 + (len(o.Text)+len(o.HTML))*3/2)
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return buf.Bytes(), nil
}

// fitsSMTPLines reports whether b can go unencoded: no line longer than
// the 998 bytes RFC 5322 allows, and no NUL.
func fitsSMTPLines(b []byte) bool {
	for len(b) > 0 {
		line, rest, _ := bytes.Cut(b, []byte("\n"))
		if len(line) > 998 || bytes.IndexByte(line, 0) >= 0 {
			return false
		}
		b = rest
	}
	return true
}

func validMsgID(id string) error {
	if id == "" {
		return errors.New("empty")
	}
	if len(id) > 250 {
		return errors.New("too long")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' {
			return fmt.Errorf("invalid character %q in %q", c, id)
		}
	}
	return nil
}

func composeAddr(a Address) (*netmail.Address, error) {
	if a.Addr == "" {
		return nil, errors.New("empty address")
	}
	if strings.ContainsAny(a.Addr, "\r\n") {
		return nil, fmt.Errorf("invalid address %q", a.Addr)
	}
	p, err := netmail.ParseAddress("<" + a.Addr + ">")
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %v", a.Addr, err)
	}
	return &netmail.Address{Name: cleanText(a.Name), Address: p.Address}, nil
}

func composeAddrs(list []Address) ([]*netmail.Address, error) {
	out := make([]*netmail.Address, 0, len(list))
	for _, a := range list {
		na, err := composeAddr(a)
		if err != nil {
			return nil, err
		}
		out = append(out, na)
	}
	return out, nil
}

// crlf gives text canonical CRLF line ends (RFC 2046 4.1.1), also inside
// base64.
func crlf(s string) string {
	return strings.ReplaceAll(normalizeNewlines(s), "\n", "\r\n")
}

// bodyEncoding picks quoted-printable for mostly-ASCII text and base64 when
// more than a fifth of the bytes are non-ASCII (Korean text in QP is three
// times its size and unreadable anyway).
func bodyEncoding(s string) gomail.Encoding {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n++
		}
	}
	if n*5 > len(s) {
		return gomail.EncodingB64
	}
	return gomail.EncodingQP
}
