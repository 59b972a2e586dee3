package desk

import (
	"strings"

	"github.com/kioi/maildesk/message"
)

// baseSubject strips reply and forward prefixes and ticket tags, nested in
// any order ("RE: FW: [FTA-PASS #12] 회신: 문의" → "문의"), so a ticket keeps
// the subject the customer first wrote. The prefixes are message's
// (message.CutReplyPrefix); the tags are ours.
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
		if message.IsReply(s) {
			return true
		}
		rest, ok := cutTag(s)
		if !ok {
			return false
		}
		s = strings.TrimSpace(rest)
	}
}

// stripPrefix removes one leading tag or reply marker, or returns s
// unchanged.
func stripPrefix(s string) string {
	if rest, ok := cutTag(s); ok {
		return rest
	}
	rest, _ := message.CutReplyPrefix(s)
	return rest
}

// cutTag removes a leading bracketed tag: "[FTA-PASS #12]", "[EXTERNAL]".
func cutTag(s string) (rest string, ok bool) {
	if !strings.HasPrefix(s, "[") {
		return s, false
	}
	if end := strings.IndexByte(s, ']'); end > 0 && end < 40 {
		return s[end+1:], true
	}
	return s, false
}
