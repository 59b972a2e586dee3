package desk

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kioi/maildesk/config"
	"github.com/kioi/maildesk/examples"
)

// loadProblems returns the problems of err, which must be config.Problems.
func loadProblems(t *testing.T, err error) []string {
	t.Helper()
	var ps config.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got error %T %v, want Problems", err, err)
	}
	return ps.Strings()
}

// TestLoadExamples: the shipped configuration and rules agree, and every
// template a category names renders.
func TestLoadExamples(t *testing.T) {
	t.Setenv("MAILDESK_SMTP_PASSWORD", "smtp-secret")
	t.Setenv("MAILDESK_IMAP_PASSWORD", "imap-secret")
	l, err := Load(filepath.Join("..", "examples", "maildesk.toml"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Config.Mailboxes) != 4 || len(l.Rules.Mailboxes) != 4 || l.Templates == nil {
		t.Errorf("got %d mailboxes, %d mailbox rules, templates %v; want 4, 4 and templates", len(l.Config.Mailboxes), len(l.Rules.Mailboxes), l.Templates)
	}
	if l.Rules.Calendar.Location() != l.Config.Location {
		t.Errorf("calendar zone: got %v, want maildesk.toml's %v", l.Rules.Calendar.Location(), l.Config.Location)
	}
	if l.Config.SMTP.Password.Reveal() != "smtp-secret" {
		t.Error("the SMTP password was not resolved")
	}
}

// TestLoadValidate: the rules are checked against the mailboxes of
// maildesk.toml, at the lines that define them (rules.TestValidate has the
// same fixture with the mailboxes written out).
func TestLoadValidate(t *testing.T) {
	t.Setenv("MAILDESK_TEST_IMAP_PASSWORD", "x")
	cfgFile := filepath.Join("..", "rules", "testdata", "validate", "maildesk.toml")
	_, err := Load(cfgFile, LoadOptions{})
	dir, _ := filepath.Abs(filepath.Join("..", "rules", "testdata", "validate", "rules"))
	want := []string{
		cfgFile + `:14: mailbox "edu" has no [[mailbox]] rule in ` + dir,
		filepath.Join(dir, "rules.toml") + `:18: rule for mailbox "qual", which is not in ` + cfgFile,
		filepath.Join(dir, "rules.toml") + `:22: route names mailbox "archive", which is not in ` + cfgFile,
	}
	if got := loadProblems(t, err); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got problems\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestLoadNoSecrets: the commands that connect nowhere load without the
// daemon's environment; the daemon's load names every missing variable.
func TestLoadNoSecrets(t *testing.T) {
	for _, v := range []string{"MAILDESK_SMTP_PASSWORD", "MAILDESK_IMAP_PASSWORD"} {
		t.Setenv(v, "") // restores the variable afterwards
		os.Unsetenv(v)
	}
	path := filepath.Join("..", "examples", "maildesk.toml")
	_, err := Load(path, LoadOptions{})
	if got := loadProblems(t, err); len(got) != 5 || !strings.HasPrefix(got[0], path+":39: password_env: environment variable MAILDESK_SMTP_PASSWORD is not set") {
		t.Errorf("got %q, want the five password_env lines", got)
	}
	l, err := Load(path, LoadOptions{NoSecrets: true})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Config.SMTP.Password.IsZero() || len(l.Rules.Categories) == 0 {
		t.Errorf("got SMTP password set %v, %d categories; want none and the rules", !l.Config.SMTP.Password.IsZero(), len(l.Rules.Categories))
	}
}

// TestLoadAllProblems: problems of the rules and of the templates come
// together, each at its file and line; a category's template is rendered on
// trial; problems of maildesk.toml come alone.
func TestLoadAllProblems(t *testing.T) {
	dir, path, cfg := copyExamples(t)
	cats, err := examples.FS.ReadFile("rules/categories.toml")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, want ...string) {
		t.Helper()
		_, err := Load(path, LoadOptions{NoSecrets: true})
		if len(want) == 0 {
			if err != nil {
				t.Errorf("%s: got %v, want no problems", name, err)
			}
			return
		}
		got := loadProblems(t, err)
		if len(got) != len(want) {
			t.Errorf("%s: got %d problems %q, want %d", name, len(got), got, len(want))
		}
		for _, w := range want {
			if !strings.Contains(strings.Join(got, "\n"), w) {
				t.Errorf("%s: problems lack %q:\n%s", name, w, strings.Join(got, "\n"))
			}
		}
	}
	check("good")

	zz := filepath.Join(dir, "rules", "zz.toml")
	writeLoadFile(t, zz, "[[handler]]\nid = \"x\"\nname = \"X\"\nemail = \"x@origin.or.kr\"\nphonne = \"1\"\n")
	ack := filepath.Join(dir, "tmpl", "ack.txt")
	writeLoadFile(t, ack, "hello\n{{ .Tag \n")
	check("rules and templates", zz+`:5: unknown key "phonne" in [[handler]]`, ack+":3: unclosed action")

	os.Remove(zz)
	os.Remove(ack)
	catsPath := filepath.Join(dir, "rules", "categories.toml")
	cats2, line := insertAfter(t, string(cats), `id = "voc"`, `ack_template = "nope"`)
	writeLoadFile(t, catsPath, cats2)
	check("template use", fmt.Sprintf(`%s:%d: ack_template: no such template "nope"`, catsPath, line))

	writeLoadFile(t, path, "colour = 1\ntemplates = \"tmpl\"\n"+cfg)
	check("config", path+`:1: unknown key "colour"`)
}

// TestLoadProblemsInOrder: the problems of rules and templates come as one
// list sorted by file and line, maildesk.toml's and the rule files' order
// first, whichever check found them: a template that fails to render is a
// problem at its own file and line, not a line of text ahead of the rest.
func TestLoadProblemsInOrder(t *testing.T) {
	dir, path, _ := copyExamples(t)
	cats, err := examples.FS.ReadFile("rules/categories.toml")
	if err != nil {
		t.Fatal(err)
	}
	catsPath := filepath.Join(dir, "rules", "categories.toml")
	// The first category's notice breaks on rendering (checked first, as
	// its use comes first); the last one's acknowledgement is missing.
	text, brokenUse := insertAfter(t, string(cats), `id = "fta-pass"`, `notice_template = "broken"`)
	text, nopeUse := insertAfter(t, text, `id = "voc"`, `ack_template = "nope"`)
	writeLoadFile(t, catsPath, text)
	broken := filepath.Join(dir, "tmpl", "broken.txt")
	writeLoadFile(t, broken, "{{.Tag}}\n{{.Reasn}}\n")
	// Checked against maildesk.toml before any template is.
	zz := filepath.Join(dir, "rules", "zz.toml")
	writeLoadFile(t, zz, "[[mailbox]]\nname = \"ghost\"\ncategory = \"voc\"\nhandler = \"kioi\"\n")

	_, err = Load(path, LoadOptions{NoSecrets: true})
	// Each problem begins so (the missing template's goes on to list the
	// templates there are).
	want := []string{
		fmt.Sprintf(`%s:%d: ack_template: no such template "nope"`, catsPath, nopeUse),
		zz + `:2: rule for mailbox "ghost", which is not in ` + path,
		fmt.Sprintf(`%s:2: executing "broken.txt" at <.Reasn>: can't evaluate field Reasn in type templates.Notice (used as notice_template at %s:%d)`, broken, catsPath, brokenUse),
	}
	got := loadProblems(t, err)
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("got problems\n\t%s\nwant, in this order\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// copyExamples copies the example maildesk.toml (with templates = "tmpl",
// an empty override directory) and rules into a temporary directory.
func copyExamples(t *testing.T) (dir, path, cfg string) {
	t.Helper()
	dir = t.TempDir()
	files, err := examples.FS.ReadDir("rules")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"rules", "tmpl"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		b, err := examples.FS.ReadFile("rules/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		writeLoadFile(t, filepath.Join(dir, "rules", f.Name()), string(b))
	}
	b, err := examples.FS.ReadFile("maildesk.toml")
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "maildesk.toml")
	writeLoadFile(t, path, "templates = \"tmpl\"\n"+string(b))
	return dir, path, string(b)
}

// insertAfter inserts line after the line of text that is exactly after,
// and returns the new text and the inserted line's number.
func insertAfter(t *testing.T, text, after, line string) (string, int) {
	t.Helper()
	lines := strings.Split(text, "\n")
	at := slices.Index(lines, after)
	if at < 0 {
		t.Fatalf("no line %q", after)
	}
	lines = slices.Insert(lines, at+1, line)
	return strings.Join(lines, "\n"), at + 2
}

func writeLoadFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
