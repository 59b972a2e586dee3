package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Korean public holidays (공휴일에 관한 법률, 관공서의 공휴일에 관한 규정),
// built in so that deadlines are right without any configuration.
//
// The 2026 amendments of 「공휴일에 관한 법률」 made two more days public
// holidays, both with substitute days for a Saturday, a Sunday or another
// holiday, like the national days:
//   - 제헌절 (17 July): the amendment extending the public holidays to every
//     national day (국경일), passed on 2026-01-29 and promulgated in
//     February 2026, applying from 17 July 2026;
//   - 노동절 (1 May): the amendment passed on 2026-03-31 and approved by the
//     cabinet on 2026-04-07, applying from 1 May 2026.
// The 2027 almanac (월력요항) confirms the substitutes: 노동절 and 제헌절
// fall on Saturdays and take 05-03 and 07-19.
//
// Sources: the 월력요항 of each year as transcribed in
// github.com/hyunbinseo/holidays-kr (public/2020.json … public/2027.csv;
// its 2026 list took 제헌절 on 2026-02-12 and 노동절 on 2026-04-07, the
// 2027 list on 2026-06-29; its issue #25 links the news reports of each
// step of the 노동절 amendment); KASI's 특일 정보 for 2023 (redinfo.co.kr/post/view/193);
// nager/Nager.Date issue #972 (the law.go.kr text: substitute rules apply
// to both days). TestHolidaysOfficialLists holds the lists.
//
// The fixed-date holidays and the substitute-holiday rules are code; the
// lunar ones are data, because the Korean lunar calendar is the one the Korea
// Astronomy and Space Science Institute (KASI) publishes for Korean Standard
// Time, and it differs now and then from the Chinese calendar that most
// libraries compute (Seollal 2027 and 2028, Buddha's Birthday 2023).

// FirstCheckedYear and LastCheckedYear bound the years whose built-in
// holidays are checked, date for date, against the officially announced
// list (the 월력요항, TestHolidaysOfficialLists). Later years are computed by
// the rules in force, but elections, temporary holidays and law changes
// are not known in advance: Set.Warnings says so once the current or the
// next year is past LastCheckedYear. Raise it when a new year's list is
// published and added to the test.
const (
	FirstCheckedYear = 2020
	LastCheckedYear  = 2027
)

// Warnings are what an admin should look at in rules that are not wrong,
// as of now. Today there is one: the current or the next year (in the
// calendar's zone) is past LastCheckedYear, so its built-in holidays were
// not checked against an official list. `rules check` prints the warnings
// and the daemon logs them once when it starts.
func (s *Set) Warnings(now time.Time) []string {
	c := s.Calendar
	if c == nil {
		c = DefaultCalendar(nil)
	}
	warnings := slices.Clone(c.warnings)
	year := now.In(c.loc).Year()
	var past, cmds []string
	for _, y := range []int{year, year + 1} {
		if y > LastCheckedYear {
			past = append(past, strconv.Itoa(y))
			cmds = append(cmds, fmt.Sprintf("`maildesk calendar %d`", y))
		}
	}
	if len(past) == 0 {
		return warnings
	}
	msg := fmt.Sprintf("calendar: the built-in holidays are checked against the official lists up to %d only; "+
		"those of %s follow the rules in force and miss the days declared since (elections, temporary holidays, law changes)",
		LastCheckedYear, strings.Join(past, " and "))
	if year+1 > LastLunarYear {
		msg += fmt.Sprintf(", and after %d Seollal, Buddha's Birthday and Chuseok are not built in at all", LastLunarYear)
	}
	msg += fmt.Sprintf(": compare %s with the year's 월력요항 and add the missing days with [[calendar.add]] "+
		"(or drop one with [[calendar.remove]])", strings.Join(cmds, " and "))
	return append(warnings, msg)
}

// FirstLunarYear and LastLunarYear bound the years whose lunar holidays
// (Seollal, Buddha's Birthday, Chuseok) are built in. Outside them only the
// fixed-date holidays are known; a rules file can add the others.
const (
	FirstLunarYear = 2020
	LastLunarYear  = 2035
)

