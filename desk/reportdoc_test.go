package desk

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// reportDocPath documents the report's JSON field by field.
const reportDocPath = "../docs/report.md"

// docShared are the element types the report has several lists of,
// documented once under the name given ("group.received").
var docShared = map[reflect.Type]string{reflect.TypeOf(TicketGroup{}): "group"}

// jsonPaths lists the dotted paths of t's JSON fields: "tickets.received",
// "tickets.by_category[].id"; an embedded struct's fields are its
// parent's, a map is one field.
func jsonPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" {
			out = append(out, jsonPaths(ft, prefix)...)
			continue
		}
		p := prefix + name
		out = append(out, p)
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() != "time":
			out = append(out, jsonPaths(ft, p+".")...)
		case ft.Kind() == reflect.Slice && docShared[ft.Elem()] != "":
			// Documented once, under its own name.
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, jsonPaths(ft.Elem(), p+"[].")...)
		}
	}
	return out
}

// TestReportDoc keeps docs/report.md level with the JSON: a table row
// "| `path` | … |" for every field, none for a field that is not there,
// and its example document is a report.
func TestReportDoc(t *testing.T) {
	b, err := os.ReadFile(reportDocPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z0-9_.\\[\\]]+)` \\|").FindAllStringSubmatch(doc, -1) {
		documented[m[1]] = true
	}
	fields := map[string]bool{}
	paths := jsonPaths(reflect.TypeOf(Report{}), "")
	for typ, name := range docShared {
		paths = append(paths, jsonPaths(typ, name+".")...)
	}
	for _, p := range paths {
		fields[p] = true
		if !documented[p] {
			t.Errorf("docs/report.md: no row for `%s`", p)
		}
	}
	for p := range documented {
		if !fields[p] {
			t.Errorf("docs/report.md documents `%s`, which the report does not have", p)
		}
	}
	_, example, ok := strings.Cut(doc, "```json\n")
	if !ok {
		t.Fatal("docs/report.md: no example ```json block")
	}
	example, _, _ = strings.Cut(example, "```")
	dec := json.NewDecoder(bytes.NewReader([]byte(example)))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		t.Errorf("docs/report.md: the example is not a report: %v", err)
	}
}
