package rules

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	// The calendar's zone ([calendar] timezone, Asia/Seoul by default) must
	// load on any host (distroless images, Windows); config links the zone
	// database too, for maildesk.toml's timezone.
	_ "time/tzdata"
)

// Clock values of a category: how its reply window is counted.
const (
	// ClockCalendar counts every hour.
	ClockCalendar = "calendar"
	// ClockBusinessDays counts clock time on working days only: a window
	// of 48h is two working days, and a weekend or holiday in between
	// does not count.
	ClockBusinessDays = "business-days"
	// ClockWorkingHours counts working hours only, 8 a day by default,
	// as the Civil Petitions Act counts deadlines of 5 days or less; mail
	// received outside working hours starts counting at the next working
	// hour. A day in a window ("5d") is 8 working hours on this clock.
	ClockWorkingHours = "working-hours"

	// ClockWorking is the first-cut name of ClockWorkingHours. Rule files
	// may still say clock = "working"; Load turns it into
	// ClockWorkingHours.
	//
	// Deprecated: use ClockWorkingHours.
	ClockWorking = ClockWorkingHours
)

// workingDay is how much a day in a window is worth on the working-hours
// clock: the Civil Petitions Act fixes it at 8 hours, whatever the
// institute's opening hours.
const workingDay = 8 * time.Hour

// Date is a day of the calendar, in no particular zone: holidays and
// absences are days, not instants, and an instant belongs to a day only in a
// zone (the calendar's).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses "2026-08-03".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date like 2026-08-03", s)
	}
	return DateOf(t), nil
}

// String formats d as 2026-08-03.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// In returns the midnight that starts d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// at returns the wall-clock time off after midnight on d in loc. time.Date
// normalises the nanoseconds into hours and minutes before it resolves the
// zone, so this is wall time even across a DST change.
func (d Date) at(loc *time.Location, off time.Duration) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, int(off), loc)
}

// AddDays returns the day n days after d (before, for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns d's day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	}
	return cmpInt(d.Day, e.Day)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Holiday is a day off, its name and where it comes from.
type Holiday struct {
	Date   Date
	Name   string
	Source string // SourceBuiltin or SourceRules
}

// Sources of a holiday.
const (
	// SourceBuiltin is a built-in Korean public holiday.
	SourceBuiltin = "builtin"
	// SourceRules is a day a rules file adds with [[calendar.add]] (its
	// name replaces a built-in one on the same day).
	SourceRules = "rules"
)

// period is a stretch of working time within a working day, as offsets from
// midnight.
type period struct{ start, end time.Duration }

// Calendar is the business calendar: a time zone, the working hours of a
// working day, the working days of the week, and the public holidays (the
// built-in Korean ones, plus and minus the days a rules file adds or
// removes). It is read-only once built.
type Calendar struct {
	loc      *time.Location
	periods  []period // sorted, disjoint, non-empty
	weekdays [7]bool
	added    map[Date]string
	removed  map[Date]bool
	// warnings are what the rules file said that changes nothing (a
	// built-in holiday added again), as file:line: message.
	warnings []string
}

// DefaultCalendar is the calendar of a rules directory without a
// [calendar] table: loc (Asia/Seoul when nil), 09:00–18:00 with a break at
// 12:00–13:00, Monday to Friday, and the built-in Korean public holidays.
func DefaultCalendar(loc *time.Location) *Calendar {
	if loc == nil {
		loc = seoul()
	}
	return &Calendar{
		loc:      loc,
		periods:  []period{{9 * time.Hour, 12 * time.Hour}, {13 * time.Hour, 18 * time.Hour}},
		weekdays: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
		added:    map[Date]string{},
		removed:  map[Date]bool{},
	}
}

func seoul() *time.Location {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		// time/tzdata is linked in (above), so this cannot happen;
		// KST has had no DST since 1988.
		return time.FixedZone("KST", 9*60*60)
	}
	return loc
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// WorkingTime returns the working time of one working day (8h by default).
func (c *Calendar) WorkingTime() time.Duration {
	var sum time.Duration
	for _, p := range c.periods {
		sum += p.end - p.start
	}
	return sum
}

// WorkingHours returns the working periods of a working day, in order, as
// "09:00-12:00".
func (c *Calendar) WorkingHours() []string {
	var out []string
	for _, p := range c.periods {
		out = append(out, clockString(p.start)+"-"+clockString(p.end))
	}
	return out
}

// WorkingDays returns the working days of the week, Sunday first.
func (c *Calendar) WorkingDays() []time.Weekday {
	var out []time.Weekday
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if c.weekdays[wd] {
			out = append(out, wd)
		}
	}
	return out
}