// lunarHolidays holds, per year, the solar dates of lunar 1/1 (Seollal),
// 4/8 (Buddha's Birthday) and 8/15 (Chuseok) as MMDD.
//
// Produced with the npm package korean-lunar-calendar 0.4.0 (KASI data,
// setLunarDate(y, m, d, false) → getSolarCalendar) and checked against the
// officially announced holiday lists for 2020–2027 (all three dates every
// year) and against the Chinese calendar (lunar-javascript 1.7.7), which
// differs exactly where the Korean calendar is known to: Buddha's Birthday
// 2023 (KR May 27, CN May 26), Seollal 2027 (KR Feb 7, CN Feb 6) and Seollal
// 2028 (KR Jan 27, CN Jan 26).
var lunarHolidays = [LastLunarYear - FirstLunarYear + 1][3]int{
	{125, 430, 1001}, // 2020
	{212, 519, 921},  // 2021
	{201, 508, 910},  // 2022
	{122, 527, 929},  // 2023
	{210, 515, 917},  // 2024
	{129, 505, 1006}, // 2025
	{217, 524, 925},  // 2026
	{207, 513, 915},  // 2027
	{127, 502, 1003}, // 2028
	{213, 520, 922},  // 2029
	{203, 509, 912},  // 2030
	{123, 528, 1001}, // 2031
	{211, 516, 919},  // 2032
	{131, 506, 908},  // 2033
	{219, 525, 927},  // 2034
	{208, 515, 916},  // 2035
}

// oneOffHolidays are the holidays declared for a single day: election days
// (statutory holidays, but their dates follow terms of office and, after an
// early election, change) and temporary holidays the government declared.
// Only days already declared are here; admins add later ones with
// [[calendar.add]].
var oneOffHolidays = []struct {
	date Date
	name string
}{
	{Date{2020, time.April, 15}, "제21대 국회의원선거"},
	{Date{2020, time.August, 17}, "임시공휴일"},
	{Date{2022, time.March, 9}, "제20대 대통령선거"},
	{Date{2022, time.June, 1}, "제8회 전국동시지방선거"},
	{Date{2023, time.October, 2}, "임시공휴일"},
	{Date{2024, time.April, 10}, "제22대 국회의원선거"},
	{Date{2024, time.October, 1}, "임시공휴일(국군의 날)"},
	{Date{2025, time.January, 27}, "임시공휴일"},
	{Date{2025, time.June, 3}, "제21대 대통령선거"},
	// The date the Public Official Election Act sets for the 9th local
	// elections.
	{Date{2026, time.June, 3}, "제9회 전국동시지방선거"},
}

// substitute says from which year a holiday gets a substitute day, and when.
type substitute int

const (
	subNone      substitute = iota
	subLunar                // Seollal, Chuseok: a day of the period on a Sunday or another holiday (since 2014)
	subChildren             // Children's Day: Saturday, Sunday or another holiday (since 2014)
	subNational             // 3·1, 8·15, 10·3, 10·9: likewise, since 2021
	subReligious            // Buddha's Birthday, Christmas: likewise, since 2023
	sub2026                 // 노동절, 제헌절: likewise, since they became public holidays in 2026
)

func (s substitute) since() int {
	switch s {
	case subLunar, subChildren:
		return 2014
	case subNational:
		return 2021
	case subReligious:
		return 2023
	case sub2026:
		return firstYear2026
	}
	return 1 << 30
}

// firstYear2026 is the first year of 노동절 and 제헌절 as public holidays.
const firstYear2026 = 2026

type holidayEntry struct {
	name string
	sub  substitute
	end  Date // last day of the period (lunar), else the day itself
}

var (
	holidayMu    sync.Mutex
	holidayYears = map[int]map[Date]string{}
)

