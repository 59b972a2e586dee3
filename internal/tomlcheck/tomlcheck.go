// Package tomlcheck decodes the TOML files admins edit (maildesk.toml, the
// rule files) strictly and reports what is wrong with them the way compilers
// do: every problem at once, each as file:line: message, unknown keys named
// with the table they are in, type mismatches in the admins' words.
//
// A File remembers the line of every key, so that checks a package makes
// after decoding (a value out of range, a reference to something undefined)
// still point at the offending line. The config and rules packages share it;
// it imports no package of the project.
package tomlcheck

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Problem is one thing wrong in a file.
type Problem struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	Msg  string
}

// Error formats the problem the way compilers do, so editors can jump to it.
func (p Problem) Error() string {
	switch {
	case p.File == "":
		return p.Msg
	case p.Line <= 0:
		return p.File + ": " + p.Msg
	default:
		return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Msg
	}
}

// Problems is a list of problems; it is the error type the loaders of config
// and rules return. Admins fix files in one pass when they see everything at once, so
// loaders collect problems rather than stopping at the first.
type Problems []Problem

// Error lists the problems one per line.
func (ps Problems) Error() string { return strings.Join(ps.Strings(), "\n") }

// Strings returns each problem as file:line: message, in order: the lines
// Error prints, which the tests of config, rules and desk compare with
// what they want.
func (ps Problems) Strings() []string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return lines
}

