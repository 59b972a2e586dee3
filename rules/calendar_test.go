package rules

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var kst = mustZone("Asia/Seoul")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at parses "2026-09-23 10:00" in KST.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, kst)
	if err != nil {
		tm, err = time.ParseInLocation("2006-01-02 15:04", s, kst)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// officialHolidays are the public holidays of the officially announced lists
// (관공서의 공휴일, as the almanac 월력요항 of each year publishes them),
// substitute, election and temporary days included: every year from
// FirstCheckedYear to LastCheckedYear. Transcribed from
// github.com/hyunbinseo/holidays-kr (src/holidays/YEAR.ts, which follows
// the 월력요항: 2026 as revised for 제헌절 and 노동절, 2027 as published in
// June 2026); 2023 also matches KASI's 특일 정보 but for the temporary
// holiday of 2023-10-02, declared later. When a new year's 월력요항 is
// published, add its list here and raise LastCheckedYear.
var officialHolidays = map[int][]string{
	2020: {
		"01-01", "01-24", "01-25", "01-26", "01-27", "03-01", "04-15", "04-30", "05-05", "06-06",
		"08-15", "08-17", "09-30", "10-01", "10-02", "10-03", "10-09", "12-25",
	},
	2021: {
		"01-01", "02-11", "02-12", "02-13", "03-01", "05-05", "05-19", "06-06", "08-15", "08-16",
		"09-20", "09-21", "09-22", "10-03", "10-04", "10-09", "10-11", "12-25",
	},
	2022: {
		"01-01", "01-31", "02-01", "02-02", "03-01", "03-09", "05-05", "05-08", "06-01", "06-06",
		"08-15", "09-09", "09-10", "09-11", "09-12", "10-03", "10-09", "10-10", "12-25",
	},
	2023: {
		"01-01", "01-21", "01-22", "01-23", "01-24", "03-01", "05-05", "05-27", "05-29", "06-06",
		"08-15", "09-28", "09-29", "09-30", "10-02", "10-03", "10-09", "12-25",
	},
	2024: {
		"01-01", "02-09", "02-10", "02-11", "02-12", "03-01", "04-10", "05-05", "05-06", "05-15",
		"06-06", "08-15", "09-16", "09-17", "09-18", "10-01", "10-03", "10-09", "12-25",
	},
	2025: {
		"01-01", "01-27", "01-28", "01-29", "01-30", "03-01", "03-03", "05-05", "05-06", "06-03",
		"06-06", "08-15", "10-03", "10-05", "10-06", "10-07", "10-08", "10-09", "12-25",
	},
	2026: {
		"01-01", "02-16", "02-17", "02-18", "03-01", "03-02", "05-01", "05-05", "05-24", "05-25",
		"06-03", "06-06", "07-17", "08-15", "08-17", "09-24", "09-25", "09-26", "10-03", "10-05",
		"10-09", "12-25",
	},
	2027: {
		"01-01", "02-06", "02-07", "02-08", "02-09", "03-01", "05-01", "05-03", "05-05", "05-13",
		"06-06", "07-17", "07-19", "08-15", "08-16", "09-14", "09-15", "09-16", "10-03", "10-04",
		"10-09", "10-11", "12-25", "12-27",
	},
}

func TestHolidaysOfficialLists(t *testing.T) {
	// The checked years are exactly those with a list here: raising
	// LastCheckedYear without the year's list fails.
	for year := FirstCheckedYear; year <= LastCheckedYear; year++ {
		if _, ok := officialHolidays[year]; !ok {
			t.Errorf("%d: no official list, but LastCheckedYear is %d", year, LastCheckedYear)
		}
	}
	if n := LastCheckedYear - FirstCheckedYear + 1; len(officialHolidays) != n {
		t.Errorf("got %d official lists, want %d (%d–%d)", len(officialHolidays), n, FirstCheckedYear, LastCheckedYear)
	}
	c := DefaultCalendar(nil)
	for year, want := range officialHolidays {
		var got []string
		for _, h := range c.Holidays(year) {
			got = append(got, fmt.Sprintf("%02d-%02d", int(h.Date.Month), h.Date.Day))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d: got %v, want %v", year, got, want)
		}
	}
}

func TestHolidayNames(t *testing.T) {
	c := DefaultCalendar(nil)
	tests := []struct {
		day, want string
	}{
		{"2025-03-03", "대체공휴일(삼일절)"},
		{"2025-05-05", "어린이날, 부처님오신날"},
		{"2025-05-06", "대체공휴일(어린이날, 부처님오신날)"},
		{"2026-03-02", "대체공휴일(삼일절)"},
		{"2026-05-25", "대체공휴일(부처님오신날)"},
		{"2026-08-17", "대체공휴일(광복절)"},
		{"2026-10-05", "대체공휴일(개천절)"},
		{"2027-02-07", "설날"},
		{"2027-02-09", "대체공휴일(설날)"},
		{"2027-12-27", "대체공휴일(성탄절)"},
		{"2024-10-01", "임시공휴일(국군의 날)"},
		{"2025-06-03", "제21대 대통령선거"},
		{"2026-06-06", "현충일"},
		{"2026-11-25", ""},
		// Public holidays from 2026 only.
		{"2025-05-01", ""},
		{"2025-07-17", ""},
		{"2026-05-01", "노동절"},
		{"2026-07-17", "제헌절"},
		{"2027-05-03", "대체공휴일(노동절)"},
		{"2027-07-19", "대체공휴일(제헌절)"},
	}
	for _, tt := range tests {
		name, ok := c.Holiday(at(t, tt.day+" 12:00"))
		if name != tt.want || ok != (tt.want != "") {
			t.Errorf("Holiday(%s): got %q %v, want %q", tt.day, name, ok, tt.want)
		}
	}
	// The day is the calendar's: 2026-09-24 00:30 in Seoul (Chuseok) is
	// still the 23rd in UTC.
	if _, ok := c.Holiday(at(t, "2026-09-24 00:30").UTC()); !ok {
		t.Errorf("Holiday(2026-09-24 00:30 KST given in UTC): got no holiday, want 추석")
	}
}

// TestHolidaysEveryYear spot-checks the lunar holidays and the substitute
// rules of every built-in year: Seollal, Buddha's Birthday, Chuseok (the
// middle day of each lunar period) and each year's substitute days.
func TestHolidaysEveryYear(t *testing.T) {
	tests := []struct {
		year                     int
		seollal, buddha, chuseok string
		substitutes              []string
	}{
		// Before 2021 only Seollal, Chuseok and Children's Day had
		// substitutes: 3·1 2020 (Sunday) and 10·3 2020 (Saturday) had none.
		{2020, "01-25", "04-30", "10-01", []string{"01-27"}},
		// National days since 2021: 8·15 → 8·16, 10·3 → 10·4, 10·9 → 10·11;
		// Christmas 2021 (Saturday) still without.
		{2021, "02-12", "05-19", "09-21", []string{"08-16", "10-04", "10-11"}},
		// Buddha's Birthday 2022 on a Sunday: no substitute before 2023.
		{2022, "02-01", "05-08", "09-10", []string{"09-12", "10-10"}},
		// Buddha's Birthday 2023 on Saturday May 27 (the Chinese calendar
		// says May 26): the first substitute under the 2023 rule.
		{2023, "01-22", "05-27", "09-29", []string{"01-24", "05-29"}},
		{2024, "02-10", "05-15", "09-17", []string{"02-12", "05-06"}},
		{2025, "01-29", "05-05", "10-06", []string{"03-03", "05-06", "10-08"}},
		{2026, "02-17", "05-24", "09-25", []string{"03-02", "05-25", "08-17", "10-05"}},
		// Seollal 2027 and 2028 differ from the Chinese New Year by a day.
		// 노동절 and 제헌절 on Saturdays: substitutes 05-03 and 07-19.
		{2027, "02-07", "05-13", "09-15", []string{"02-09", "05-03", "07-19", "08-16", "10-04", "10-11", "12-27"}},
		{2028, "01-27", "05-02", "10-03", []string{"10-05"}},
		{2029, "02-13", "05-20", "09-22", []string{"05-07", "05-21", "09-24"}},
		{2030, "02-03", "05-09", "09-12", []string{"02-05", "05-06"}},
		{2031, "01-23", "05-28", "10-01", []string{"03-03"}},
		// 노동절 and 제헌절 on Saturdays again, then on Sundays in 2033.
		{2032, "02-11", "05-16", "09-19", []string{"05-03", "05-17", "07-19", "08-16", "09-21", "10-04", "10-11", "12-27"}},
		{2033, "01-31", "05-06", "09-08", []string{"02-02", "05-02", "07-18", "10-10", "12-26"}},
		{2034, "02-19", "05-25", "09-27", []string{"02-21"}},
		{2035, "02-08", "05-15", "09-16", []string{"05-07", "09-18"}},
	}
	c := DefaultCalendar(nil)
	if n := LastLunarYear - FirstLunarYear + 1; len(tests) != n {
		t.Fatalf("got %d years of tests, want %d", len(tests), n)
	}
	for _, tt := range tests {
		day := func(mmdd string) time.Time { return at(t, fmt.Sprintf("%d-%s 12:00", tt.year, mmdd)) }
		for _, h := range []struct{ mmdd, name string }{{tt.seollal, "설날"}, {tt.buddha, "부처님오신날"}, {tt.chuseok, "추석"}} {
			mid := day(h.mmdd)
			for _, d := range []time.Time{mid.AddDate(0, 0, -1), mid, mid.AddDate(0, 0, 1)} {
				if h.name == "부처님오신날" && !d.Equal(mid) {
					continue
				}
				if name, _ := c.Holiday(d); !strings.Contains(name, h.name) {
					t.Errorf("%s: got %q, want %s", d.Format(time.DateOnly), name, h.name)
				}
			}
		}
		var subs []string
		for _, h := range c.Holidays(tt.year) {
			if strings.HasPrefix(h.Name, "대체공휴일") {
				subs = append(subs, fmt.Sprintf("%02d-%02d", int(h.Date.Month), h.Date.Day))
			}
		}
		if !slices.Equal(subs, tt.substitutes) {
			t.Errorf("%d substitutes: got %v, want %v", tt.year, subs, tt.substitutes)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := DefaultCalendar(nil)
	for _, tt := range []struct {
		day  string
		want bool
	}{
		{"2026-11-25", true},  // Wednesday
		{"2026-11-28", false}, // Saturday
		{"2026-11-29", false}, // Sunday
		{"2026-09-25", false}, // Chuseok, Friday
		{"2026-10-05", false}, // substitute for National Foundation Day
		{"2036-01-01", false}, // fixed-date holidays are known beyond 2035
		{"2036-01-02", true},
	} {
		if got := c.IsWorkingDay(at(t, tt.day+" 12:00")); got != tt.want {
			t.Errorf("IsWorkingDay(%s): got %v, want %v", tt.day, got, tt.want)
		}
	}
}

func TestClocks(t *testing.T) {
	c := DefaultCalendar(nil)
	tests := []struct {
		name   string
		from   string
		d      time.Duration
		clock  string
		want   string
		noSubs bool // from is outside counted time: Sub does not come back to it
	}{
		{"calendar hours", "2026-09-23 10:00", 48 * time.Hour, ClockCalendar, "2026-09-25 10:00", false},
		// The example: Chuseok (24–26 September) and the weekend
		// do not count.
		{"business days over Chuseok", "2026-09-23 10:00", 48 * time.Hour, ClockBusinessDays, "2026-09-29 10:00", false},
		{"business days over a weekend", "2026-11-27 10:00", 48 * time.Hour, ClockBusinessDays, "2026-12-01 10:00", false},
		{"business days from a holiday", "2026-09-26 15:00", 24 * time.Hour, ClockBusinessDays, "2026-09-29 00:00", true},
		{"business days to midnight", "2026-11-26 00:00", 48 * time.Hour, ClockBusinessDays, "2026-11-28 00:00", false},
		// VOC received Friday 17:30: half an hour that day, four full
		// days, 7.5 hours the next Friday.
		{"VOC from Friday 17:30", "2026-11-20 17:30", 40 * time.Hour, ClockWorkingHours, "2026-11-27 17:30", false},
		{"received in the break", "2026-11-25 12:30", time.Hour, ClockWorkingHours, "2026-11-25 14:00", true},
		{"received in the evening", "2026-11-25 20:00", time.Hour, ClockWorkingHours, "2026-11-26 10:00", true},
		{"received on a Sunday", "2026-11-22 10:00", 8 * time.Hour, ClockWorkingHours, "2026-11-23 18:00", true},
		{"received before opening", "2026-11-25 07:00", 3 * time.Hour, ClockWorkingHours, "2026-11-25 12:00", true},
		{"working hours over Chuseok", "2026-09-23 17:00", 2 * time.Hour, ClockWorkingHours, "2026-09-28 10:00", false},
		{"working hours over New Year", "2026-12-30 10:00", 40 * time.Hour, ClockWorkingHours, "2027-01-07 10:00", false},
		{"90 seconds over the break", "2026-11-25 11:59", 90 * time.Second, ClockWorkingHours, "2026-11-25 13:00:30", false},
		{"working alias", "2026-11-25 17:00", 2 * time.Hour, "working", "2026-11-26 10:00", false},
		{"unknown clock counts like calendar", "2026-11-25 17:00", 2 * time.Hour, "lunar", "2026-11-25 19:00", false},
		{"zero", "2026-11-28 03:00", 0, ClockWorkingHours, "2026-11-28 03:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, want := at(t, tt.from), at(t, tt.want)
			got := c.Add(from, tt.d, tt.clock)
			if !got.Equal(want) {
				t.Fatalf("Add(%s, %v, %s): got %v, want %v", tt.from, tt.d, tt.clock, got, want)
			}
			if e := c.Elapsed(from, got, tt.clock); e != tt.d {
				t.Errorf("Elapsed(%s, %v, %s): got %v, want %v", tt.from, got, tt.clock, e, tt.d)
			}
			if tt.noSubs {
				return
			}
			if back := c.Sub(got, tt.d, tt.clock); !back.Equal(from) {
				t.Errorf("Sub(%v, %v, %s): got %v, want %v", got, tt.d, tt.clock, back, from)
			}
			if back := c.Add(got, -tt.d, tt.clock); !back.Equal(from) {
				t.Errorf("Add(%v, -%v, %s): got %v, want %v", got, tt.d, tt.clock, back, from)
			}
		})
	}
}

// TestElapsed counts the time between two instants on each clock, as the
// report's first-response time on the category's clock does.
func TestElapsed(t *testing.T) {
	c := DefaultCalendar(nil)
	tests := []struct {
		from, to, clock string
		want            time.Duration
	}{
		{"2026-11-25 14:00", "2026-11-25 16:30", ClockCalendar, 150 * time.Minute},
		// Friday 17:00 to Monday 10:00: one hour Friday, one Monday.
		{"2026-11-27 17:00", "2026-11-30 10:00", ClockWorkingHours, 2 * time.Hour},
		// The same on business days: 7 h of Friday, 10 h of Monday.
		{"2026-11-27 17:00", "2026-11-30 10:00", ClockBusinessDays, 17 * time.Hour},
		// Over lunch: 11:00 to 14:00 is two working hours.
		{"2026-11-25 11:00", "2026-11-25 14:00", ClockWorkingHours, 2 * time.Hour},
		// Evening to evening: the working day between, whole.
		{"2026-11-24 20:00", "2026-11-25 20:00", ClockWorkingHours, 8 * time.Hour},
		// Chuseok (24–26 September) and the weekend count nothing.
		{"2026-09-23 10:00", "2026-09-29 10:00", ClockBusinessDays, 48 * time.Hour},
		{"2026-09-24 10:00", "2026-09-27 10:00", ClockWorkingHours, 0},
		// Backwards is negative.
		{"2026-11-25 16:00", "2026-11-25 14:00", ClockWorkingHours, -2 * time.Hour},
		{"2026-11-25 14:00", "2026-11-25 14:00", ClockBusinessDays, 0},
	}
	for _, tt := range tests {
		if got := c.Elapsed(at(t, tt.from), at(t, tt.to), tt.clock); got != tt.want {
			t.Errorf("Elapsed(%s, %s, %s): got %v, want %v", tt.from, tt.to, tt.clock, got, tt.want)
		}
	}
}

func TestSub(t *testing.T) {
	c := DefaultCalendar(nil)
	tests := []struct {
		from  string
		d     time.Duration
		clock string
		want  string
	}{
		// Back over a weekend to Friday afternoon.
		{"2026-11-23 10:00", 2 * time.Hour, ClockWorkingHours, "2026-11-20 17:00"},
		// A whole working day back from 18:00 is 09:00 the same day.
		{"2026-11-25 18:00", 8 * time.Hour, ClockWorkingHours, "2026-11-25 09:00"},
		// Back into the morning over the break.
		{"2026-11-25 13:30", time.Hour, ClockWorkingHours, "2026-11-25 11:30"},
		{"2026-09-29 10:00", 48 * time.Hour, ClockBusinessDays, "2026-09-23 10:00"},
		{"2026-09-29 10:00", 12 * time.Hour, ClockBusinessDays, "2026-09-28 22:00"},
	}
	for _, tt := range tests {
		if got := c.Sub(at(t, tt.from), tt.d, tt.clock); !got.Equal(at(t, tt.want)) {
			t.Errorf("Sub(%s, %v, %s): got %v, want %s", tt.from, tt.d, tt.clock, got, tt.want)
		}
	}
}

// TestSubInvertsAdd walks receipt times through working hours over a month
// with holidays and checks Sub(Add(t, d), d) == t on both counting clocks.
func TestSubInvertsAdd(t *testing.T) {
	c := DefaultCalendar(nil)
	start := at(t, "2026-09-21 09:10")
	for _, clock := range []string{ClockBusinessDays, ClockWorkingHours} {
		for i := range 200 {
			from := start.Add(time.Duration(i) * 97 * time.Minute)
			if clock == ClockWorkingHours && !c.inWorkingHours(from) || clock == ClockBusinessDays && !c.IsWorkingDay(from) {
				continue
			}
			for _, d := range []time.Duration{90 * time.Second, 3 * time.Hour, 8 * time.Hour, 40 * time.Hour, 120 * time.Hour} {
				due := c.Add(from, d, clock)
				if back := c.Sub(due, d, clock); !back.Equal(from) {
					t.Fatalf("%s: Sub(Add(%v, %v)) = Sub(%v) = %v, want %v", clock, from, d, due, back, from)
				}
			}
		}
	}
}

// inWorkingHours reports whether t is strictly inside a working period.
func (c *Calendar) inWorkingHours(t time.Time) bool {
	t = t.In(c.loc)
	day := DateOf(t)
	if !c.isWorking(day) {
		return false
	}
	for _, p := range c.periods {
		if t.After(day.at(c.loc, p.start)) && t.Before(day.at(c.loc, p.end)) {
			return true
		}
	}
	return false
}

// TestCalendarTable checks that [calendar] changes results: an added day
// stops the clocks, a removed holiday lets them run, and custom hours and
// working days count.
func TestCalendarTable(t *testing.T) {
	full, err := Load(filepath.Join("testdata", "rules", "full"))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultCalendar(nil)
	tests := []struct {
		name      string
		cal       *Calendar
		from      string
		d         time.Duration
		clock     string
		want      string
		isHoliday string // a day that should (not) be a holiday
		holiday   bool
	}{
		{"added day, default", def, "2027-05-07 17:00", 2 * time.Hour, ClockWorkingHours, "2027-05-10 10:00", "2027-05-10", false},
		{"added day", full.Calendar, "2027-05-07 17:00", 2 * time.Hour, ClockWorkingHours, "2027-05-11 10:00", "2027-05-10", true},
		{"removed holiday, default", def, "2026-06-02 17:00", 2 * time.Hour, ClockWorkingHours, "2026-06-04 10:00", "2026-06-03", true},
		{"removed holiday", full.Calendar, "2026-06-02 17:00", 2 * time.Hour, ClockWorkingHours, "2026-06-03 10:00", "2026-06-03", false},
		{"removed holiday, business days", full.Calendar, "2026-06-02 10:00", 24 * time.Hour, ClockBusinessDays, "2026-06-03 10:00", "2026-06-03", false},
	}
	for _, tt := range tests {
		if got := tt.cal.Add(at(t, tt.from), tt.d, tt.clock); !got.Equal(at(t, tt.want)) {
			t.Errorf("%s: got %v, want %s", tt.name, got, tt.want)
		}
		if _, ok := tt.cal.Holiday(at(t, tt.isHoliday+" 12:00")); ok != tt.holiday {
			t.Errorf("%s: Holiday(%s) got %v, want %v", tt.name, tt.isHoliday, ok, tt.holiday)
		}
	}
	if name, _ := full.Calendar.Holiday(at(t, "2027-05-10 12:00")); name != "임시공휴일" {
		t.Errorf("added day's name: got %q, want 임시공휴일", name)
	}

	// Custom hours, breaks and days, and a zone of its own.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "calendar.toml"), `
[calendar]
timezone = "UTC"
hours = "08:00-17:00"
breaks = []
working_days = ["mon", "tue", "wed", "thu", "fri", "sat"]
`)
	set, err := LoadWithZone(dir, kst)
	if err != nil {
		t.Fatal(err)
	}
	c := set.Calendar
	if c.Location().String() != "UTC" || c.WorkingTime() != 9*time.Hour {
		t.Errorf("got %v, want UTC with 9 working hours", c)
	}
	from := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC) // Friday
	if got, want := c.Add(from, 2*time.Hour, ClockWorkingHours), time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Saturday working: got %v, want %v", got, want)
	}
	// Without [calendar], the zone is the one passed in.
	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "h.toml"), "[[handler]]\nid = \"a\"\nname = \"A\"\nemail = \"a@example.org\"\n")
	set, err = LoadWithZone(dir, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if set.Calendar.Location() != time.UTC {
		t.Errorf("zone: got %v, want UTC", set.Calendar.Location())
	}
	if set, err = Load(dir); err != nil || set.Calendar.Location().String() != "Asia/Seoul" {
		t.Errorf("Load zone: got %v, %v, want Asia/Seoul", set.Calendar.Location(), err)
	}
}

func TestParseDate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Date
		ok   bool
	}{
		{"2026-08-03", Date{2026, time.August, 3}, true},
		{"2026-02-30", Date{}, false},
		{"2026-8-3", Date{}, false},
		{"", Date{}, false},
	} {
		got, err := ParseDate(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseDate(%q): got %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	if got := (Date{2026, time.December, 31}).AddDays(1).String(); got != "2027-01-01" {
		t.Errorf("AddDays: got %v, want 2027-01-01", got)
	}
}

// TestHolidaySources: a day is built in or from the rules, and a removed
// built-in day is listed apart.
func TestHolidaySources(t *testing.T) {
	full, err := Load(filepath.Join("testdata", "rules", "full"))
	if err != nil {
		t.Fatal(err)
	}
	c := full.Calendar
	find := func(year int, day string) (Holiday, bool) {
		for _, h := range c.Holidays(year) {
			if h.Date.String() == day {
				return h, true
			}
		}
		return Holiday{}, false
	}
	for _, tt := range []struct {
		day, name, source string // source "" = no holiday
	}{
		{"2027-05-10", "임시공휴일", SourceRules},
		{"2027-05-03", "대체공휴일(노동절)", SourceBuiltin},
		{"2026-07-17", "제헌절", SourceBuiltin},
		{"2026-06-03", "", ""}, // removed
	} {
		d, err := ParseDate(tt.day)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := find(d.Year, tt.day)
		if ok != (tt.source != "") || h.Name != tt.name || h.Source != tt.source {
			t.Errorf("%s: got %+v %v, want %q from %q", tt.day, h, ok, tt.name, tt.source)
		}
	}
	if got := c.Removed(2026); len(got) != 1 || got[0].Date.String() != "2026-06-03" || got[0].Name != "제9회 전국동시지방선거" {
		t.Errorf("Removed(2026): got %+v, want the local election day", got)
	}
	if got := c.Removed(2027); len(got) != 0 {
		t.Errorf("Removed(2027): got %+v, want none", got)
	}
	if got, want := c.WorkingHours(), []string{"09:00-12:00", "13:00-18:00"}; !slices.Equal(got, want) {
		t.Errorf("WorkingHours: got %v, want %v", got, want)
	}
	if got, want := c.WorkingDays(), []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}; !slices.Equal(got, want) {
		t.Errorf("WorkingDays: got %v, want %v", got, want)
	}
}

// TestWarnings: the warning comes once the current or the next year, in the
// calendar's zone, is past LastCheckedYear.
func TestWarnings(t *testing.T) {
	set := &Set{Calendar: DefaultCalendar(nil)}
	tests := []struct {
		now  time.Time
		want []string // substrings; nil = no warning
	}{
		{at(t, "2026-12-31 23:59"), nil},
		// 2027 has begun in Seoul, not yet in UTC.
		{at(t, "2027-01-01 00:30").UTC(), []string{"up to 2027 only", "those of 2028 follow", "`maildesk calendar 2028`", "[[calendar.add]]"}},
		{at(t, "2028-03-01 12:00"), []string{"those of 2028 and 2029", "`maildesk calendar 2028` and `maildesk calendar 2029`"}},
		{at(t, "2035-01-01 12:00"), []string{"2035 and 2036", "after 2035 Seollal, Buddha's Birthday and Chuseok are not built in"}},
	}
	for _, tt := range tests {
		got := set.Warnings(tt.now)
		if tt.want == nil {
			if len(got) != 0 {
				t.Errorf("%v: got %q, want no warning", tt.now, got)
			}
			continue
		}
		if len(got) != 1 {
			t.Errorf("%v: got %q, want one warning", tt.now, got)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(got[0], w) {
				t.Errorf("%v: warning %q lacks %q", tt.now, got[0], w)
			}
		}
	}
}

// TestReaddedBuiltinHoliday: adding a day the table already has changes
// nothing and is said as a warning with file:line, not an error: an admin
// copying the year's official list into [[calendar.add]] should learn which
// days are built in.
func TestReaddedBuiltinHoliday(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "calendar.toml")
	writeFile(t, path, "[calendar]\n\n[[calendar.add]]\ndate = 2026-05-05\nname = \"어린이날\"\n\n[[calendar.add]]\ndate = 2026-11-20\nname = \"창립기념일\"\n")
	set, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := set.Warnings(at(t, "2026-06-01 12:00"))
	want := path + ":4: 2026-05-05 is already the built-in holiday 어린이날; this [[calendar.add]] changes nothing"
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings: got %q, want [%q]", got, want)
	}
	for _, day := range []string{"2026-05-05 12:00", "2026-11-20 12:00"} {
		if _, ok := set.Calendar.Holiday(at(t, day)); !ok {
			t.Errorf("%s is not a holiday", day)
		}
	}
}
