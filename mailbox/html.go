package mailbox

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
func HTMLToText(src string) string {
	w := &textWriter{}
	z := html.NewTokenizer(strings.NewReader(src))
	skip := 0       // inside script/style/head/title/template
	var lists []int // open lists: -1 for <ul>, else the next <ol> number
	type link struct {
		href  string
		start int
	}
	var links []link
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if skip > 0 {
				continue
			}
			w.text(string(z.Text()))
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			nameB, hasAttr := z.TagName()
			name := string(nameB)
			var attrs map[string]string
			if hasAttr && tt != html.EndTagToken {
				attrs = map[string]string{}
				for {
					k, v, more := z.TagAttr()
					attrs[string(k)] = string(v)
					if !more {
						break
					}
				}
			}
			end := tt == html.EndTagToken
			switch name {
			case "script", "style", "head", "title", "template", "xml":
				if tt == html.SelfClosingTagToken {
					continue
				}
				if end {
					if skip > 0 {
						skip--
					}
				} else {
					skip++
				}
				continue
			case "body":
				skip = 0
				continue
			}
			if skip > 0 {
				continue
			}
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
				} else if tt == html.StartTagToken {
					w.pre++
				}
			case "blockquote":
				if end {
					if w.quote > 0 {
						w.quote--
					}
					w.paragraph()
				} else if tt == html.StartTagToken {
					w.paragraph()
					w.commitBreaks()
					w.quote++
				}
			case "ul", "ol":
				if end {
					if len(lists) > 0 {
						lists = lists[:len(lists)-1]
					}
					if len(lists) == 0 {
						w.paragraph()
					} else {
						w.newline()
					}
				} else if tt == html.StartTagToken {
					if len(lists) == 0 {
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
					lists = append(lists, n)
				}
			case "li":
				w.newline()
				if !end {
					bullet := "- "
					if len(lists) > 0 {
						if n := lists[len(lists)-1]; n >= 0 {
							bullet = strconv.Itoa(n) + ". "
							lists[len(lists)-1]++
						}
						bullet = strings.Repeat("  ", len(lists)-1) + bullet
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
					if len(links) == 0 {
						continue
					}
					l := links[len(links)-1]
					links = links[:len(links)-1]
					label := strings.TrimSpace(w.b.String()[min(l.start, w.b.Len()):])
					if label != "" && linkWorthShowing(l.href, label) {
						w.text(" (" + l.href + ")")
					}
				} else if tt == html.StartTagToken {
					links = append(links, link{href: strings.TrimSpace(attrs["href"]), start: w.b.Len()})
				}
			}
		}
	}
	return w.result()
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