// Sorted orders each file's problems by line, files in the order given and
// then in the order they were first reported, so output reads top to bottom.
func (ps Problems) Sorted(files ...string) Problems {
	order := map[string]int{}
	for _, f := range files {
		if _, ok := order[f]; !ok {
			order[f] = len(order)
		}
	}
	for _, p := range ps {
		if _, ok := order[p.File]; !ok {
			order[p.File] = len(order)
		}
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if oi, oj := order[ps[i].File], order[ps[j].File]; oi != oj {
			return oi < oj
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

// Err returns ps, sorted, as an error, or nil when there is nothing wrong: a
// nil Problems stored in an error interface would not compare equal to nil.
func (ps Problems) Err(files ...string) error {
	if len(ps) == 0 {
		return nil
	}
	return ps.Sorted(files...)
}

// File is one TOML file being decoded, with the line of every key so that
// checks made after decoding can still point at the offending line.
//
// Keys are dotted paths in which the n-th table of an array of tables (1-based)
// is a path element: "smtp.security", "mailbox.1" (the [[mailbox]] header),
// "mailbox.1.port".
type File struct {
	Path string // as given to Decode; problems name it
	// Problems found so far: by Decode, then by the checks of the caller
	// (Add, Addf, Required).
	Problems Problems

	lines  map[string]int
	arrays map[string]bool // paths that are arrays of tables, for messages
	bad    map[string]bool // keys whose value could not be decoded
	exprs  []tomlExpr      // top-level expressions, to skip a key/value that cannot be decoded
}

type tomlExpr struct {
	line  int
	start int // byte range of the key/value, -1 for table headers
	end   int
	key   string
}

// Decode decodes data into v, rejecting unknown keys, and indexes the
// lines of all keys. It returns false when the file could not be decoded at all
// (a syntax error); v then holds nothing useful and semantic checks should be
// skipped.
//
// The decoder stops at the first value of the wrong type. To still report every
// problem, the offending key/value is blanked out (newlines kept, so lines do
// not move), remembered in bad, and decoding starts over.
func Decode(path string, data []byte, v any) (*File, bool) {
	f := &File{
		Path:   path,
		lines:  map[string]int{},
		arrays: map[string]bool{},
		bad:    map[string]bool{},
	}
	if !f.index(data) {
		// Let the decoder report the syntax error: its DecodeError has the
		// position already computed.
		var discard map[string]any
		f.addDecodeError(toml.Unmarshal(data, &discard))
		for i := range f.Problems {
			f.Problems[i].Msg = "syntax error: " + f.Problems[i].Msg
		}
		if len(f.Problems) == 0 {
			f.Add(0, "cannot parse TOML")
		}
		return f, false
	}

	data = bytes.Clone(data)
	target := reflect.ValueOf(v).Elem()
	for range len(f.exprs) + 1 {
		target.SetZero()
		err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(v)
		if err == nil {
			return f, true
		}
		var strict *toml.StrictMissingError
		if errors.As(err, &strict) {
			// Reported after the whole document was decoded: v is complete.
			for i := range strict.Errors {
				f.addUnknown(&strict.Errors[i])
			}
			return f, true
		}
		var de *toml.DecodeError
		if !errors.As(err, &de) {
			f.Add(0, "%s", err.Error())
			return f, false
		}
		f.addDecodeError(de)
		line, _ := de.Position()
		e := f.exprAt(line)
		if e == nil || e.start < 0 {
			// A table header cannot be blanked without moving its keys
			// into the previous table.
			return f, false
		}
		f.bad[e.key] = true
		for i := e.start; i < e.end; i++ {
			if data[i] != '\n' && data[i] != '\r' {
				data[i] = ' '
			}
		}
		e.start = -1
	}
	return f, false
}

// index walks the document with the unstable parser and fills lines, arrays
// and exprs. It returns false on a syntax error.
func (f *File) index(data []byte) bool {
	var p unstable.Parser
	p.Reset(data)
	counts := map[string]int{} // array-of-tables path -> tables seen so far
	resolve := func(parts []string) string {
		path := ""
		for _, part := range parts {
			path = joinKey(path, part)
			if n := counts[path]; n > 0 {
				path += "." + strconv.Itoa(n)
			}
		}
		return path
	}
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			line, parts := keyOf(&p, e)
			key := joinKey(table, strings.Join(parts, "."))
			f.exprs = append(f.exprs, tomlExpr{
				line:  line,
				start: int(e.Raw.Offset),
				end:   int(e.Raw.Offset + e.Raw.Length),
				key:   key,
			})
			f.indexValue(&p, key, line, e.Value())
		case unstable.Table:
			line, parts := keyOf(&p, e)
			table = resolve(parts)
			f.setLine(table, line)
			f.exprs = append(f.exprs, tomlExpr{line: line, start: -1, key: table})
		case unstable.ArrayTable:
			line, parts := keyOf(&p, e)
			base := joinKey(resolve(parts[:len(parts)-1]), parts[len(parts)-1])
			counts[base]++
			f.arrays[base] = true
			// For messages about a key in a nested array of tables,
			// which the decoder names without indexes.
			f.arrays[strings.Join(parts, ".")] = true
			table = base + "." + strconv.Itoa(counts[base])
			f.setLine(table, line)
			f.exprs = append(f.exprs, tomlExpr{line: line, start: -1, key: table})
		}
	}
	return p.Error() == nil
}

// indexValue records key, and the keys inside inline tables and arrays of
// inline tables, which admins may write instead of [table] headers.
func (f *File) indexValue(p *unstable.Parser, key string, line int, v *unstable.Node) {
	f.setLine(key, line)
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			kv := it.Node()
			if kv.Kind != unstable.KeyValue {
				continue
			}
			l, parts := keyOf(p, kv)
			f.indexValue(p, joinKey(key, strings.Join(parts, ".")), l, kv.Value())
		}
	case unstable.Array:
		it := v.Children()
		n := 0
		for it.Next() {
			n++
			if el := it.Node(); el.Kind == unstable.InlineTable {
				f.arrays[key] = true
				f.indexValue(p, key+"."+strconv.Itoa(n), line, el)
			}
		}
	}
}

func (f *File) setLine(key string, line int) {
	if _, ok := f.lines[key]; !ok {
		f.lines[key] = line
	}
}

// keyOf returns the line of a key/value or table header and its key parts.
func keyOf(p *unstable.Parser, n *unstable.Node) (int, []string) {
	var parts []string
	line := 0
	it := n.Key()
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = p.Shape(k.Raw).Start.Line
		}
		parts = append(parts, string(k.Data))
	}
	return line, parts
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// exprAt returns the last top-level expression starting at or before line: a
// multi-line array reports its errors on a line after its key.
func (f *File) exprAt(line int) *tomlExpr {
	for i := len(f.exprs) - 1; i >= 0; i-- {
		if f.exprs[i].line <= line {
			return &f.exprs[i]
		}
	}
	return nil
}

