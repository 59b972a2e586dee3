package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// closingRules is a rule file with one category whose extra lines are the
// closing keys under test (the category table starts at line 5).
func closingRules(t *testing.T, clock, extra string) (*Set, error) {
	t.Helper()
	dir := t.TempDir()
	text := `[[handler]]
id = "a"
name = "A"
email = "a@origin.or.kr"
[[category]]
id = "c"
name = "C"
tag = "C"
window = "48h"
clock = "` + clock + `"
` + extra + `
[[mailbox]]
name = "m"
category = "c"
handler = "a"
`
	if err := os.WriteFile(filepath.Join(dir, "rules.toml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(dir)
}

func TestClosingKeys(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name, clock, extra string
		want               Closing
		problem            string // "line: message"; "" for none
	}{
		{"defaults", "calendar", "", Closing{AutoClose: 7 * day, SurveyDelay: 24 * time.Hour, SurveyInterval: 30 * day}, ""},
		{"defaults on working hours", "working-hours", "", Closing{AutoClose: 56 * time.Hour, SurveyDelay: 24 * time.Hour, SurveyInterval: 30 * day}, ""},
		{"all set", "business-days", "auto_close = \"3d\"\nsurvey = true\nsurvey_delay = \"0s\"\nsurvey_interval = \"365d\"",
			Closing{AutoClose: 3 * day, Survey: true, SurveyDelay: 0, SurveyInterval: 365 * day}, ""},
		{"never close", "calendar", `auto_close = "0"`, Closing{AutoClose: 0, SurveyDelay: 24 * time.Hour, SurveyInterval: 30 * day}, ""},
		{"survey off", "calendar", `survey = false`, Closing{AutoClose: 7 * day, SurveyDelay: 24 * time.Hour, SurveyInterval: 30 * day}, ""},
		{"bad auto_close", "calendar", `auto_close = "a week"`, Closing{}, `11: auto_close: invalid duration "a week"`},
		{"negative auto_close", "calendar", `auto_close = "-1h"`, Closing{}, `11: auto_close "-1h" must not be negative`},
		{"bad delay", "calendar", `survey_delay = "soon"`, Closing{}, `11: survey_delay: invalid duration "soon"`},
		{"negative delay", "calendar", `survey_delay = "-5m"`, Closing{}, `11: survey_delay "-5m" must not be negative`},
		{"bad interval", "calendar", `survey_interval = "1y"`, Closing{}, `11: survey_interval: invalid duration "1y"`},
		{"survey not a bool", "calendar", `survey = "yes"`, Closing{}, `11: "survey" must be true or false, not a string`},
		{"unknown key", "calendar", `survey_delai = "1h"`, Closing{}, `11: unknown key "survey_delai"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := closingRules(t, tt.clock, tt.extra)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), "rules.toml:"+tt.problem) {
					t.Fatalf("got %v, want a problem %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Categories["c"].Closing; got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestAutoCloseAt(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	fri := time.Date(2026, 11, 27, 14, 0, 0, 0, seoul) // a Friday
	s, err := closingRules(t, "business-days", `auto_close = "2d"`)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Categories["c"]
	// Two working days after Friday 14:00 is Tuesday 14:00.
	if at, ok := c.AutoCloseAt(fri); !ok || !at.Equal(time.Date(2026, 12, 1, 14, 0, 0, 0, seoul)) {
		t.Errorf("AutoCloseAt: got %v %v, want Tuesday 14:00", at, ok)
	}
	if got := c.After(fri, 48*time.Hour); !got.Equal(time.Date(2026, 12, 1, 14, 0, 0, 0, seoul)) {
		t.Errorf("After 48h: got %v, want Tuesday 14:00", got)
	}
	c.AutoClose = 0
	if _, ok := c.AutoCloseAt(fri); ok {
		t.Errorf("auto_close 0 closes")
	}
}
