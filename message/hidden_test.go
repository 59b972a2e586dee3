package message

import (
	"strings"
	"testing"
)

// deep wraps s in more unclosed elements than the parser accepts, so that
// HTMLToText takes the tokenizer path.
func deep(s string) string { return strings.Repeat("<span>", 600) + s }

func TestHTMLToTextHidden(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     string   // from the parser path
		absent   []string // in neither path's text
	}{
		// A hidden block makes no box, so no line break either, as in a client.
		{"display none", `<p>visible</p><div style="display:none">#close</div>`, "visible", []string{"#close"}},
		{"display none important, spaced", `a<div style="DISPLAY : none !important;">#close</div>b`, "ab", []string{"#close"}},
		{"display none among others", `a<div style="color:red; display:none; font-weight:bold">#close</div>`, "a", []string{"#close"}},
		{"later display wins", `<div style="display:none;display:block">shown</div>`, "shown", nil},
		{"important beats a later plain one", `a<div style="display:none!important;display:block">#close</div>`, "a", []string{"#close"}},
		{"css escape", `a<div style="display:n\6f ne">#close</div>`, "a", []string{"#close"}},
		{"css comment", `a<div style="display:/* x */none">#close</div>`, "a", []string{"#close"}},
		{"visibility hidden", `a<span style="visibility:hidden">#close</span>`, "a", []string{"#close"}},
		{"hidden attribute", `a<div hidden>#close</div>`, "a", []string{"#close"}},
		{"hidden attribute overridden by style", `<div hidden style="display:block">shown</div>`, "shown", nil},
		{"template", `a<template><p>#close</p></template>`, "a", []string{"#close"}},
		{"font-size 0", `a<span style="font-size:0px">#close</span>`, "a", []string{"#close"}},
		{"opacity 0", `a<span style="opacity:0">#close</span>`, "a", []string{"#close"}},
		{"mso-hide", `a<span style="mso-hide:all">#close</span>`, "a", []string{"#close"}},
		{"max-height 0 clipped", `a<div style="max-height:0;overflow:hidden">#close</div>`, "a", []string{"#close"}},
		{"height 0 not clipped is shown", `<div style="height:0">shown</div>`, "shown", nil},
		{"font-size 1px is shown", `<span style="font-size:1px">shown</span>`, "shown", nil},
		{"aria-hidden is shown", `<p aria-hidden="true">shown</p>`, "shown", nil},
		{"nested hidden", `a<div style="display:none"><div><div hidden><p>#close</p></div>#assign x</div></div>b`, "ab", []string{"#close", "#assign"}},
		{"void elements inside", `a<div hidden>#close<br><img alt="#assign x"><hr>still hidden</div>b`, "ab", []string{"#close", "#assign", "still hidden"}},
		{"unclosed tags inside", `a<div style="display:none"><p>#close<span><b>#assign x</div>b`, "ab", []string{"#close", "#assign"}},
		{"unclosed hidden element", `a<div style="display:none">#close`, "a", []string{"#close"}},
		{"body end does not end it", `a<div hidden>#close</body></html>#assign x`, "a", []string{"#close", "#assign"}},
		{"hidden table cell", `<table><tr><td>a</td><td style="display:none">#close</td></tr></table>`, "a", []string{"#close"}},
		{"hidden list item keeps numbering", `<ol><li>one</li><li hidden>#close</li><li>two</li></ol>`, "1. one\n2. two", []string{"#close"}},
		{"hidden link", `see <a href="https://evil.example/" style="display:none">#close</a>here`, "see here", []string{"#close", "evil.example"}},
		{"command on the first line", `<div style="display:none">#close</div><p>Thanks, done.</p>`, "Thanks, done.", []string{"#close"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			fallback := HTMLToText(deep(tt.in))
			for _, a := range tt.absent {
				if strings.Contains(fallback, a) {
					t.Errorf("tokenizer path: got %q, want no %q", fallback, a)
				}
			}
			// Visible text survives the tokenizer path as well.
			for _, w := range strings.Fields(tt.want) {
				if !strings.Contains(fallback, w) {
					t.Errorf("tokenizer path: got %q, want %q in it", fallback, w)
				}
			}
		})
	}
}

// A document nested deeper than the parser allows keeps its text.
func TestHTMLToTextDeep(t *testing.T) {
	in := deep("<p>hello</p><div>" + strings.Repeat("<b>", 10000) + "world")
	if got := HTMLToText(in); got != "hello\n\nworld" {
		t.Errorf("got %q, want %q", got, "hello\n\nworld")
	}
	if got := HTMLToText(deep("<head><title>T</title><body>body text")); got != "body text" {
		t.Errorf("missing </head>: got %q, want %q", got, "body text")
	}
}

// A staff answer in HTML only, whose hidden parts carry commands: none of
// them may reach the text that staff commands are read from.
func TestParseHTMLHiddenCommand(t *testing.T) {
	m, err := Parse(readFixture(t, "html-hidden-command.eml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "안녕하세요. 인증서는 내일 발급됩니다.\n\n감사합니다."
	if m.Text != want {
		t.Errorf("got Text %q, want %q", m.Text, want)
	}
	for _, s := range []string{"#close", "#assign", "#uphold", "#defer", "hidden alt", "preheader", "template"} {
		if strings.Contains(m.Text, s) || strings.Contains(m.NewText, s) {
			t.Errorf("got %q in the text %q", s, m.Text)
		}
	}
}
