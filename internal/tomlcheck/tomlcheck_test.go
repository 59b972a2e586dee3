package tomlcheck

import (
	"slices"
	"strings"
	"testing"
	"time"
)

type serverFile struct {
	Host string `toml:"host"`
	Port *int   `toml:"port"`
}

type testFile struct {
	Name    string       `toml:"name"`
	Tags    []string     `toml:"tags"`
	Server  *serverFile  `toml:"server"`
	Mailbox []serverFile `toml:"mailbox"`
}

func decode(t *testing.T, text string) (*File, *testFile, bool) {
	t.Helper()
	var v testFile
	f, ok := Decode("x.toml", []byte(text), &v)
	return f, &v, ok
}

func problems(f *File) string {
	var lines []string
	for _, p := range f.Problems.Sorted() {
		lines = append(lines, p.Error())
	}
	return strings.Join(lines, "\n")
}

// TestDecodeAll: every value of the wrong type and every unknown key is
// reported with its line, not just the first, and in the admins' words.
func TestDecodeAll(t *testing.T) {
	f, v, ok := decode(t, `name = 9
tags = "a"

[server]
host = 25
port = "x"
hots = "y"

[[mailbox]]
host = "a"

[[mailbox]]
host = "b"
password = "hunter2"

[other]
`)
	if !ok {
		// The bad values were blanked out and decoding went on.
		t.Error("Decode: got false, want true: only values were wrong, not the syntax")
	}
	want := strings.Join([]string{
		`x.toml:1: "name" must be a string, not an integer`,
		`x.toml:2: "tags" must be an array of strings, not a string`,
		`x.toml:5: "host" must be a string, not an integer`,
		`x.toml:6: "port" must be an integer, not a string`,
		`x.toml:7: unknown key "hots" in [server]`,
		`x.toml:14: unknown key "password" in [[mailbox]]: passwords do not belong in configuration files; use password_env (an environment variable) or password_file`,
		`x.toml:16: unknown table [other]`,
	}, "\n")
	if got := problems(f); got != want {
		t.Errorf("got problems\n%s\nwant\n%s", got, want)
	}
	if !f.Bad("name") || !f.Bad("server.port") || f.Bad("server.hots") {
		t.Errorf("Bad: got name %v, server.port %v, server.hots %v; want true, true, false",
			f.Bad("name"), f.Bad("server.port"), f.Bad("server.hots"))
	}
	if len(v.Mailbox) != 2 || v.Mailbox[1].Host != "b" {
		t.Errorf("got mailboxes %+v, want the two decoded", v.Mailbox)
	}
}

func TestDecodeSyntaxError(t *testing.T) {
	f, _, ok := decode(t, "name = \"a\"\n[server\nhost = \"x\"\n")
	if ok {
		t.Fatal("Decode: got ok, want false")
	}
	if got := problems(f); !strings.HasPrefix(got, "x.toml:2: syntax error: ") {
		t.Errorf("got %q, want a syntax error at line 2", got)
	}
}

// TestLines: a key's line, its table's when absent, the header of the n-th
// table of an array, and names of tables as written.
func TestLines(t *testing.T) {
	f, _, ok := decode(t, `name = "a"

[[mailbox]]
host = "a"

[[mailbox]]
port = 1
`)
	if !ok {
		t.Fatal(f.Problems)
	}
	for _, tt := range []struct {
		key  string
		want int
	}{{"name", 1}, {"mailbox.1", 3}, {"mailbox.1.host", 4}, {"mailbox.2", 6}, {"mailbox.2.host", 6}, {"mailbox.2.port", 7}, {"server.host", 0}} {
		if got := f.Line(tt.key); got != tt.want {
			t.Errorf("Line(%q): got %v, want %v", tt.key, got, tt.want)
		}
	}
	if f.Required("mailbox.2", "host", "") {
		t.Error("Required of an empty value: got true")
	}
	f.Addf("name", "name %q is taken", "a")
	want := "x.toml:1: name \"a\" is taken\nx.toml:6: missing \"host\" in [[mailbox]]"
	if got := problems(f); got != want {
		t.Errorf("got problems\n%s\nwant\n%s", got, want)
	}
	if got := f.TableName("handler"); got != "[handler]" {
		t.Errorf("TableName: got %v, want [handler]", got)
	}
}

func TestProblems(t *testing.T) {
	var none Problems
	if err := none.Err(); err != nil {
		t.Errorf("Err of no problems: got %v, want nil", err)
	}
	ps := Problems{
		{File: "b.toml", Line: 3, Msg: "three"},
		{File: "a.toml", Line: 9, Msg: "nine"},
		{File: "b.toml", Line: 1, Msg: "one"},
		{File: "a.toml", Msg: "whole file"},
		{Msg: "no file"},
	}
	want := "b.toml:1: one\nb.toml:3: three\na.toml: whole file\na.toml:9: nine\nno file"
	if got := ps.Err("b.toml").Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := ps.Strings(); !slices.Equal(got, strings.Split(want, "\n")) {
		t.Errorf("Strings: got %q, want the lines of Error", got)
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"48h", 48 * time.Hour, false},
		{"5d", 5 * 24 * time.Hour, false},
		{"1d12h", 36 * time.Hour, false},
		{" 7d ", 7 * 24 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"0d", 0, false},
		{"", 0, true},
		{"2 days", 0, true},
		{"1.5d", 0, true},
		{"1d-2h", 0, true},
		{"d", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseDuration(%q): got %v, %v, want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if days, rest, err := ParseDays("2d3h"); days != 2 || rest != 3*time.Hour || err != nil {
		t.Errorf("ParseDays(2d3h): got %v, %v, %v; want 2, 3h0m0s, nil", days, rest, err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"48h", "5d", "1d12h", "2 days", "-1h", "99999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseDuration(s) // must not panic
	})
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte("name = 9\n[server]\nport = \"x\"\n[[mailbox]]\nhost = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v testFile
		fl, ok := Decode("x.toml", data, &v)
		if !ok && len(fl.Problems) == 0 {
			t.Fatal("Decode: not ok and no problems")
		}
	})
}

// TestDecodeTableType: a struct of the caller's package is "a table" to the
// admin, whatever the package is called.
func TestDecodeTableType(t *testing.T) {
	f, _, _ := decode(t, "server = \"x\"\nmailbox = 3\n")
	want := "x.toml:1: \"server\" must be a table, not a string\nx.toml:2: \"mailbox\" must be an array of tables, not an integer"
	if got := problems(f); got != want {
		t.Errorf("got problems\n%s\nwant\n%s", got, want)
	}
}
