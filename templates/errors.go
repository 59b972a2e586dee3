package templates

import (
	"errors"
	htmltemplate "html/template"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Error is a problem in one template file, at a line when there is one.
// Load and Check return it (Load every one it found, as Errors) rather
// than text, so that a caller listing the problems of many files (rules
// check: maildesk.toml, the rules, the templates) can sort them all by
// file and line in its own type. Its Error is "file:line: message", as
// compilers write it, so editors can jump to it.
type Error struct {
	File string // as Load names it: the override directory joined with the file name
	Line int    // 1-based; 0 when the problem concerns the whole file
	Msg  string
	Err  error // what the problem came from, when there is such an error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.File + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem Load found, sorted by file and line; its Error
// lists them one per line.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is and errors.As see each problem.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// sortErrors orders es by file, then line, then message, so output does
// not depend on the order files are read or map order.
func sortErrors(es Errors) {
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Msg < b.Msg
	})
}

// templateErrRE matches the position in text/template and html/template
// errors: "template: ack.txt:3: function \"x\" not defined" or
// "html/template:ack.html:3:10: ...".
var templateErrRE = regexp.MustCompile(`^(?:html/)?template: ?[^:]*:(\d+):(?:\d+:)? ?(.*)$`)

// positioned reads the line and message out of a text/template or
// html/template error, whose own text names the template, not the file.
func positioned(file string, err error) *Error {
	var escErr *htmltemplate.Error
	if errors.As(err, &escErr) {
		// The description may end in a dump of the escaper's state, which
		// tells an admin nothing.
		desc, _, _ := strings.Cut(escErr.Description, ": {")
		if escErr.ErrorCode == htmltemplate.ErrEndContext {
			desc += " (an unclosed tag, attribute or quote?)"
		}
		return &Error{File: file, Line: max(escErr.Line, 0), Msg: desc, Err: err}
	}
	msg := err.Error()
	if m := templateErrRE.FindStringSubmatch(msg); m != nil {
		if line, convErr := strconv.Atoi(m[1]); convErr == nil {
			return &Error{File: file, Line: line, Msg: m[2], Err: err}
		}
	}
	return &Error{File: file, Msg: msg, Err: err}
}
