package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const exampleConfig = "../../examples/maildesk.toml"

// TestCalendar runs `maildesk calendar` on the example configuration: the
// holidays of a year with their names and sources, weekend days included,
// the working time, and the default year from an injected now.
func TestCalendar(t *testing.T) {
	// Wednesday 2026-12-30 in Seoul; 2027 begins there before it does in
	// UTC.
	now := time.Date(2026, 12, 30, 12, 0, 0, 0, time.UTC)
	newYear := time.Date(2026, 12, 31, 15, 30, 0, 0, time.UTC) // 2027-01-01 00:30 KST
	type day struct{ date, name, source string }
	tests := []struct {
		name     string
		args     []string
		now      time.Time
		year     int
		checked  bool
		count    int   // holidays, 0 = do not check
		want     []day // among the holidays
		notWant  []string
		wantText []string // for text output
	}{
		{
			name: "2027 json", args: []string{"-json", "2027"}, now: now, year: 2027, checked: true, count: 24,
			want: []day{
				{"2027-05-01", "노동절", "builtin"},
				{"2027-05-03", "대체공휴일(노동절)", "builtin"},
				{"2027-07-17", "제헌절", "builtin"},
				{"2027-07-19", "대체공휴일(제헌절)", "builtin"},
				{"2027-02-06", "설날", "builtin"}, // a Saturday: listed
			},
		},
		{
			name: "rules add a day", args: []string{"2028", "-json"}, now: now, year: 2028, checked: false,
			want: []day{{"2028-04-12", "제23대 국회의원선거", "rules"}, {"2028-05-01", "노동절", "builtin"}},
		},
		{
			name: "default year", args: []string{"-json"}, now: now, year: 2026, checked: true, count: 22,
			want:    []day{{"2026-06-03", "제9회 전국동시지방선거", "builtin"}, {"2026-07-17", "제헌절", "builtin"}},
			notWant: []string{"2026-09-28"}, // Chuseok ends on a Saturday: no substitute
		},
		{name: "default year in the calendar's zone", args: []string{"-json"}, now: newYear, year: 2027, checked: true, count: 24},
		{
			name: "text", args: []string{"2027"}, now: now,
			wantText: []string{
				"calendar 2027, Asia/Seoul",
				"working days:  Mon Tue Wed Thu Fri, except the holidays below",
				"working hours: 09:00-12:00 13:00-18:00 (8h a working day)",
				"2027-05-01 Sat  builtin  노동절\n",
				"2027-07-19 Mon  builtin  대체공휴일(제헌절)\n",
				"24 holidays, 9 of them on a Saturday or Sunday",
				"match the official list of 2027",
			},
		},
		{
			name: "text, unchecked year", args: []string{"2028"}, now: now,
			wantText: []string{"2028-04-12 Wed  rules    제23대 국회의원선거\n", "not checked against an official list (checked: 2020–2027)", "[[calendar.add]]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := calendarAt(append([]string{"-config", exampleConfig}, tt.args...), tt.now, &out, &errOut); err != nil {
				t.Fatalf("got %v (%s)", err, errOut.String())
			}
			if tt.wantText != nil {
				for _, w := range tt.wantText {
					if !strings.Contains(out.String(), w) {
						t.Errorf("output lacks %q:\n%s", w, out.String())
					}
				}
				return
			}
			var r calendarJSON
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("%v:\n%s", err, out.String())
			}
			if r.Year != tt.year || r.Checked != tt.checked || r.Timezone != "Asia/Seoul" {
				t.Errorf("got year %d checked %v zone %s, want %d %v Asia/Seoul", r.Year, r.Checked, r.Timezone, tt.year, tt.checked)
			}
			if tt.count != 0 && len(r.Holidays) != tt.count {
				t.Errorf("got %d holidays, want %d: %+v", len(r.Holidays), tt.count, r.Holidays)
			}
			if !slices.Equal(r.WorkingDays, []string{"mon", "tue", "wed", "thu", "fri"}) ||
				!slices.Equal(r.WorkingHours, []string{"09:00-12:00", "13:00-18:00"}) {
				t.Errorf("working time: got %v %v", r.WorkingDays, r.WorkingHours)
			}
			got := map[string]calendarDay{}
			for _, h := range r.Holidays {
				got[h.Date] = h
			}
			for _, w := range tt.want {
				if h := got[w.date]; h.Name != w.name || h.Source != w.source {
					t.Errorf("%s: got %+v, want %q from %s", w.date, h, w.name, w.source)
				}
			}
			for _, d := range tt.notWant {
				if h, ok := got[d]; ok {
					t.Errorf("%s: got %+v, want no holiday", d, h)
				}
			}
		})
	}
}

// TestCalendarRemoved: a built-in day the rules remove is no holiday, and
// the calendar lists it apart.
func TestCalendarRemoved(t *testing.T) {
	s := newStack(t)
	cal := filepath.Join(s.dir, "rules", "calendar.toml")
	b, err := os.ReadFile(cal)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cal, append(b, "\n[[calendar.remove]]\ndate = 2026-06-03\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "calendar", "-config", s.configPath, "-json", "2026")
	if err != nil {
		t.Fatal(err)
	}
	var r calendarJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, h := range r.Holidays {
		if h.Date == "2026-06-03" {
			t.Errorf("removed day listed as a holiday: %+v", h)
		}
	}
	if len(r.Removed) != 1 || r.Removed[0] != (calendarDay{"2026-06-03", "wed", "제9회 전국동시지방선거", "builtin"}) {
		t.Errorf("removed: got %+v", r.Removed)
	}
	text, err := runCLI(t, "calendar", "-config", s.configPath, "2026")
	if err != nil || !strings.Contains(text, "2026-06-03 Wed  removed  제9회 전국동시지방선거") {
		t.Errorf("text: got %v\n%s", err, text)
	}
}

func TestCalendarExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"ok", []string{"calendar", "-config", exampleConfig, "2027"}, 0},
		{"not a year", []string{"calendar", "-config", exampleConfig, "next"}, 2},
		{"year 0", []string{"calendar", "-config", exampleConfig, "0"}, 2},
		{"two years", []string{"calendar", "-config", exampleConfig, "2026", "2027"}, 2},
		{"unknown flag", []string{"calendar", "-yaml"}, 2},
		{"no config", []string{"calendar", "-config", filepath.Join(t.TempDir(), "none.toml"), "2027"}, 1},
	}
	for _, tt := range tests {
		if _, err := runCLI(t, tt.args...); exitCode(err) != tt.want {
			t.Errorf("%s: got exit %d (%v), want %d", tt.name, exitCode(err), err, tt.want)
		}
	}
}
