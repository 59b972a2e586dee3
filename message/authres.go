package message

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// Authenticated reports whether the receiving mail server vouches that m
// comes from domain: the topmost Authentication-Results header (RFC 8601),
// the one the last server to receive m added, has authserv-id authservID
// and shows dkim=pass with header.d equal to domain (or header.i ending in
// "@"+domain), or dmarc=pass with header.from equal to domain. Ids and
// domains compare case-insensitively; domain is a domain name, not an
// address.
//
// Only the topmost header counts, and only when its authserv-id is
// authservID: any header further down, and any header naming another
// server, may have been written by the sender. That holds only if the
// server stripping is done: a deployment needs its receiving MTA to remove
// Authentication-Results headers claiming its own authserv-id from incoming
// mail (RFC 8601 §5), or a sender can forge the verdict.
//
// An empty authservID or domain, a missing header and one that does not
// parse all give false.
func (m *Message) Authenticated(authservID, domain string) bool {
	if m == nil || authservID == "" || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	vals := m.Header.Values("Authentication-Results")
	if len(vals) == 0 {
		return false
	}
	id, results, err := authres.Parse(normalizeAuthResults(vals[0]))
	if err != nil || !strings.EqualFold(id, authservID) {
		return false
	}
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DKIMResult:
			// A verifier accepts an i= only in d= or below it, so an
			// i= in domain comes from a signer that holds domain or a
			// parent of it.
			if r.Value == authres.ResultPass && (strings.EqualFold(r.Domain, domain) ||
				hasSuffixFold(r.Identifier, "@"+domain)) {
				return true
			}
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && strings.EqualFold(r.From, domain) {
				return true
			}
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// quotedPlaceholder stands for a quoted string that authres cannot take
// as it is. It has no dot and no "@", so it never equals a domain or ends
// in "@domain".
const quotedPlaceholder = "_quoted_"

// normalizeAuthResults rewrites an Authentication-Results value into the
// plain form authres.Parse reads, which splits at every ";" and blank and
// knows neither comments nor quoted strings: the value is unfolded, its
// comments (which OpenDKIM fills with "(2048-bit key; unprotected)") are
// removed, and quoted strings are unquoted when their content is a plain
// token, else replaced by quotedPlaceholder. A ";" or a blank inside a
// comment or a quoted string (a quoted local part of smtp.mailfrom, which
// the sender chooses) must not start a result of its own: that would let
// a sender write "dkim=pass header.d=" into the trusted header.
func normalizeAuthResults(v string) string {
	var out strings.Builder
	depth := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\r' || c == '\n' || c == '\t':
			if depth == 0 {
				out.WriteByte(' ')
			}
		case c == '\\' && depth > 0:
			i++ // a quoted-pair inside a comment
		case c == '(':
			depth++
			if depth == 1 {
				out.WriteByte(' ')
			}
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '"':
			var q strings.Builder
			j := i + 1
			for ; j < len(v) && v[j] != '"'; j++ {
				if v[j] == '\\' && j+1 < len(v) {
					j++
				}
				q.WriteByte(v[j])
			}
			i = j // at the closing quote, or past the end
			if s := q.String(); s != "" && !strings.ContainsAny(s, " \t\r\n;()\"\\=") {
				out.WriteString(s)
			} else {
				out.WriteString(quotedPlaceholder)
			}
		default:
			out.WriteByte(c)
		}
	}
	return out.String()
}
