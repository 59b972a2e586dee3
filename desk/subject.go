package desk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// replyPrefixes are the reply and forward markers mail clients put before a
// subject, in the languages our customers' clients speak. Matching is
// case-insensitive; a counter such as "Re[2]:" or "RE(3):" is allowed.
var replyPrefixes = []string{
	"re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rif", "r", "res", "enc",
	"답장", "회신", "전달", "답변", "转发", "回复",
}

// baseSubject strips reply and forward prefixes and ticket tags, nested in
// any order ("RE: FW: [FTA-PASS #12] 회신: 문의" → "문의"), so a ticket keeps
// the subject the customer first wrote.
func baseSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		rest := stripPrefix(s)
		if rest == s {
			return s
		}
		s = strings.TrimSpace(rest)
	}
}

// markedReply reports whether s starts, behind any tags, with a reply or
// forward marker: "Re: [FTA-PASS #3] 문의" is, "[FTA-PASS #3] 문의" is not.
func markedReply(s string) bool {
	s = strings.TrimSpace(s)
	for {
		rest := stripPrefix(s)
		if rest == s {
			return false
		}
		if !strings.HasPrefix(s, "[") {
			return true
		}
		s = strings.TrimSpace(rest)
	}
}

// stripPrefix removes one leading marker, or returns s unchanged.
func stripPrefix(s string) string {
	// A bracketed tag: "[FTA-PASS #12]", "[EXTERNAL]".
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 && end < 40 {
			return s[end+1:]
		}
		return s
	}
	// A word, an optional counter, then a colon (ASCII or full-width).
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) {
			break
		}
		i += size
	}
	word := strings.ToLower(s[:i])
	if word == "" || !isReplyPrefix(word) {
		return s
	}
	rest := s[i:]
	if len(rest) > 0 && (rest[0] == '[' || rest[0] == '(') {
		close := map[byte]byte{'[': ']', '(': ')'}[rest[0]]
		end := strings.IndexByte(rest, close)
		if end < 0 || strings.Trim(rest[1:end], "0123456789") != "" {
			return s
		}
		rest = rest[end+1:]
	}
	rest = strings.TrimLeft(rest, " ")
	switch {
	case strings.HasPrefix(rest, ":"):
		return rest[1:]
	case strings.HasPrefix(rest, "："):
		return rest[len("："):]
	}
	return s
}

func isReplyPrefix(w string) bool {
	for _, p := range replyPrefixes {
		if w == p {
			return true
		}
	}
	return false
}
