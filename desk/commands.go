package desk

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// command is one line of a staff reply's command block.
type command struct {
	name string // "close", "defer", "status", "assign", "note", "noreply", "original", "merge", "uphold", "dismiss"
	arg  string // the rest of the line
	date time.Time
}

// EndOfDay is 18:00 in loc on date's calendar day (read in date's own
// location): what a bare date means when staff promise one, from #defer in
// a reply and from `maildesk ticket defer --until`. time.Date rather than
// midnight plus 18 hours, so a day that changes its clock still ends at
// 18:00.
func EndOfDay(date time.Time, loc *time.Location) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d, 18, 0, 0, 0, loc)
}

// parseCommands splits a staff reply's new text into the commands on its
// first lines ("#close", "#defer 2026-12-01 사유…") and the answer below
// them. Every problem is reported, so the handler can fix all at once.
func parseCommands(text string, loc *time.Location) (cmds []command, answer string, problems []string) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "#") {
			break
		}
		name, arg, _ := strings.Cut(line[1:], " ")
		name, arg = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(arg)
		c := command{name: name, arg: arg}
		switch name {
		case "close", "noreply":
			if arg != "" {
				problems = append(problems, fmt.Sprintf("#%s takes nothing after it (got %q)", name, arg))
			}
		case "status", "note":
			if arg == "" {
				problems = append(problems, fmt.Sprintf("#%s needs text: #%s 내용…", name, name))
			}
		case "merge":
			if arg == "" {
				problems = append(problems, "#merge needs the ticket to join: #merge [QUAL #2]")
			}
		case "original":
			if n, err := strconv.Atoi(arg); arg != "" && (err != nil || n < 1) {
				problems = append(problems, fmt.Sprintf("#original takes nothing, or a message number from maildesk ticket (got %q)", arg))
			}
		case "assign":
			if arg == "" || strings.ContainsAny(arg, " \t") {
				problems = append(problems, "#assign needs one handler id: #assign 담당자ID")
			}
		case "uphold", "dismiss":
			if p := correctionArgProblem(name, arg); p != "" {
				problems = append(problems, p)
			}
		case "defer":
			day, reason, _ := strings.Cut(arg, " ")
			d, err := time.ParseInLocation("2006-01-02", day, loc)
			switch {
			case err != nil:
				problems = append(problems, fmt.Sprintf("#defer needs a date first: #defer 2026-12-01 사유… (got %q)", day))
			case strings.TrimSpace(reason) == "":
				problems = append(problems, "#defer needs a reason after the date: #defer 2026-12-01 사유…")
			}
			// The customer is told a date: it means the end of that day.
			c.date, c.arg = EndOfDay(d, loc), strings.TrimSpace(reason)
		default:
			problems = append(problems, fmt.Sprintf("unknown command #%s", name))
		}
		cmds = append(cmds, c)
	}
	return cmds, strings.TrimSpace(strings.Join(lines[i:], "\n")), problems
}

func hasCommand(cmds []command, name string) bool {
	for _, c := range cmds {
		if c.name == name {
			return true
		}
	}
	return false
}
