package message

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// HTMLToText converts an HTML mail body to readable plain text:
// block elements become line or paragraph breaks, <br> a line break, list
// items "- " or "N. " lines, blockquotes "> "-prefixed lines, links
// "text (url)" when the url differs from the text; script, style and the
// head are dropped, entities decoded and whitespace collapsed outside <pre>.
//
// Text a mail client would not show is dropped too (see hiddenElement):
// staff commands and the customer-visible text are read from the result,
// so a sender must not be able to slip in words nobody reading the mail
// sees. The document is parsed as a browser parses it (x/net/html, with
// scripting off as in a mail client), so that what counts as inside a
// hidden element, with unclosed and misnested tags, is what a reader's
// client makes of it, not a guess from the tag sequence.
func HTMLToText(src string) string {
	doc, err := html.ParseWithOptions(strings.NewReader(src), html.ParseOptionEnableScripting(false))
	if err != nil {
		// The parser refuses documents nested deeper than 512
		// elements (sloppy mailers leave that many tags unclosed).
		return htmlTokensToText(src)
	}
	c := &htmlConv{}
	// The walk is iterative: a hostile mail can nest elements a million
	// deep, and the tree is as deep as that.
	n := doc
	for {
		open := c.enter(n)
		if open && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		if open {
			c.leave(n)
		}
		for n != doc && n.NextSibling == nil {
			n = n.Parent
			c.leave(n)
		}
		if n == doc {
			break
		}
		n = n.NextSibling
	}
	return c.w.result()
}

// maxEndTagSearch bounds how far down the open elements an end tag is
// matched in htmlTokensToText, which keeps a million unclosed tags and a
// million stray end tags linear. An end tag not matched is ignored: that
// keeps a hidden element open, and so hides more, not less.
const maxEndTagSearch = 1000

// htmlTokensToText is HTMLToText for documents the parser refuses. It
// reads the tag sequence with a stack of open elements in place of the
// parser's tree: an end tag closes everything opened after its start tag,
// a stray end tag is ignored, and text inside a dropped or hidden element
// is dropped until that element's end tag. It cannot follow the parser's
// implied closings (a <div> closing an open <p>), and so may hide text a
// client shows, not the reverse.
func htmlTokensToText(src string) string {
	c := &htmlConv{}
	z := html.NewTokenizer(strings.NewReader(src))
	var open []string // names of the open elements, outermost first
	hiddenAt := -1    // index in open of the dropped or hidden element the walk is in
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return c.w.result()
		case html.TextToken:
			if hiddenAt < 0 {
				c.w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			name := tok.Data
			void := voidElements[name] || tt == html.SelfClosingTagToken
			if name == "body" && hiddenAt >= 0 && open[hiddenAt] == "head" {
				open, hiddenAt = open[:hiddenAt], -1 // a head left unclosed
			}
			if hiddenAt < 0 {
				n := &html.Node{Type: html.ElementNode, Data: name, Attr: tok.Attr}
				if droppedElements[name] || hiddenElement(n) {
					if !void {
						hiddenAt = len(open)
					}
				} else {
					c.tag(name, attrMap(tok.Attr), false)
				}
			}
			if !void {
				open = append(open, name)
			}
		case html.EndTagToken:
			nameB, _ := z.TagName()
			name := string(nameB)
			if name == "body" || name == "html" {
				continue // a browser keeps adding what follows to the open element
			}
			i := len(open) - 1
			for ; i >= 0 && i >= len(open)-maxEndTagSearch && open[i] != name; i-- {
			}
			if i < 0 || i < len(open)-maxEndTagSearch || open[i] != name {
				continue
			}
			top := len(open)
			if hiddenAt >= 0 {
				if hiddenAt < i {
					open = open[:i]
					continue
				}
				top, hiddenAt = hiddenAt, -1
			}
			for k := top - 1; k >= i; k-- {
				c.tag(open[k], nil, true)
			}
			open = open[:i]
		}
	}
}

