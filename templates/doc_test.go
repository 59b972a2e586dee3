package templates

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"reflect"
	"strings"
	"testing"
)

// docPath is the admins' template reference, which must keep up with the
// data types and the built-in templates.
const docPath = "../docs/templates.md"

// docTypes are the template data types and the section of docs/templates.md
// whose table documents each one's fields, one row "| `Field` | … |" each.
var docTypes = []struct {
	section string // the section's heading line
	typ     reflect.Type
}{
	{"### ack", reflect.TypeOf(Ack{})},
	{"### notice", reflect.TypeOf(Notice{})}, // also the data of "interim"
	{"### alert", reflect.TypeOf(Alert{})},
	{"### quarantine", reflect.TypeOf(Quarantine{})},
	{"### history", reflect.TypeOf(History{})},
	{"### staff", reflect.TypeOf(Staff{})},
	{"### staff-error", reflect.TypeOf(StaffError{})},
	{"### spoof", reflect.TypeOf(Spoof{})},
	{"### fyi", reflect.TypeOf(FYI{})},
	{"### original", reflect.TypeOf(Original{})},
	{"### answer", reflect.TypeOf(Answer{})},
	{"### transfer", reflect.TypeOf(Transfer{})},
	{"### survey", reflect.TypeOf(Survey{})},
	{"### survey-thanks", reflect.TypeOf(SurveyThanks{})},
	{"### survey-alert", reflect.TypeOf(SurveyAlert{})},
	{"### SurveyLink", reflect.TypeOf(SurveyLink{})},
	{"### correction-result", reflect.TypeOf(CorrectionResult{})},
	{"### reminder", reflect.TypeOf(Reminder{})},
	{"### Contact", reflect.TypeOf(Contact{})},
	{"### Attachment", reflect.TypeOf(Attachment{})},
}

// notData are the exported types of templates.go that no template receives.
var notData = map[string]bool{"Set": true}

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("read the template reference: %v", err)
	}
	return string(b)
}

// docSection returns the lines under heading up to the next heading of
// level 2 or 3, and whether the heading was found.
func docSection(doc, heading string) (string, bool) {
	lines := strings.Split(doc, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != heading {
			continue
		}
		var b strings.Builder
		for _, l := range lines[i+1:] {
			if strings.HasPrefix(l, "## ") || strings.HasPrefix(l, "### ") {
				break
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		return b.String(), true
	}
	return "", false
}

// TestDocFields: every exported field of every template data type has a row
// in its type's table in docs/templates.md, and the section names the type.
func TestDocFields(t *testing.T) {
	doc := readDoc(t)
	for _, dt := range docTypes {
		name := dt.typ.Name()
		t.Run(name, func(t *testing.T) {
			section, ok := docSection(doc, dt.section)
			if !ok {
				t.Fatalf("%s: no section %q documenting type %s", docPath, dt.section, name)
			}
			if !strings.Contains(section, "`"+name+"`") {
				t.Errorf("%s, section %q: does not name its data type `%s`", docPath, dt.section, name)
			}
			for i := 0; i < dt.typ.NumField(); i++ {
				f := dt.typ.Field(i)
				if !f.IsExported() {
					continue
				}
				if !strings.Contains(section, "| `"+f.Name+"` |") {
					t.Errorf("%s, section %q: field %s.%s (%s) is not documented: add a table row \"| `%s` | meaning |\"",
						docPath, dt.section, name, f.Name, f.Type, f.Name)
				}
			}
		})
	}
}

// TestDocTypesListed: docTypes above lists every exported type of
// templates.go and survey.go, so that a new data type cannot go
// undocumented unnoticed.
func TestDocTypesListed(t *testing.T) {
	for _, name := range []string{"templates.go", "survey.go"} {
		docTypesListed(t, name)
	}
}

func docTypesListed(t *testing.T, fileName string) {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), fileName, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, dt := range docTypes {
		listed[dt.typ.Name()] = true
	}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.TYPE {
			continue
		}
		for _, spec := range gen.Specs {
			name := spec.(*ast.TypeSpec).Name.Name
			if ast.IsExported(name) && !listed[name] && !notData[name] {
				t.Errorf("%s defines type %s, which docTypes in doc_test.go does not list: add it with its section in %s", fileName, name, docPath)
			}
		}
	}
}

// TestDocTemplates: every built-in template file is named in
// docs/templates.md, and every built-in template has its own section.
func TestDocTemplates(t *testing.T) {
	doc := readDoc(t)
	entries, err := fs.ReadDir(builtin, "builtin")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no built-in templates found")
	}
	for _, e := range entries {
		file := e.Name()
		name := strings.TrimSuffix(file, path.Ext(file))
		t.Run(file, func(t *testing.T) {
			if !strings.Contains(doc, "`"+file+"`") {
				t.Errorf("%s does not mention the built-in template file `%s`", docPath, file)
			}
			if _, ok := docSection(doc, "### "+name); !ok {
				t.Errorf("%s has no section \"### %s\" for the built-in template %s", docPath, name, name)
			}
		})
	}
}
