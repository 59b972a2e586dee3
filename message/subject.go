package message

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// replyPrefixes are the reply and forward markers mail clients put before a
// subject, in the languages our customers' clients speak (lower case).
var replyPrefixes = []string{
	"re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rif", "r", "res", "enc",
	"답장", "회신", "전달", "답변", "转发", "回复",
}

// CutReplyPrefix removes one reply or forward marker from the front of s:
// a word of replyPrefixes in any case ("Re", "FWD", "AW", "회신", "转发"),
// an optional counter ("Re[2]", "RE(3)"), optional spaces, and an ASCII or
// full-width colon. It returns the rest of s without its leading white
// space and true, or s unchanged and false when s does not start (behind
// white space) with such a marker. "Report: x" and "Re[x]: y" are not
// markers.
func CutReplyPrefix(s string) (rest string, ok bool) {
	t := strings.TrimLeft(s, " \t")
	i := 0
	for i < len(t) {
		r, size := utf8.DecodeRuneInString(t[i:])
		if !unicode.IsLetter(r) {
			break
		}
		i += size
	}
	if i == 0 || !isReplyPrefix(strings.ToLower(t[:i])) {
		return s, false
	}
	t = t[i:]
	if len(t) > 0 && (t[0] == '[' || t[0] == '(') {
		closing := byte(']')
		if t[0] == '(' {
			closing = ')'
		}
		end := strings.IndexByte(t, closing)
		if end < 0 || strings.Trim(t[1:end], "0123456789") != "" {
			return s, false
		}
		t = t[end+1:]
	}
	t = strings.TrimLeft(t, " ")
	switch {
	case strings.HasPrefix(t, ":"):
		t = t[1:]
	case strings.HasPrefix(t, "："):
		t = t[len("："):]
	default:
		return s, false
	}
	return strings.TrimLeft(t, " \t"), true
}

// BaseSubject strips every reply and forward marker from the front of s
// ("RE: FW: 회신: 문의" → "문의") and the white space around what is left.
// Ticket tags ("[FTA-PASS #12]") are not markers: a caller that knows them
// strips them in its own loop around CutReplyPrefix.
func BaseSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		rest, ok := CutReplyPrefix(s)
		if !ok {
			return s
		}
		s = strings.TrimSpace(rest)
	}
}

// IsReply reports whether s starts with a reply or forward marker.
func IsReply(s string) bool {
	_, ok := CutReplyPrefix(s)
	return ok
}

func isReplyPrefix(w string) bool {
	for _, p := range replyPrefixes {
		if w == p {
			return true
		}
	}
	return false
}
