// Package message is mail as data: parsing a mail into a Message
// (leniently, whatever its charset), addresses and their one canonical form,
// subject normalising, splitting a reply from its quote, HTML to text,
// automatic-mail and bounce classification, Authentication-Results, and
// composing outgoing mail. It is independent of how the mail came or goes,
// does no I/O and imports no other package of the project.
package message

import "strings"

// Canonical is the one form in which maildesk compares addresses: the
// customer of a ticket, a handler's address, our own published addresses,
// the acknowledgement rate limit. It trims space, angle brackets and a
// mailto: prefix, lower-cases the whole address, drops a +tag from the local
// part and a trailing dot from the domain.
//
// Lower-casing the local part is wrong by the letter of RFC 5321, but no
// mail system a customer uses (Naver, Daum, Gmail, Outlook) tells
// Kim@ from kim@, and treating them as two people would let one sender pass
// every per-address limit by changing case. The +tag goes for the same reason
// and because maildesk's own reply tokens ride in it.
//
// An address without '@' is returned trimmed and lower-cased, so that it can
// still be compared, and never matches a real address.
func Canonical(addr string) string {
	// Each step only removes, so the loop ends; repeating until nothing
	// changes makes the form a fixed point ("<mailto:a@b>.", "mailto:<a@b>").
	a := strings.ToLower(addr)
	for {
		b := canonicalStep(a)
		if b == a {
			return a
		}
		a = b
	}
}

func canonicalStep(a string) string {
	a = strings.TrimSpace(a)
	a = strings.TrimSpace(strings.TrimPrefix(a, "mailto:"))
	a = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(a, "<"), ">"))
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a
	}
	local, domain := a[:i], strings.TrimRight(a[i+1:], ". \t")
	if j := strings.IndexByte(local, '+'); j > 0 {
		local = local[:j]
	}
	return local + "@" + domain
}

// SameAddress reports whether a and b are one mailbox in Canonical form.
// Empty addresses are never the same as anything.
func SameAddress(a, b string) bool {
	ca, cb := Canonical(a), Canonical(b)
	return ca != "" && ca == cb
}