func attrMap(attrs []html.Attribute) map[string]string {
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		if _, dup := m[a.Key]; !dup {
			m[a.Key] = a.Val
		}
	}
	return m
}

// droppedElements hold no text a reader sees.
var droppedElements = map[string]bool{
	"script": true, "style": true, "head": true, "title": true, "template": true, "xml": true,
	"noframes": true, "iframe": true, "object": true,
}

// voidElements have no end tag (and no children).
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "keygen": true, "link": true, "meta": true, "param": true, "source": true,
	"track": true, "wbr": true,
}

type htmlLink struct {
	href  string
	start int
}

// htmlConv turns the start tags, end tags and text of a walk over the
// document into text.
type htmlConv struct {
	w     textWriter
	lists []int // open lists: -1 for <ul>, else the next <ol> number
	links []htmlLink
}

// enter handles n's start and reports whether its children and end are
// to be walked.
func (c *htmlConv) enter(n *html.Node) bool {
	switch n.Type {
	case html.DocumentNode:
		return true
	case html.TextNode:
		c.w.text(n.Data)
		return false
	case html.ElementNode:
		if droppedElements[n.Data] || hiddenElement(n) {
			return false
		}
		c.tag(n.Data, attrMap(n.Attr), false)
		return !voidElements[n.Data]
	}
	return false
}

func (c *htmlConv) leave(n *html.Node) {
	if n.Type == html.ElementNode {
		c.tag(n.Data, nil, true)
	}
}

func (c *htmlConv) tag(name string, attrs map[string]string, end bool) {
	w := &c.w
	switch name {
	case "br":
		w.lineBreak()
	case "p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "dl", "figure", "hr", "address", "center", "form", "fieldset":
		w.paragraph()
	case "pre":
		w.paragraph()
		if end {
			if w.pre > 0 {
				w.pre--
			}
		} else {
			w.pre++
		}
	case "blockquote":
		if end {
			if w.quote > 0 {
				w.quote--
			}
			w.paragraph()
		} else {
			w.paragraph()
			w.commitBreaks()
			w.quote++
		}
	case "ul", "ol":
		if end {
			if len(c.lists) > 0 {
				c.lists = c.lists[:len(c.lists)-1]
			}
			if len(c.lists) == 0 {
				w.paragraph()
			} else {
				w.newline()
			}
			return
		}
		if len(c.lists) == 0 {
			w.paragraph()
		} else {
			w.newline()
		}
		n := -1
		if name == "ol" {
			n = 1
			if s, err := strconv.Atoi(attrs["start"]); err == nil {
				n = s
			}
		}
		c.lists = append(c.lists, n)
	case "li":
		w.newline()
		if !end {
			bullet := "- "
			if len(c.lists) > 0 {
				if n := c.lists[len(c.lists)-1]; n >= 0 {
					bullet = strconv.Itoa(n) + ". "
					c.lists[len(c.lists)-1]++
				}
				bullet = strings.Repeat("  ", len(c.lists)-1) + bullet
			}
			w.raw(bullet)
		}
	case "div", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main", "caption", "figcaption", "tbody", "thead", "tfoot", "details", "summary":
		w.newline()
	case "td", "th":
		if !end {
			w.space = true
		}
	case "img":
		if alt := strings.TrimSpace(attrs["alt"]); alt != "" {
			w.text(alt)
		}
	case "a":
		if end {
			if len(c.links) == 0 {
				return
			}
			l := c.links[len(c.links)-1]
			c.links = c.links[:len(c.links)-1]
			label := strings.TrimSpace(w.b.String()[min(l.start, w.b.Len()):])
			if label != "" && linkWorthShowing(l.href, label) {
				w.text(" (" + l.href + ")")
			}
		} else {
			c.links = append(c.links, htmlLink{href: strings.TrimSpace(attrs["href"]), start: w.b.Len()})
		}
	}
}

