package templates

import "time"

// Report is the data of the "report" template (issue 17): the monthly
// charter report a handler named in report_to gets on the 1st, with the
// HTML report attached. The figures are the report's, formatted as its
// JSON has them (OnTimeRate "83.33%", hours "47.5").
type Report struct {
	Recipient       Contact
	Month           string    // "2026-11"
	From, To        time.Time // first and last day of the month; zone set
	Received        int
	Answered        int
	AnsweredOnTime  int
	OnTimeRate      string // "83.33%", or "-" when nothing was answered
	NoticesSent     int
	DeadlinesPassed int
	Open            int // of the month's tickets, open when the report was made
	Overdue         int
	MedianHours     string // first response, plain hours; "-" without answers
	P90Hours        string
	SurveySent      int
	SurveyResponses int
	SurveyAverage   string // 1..5
	SurveyScore100  string // the 100-point score
	Attachment      string // the attached HTML report's file name
	Mailbox         string // the address it comes from
}