// Holiday returns the name of the public holiday on t's day in the
// calendar's zone. Several holidays on one day are named together,
// "어린이날, 부처님오신날".
func (c *Calendar) Holiday(t time.Time) (name string, ok bool) {
	return c.holiday(DateOf(t.In(c.loc)))
}

func (c *Calendar) holiday(d Date) (string, bool) {
	name, _, ok := c.holidaySource(d)
	return name, ok
}

func (c *Calendar) holidaySource(d Date) (name, source string, ok bool) {
	if c.removed[d] {
		return "", "", false
	}
	if name, ok := c.added[d]; ok {
		return name, SourceRules, true
	}
	name, ok = builtinHoliday(d)
	return name, SourceBuiltin, ok
}

// Holidays lists the holidays of a year in date order, weekends included
// when a holiday falls on one.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for d := (Date{year, time.January, 1}); d.Year == year; d = d.AddDays(1) {
		if name, source, ok := c.holidaySource(d); ok {
			out = append(out, Holiday{d, name, source})
		}
	}
	return out
}

// Removed lists the built-in holidays of a year that a rules file removes
// with [[calendar.remove]], in date order.
func (c *Calendar) Removed(year int) []Holiday {
	var out []Holiday
	for _, d := range slices.SortedFunc(maps.Keys(c.removed), Date.Compare) {
		if d.Year == year {
			name, _ := builtinHoliday(d)
			out = append(out, Holiday{d, name, SourceBuiltin})
		}
	}
	return out
}

// IsWorkingDay reports whether t's day, in the calendar's zone, is a working
// day: a working day of the week and not a holiday.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	return c.isWorking(DateOf(t.In(c.loc)))
}

func (c *Calendar) isWorking(d Date) bool {
	if !c.weekdays[d.Weekday()] {
		return false
	}
	_, holiday := c.holiday(d)
	return !holiday
}

// maxDays bounds the walk over days: far more than any reply window, and
// it keeps a calendar that somehow has no working day from hanging the
// daemon.
const maxDays = 366 * 30

// NormalizeClock returns the canonical name of a clock ("working" is
// "working-hours") and whether it is one.
func NormalizeClock(clock string) (string, bool) {
	switch clock {
	case ClockCalendar, ClockBusinessDays, ClockWorkingHours:
		return clock, true
	case "working":
		return ClockWorkingHours, true
	}
	return clock, false
}

// Add returns t moved forward by d on the clock (ClockCalendar,
// ClockBusinessDays or ClockWorkingHours; an unknown clock counts like
// ClockCalendar). A negative d moves backward, like Sub.
func (c *Calendar) Add(t time.Time, d time.Duration, clock string) time.Time {
	if d < 0 {
		return c.Sub(t, -d, clock)
	}
	if d == 0 || c == nil || c.loc == nil || len(c.periods) == 0 {
		return t.Add(d)
	}
	clock, _ = NormalizeClock(clock)
	cur, rem := t.In(c.loc), d
	switch clock {
	case ClockBusinessDays:
		for range maxDays {
			day := DateOf(cur)
			next := day.AddDays(1).In(c.loc)
			if c.isWorking(day) {
				if avail := next.Sub(cur); rem <= avail {
					return cur.Add(rem)
				} else {
					rem -= avail
				}
			}
			cur = next
		}
	case ClockWorkingHours:
		for range maxDays {
			day := DateOf(cur)
			if c.isWorking(day) {
				for _, p := range c.periods {
					start, end := day.at(c.loc, p.start), day.at(c.loc, p.end)
					if !cur.Before(end) {
						continue
					}
					if cur.Before(start) {
						cur = start
					}
					avail := end.Sub(cur)
					if rem <= avail {
						return cur.Add(rem)
					}
					rem -= avail
					cur = end
				}
			}
			cur = day.AddDays(1).In(c.loc)
		}
	}
	return t.Add(d)
}

// Sub returns the instant d before t on the same clock: the time to send a
// delay notice is Sub(due, lead time). For an instant t inside counted time,
// Sub(Add(t, d), d) is t again. Where several instants are the same point of
// counted time (18:00 and the next morning's 09:00 on the working-hours
// clock) Sub returns the earliest of them.
func (c *Calendar) Sub(t time.Time, d time.Duration, clock string) time.Time {
	if d < 0 {
		return c.Add(t, -d, clock)
	}
	if d == 0 || c == nil || c.loc == nil || len(c.periods) == 0 {
		return t.Add(-d)
	}
	clock, _ = NormalizeClock(clock)
	cur, rem := t.In(c.loc), d
	switch clock {
	case ClockBusinessDays:
		for range maxDays {
			// The day of the instant just before cur: at midnight,
			// the day that ends there.
			day := DateOf(cur.Add(-time.Nanosecond))
			start := day.In(c.loc)
			if c.isWorking(day) {
				if avail := cur.Sub(start); rem <= avail {
					return cur.Add(-rem)
				} else {
					rem -= avail
				}
			}
			cur = start
		}
	case ClockWorkingHours:
		for range maxDays {
			day := DateOf(cur.Add(-time.Nanosecond))
			if c.isWorking(day) {
				for i := len(c.periods) - 1; i >= 0; i-- {
					p := c.periods[i]
					start, end := day.at(c.loc, p.start), day.at(c.loc, p.end)
					if !start.Before(cur) {
						continue
					}
					if end.After(cur) {
						end = cur
					}
					avail := end.Sub(start)
					if rem <= avail {
						return end.Add(-rem)
					}
					rem -= avail
					cur = start
				}
			}
			cur = day.In(c.loc)
		}
	}
	return t.Add(-d)
}

