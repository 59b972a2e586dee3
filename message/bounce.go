package message

import (
	"regexp"
	"strings"
)

// bouncedIDRE finds a Message-ID header line in returned headers or in a
// bounce's text, where MTAs without a DSN part (qmail, old Exim) quote the
// original mail inline.
var bouncedIDRE = regexp.MustCompile(`(?im)^[ \t>]*message-id:[ \t]*<([^<>\s]+)>`)

// ReturnedMessageIDs lists the Message-IDs of the mails that a bounce (a
// delivery report, or a mailer-daemon's plain-text notice) hands back, in
// the order found and without duplicates: those of returned message/rfc822
// parts, of text/rfc822-headers parts, and of Message-ID lines quoted in the
// text. It is empty for mail that is not a bounce, so that a person's mail
// quoting a header is never taken for one. The bounce's own Message-ID is
// never among them.
func (m *Message) ReturnedMessageIDs() []string {
	if m == nil || !m.isBounce() {
		return nil
	}
	var ids []string
	seen := map[string]bool{m.MessageID: true}
	add := func(id string) {
		id = strings.TrimSpace(id)
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, f := range m.Forwarded {
		add(f.MessageID)
	}
	for _, a := range m.Attachments {
		switch a.ContentType {
		case "text/rfc822-headers", "text/global-headers", "message/rfc822-headers":
			for _, sm := range bouncedIDRE.FindAllStringSubmatch(string(a.Data), -1) {
				add(sm[1])
			}
		}
	}
	for _, sm := range bouncedIDRE.FindAllStringSubmatch(m.Text, -1) {
		add(sm[1])
	}
	return ids
}

// isBounce tells a delivery failure notice from other automatic mail: a
// delivery report, or mail from a null sender or a mailer-daemon.
func (m *Message) isBounce() bool {
	if m.deliveryReport || m.NullSender || isDaemon(m.From.Addr) || isDaemon(m.ReturnPath) {
		return true
	}
	mt, _ := parseMediaType(m.Header.Get("Content-Type"), "text/plain")
	return mt == "multipart/report"
}
