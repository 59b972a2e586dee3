package desk

import (
	"time"

	"github.com/kioi/maildesk/rules"
)

// noticeTemplate names the template of a category's delay notice.
func noticeTemplate(c *rules.Category) string {
	if c.NoticeTemplate != "" {
		return c.NoticeTemplate
	}
	return "notice"
}

// window returns the deadline and notice time of something received at t,
// counted on the category's clock and business calendar. The notice time
// is nil when the category sends no advance notice.
func window(c *rules.Category, t time.Time) (due time.Time, notice *time.Time) {
	due = c.Due(t)
	if c.NoticeBefore > 0 {
		n := c.NoticeAt(due)
		notice = &n
	}
	return due, notice
}