// Elapsed returns the time counted on the clock from t to u: the inverse
// of Add, so that Elapsed(t, Add(t, d, clock), clock) is d. On
// ClockBusinessDays it is the time of working days between them (24 h a
// day), on ClockWorkingHours the working hours; an unknown clock counts
// like ClockCalendar. It is negative when u is before t.
func (c *Calendar) Elapsed(t, u time.Time, clock string) time.Duration {
	if u.Before(t) {
		return -c.Elapsed(u, t, clock)
	}
	if c == nil || c.loc == nil || len(c.periods) == 0 {
		return u.Sub(t)
	}
	clock, _ = NormalizeClock(clock)
	overlap := func(a, b time.Time) time.Duration {
		if a.Before(t) {
			a = t
		}
		if b.After(u) {
			b = u
		}
		if !b.After(a) {
			return 0
		}
		return b.Sub(a)
	}
	var sum time.Duration
	switch clock {
	case ClockBusinessDays, ClockWorkingHours:
		day, last := DateOf(t.In(c.loc)), DateOf(u.In(c.loc))
		for range maxDays {
			if last.Before(day) {
				return sum
			}
			if c.isWorking(day) {
				if clock == ClockBusinessDays {
					sum += overlap(day.In(c.loc), day.AddDays(1).In(c.loc))
				} else {
					for _, p := range c.periods {
						sum += overlap(day.at(c.loc, p.start), day.at(c.loc, p.end))
					}
				}
			}
			day = day.AddDays(1)
		}
		return sum
	}
	return u.Sub(t)
}

// The [calendar] table.
type calendarFile struct {
	Timezone    string        `toml:"timezone"`
	Hours       string        `toml:"hours"`
	Breaks      []string      `toml:"breaks"`
	WorkingDays []string      `toml:"working_days"`
	Add         []calendarDay `toml:"add"`
	Remove      []calendarDay `toml:"remove"`
}

type calendarDay struct {
	Date any    `toml:"date"` // a TOML date or a string
	Name string `toml:"name"`
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"일": time.Sunday, "월": time.Monday, "화": time.Tuesday, "수": time.Wednesday,
	"목": time.Thursday, "금": time.Friday, "토": time.Saturday,
}

func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if wd, ok := weekdayNames[s]; ok {
		return wd, true
	}
	if r := []rune(s); len(r) == 3 && string(r[1:]) == "요일" {
		wd, ok := weekdayNames[string(r[:1])]
		return wd, ok
	}
	for name, wd := range weekdayNames {
		if len(name) == 3 && strings.ToLower(wd.String()) == s {
			return wd, true
		}
	}
	return 0, false
}

// parseClockTime parses "09:00" (or "24:00") into an offset from midnight.
func parseClockTime(s string) (time.Duration, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, false
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
}

// parseSpan parses "09:00-18:00".
func parseSpan(s string) (period, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return period{}, false
	}
	start, ok1 := parseClockTime(a)
	end, ok2 := parseClockTime(b)
	if !ok1 || !ok2 || start >= end {
		return period{}, false
	}
	return period{start, end}, true
}

// date reads a date written as a TOML date (2026-08-03) or a string
// ("2026-08-03"), reporting anything else at key.
func (f *tomlFile) date(key string, v any) (Date, bool) {
	name := key[strings.LastIndexByte(key, '.')+1:]
	switch v := v.(type) {
	case nil:
		if !f.Bad(key) {
			f.Addf(key, "missing %q in %s", name, f.TableName(key[:strings.LastIndexByte(key, '.')]))
		}
	case toml.LocalDate:
		d := Date{v.Year, time.Month(v.Month), v.Day}
		if d.In(time.UTC).Day() == d.Day {
			return d, true
		}
		f.Addf(key, "%s %s is not a valid date", name, v)
	case string:
		d, err := ParseDate(v)
		if err == nil {
			return d, true
		}
		f.Addf(key, "%s: %v", name, err)
	default:
		f.Addf(key, "%q must be a date like 2026-08-03", name)
	}
	return Date{}, false
}

