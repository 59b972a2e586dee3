package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/rules"
)

// calendarCommand is `maildesk calendar [-config FILE] [-json] [YEAR]`: the
// holidays of a year (default: this year) and the working time, as the
// daemon counts deadlines with the rules of FILE.
func calendarCommand(args []string, stdout, stderr io.Writer) error {
	return calendarAt(args, time.Now(), stdout, stderr)
}

// calendarAt is calendarCommand with now for the default year (tests).
func calendarAt(args []string, now time.Time, stdout, stderr io.Writer) error {
	fs := newFlags("calendar", stderr)
	config := fs.String("config", "maildesk.toml", "configuration `file`")
	asJSON := fs.Bool("json", false, "print JSON")
	// YEAR is optional and parseFlags wants an exact count: try one, then
	// none. A flag that does not parse fails the first try already, so
	// the second only tells no YEAR from too many.
	if err := parseFlags(fs, args, 1); err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.msg == "" {
			return err
		}
		if parseFlags(fs, args, 0) != nil {
			return &exitError{code: 2, msg: "maildesk calendar: want at most one YEAR\n" + usage}
		}
	}
	year := 0
	if fs.NArg() == 1 {
		y, err := strconv.Atoi(fs.Arg(0))
		if err != nil || y < 1 || y > 9999 {
			return &exitError{code: 2, msg: fmt.Sprintf("maildesk calendar: YEAR %q is not a year like 2027\n%s", fs.Arg(0), usage)}
		}
		year = y
	}
	// The calendar connects nowhere: like `rules test`, it needs no
	// passwords.
	l, err := desk.Load(*config, desk.LoadOptions{NoSecrets: true})
	if err != nil {
		return err
	}
	cal := l.Rules.Calendar
	if year == 0 {
		year = now.In(cal.Location()).Year()
	}
	r := calendarReport(cal, year)
	if *asJSON {
		return writeJSON(stdout, r)
	}
	writeCalendar(stdout, r, cal)
	return nil
}

// calendarJSON is what `maildesk calendar -json` prints.
type calendarJSON struct {
	Year         int      `json:"year"`
	Timezone     string   `json:"timezone"`
	WorkingDays  []string `json:"working_days"`  // "mon" …, holidays excepted
	WorkingHours []string `json:"working_hours"` // "09:00-12:00" …
	// Checked says whether the built-in holidays of the year were checked
	// against the official list (from rules.FirstCheckedYear to
	// rules.LastCheckedYear).
	Checked  bool          `json:"checked"`
	Holidays []calendarDay `json:"holidays"` // weekend holidays included
	Removed  []calendarDay `json:"removed"`  // built-in days the rules remove
}

type calendarDay struct {
	Date    string `json:"date"`
	Weekday string `json:"weekday"` // "sat"
	Name    string `json:"name"`
	Source  string `json:"source"` // "builtin" or "rules"
}

func calendarReport(cal *rules.Calendar, year int) calendarJSON {
	r := calendarJSON{
		Year:         year,
		Timezone:     cal.Location().String(),
		WorkingDays:  []string{},
		WorkingHours: cal.WorkingHours(),
		Checked:      year >= rules.FirstCheckedYear && year <= rules.LastCheckedYear,
		Holidays:     []calendarDay{},
		Removed:      []calendarDay{},
	}
	for _, wd := range cal.WorkingDays() {
		r.WorkingDays = append(r.WorkingDays, weekdayName(wd))
	}
	day := func(h rules.Holiday) calendarDay {
		return calendarDay{Date: h.Date.String(), Weekday: weekdayName(h.Date.Weekday()), Name: h.Name, Source: h.Source}
	}
	for _, h := range cal.Holidays(year) {
		r.Holidays = append(r.Holidays, day(h))
	}
	for _, h := range cal.Removed(year) {
		r.Removed = append(r.Removed, day(h))
	}
	return r
}

func weekdayName(wd time.Weekday) string { return strings.ToLower(wd.String()[:3]) }

func writeCalendar(w io.Writer, r calendarJSON, cal *rules.Calendar) {
	title := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	var days []string
	for _, d := range r.WorkingDays {
		days = append(days, title(d))
	}
	fmt.Fprintf(w, "calendar %d, %s, as maildesk counts deadlines\n", r.Year, r.Timezone)
	fmt.Fprintf(w, "working days:  %s, except the holidays below\n", strings.Join(days, " "))
	fmt.Fprintf(w, "working hours: %s (%s a working day)\n", strings.Join(r.WorkingHours, " "), fmtHours(cal.WorkingTime()))
	fmt.Fprintln(w)
	weekend := 0
	for _, h := range r.Holidays {
		fmt.Fprintf(w, "%s %s  %-7s  %s\n", h.Date, title(h.Weekday), h.Source, h.Name)
		if h.Weekday == "sat" || h.Weekday == "sun" {
			weekend++
		}
	}
	fmt.Fprintf(w, "\n%d holidays, %d of them on a Saturday or Sunday\n", len(r.Holidays), weekend)
	if len(r.Removed) > 0 {
		fmt.Fprintln(w, "\nbuilt-in holidays the rules remove ([[calendar.remove]]), working days here:")
		for _, h := range r.Removed {
			fmt.Fprintf(w, "%s %s  %-7s  %s\n", h.Date, title(h.Weekday), "removed", h.Name)
		}
	}
	if r.Checked {
		fmt.Fprintf(w, "\nThe built-in days match the official list of %d (월력요항).\n", r.Year)
	} else {
		fmt.Fprintf(w, "\nnote: the built-in days of %d were not checked against an official list (checked: %d–%d): "+
			"compare them with the year's 월력요항 and add missing days with [[calendar.add]].\n",
			r.Year, rules.FirstCheckedYear, rules.LastCheckedYear)
	}
}

// fmtHours formats 8h or 7h30m.
func fmtHours(d time.Duration) string {
	s := d.String() // "8h0m0s"
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}
