package templates

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRendersOverridesOnTrial: mistakes text/template only finds when
// it executes are reported by Load, with the file and line, in whichever
// branch of the template they hide.
func TestLoadRendersOverridesOnTrial(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             string // "" = loads
	}{
		{"misspelt field", "ack.txt", "{{.Tag}}\n담당: {{.Handler.Nmae}}\n",
			"ack.txt:2: executing \"ack.txt\" at <.Handler.Nmae>: can't evaluate field Nmae in type templates.Contact"},
		{"field of another template", "alert.txt", "{{.Tag}} {{.Expected}}\n",
			"alert.txt:1: executing \"alert.txt\" at <.Expected>: can't evaluate field Expected in type templates.Alert"},
		{"only when the field is set", "notice.txt", "{{with .Reason}}\n{{.Reasn}}{{end}}\n",
			"notice.txt:2: executing \"notice.txt\" at <.Reasn>: can't evaluate field Reasn in type string"},
		{"only when the field is empty", "transfer.txt", "{{if .Handler.Phone}}{{.Handler.Phone}}{{else}}{{.Handler.Fone}}{{end}}\n",
			"transfer.txt:1: executing \"transfer.txt\" at <.Handler.Fone>: can't evaluate field Fone in type templates.Contact"},
		{"function given the wrong type", "staff.txt", "{{kdate .Subject}}\n",
			"staff.txt:1: executing \"staff.txt\" at <.Subject>: wrong type for value; expected time.Time; got string"},
		{"html part", "ack.html", "<p>{{.Handler.Nmae}}</p>\n",
			"ack.html:1: executing \"ack.html\" at <.Handler.Nmae>: can't evaluate field Nmae in type templates.Contact"},
		{"good override", "ack.txt", "{{.Tag}} {{.Handler.Name}}{{with .Handler.Phone}} ({{.}}){{end}} {{kdate .Due}}\n", ""},
		{"custom name, checked where a rule uses it", "ack-short.txt", "{{.Nope}}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if strings.HasSuffix(tt.file, ".html") {
				base := strings.TrimSuffix(tt.file, ".html")
				if err := os.WriteFile(filepath.Join(dir, base+".txt"), []byte("{{.Tag}}\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want it to load", err)
			case tt.want != "" && err == nil:
				t.Fatalf("loaded, want %s", tt.want)
			case tt.want != "" && err.Error() != filepath.Join(dir, tt.want):
				t.Fatalf("got\n\t%v\nwant\n\t%s", err, filepath.Join(dir, tt.want))
			}
		})
	}
}

// TestCheck is what `rules check` asks for each template a category
// names: it must exist and render with the data of its kind.
func TestCheck(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"ack-short.txt":  "{{.Tag}} {{.Handler.Name}} {{kdate .Due}}\n",
		"ack-broken.txt": "{{.Tag}}\n{{.Handler.Nmae}}\n",
		"notice-ko.txt":  "{{.Reason}} {{kdate .Expected}}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, kind string
		want       string // "" = fine
	}{
		{"ack", "ack", ""},
		{"interim", "notice", ""},
		{"ack-short", "ack", ""},
		{"notice-ko", "notice", ""},
		{"notice-ko", "ack", "notice-ko.txt:1: executing \"notice-ko.txt\" at <.Reason>: can't evaluate field Reason in type templates.Ack"},
		{"ack-broken", "ack", "ack-broken.txt:2: executing \"ack-broken.txt\" at <.Handler.Nmae>: can't evaluate field Nmae in type templates.Contact"},
		{"ack-shrot", "ack", "no such template \"ack-shrot\" (have ack, ack-broken, ack-short, alert, answer, correction-ack, correction-result, fyi, history, interim, notice, notice-ko, original, quarantine, reminder, report, spoof, staff, staff-error, survey, survey-alert, survey-thanks, transfer)"},
	}
	for _, tt := range tests {
		err := s.Check(tt.name, tt.kind)
		got := ""
		if err != nil {
			got = strings.TrimPrefix(err.Error(), dir+string(filepath.Separator))
		}
		if got != tt.want {
			t.Errorf("Check(%q, %q):\n\tgot  %s\n\twant %s", tt.name, tt.kind, got, tt.want)
		}
	}
	if err := s.Check("ack-shrot", "ack"); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("a missing template: got %v, want ErrNoTemplate", err)
	}
	if err := s.Check("ack", "nope"); err == nil {
		t.Errorf("an unknown kind: got no error")
	}
}

// TestEveryBuiltinHasAKind: a new built-in template must say what data it
// is rendered with, or its overrides would go unchecked.
func TestEveryBuiltinHasAKind(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range s.Names() {
		if _, ok := kinds[name]; !ok {
			t.Errorf("built-in template %q has no entry in kinds", name)
		}
	}
}