// calendar builds the calendar of a [calendar] table. loc is the zone when
// the table names none.
func (f *tomlFile) calendar(raw *calendarFile, loc *time.Location) *Calendar {
	const key = "calendar"
	c := DefaultCalendar(loc)
	if raw.Timezone != "" {
		l, err := time.LoadLocation(raw.Timezone)
		if err != nil {
			f.Addf(key+".timezone", "unknown timezone %q", raw.Timezone)
		} else {
			c.loc = l
		}
	}
	hours := period{9 * time.Hour, 18 * time.Hour}
	if raw.Hours != "" {
		p, ok := parseSpan(raw.Hours)
		if ok {
			hours = p
		} else {
			f.Addf(key+".hours", "hours = %q: want opening and closing time like \"09:00-18:00\"", raw.Hours)
		}
	}
	breaks := []period{{12 * time.Hour, 13 * time.Hour}}
	if f.Has(key + ".breaks") {
		breaks = nil
		for _, s := range raw.Breaks {
			p, ok := parseSpan(s)
			switch {
			case !ok:
				f.Addf(key+".breaks", "break %q: want a time span like \"12:00-13:00\"", s)
			case p.start <= hours.start || p.end >= hours.end:
				f.Addf(key+".breaks", "break %q is not inside the working hours", s)
			default:
				breaks = append(breaks, p)
			}
		}
	}
	slices.SortFunc(breaks, func(a, b period) int { return cmpInt(int(a.start), int(b.start)) })
	c.periods = nil
	start := hours.start
	for i, b := range breaks {
		if i > 0 && b.start < breaks[i-1].end {
			f.Addf(key+".breaks", "breaks overlap")
			break
		}
		c.periods = append(c.periods, period{start, b.start})
		start = b.end
	}
	c.periods = append(c.periods, period{start, hours.end})

	if f.Has(key + ".working_days") {
		c.weekdays = [7]bool{}
		for _, s := range raw.WorkingDays {
			wd, ok := parseWeekday(s)
			if !ok {
				f.Addf(key+".working_days", "working day %q: want mon, tue, wed, thu, fri, sat or sun", s)
				continue
			}
			c.weekdays[wd] = true
		}
		if c.weekdays == [7]bool{} && !f.Bad(key+".working_days") {
			f.Addf(key+".working_days", "working_days: no working day at all")
			c.weekdays[time.Monday] = true // keep the clocks usable
		}
	}

	where := map[Date]string{} // date -> key of the entry that named it
	for i := range raw.Add {
		k := key + ".add." + strconv.Itoa(i+1)
		d, ok := f.date(k+".date", raw.Add[i].Date)
		if !ok {
			continue
		}
		if first, dup := where[d]; dup {
			f.Addf(k+".date", "%s is already added at line %d", d, f.Line(first))
			continue
		}
		where[d] = k + ".date"
		if b, ok := builtinHoliday(d); ok {
			// Harmless, but an admin copying the year's list should
			// know the table has it, and that the name stays the law's.
			c.warnings = append(c.warnings, fmt.Sprintf("%s:%d: %s is already the built-in holiday %s; this [[calendar.add]] changes nothing", f.Path, f.Line(k+".date"), d, b))
			continue
		}
		name := raw.Add[i].Name
		if name == "" {
			name = "휴일"
		}
		c.added[d] = name
	}
	for i := range raw.Remove {
		k := key + ".remove." + strconv.Itoa(i+1)
		d, ok := f.date(k+".date", raw.Remove[i].Date)
		if !ok {
			continue
		}
		if first, dup := where[d]; dup {
			f.Addf(k+".date", "%s is both added and removed (see line %d)", d, f.Line(first))
			continue
		}
		where[d] = k + ".date"
		if _, ok := builtinHoliday(d); !ok {
			f.Addf(k+".date", "remove %s: not a built-in public holiday", d)
			continue
		}
		c.removed[d] = true
	}
	return c
}

// String describes the calendar for logs and `rules test`.
func (c *Calendar) String() string {
	var days []string
	for _, wd := range c.WorkingDays() {
		days = append(days, wd.String()[:3])
	}
	s := fmt.Sprintf("%s, %s, %s", c.loc, strings.Join(c.WorkingHours(), " "), strings.Join(days, " "))
	if len(c.added) > 0 {
		var ds []string
		for _, d := range slices.SortedFunc(maps.Keys(c.added), Date.Compare) {
			ds = append(ds, d.String())
		}
		s += ", added " + strings.Join(ds, " ")
	}
	if len(c.removed) > 0 {
		var ds []string
		for _, d := range slices.SortedFunc(maps.Keys(c.removed), Date.Compare) {
			ds = append(ds, d.String())
		}
		s += ", removed " + strings.Join(ds, " ")
	}
	return s
}

func clockString(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