// builtinHoliday returns the built-in holiday on d, names joined by ", "
// when several fall on one day.
func builtinHoliday(d Date) (string, bool) {
	holidayMu.Lock()
	days, ok := holidayYears[d.Year]
	if !ok {
		days = computeHolidays(d.Year)
		holidayYears[d.Year] = days
	}
	holidayMu.Unlock()
	name, ok := days[d]
	return name, ok
}

// computeHolidays builds one year's holidays with their substitutes.
func computeHolidays(year int) map[Date]string {
	entries := map[Date][]holidayEntry{}
	add := func(d Date, name string, sub substitute, end Date) {
		entries[d] = append(entries[d], holidayEntry{name, sub, end})
	}
	fixed := func(m time.Month, day int, name string, sub substitute) {
		d := Date{year, m, day}
		add(d, name, sub, d)
	}
	fixed(time.January, 1, "신정", subNone)
	fixed(time.March, 1, "삼일절", subNational)
	if year >= firstYear2026 {
		fixed(time.May, 1, "노동절", sub2026)
	}
	fixed(time.May, 5, "어린이날", subChildren)
	fixed(time.June, 6, "현충일", subNone)
	if year >= firstYear2026 {
		fixed(time.July, 17, "제헌절", sub2026)
	}
	fixed(time.August, 15, "광복절", subNational)
	fixed(time.October, 3, "개천절", subNational)
	fixed(time.October, 9, "한글날", subNational)
	fixed(time.December, 25, "성탄절", subReligious)
	if year >= FirstLunarYear && year <= LastLunarYear {
		l := lunarHolidays[year-FirstLunarYear]
		period := func(mmdd int, name string) {
			mid := Date{year, time.Month(mmdd / 100), mmdd % 100}
			first, last := mid.AddDays(-1), mid.AddDays(1)
			for d := first; !last.Before(d); d = d.AddDays(1) {
				add(d, name, subLunar, last)
			}
		}
		period(l[0], "설날")
		d := Date{year, time.Month(l[1] / 100), l[1] % 100}
		add(d, "부처님오신날", subReligious, d)
		period(l[2], "추석")
	}
	for _, o := range oneOffHolidays {
		if o.date.Year == year {
			add(o.date, o.name, subNone, o.date)
		}
	}

	// Substitute days, in date order so that an earlier substitute is a
	// holiday the later ones skip. A day that holds several holidays is
	// still one day off: on a weekday it covers one of them, so two
	// holidays on a Monday give one substitute (Children's Day and
	// Buddha's Birthday, 2025-05-05 → 05-06).
	days := make([]Date, 0, len(entries))
	for d := range entries {
		days = append(days, d)
	}
	slices.SortFunc(days, Date.Compare)
	type owed struct {
		after Date
		names []string
	}
	var debts []owed
	for _, d := range days {
		es := entries[d]
		wd := d.Weekday()
		var lost []holidayEntry
		for _, e := range es {
			if e.sub == subNone || year < e.sub.since() {
				continue
			}
			switch {
			case wd == time.Sunday,
				wd == time.Saturday && e.sub != subLunar,
				len(es) > 1:
				lost = append(lost, e)
			}
		}
		n := len(lost)
		if wd != time.Saturday && wd != time.Sunday {
			n = min(n, len(es)-1)
		}
		for range n {
			after := lost[0].end
			var names []string
			for _, e := range lost {
				if after.Before(e.end) {
					after = e.end
				}
				if !slices.Contains(names, e.name) {
					names = append(names, e.name)
				}
			}
			debts = append(debts, owed{after, names})
		}
	}
	out := map[Date]string{}
	for d, es := range entries {
		var names []string
		for _, e := range es {
			if !slices.Contains(names, e.name) {
				names = append(names, e.name)
			}
		}
		out[d] = strings.Join(names, ", ")
	}
	for _, o := range debts {
		d := o.after.AddDays(1)
		for {
			_, taken := out[d]
			if wd := d.Weekday(); !taken && wd != time.Saturday && wd != time.Sunday {
				break
			}
			d = d.AddDays(1)
		}
		out[d] = "대체공휴일(" + strings.Join(o.names, ", ") + ")"
	}
	return out
}