// Line returns the line of key, or of the closest enclosing table when key is
// absent (a missing key is reported at its table's header), or 0.
func (f *File) Line(key string) int {
	for key != "" {
		if l, ok := f.lines[key]; ok {
			return l
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// Has reports whether key was written in the file, even with a bad value.
func (f *File) Has(key string) bool {
	_, ok := f.lines[key]
	return ok
}

// Bad reports whether key was written with a value that could not be
// decoded (already reported): checks of its value should be skipped.
func (f *File) Bad(key string) bool { return f.bad[key] }

// Add reports a problem at line (0: the whole file).
func (f *File) Add(line int, format string, args ...any) {
	f.Problems = append(f.Problems, Problem{File: f.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Addf reports a problem at key's line.
func (f *File) Addf(key, format string, args ...any) {
	f.Add(f.Line(key), format, args...)
}

func (f *File) addDecodeError(err error) {
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		if err != nil {
			f.Add(0, "%s", strings.TrimPrefix(err.Error(), "toml: "))
		}
		return
	}
	line, _ := de.Position()
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	if k := de.Key(); len(k) > 0 {
		name := k[len(k)-1]
		if m, ok := typeMessage(name, msg); ok {
			msg = m
		} else if !strings.Contains(msg, name) {
			msg = fmt.Sprintf("%q: %s", name, msg)
		}
	}
	f.Add(line, "%s", msg)
}

// typeMessage rewrites the decoder's type mismatch message, which names Go
// types admins have never seen ("cannot decode TOML integer into struct field
// config.smtpFile.Host of type string"), into `"host" must be a string, not an
// integer`.
var structRE = regexp.MustCompile(`^[a-z][a-z0-9]*\.[A-Za-z_][A-Za-z0-9_]*$`)

func typeMessage(key, msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "cannot decode TOML ")
	if !ok {
		return "", false
	}
	got, rest, ok := strings.Cut(rest, " into ")
	if !ok || got == "" {
		return "", false
	}
	goType := rest
	if i := strings.LastIndex(rest, " of type "); i >= 0 {
		goType = rest[i+len(" of type "):]
	}
	goType = strings.TrimLeft(goType, "*[]")
	var want string
	switch {
	case strings.HasPrefix(goType, "string"):
		want = "a string"
	case strings.HasPrefix(goType, "int"):
		want = "an integer"
	case strings.HasPrefix(goType, "bool"):
		want = "true or false"
	case structRE.MatchString(goType):
		// A struct of the caller's package: rules.categoryFile,
		// config.smtpFile.
		want = "a table"
	default:
		return "", false
	}
	article := "a "
	if strings.ContainsAny(got[:1], "aeiou") {
		article = "an "
	}
	if strings.HasPrefix(rest, "[]") || strings.Contains(rest, "of type []") {
		want = "an array of " + strings.TrimPrefix(strings.TrimPrefix(want, "an "), "a ") + "s"
	}
	return fmt.Sprintf("%q must be %s, not %s%s", key, want, article, got), true
}

// addUnknown reports a key or table the schema does not know, naming the
// table it is in: `unknown key "hots" in [smtp]`.
func (f *File) addUnknown(de *toml.DecodeError) {
	line, _ := de.Position()
	k := de.Key()
	if len(k) == 0 {
		f.Add(line, "unknown key")
		return
	}
	if strings.Contains(de.Error(), "missing table") {
		f.Add(line, "unknown table [%s]", strings.Join(k, "."))
		return
	}
	name := k[len(k)-1]
	msg := fmt.Sprintf("unknown key %q", name)
	if len(k) > 1 {
		parent := strings.Join(k[:len(k)-1], ".")
		if f.arrays[parent] {
			msg += " in [[" + parent + "]]"
		} else {
			msg += " in [" + parent + "]"
		}
	}
	if name == "password" {
		msg += ": passwords do not belong in configuration files; use password_env (an environment variable) or password_file"
	}
	f.Add(line, "%s", msg)
}

// Required reports an empty value as missing, unless it was there with a
// value of the wrong type (already reported). It returns whether the value is
// set.
func (f *File) Required(table, name, value string) bool {
	key := table + "." + name
	if value != "" {
		return true
	}
	if f.bad[key] {
		return false
	}
	if f.Has(key) {
		f.Addf(key, "%q must not be empty", name)
	} else {
		f.Addf(table, "missing %q in %s", name, f.TableName(table))
	}
	return false
}

// TableName names a table as written: [smtp], [[mailbox]],
// [[handler.absence]] (the key "handler.2.absence.1" without its indexes).
func (f *File) TableName(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		if _, err := strconv.Atoi(key[i+1:]); err == nil && f.arrays[key[:i]] {
			return "[[" + unindexed(key[:i]) + "]]"
		}
	}
	return "[" + unindexed(key) + "]"
}

// unindexed drops the array indexes from a key path: "handler.2.absence"
// is written [[handler.absence]].
func unindexed(key string) string {
	parts := strings.Split(key, ".")
	out := parts[:0]
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}
