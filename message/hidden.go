package message

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/kioi/maildesk/message/internal/charset"
)

// hiddenElement reports whether a mail client would show nothing of n: it
// carries the hidden attribute (unless its style sets another display),
// or its style attribute hides it (see hiddenStyle).
//
// aria-hidden="true" does not count: it hides an element from screen
// readers only, and mail clients show its text, so dropping it would keep
// from staff text the customer sees. Rules in <style> blocks (a class set
// to display:none) are not applied: that needs a CSS engine.
func hiddenElement(n *html.Node) bool {
	hiddenAttr := false
	var st cssStyle
	for _, a := range n.Attr {
		switch a.Key {
		case "hidden":
			hiddenAttr = true
		case "style":
			// Browsers read the first of repeated attributes; reading
			// them all hides at worst a little more than a client does.
			st.parse(a.Val)
		}
	}
	if st.hidden() {
		return true
	}
	if hiddenAttr {
		d, ok := st.props["display"]
		return !ok || d.value == "none"
	}
	return false
}

type cssValue struct {
	value     string
	important bool
}

// cssStyle holds the declarations of style attributes by property, as the
// cascade leaves them: a later declaration wins unless an earlier one is
// !important and it is not.
type cssStyle struct {
	props map[string]cssValue
}

func (s *cssStyle) parse(decls string) {
	decls = stripCSSComments(decls)
	for _, d := range strings.Split(decls, ";") {
		prop, val, ok := strings.Cut(d, ":")
		if !ok {
			continue
		}
		prop = strings.ToLower(strings.TrimSpace(unescapeCSS(prop)))
		val = strings.ToLower(strings.TrimSpace(unescapeCSS(val)))
		important := false
		if i := strings.LastIndexByte(val, '!'); i >= 0 && strings.TrimSpace(val[i+1:]) == "important" {
			val, important = strings.TrimSpace(val[:i]), true
		}
		if prop == "" || val == "" {
			continue
		}
		if s.props == nil {
			s.props = map[string]cssValue{}
		}
		if old, ok := s.props[prop]; ok && old.important && !important {
			continue
		}
		s.props[prop] = cssValue{val, important}
	}
}

// hidden reports whether the declarations hide the element's text:
// display:none, visibility:hidden, opacity:0, font-size:0, Outlook's
// mso-hide:all, and a zero height or width with the overflow hidden (the
// "preheader" of marketing mail, and an easy way to hide a command).
func (s *cssStyle) hidden() bool {
	get := func(p string) string { return s.props[p].value }
	if strings.Contains(" "+get("display")+" ", " none ") {
		return true
	}
	switch get("visibility") {
	case "hidden", "collapse":
		return true
	}
	if get("mso-hide") == "all" || cssZero(get("opacity")) || cssZero(get("font-size")) {
		return true
	}
	clipped := false
	for _, p := range []string{"overflow", "overflow-x", "overflow-y"} {
		for _, v := range strings.Fields(get(p)) {
			if v == "hidden" || v == "clip" {
				clipped = true
			}
		}
	}
	if clipped {
		for _, p := range []string{"height", "max-height", "width", "max-width"} {
			if cssZero(get(p)) {
				return true
			}
		}
	}
	return false
}

// cssZero reports whether v is a zero number or length ("0", "0px",
// "0.0em", "-0", "0%").
func cssZero(v string) bool {
	v = strings.TrimSpace(v)
	if v == "" {
		return false
	}
	num := strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz%")
	if num == "" {
		return false
	}
	f, err := strconv.ParseFloat(num, 64)
	return err == nil && f == 0
}

func stripCSSComments(s string) string {
	for {
		i := strings.Index(s, "/*")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i+2:], "*/")
		if j < 0 {
			return s[:i]
		}
		s = s[:i] + " " + s[i+2+j+2:]
	}
}

// unescapeCSS undoes CSS escapes ("n\one", "\6e one"), which browsers
// honour in property names and keywords, so "display:n\one" hides as
// well as "display:none" does.
func unescapeCSS(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		j := i + 1
		for j < len(s) && j < i+7 && charset.IsHex(s[j]) {
			j++
		}
		if j == i+1 {
			b.WriteByte(s[j]) // "\x" is x
			i = j
			continue
		}
		r, _ := strconv.ParseUint(s[i+1:j], 16, 32)
		if r == 0 || r > utf8.MaxRune || (r >= 0xd800 && r <= 0xdfff) {
			r = utf8.RuneError
		}
		b.WriteRune(rune(r))
		if j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
			j++ // one blank ends a hex escape
		}
		i = j - 1
	}
	return b.String()
}
