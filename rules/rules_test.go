package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		dir  string
		want []string // "file:line: message"; the directory is prefixed
	}{
		{"good", nil},
		{"bad-values", []string{
			`rules.toml:2: id "Min Su": use lower-case letters, digits and '-'`,
			`rules.toml:3: "name" must not be empty`,
			`rules.toml:4: email "not an address" is not an email address like name@example.org`,
			`rules.toml:5: "phone" must be a string, not an integer`,
			`rules.toml:10: tag "fta-pass": use upper-case letters, digits and '-'`,
			`rules.toml:11: window: invalid duration "2 days": want e.g. "48h", "30m" or "5d"`,
			`rules.toml:12: clock = "business": want "calendar", "business-days" or "working-hours"`,
			`rules.toml:18: window "-1h" must be positive`,
			`rules.toml:26: notice_before "8h" must be shorter than window "8h"`,
			`rules.toml:27: unknown key "priority" in [[category]]`,
		}},
		{"unknown-refs", []string{
			`rules.toml:11: supervisor "chief" is not a handler`,
			`rules.toml:15: unknown category "fta"`,
			`rules.toml:16: unknown handler "nobody"`,
			`rules.toml:18: missing "category" in [[mailbox]]`,
		}},
		{"duplicate", []string{
			`b.toml:2: handler "mslim" already defined at DIR/a.toml:2`,
			`b.toml:9: tag "FTA-PASS" already defined at DIR/a.toml:9`,
			`b.toml:18: mailbox "fta-pass" already defined at DIR/b.toml:13`,
		}},
		{"absences", []string{
			`handlers.toml:6: absence of "mslim": delegate "bslee" is absent too on 2026-08-07 (absence at DIR/handlers.toml:51)`,
			`handlers.toml:11: absence of "mslim": 2026-08-06..2026-08-10 overlaps the one at line 6 (2026-08-03..2026-08-07)`,
			`handlers.toml:18: absence of "mslim": from 2026-09-10 is after to 2026-09-01`,
			`handlers.toml:19: absence of "mslim": unknown delegate "nobody"`,
			`handlers.toml:22: absence of "mslim": from: "2026-02-30" is not a date like 2026-08-03`,
			`handlers.toml:23: absence of "mslim": to: "next week" is not a date like 2026-08-03`,
			`handlers.toml:31: absence of "mslim": missing "delegate" in [[handler.absence]]`,
			`handlers.toml:38: absence of "mslim": the delegate is the absent handler itself`,
			`handlers.toml:41: absence of "mslim": "from" must be a date like 2026-08-03`,
			`handlers.toml:44: unknown key "reason" in [[handler.absence]]`,
		}},
		{"routes-bad", []string{
			`routes.toml:3: unknown category "voc"`,
			`routes.toml:4: unknown handler "nobody"`,
			`routes.toml:7: from "kim@": want an address like name@example.org or a domain like example.org`,
			`routes.toml:7: from "localhost": want an address like name@example.org or a domain like example.org`,
			`routes.toml:7: from "<a@b.kr>": want an address like name@example.org or a domain like example.org`,
			`routes.toml:8: priority = "urgent": want "high", "normal" or "low"`,
			`routes.toml:10: route has no condition and would match every mail: give mailbox, to, from, subject, body, keywords, has_attachment or attachment`,
			`routes.toml:11: unknown category "fta-pass"`,
			`routes.toml:13: route does nothing: give category, handler, priority, acknowledge or language`,
			`routes.toml:14: "keywords" must be a string or an array of strings`,
			`routes.toml:15: attachment pattern "[*.pdf": syntax error in pattern`,
			`routes.toml:16: mailbox "FTA": use lower-case letters, digits and '-'`,
			`routes.toml:18: route does nothing: give category, handler, priority, acknowledge or language`,
			`routes.toml:19: "body": empty value would match every mail`,
			`routes.toml:22: route does nothing: give category, handler, priority, acknowledge or language`,
			`routes.toml:27: "has_attachment" must be true or false, not a string`,
			`routes.toml:29: unknown key "colour" in [[route]]`,
		}},
		{"english-bad", []string{
			`rules.toml:4: name_en "임민수" has Hangul: it is what the English part of a mail says; leave it out to repeat the Korean`,
			`rules.toml:6: "department_en" must not be empty; leave it out to repeat the Korean`,
			`rules.toml:22: language = "english": want "en" or "ko"`,
		}},
		{"calendar-bad", []string{
			`a.toml:2: unknown timezone "Asia/Busan"`,
			`a.toml:3: hours = "9-18": want opening and closing time like "09:00-18:00"`,
			`a.toml:4: break "07:00-08:00" is not inside the working hours`,
			`a.toml:4: breaks overlap`,
			`a.toml:5: working day "caturday": want mon, tue, wed, thu, fri, sat or sun`,
			`a.toml:12: 2026-06-03 is already added at line 8`,
			`a.toml:15: date: "June 4" is not a date like 2026-08-03`,
			`a.toml:18: 2026-06-03 is both added and removed (see line 8)`,
			`a.toml:21: remove 2026-11-25: not a built-in public holiday`,
			`a.toml:23: missing "date" in [[calendar.remove]]`,
			`b.toml:1: [calendar] already defined at DIR/a.toml:1`,
		}},
		{"order", []string{
			`a.toml:6: unknown handler "nobody"`,
			`b.toml:6: unknown key "colour" in [[category]]`,
		}},
		{"syntax", []string{
			`mailboxes.toml:5: syntax error: unexpected character U+0079 'y' at start of value`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", tt.dir)
			var want []string
			for _, w := range tt.want {
				want = append(want, filepath.Join(dir, strings.ReplaceAll(w, "DIR", dir)))
			}
			set, err := Load(dir)
			checkProblems(t, err, want)
			if err != nil && set != nil {
				t.Errorf("got set %v with error, want nil", set)
			}
		})
	}
}