// linkWorthShowing reports whether href adds something to the link text.
func linkWorthShowing(href, label string) bool {
	if href == "" || strings.HasPrefix(href, "#") {
		return false
	}
	lh := strings.ToLower(href)
	for _, p := range []string{"javascript:", "cid:", "data:"} {
		if strings.HasPrefix(lh, p) {
			return false
		}
	}
	if len(label) > len(href)+16 {
		return true // too long to be the url itself
	}
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		for _, p := range []string{"mailto:", "tel:", "https://", "http://"} {
			s = strings.TrimPrefix(s, p)
		}
		s = strings.TrimPrefix(s, "www.")
		return strings.TrimRight(s, "/")
	}
	return norm(href) != norm(label)
}

// textWriter accumulates text with pending line breaks and quote prefixes.
type textWriter struct {
	b       strings.Builder
	pending int  // line breaks owed before the next text (2 = paragraph)
	space   bool // a collapsed space is owed before the next text
	pre     int
	quote   int
	atStart bool // current line has no text yet
}

func (w *textWriter) flushBreaks() {
	if w.b.Len() == 0 {
		w.pending = 0
		w.atStart = true
	}
	for ; w.pending > 0; w.pending-- {
		w.b.WriteByte('\n')
		w.atStart = true
		if w.pending > 1 && w.quote > 0 {
			w.b.WriteString(strings.Repeat(">", w.quote))
		}
	}
	if w.atStart && w.quote > 0 {
		w.b.WriteString(strings.Repeat(">", w.quote) + " ")
	}
}

// commitBreaks writes the pending line breaks now, at the current quote
// depth, so that a change of depth applies only to what follows.
func (w *textWriter) commitBreaks() {
	if w.pending == 0 || w.b.Len() == 0 {
		return
	}
	for ; w.pending > 0; w.pending-- {
		w.b.WriteByte('\n')
		if w.pending > 1 && w.quote > 0 {
			w.b.WriteString(strings.Repeat(">", w.quote))
		}
	}
	w.atStart = true
}

func (w *textWriter) raw(s string) {
	w.flushBreaks()
	w.b.WriteString(s)
	w.atStart = false
	w.space = false
}

func (w *textWriter) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if w.pre > 0 {
		lines := strings.Split(normalizeNewlines(s), "\n")
		for i, l := range lines {
			if i > 0 {
				w.flushBreaks()
				w.b.WriteByte('\n')
				w.atStart = true
			}
			if l != "" {
				w.raw(l)
			}
		}
		return
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		if s != "" {
			w.space = true
		}
		return
	}
	lead := s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r' || s[0] == '\f'
	if (lead || w.space) && w.pending == 0 && !w.atStart && w.b.Len() > 0 {
		w.b.WriteByte(' ')
	}
	w.flushBreaks()
	w.b.WriteString(strings.Join(fields, " "))
	w.atStart = false
	last := s[len(s)-1]
	w.space = last == ' ' || last == '\t' || last == '\n' || last == '\r' || last == '\f'
}

func (w *textWriter) lineBreak() {
	// <br> always produces a break, even on an empty line.
	if w.pending > 0 || w.atStart && w.b.Len() > 0 {
		w.pending++
		if w.pending > 2 {
			w.pending = 2
		}
	} else {
		w.pending = 1
	}
	w.space = false
}

func (w *textWriter) newline() {
	if w.b.Len() > 0 && !w.atStart {
		w.pending = max(w.pending, 1)
	}
	w.space = false
}

func (w *textWriter) paragraph() {
	if w.b.Len() > 0 {
		w.pending = 2
	}
	w.space = false
}

func (w *textWriter) result() string {
	lines := strings.Split(w.b.String(), "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if strings.Trim(l, "> ") == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.Trim(strings.Join(out, "\n"), "\n")
}
