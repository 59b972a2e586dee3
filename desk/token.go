package desk

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
)

// Reply tokens prove that a mail claiming to come from staff answers a mail
// maildesk sent to that member of staff about that ticket (DESIGN invariant
// 7). The token rides in the plus part of the Reply-To address,
// fta-pass+t12.k3j9xq2mfa@origin.or.kr, which every mail client keeps.

// replyKeySetting names the HMAC key in the database: created on first
// start, kept with the data it protects, never in a file admins edit.
const replyKeySetting = "reply-token-key"

// tokenLen is the number of base32 characters kept of the HMAC: 50 bits,
// far beyond guessing by mail.
const tokenLen = 10

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// token is the proof for staff member addr on ticket id.
func token(key []byte, ticket int64, addr string) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "t%d|%s", ticket, strings.ToLower(strings.TrimSpace(addr)))
	return tokenEncoding.EncodeToString(m.Sum(nil))[:tokenLen]
}

// replyAddress is mailbox address with the token of ticket and staff in
// its plus part.
func replyAddress(key []byte, mailboxAddr string, ticket int64, staff string) string {
	local, domain, _ := strings.Cut(mailboxAddr, "@")
	return fmt.Sprintf("%s+t%d.%s@%s", local, ticket, token(key, ticket, staff), domain)
}

// parseReplyAddress finds a ticket token in an address's plus part.
func parseReplyAddress(addr string) (ticket int64, tok string, ok bool) {
	local, _, found := strings.Cut(addr, "@")
	if !found {
		return 0, "", false
	}
	_, plus, found := strings.Cut(local, "+")
	if !found || !strings.HasPrefix(plus, "t") {
		return 0, "", false
	}
	num, tok, found := strings.Cut(plus[1:], ".")
	if !found || len(tok) != tokenLen {
		return 0, "", false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, strings.ToLower(tok), true
}

// validToken reports whether tok proves that staff may act on ticket.
func validToken(key []byte, ticket int64, staff, tok string) bool {
	return hmac.Equal([]byte(token(key, ticket, staff)), []byte(tok))
}
