package localmail

import (
	"fmt"
	"strings"
)

// mailboxKey reduces an address to the form under which its owner is
// registered: the local part without its "+detail" and the whole address
// lower-cased. Domains are case-insensitive by definition; local parts are
// folded too because every mail system people actually use treats
// "FTA-Pass@" and "fta-pass@" as one mailbox, and a demo that captured one of
// them instead of delivering it would only confuse.
//
// The detail is cut at the first '+', as Postfix and Dovecot do with
// recipient_delimiter=+, so "fta-pass+t12.abc@origin.or.kr" belongs to
// "fta-pass@origin.or.kr". The second result reports whether a detail was
// present.
func mailboxKey(address string) (key string, detail bool, err error) {
	addr := strings.TrimSpace(address)
	if strings.HasPrefix(addr, "<") && strings.HasSuffix(addr, ">") {
		addr = addr[1 : len(addr)-1]
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", false, fmt.Errorf("address %q: missing @", address)
	}
	local, domain := addr[:at], addr[at+1:]
	if base, _, found := strings.Cut(local, "+"); found {
		local, detail = base, true
	}
	if local == "" {
		return "", false, fmt.Errorf("address %q: empty local part", address)
	}
	if domain == "" {
		return "", false, fmt.Errorf("address %q: empty domain", address)
	}
	// Whitespace and control characters cannot occur in an address that came
	// through RCPT TO; refusing them here keeps AddUser and Deliver honest.
	for _, r := range addr {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return "", false, fmt.Errorf("address %q: invalid character %q", address, r)
		}
	}
	return strings.ToLower(local) + "@" + strings.ToLower(domain), detail, nil
}
