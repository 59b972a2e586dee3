package desk

import (
	"testing"
	"time"
)

func TestEndOfDay(t *testing.T) {
	seoul := mustLocation(t, "Asia/Seoul")
	newYork := mustLocation(t, "America/New_York")
	tests := []struct {
		name string
		date time.Time
		loc  *time.Location
		want string // in loc, with its zone
	}{
		{"midnight", time.Date(2026, 12, 1, 0, 0, 0, 0, seoul), seoul, "2026-12-01 18:00 KST"},
		{"a time of day is dropped", time.Date(2026, 12, 1, 23, 59, 0, 0, seoul), seoul, "2026-12-01 18:00 KST"},
		// The day is the one written in date's own zone, not that day's
		// instant moved into loc (2026-12-01 in UTC is 09:00 in Seoul,
		// but 2026-11-30 in New York).
		{"day read in date's zone", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), newYork, "2026-12-01 18:00 EST"},
		// Clocks go forward at 02:00 that day: midnight plus 18 hours
		// would be 19:00.
		{"spring forward", time.Date(2026, 3, 8, 0, 0, 0, 0, newYork), newYork, "2026-03-08 18:00 EDT"},
		{"fall back", time.Date(2026, 11, 1, 0, 0, 0, 0, newYork), newYork, "2026-11-01 18:00 EST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EndOfDay(tt.date, tt.loc)
			if s := got.In(tt.loc).Format("2006-01-02 15:04 MST"); s != tt.want {
				t.Errorf("EndOfDay(%v): got %s, want %s", tt.date, s, tt.want)
			}
		})
	}
}

// TestDeferCommandDate: "#defer DATE" promises the end of that day in the
// desk's zone.
func TestDeferCommandDate(t *testing.T) {
	seoul := mustLocation(t, "Asia/Seoul")
	cmds, answer, problems := parseCommands("#defer 2026-12-10 관세청 회신 대기\n답변입니다.", seoul)
	if len(problems) != 0 || len(cmds) != 1 {
		t.Fatalf("got %v, problems %v, want one command", cmds, problems)
	}
	if want := time.Date(2026, 12, 10, 18, 0, 0, 0, seoul); !cmds[0].date.Equal(want) || cmds[0].arg != "관세청 회신 대기" || answer != "답변입니다." {
		t.Errorf("got date %v arg %q answer %q, want %v %q %q", cmds[0].date, cmds[0].arg, answer, want, "관세청 회신 대기", "답변입니다.")
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
