package desk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
	"github.com/kioi/maildesk/templates"
)

// KindReport is the monthly charter report mailed to the handlers of
// report_to.
const KindReport = "report"

// reportSentSetting records the newest month whose report went out
// ("2026-11"), so that it goes once, across restarts and instances.
const reportSentSetting = "report-sent-month"

// Monthly report timing: the 1st at 09:00, caught up after downtime for
// up to a week.
const (
	reportHour    = 9
	reportCatchUp = 7 * 24 * time.Hour
)

// queueReports is the deadline clock's step for the monthly report: on the
// 1st at 09:00 (or the first pass after it, within a week) each handler in
// report_to gets the HTML report of the month before, and the month is
// recorded in the same transaction.
func (d *Desk) queueReports(ctx context.Context, tx *store.Tx, now time.Time) (int, error) {
	rs := d.rulesOf(ctx)
	if len(rs.ReportTo) == 0 {
		return 0, nil
	}
	local := now.In(d.loc)
	due := time.Date(local.Year(), local.Month(), 1, reportHour, 0, 0, 0, d.loc)
	if now.Before(due) || !now.Before(due.Add(reportCatchUp)) {
		return 0, nil
	}
	from := time.Date(local.Year(), local.Month()-1, 1, 0, 0, 0, 0, d.loc) // the month before
	to := time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, d.loc)
	month := from.Format("2006-01")
	sent, err := tx.Setting(ctx, reportSentSetting)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	if string(sent) >= month {
		return 0, nil
	}
	r, err := buildReport(ctx, tx, ReportOptions{From: from, To: to, Now: now, Rules: rs, Location: d.loc})
	if err != nil {
		return 0, err
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		return 0, err
	}
	from0 := d.reportSender()
	file := "charter-report-" + month + ".html"
	n := 0
	for _, id := range rs.ReportTo {
		h := rs.Handlers[id]
		if h == nil || h.Email == "" {
			d.log.Warn("monthly report: no address", "handler", id)
			continue
		}
		data := templates.Report{
			Recipient: tcontact(contactOf(h)), Month: month, From: from, To: to.AddDate(0, 0, -1),
			Received: r.Tickets.Received, Answered: r.Tickets.Answered, AnsweredOnTime: r.Tickets.AnsweredOnTime,
			OnTimeRate: rate(r.Tickets.Answered, r.Tickets.OnTimeRate), NoticesSent: r.Tickets.NoticesSent,
			DeadlinesPassed: r.Tickets.DeadlinesPassed, Open: r.Tickets.Open, Overdue: r.Tickets.Overdue,
			MedianHours: hoursOf(r.First.Count, r.First.MedianHours), P90Hours: hoursOf(r.First.Count, r.First.P90Hours),
			SurveySent: r.Survey.Sent, SurveyResponses: r.Survey.Responses,
			SurveyAverage: num(r.Survey.Average), SurveyScore100: num(r.Survey.Score100),
			Attachment: file, Mailbox: from0,
		}
		text, html, err := d.templatesOf(ctx).Render("report", data)
		if err != nil {
			return 0, fmt.Errorf("render report for %s: %w", id, err)
		}
		out := message.Outgoing{
			From:          message.Address{Name: "maildesk", Addr: from0},
			To:            []message.Address{{Name: h.Name, Addr: h.Email}},
			Subject:       fmt.Sprintf("고객헌장 이행실적 %s / Charter report %s", month, month),
			MessageID:     newMessageID(0, from0),
			Date:          now.In(d.loc),
			AutoSubmitted: "auto-generated",
			Headers:       [][2]string{{"X-Maildesk-Kind", KindReport}},
			Text:          text,
			HTML:          html,
			Attachments:   []message.Attachment{{Name: file, ContentType: "text/html", Data: page.Bytes()}},
		}
		raw, err := message.Compose(out)
		if err != nil {
			d.log.Warn("monthly report: cannot compose", "handler", id, "err", err)
			continue
		}
		if err := d.queueComposed(ctx, tx, 0, KindReport, out, raw, now); err != nil {
			return 0, err
		}
		n++
	}
	if err := tx.SetSetting(ctx, reportSentSetting, []byte(month)); err != nil {
		return 0, err
	}
	d.log.Info("monthly report queued", "month", month, "to", n)
	// One report a pass: the step is not a batch.
	return min(n, 1), nil
}

// reportSender is the address the monthly report comes from: the first
// mailbox by name.
func (d *Desk) reportSender() string {
	names := slices.Sorted(maps.Keys(d.mailboxes))
	if len(names) == 0 {
		return "maildesk@localhost"
	}
	return d.mailboxes[names[0]].Address
}
