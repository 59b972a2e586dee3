package tomlcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a duration as the files admins edit write it: Go
// syntax ("48h", "90m") with an optional leading number of days ("5d",
// "1d12h"), since service standards are written in days. A day is 24 hours
// here; callers that count a day otherwise use ParseDays.
func ParseDuration(s string) (time.Duration, error) {
	days, rest, err := ParseDays(s)
	if err != nil {
		return 0, err
	}
	return time.Duration(days)*24*time.Hour + rest, nil
}

// ParseDays splits a duration into whole days and the rest.
func ParseDays(s string) (days int64, d time.Duration, err error) {
	rest := strings.TrimSpace(s)
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err == nil && n >= 0 && n <= 365*100 {
			days, rest = n, rest[i+1:]
		}
	}
	if rest == "" {
		if days == 0 && strings.TrimSpace(s) == "" {
			return 0, 0, fmt.Errorf("empty duration")
		}
		return days, 0, nil
	}
	if rest[0] == '-' || rest[0] == '+' {
		if days > 0 {
			return 0, 0, fmt.Errorf("invalid duration %q", s)
		}
	}
	g, err := time.ParseDuration(rest)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid duration %q: want e.g. \"48h\", \"30m\" or \"5d\"", s)
	}
	return days, g, nil
}
