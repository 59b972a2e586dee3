package desk

import (
	"time"

	"github.com/kioi/maildesk/rules"
)

// noticeTemplate names the template of a category's delay notice: the
// interim-notice wording for complaints counted in working hours.
func noticeTemplate(c *rules.Category) string {
	if c.Clock == rules.ClockWorking {
		return "interim"
	}
	return "notice"
}

// delayDefaults are a category's default reason and status for the delay
// notice; empty when the category sets none.
func delayDefaults(c *rules.Category) (reason, status string) { return "", "" }

// noticeBefore is when the delay notice for a deadline goes out: the
// category's lead time before it. Nil when the category sends none.
func noticeBefore(c *rules.Category, due time.Time) time.Time {
	return due.Add(-c.NoticeBefore)
}

// window returns the deadline and notice time of something received at t.
func window(c *rules.Category, t time.Time) (due time.Time, notice *time.Time) {
	due = c.Due(t)
	if c.NoticeBefore > 0 {
		n := noticeBefore(c, due)
		notice = &n
	}
	return due, notice
}