func TestLoadEmptyDir(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	checkProblems(t, err, []string{dir + ": no *.toml rule files"})

	_, err = Load(filepath.Join(dir, "missing"))
	if got := problemStrings(t, err); len(got) != 1 || !strings.Contains(got[0], "reading rules directory") {
		t.Errorf("got %q, want one problem reading the directory", got)
	}
}

func loadGood(t *testing.T) *Set {
	t.Helper()
	set, err := Load(filepath.Join("testdata", "rules", "good"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestLoadGood(t *testing.T) {
	set := loadGood(t)
	dir := filepath.Join("testdata", "rules", "good")
	wantFiles := []string{
		filepath.Join(dir, "categories.toml"),
		filepath.Join(dir, "handlers.toml"),
		filepath.Join(dir, "mailboxes.toml"),
	}
	if strings.Join(set.Files, ",") != strings.Join(wantFiles, ",") {
		t.Errorf("files: got %v, want %v", set.Files, wantFiles)
	}
	voc := set.Categories["voc"]
	if voc == nil {
		t.Fatal("category voc missing")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"voc window", voc.Window, 40 * time.Hour},  // 5d of 8 working hours
		{"voc clock", voc.Clock, ClockWorkingHours}, // written "working"
		{"voc notice template", voc.NoticeTemplate, "notice"},
		{"voc notice", voc.NoticeBefore, time.Duration(0)},
		{"voc ack template", voc.AckTemplate, "ack-voc"},
		{"fta-pass ack template", set.Categories["fta-pass"].AckTemplate, "ack"},
		{"fta-pass supervisor", set.Categories["fta-pass"].Supervisor, "boss"},
		{"fta-pass name_en", set.Categories["fta-pass"].NameEn, "FTA-PASS inquiry"},
		{"mslim department", set.Handlers["mslim"].Department, "FTA-PASS 운영팀"},
		{"boss phone", set.Handlers["boss"].Phone, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDecide(t *testing.T) {
	set := loadGood(t)
	tests := []struct {
		mailbox               string
		category, handler     string
		acknowledge, wantFail bool
	}{
		{"fta-pass", "fta-pass", "mslim", true, false},
		{"voc", "voc", "boss", false, false},
		{"nowhere", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.mailbox, func(t *testing.T) {
			d, err := set.Decide(Input{Mailbox: tt.mailbox, From: "kim@example.com", Subject: "문의"})
			if tt.wantFail {
				if !errors.Is(err, ErrNoRule) {
					t.Fatalf("got %v, want ErrNoRule", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Category.ID != tt.category || d.Handler.ID != tt.handler || d.Acknowledge != tt.acknowledge {
				t.Errorf("got %s/%s/%v, want %s/%s/%v", d.Category.ID, d.Handler.ID, d.Acknowledge, tt.category, tt.handler, tt.acknowledge)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	// The mailboxes of testdata/validate/maildesk.toml, as config reads
	// them; desk's TestLoadValidate reads the file itself.
	cfgFile := filepath.Join("testdata", "validate", "maildesk.toml")
	dir := filepath.Join("testdata", "validate", "rules")
	d := Deployment{File: cfgFile, Rules: dir, Mailboxes: []DeployedMailbox{{Name: "fta-pass", Line: 6}, {Name: "edu", Line: 14}}}
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		cfgFile + `:14: mailbox "edu" has no [[mailbox]] rule in ` + dir,
		filepath.Join(dir, "rules.toml") + `:18: rule for mailbox "qual", which is not in ` + cfgFile,
		filepath.Join(dir, "rules.toml") + `:22: route names mailbox "archive", which is not in ` + cfgFile,
	}
	checkProblems(t, set.Validate(d), want)

	// A set built by hand is checked for its references too.
	set.Mailboxes["edu"] = &MailboxRule{Name: "edu", Category: "none", Handler: "nobody"}
	delete(set.Mailboxes, "qual")
	set.Routes = nil
	err = set.Validate(d)
	got := problemStrings(t, err)
	if len(got) != 2 || !strings.HasSuffix(got[0], `unknown category "none"`) || !strings.HasSuffix(got[1], `unknown handler "nobody"`) {
		t.Errorf("got %q, want unknown category and handler", got)
	}
}

func TestDueAndTag(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	c := &Category{Tag: "FTA-PASS", Window: 48 * time.Hour, Clock: ClockCalendar}
	received := time.Date(2026, 11, 25, 14, 0, 0, 0, seoul)
	if got, want := c.Due(received), time.Date(2026, 11, 27, 14, 0, 0, 0, seoul); !got.Equal(want) {
		t.Errorf("Due: got %v, want %v", got, want)
	}
	if got, want := c.TagFor(12), "[FTA-PASS #12]"; got != want {
		t.Errorf("TagFor: got %v, want %v", got, want)
	}
	prefix, n, ok := ParseTag("Re: " + c.TagFor(12) + " 문의")
	if !ok || prefix != c.Tag || n != 12 {
		t.Errorf("ParseTag(TagFor): got %v %v %v, want %v 12 true", prefix, n, ok, c.Tag)
	}
}

func TestParseTag(t *testing.T) {
	tests := []struct {
		subject string
		prefix  string
		n       int64
		ok      bool
	}{
		{"Re: [FTA-PASS #12] 문의", "FTA-PASS", 12, true},
		{"RE:[fta-pass#12]", "FTA-PASS", 12, true},
		{"회신: 답장: [ EDU # 7 ] 교육 일정", "EDU", 7, true},
		{"Fwd: [QUAL #3] and [EDU #4]", "QUAL", 3, true},
		{"[CORR #0] bad number, then [CORR #5]", "CORR", 5, true},
		{"FTA-PASS 문의드립니다", "", 0, false},
		{"[FTA-PASS] 문의", "", 0, false},
		{"[FTA PASS #12]", "", 0, false},
		{"[FTA-PASS #99999999999999999999]", "", 0, false},
		{"[FTA-PASS #-3]", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		prefix, n, ok := ParseTag(tt.subject)
		if prefix != tt.prefix || n != tt.n || ok != tt.ok {
			t.Errorf("ParseTag(%q): got %q %v %v, want %q %v %v", tt.subject, prefix, n, ok, tt.prefix, tt.n, tt.ok)
		}
	}
}

func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "rules", "*", "*.toml"))
	ex, _ := filepath.Glob(filepath.Join("..", "examples", "rules", "*.toml"))
	for _, s := range append(seeds, ex...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	// One directory per worker process, rewritten for each input: a fresh
	// t.TempDir per input makes the fuzzer mostly measure mkdir and rm.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "rules.toml"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		set, err := Load(dir)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("got error %T %v, want non-empty Problems", err, err)
			}
			return
		}
		// Whatever loads must be usable.
		for name := range set.Mailboxes {
			if _, err := set.Decide(Input{Mailbox: name}); err != nil {
				t.Fatalf("Decide(%q) after a clean Load: %v", name, err)
			}
		}
		when := time.Date(2026, 9, 23, 10, 0, 0, 0, set.Calendar.Location())
		for _, r := range set.Routes {
			// Whatever a route matches on, deciding must not panic.
			set.Decide(Input{Mailbox: strings.Join(r.Mailboxes, ""), Subject: strings.Join(r.Subject, " "),
				Text: strings.Join(r.Keywords, " "), Attachments: r.Attachments, At: when})
		}
		for _, c := range set.Categories {
			if c.Window <= 0 {
				t.Fatalf("category %q: window %v after a clean Load", c.ID, c.Window)
			}
			due := c.Due(when)
			if due.Before(when) || c.NoticeAt(due).After(due) {
				t.Fatalf("category %q: due %v, notice %v for %v", c.ID, due, c.NoticeAt(due), when)
			}
			prefix, n, ok := ParseTag(c.TagFor(42))
			if !ok || prefix != c.Tag || n != 42 {
				t.Fatalf("ParseTag(TagFor(42)) for tag %q: got %q %v %v", c.Tag, prefix, n, ok)
			}
		}
	})
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"Re: [FTA-PASS #12] 문의", "RE:[fta-pass#12]", "[ EDU # 7 ]", "no tag", "[X #99999999999999999999]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		prefix, n, ok := ParseTag(subject)
		if !ok {
			return
		}
		if n <= 0 || prefix == "" || prefix != strings.ToUpper(prefix) {
			t.Fatalf("ParseTag(%q): got %q %v", subject, prefix, n)
		}
		c := &Category{Tag: prefix}
		p2, n2, ok2 := ParseTag(c.TagFor(n))
		if !ok2 || p2 != prefix || n2 != n {
			t.Fatalf("round trip of %q #%d: got %q %v %v", prefix, n, p2, n2, ok2)
		}
	})
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
