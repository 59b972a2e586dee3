package desk

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "embed"
)

// The report's renderings. Every number they show is a field of Report,
// formatted as the JSON has it (num, pct): one computation, several
// renderings.

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	return nil
}

// num is a JSON number as JSON writes it.
func num[T int | int64 | float64](v T) string {
	return strconv.FormatFloat(float64(v), 'f', -1, 64)
}

func trimFloat(v float64) string { return num(round(v, 2)) }

// pct is a rate (0..1, four places) as a percentage with the same digits.
func pct(rate float64) string { return num(round(rate*100, 2)) + "%" }

// rate is pct(r), or "-" when nothing was answered (the JSON's 0 then
// means no figure).
func rate(answered int, r float64) string {
	if answered == 0 {
		return "-"
	}
	return pct(r)
}

// hoursOf is num(h), or "-" without first responses.
func hoursOf(count int, h float64) string {
	if count == 0 {
		return "-"
	}
	return num(h)
}

// pad fills s with spaces to width columns of a terminal, Hangul and
// other wide characters taking two.
func pad(s string, width int) string {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 && (r <= 0x115f || (r >= 0x2e80 && r <= 0xa4cf) || (r >= 0xac00 && r <= 0xd7a3) || (r >= 0xf900 && r <= 0xfaff) || (r >= 0xff00 && r <= 0xff60)) {
			w++
		}
	}
	if w >= width {
		return s
	}
	return s + strings.Repeat(" ", width-w)
}

func channels(m map[string]int) string {
	var parts []string
	for _, ch := range channelOrder(m) {
		parts = append(parts, fmt.Sprintf("%s(%s) %d", channelName(ch), ch, m[ch]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// channelOrder is email first, then the others by name.
func channelOrder(m map[string]int) []string {
	var out []string
	if _, ok := m["email"]; ok {
		out = append(out, "email")
	}
	for _, ch := range sortedKeys(m) {
		if ch != "email" {
			out = append(out, ch)
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

// WriteText writes the report for a terminal: Korean first, English
// labels.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "고객헌장 이행실적 / Customer charter report\n")
	fmt.Fprintf(&b, "기간 / period: %s .. %s", r.Period.From, r.Period.To)
	if r.Category != "" {
		fmt.Fprintf(&b, "   분류 / category: %s", r.Category)
	}
	fmt.Fprintf(&b, "\n작성 / generated: %s\n\n", r.GeneratedAt.Format("2006-01-02 15:04"))
	t := r.Tickets
	fmt.Fprintf(&b, "접수와 답변 / tickets\n")
	fmt.Fprintf(&b, "  접수 / received:             %d (%s)\n", t.Received, channels(t.ReceivedByChannel))
	fmt.Fprintf(&b, "  답변 / answered:             %d\n", t.Answered)
	fmt.Fprintf(&b, "  기한 내 답변 / on time:      %d (%s)\n", t.AnsweredOnTime, pct(t.OnTimeRate))
	fmt.Fprintf(&b, "  지연 안내 / delay notices:   %d\n", t.NoticesSent)
	fmt.Fprintf(&b, "  기한 경과 / deadlines passed: %d\n", t.DeadlinesPassed)
	fmt.Fprintf(&b, "  재접촉 / reopened:           %d\n", t.Reopened)
	fmt.Fprintf(&b, "  처리 중 / still open:        %d (기한 경과 / overdue now: %d)\n\n", t.Open, t.Overdue)
	f := r.First
	fmt.Fprintf(&b, "첫 답변 시간 / first response (%d answered)\n", f.Count)
	fmt.Fprintf(&b, "  중앙값 / median:  %s h (분류 기준 시간 / on the category's clock: %s h)\n", num(f.MedianHours), num(f.MedianClockHours))
	fmt.Fprintf(&b, "  90%% / p90:        %s h (분류 기준 시간 / on the category's clock: %s h)\n", num(f.P90Hours), num(f.P90ClockHours))
	var dist []string
	for _, bk := range f.Distribution {
		dist = append(dist, fmt.Sprintf("%s: %d", bk.Label, bk.Count))
	}
	fmt.Fprintf(&b, "  분포 / distribution: %s\n\n", strings.Join(dist, ", "))
	for _, sec := range []struct {
		title  string
		groups []TicketGroup
	}{
		{"분류별 / by category", t.ByCategory}, {"담당자별 / by handler", t.ByHandler},
		{"월별 / by month", t.ByMonth}, {"채널별 / by channel", t.ByChannel},
	} {
		fmt.Fprintf(&b, "%s\n", sec.title)
		fmt.Fprintf(&b, "  %s %s %6s %6s %6s %8s %6s %6s %6s %6s %8s %8s\n", pad("id", 14), pad("name", 16), "recv", "answ", "ontime", "rate", "notice", "passed", "reopen", "open", "median_h", "p90_h")
		skipped := 0
		for _, g := range sec.groups {
			if g.Received == 0 {
				skipped++ // a month without tickets
				continue
			}
			fmt.Fprintf(&b, "  %s %s %6d %6d %6d %8s %6d %6d %6d %6d %8s %8s\n", pad(g.ID, 14), pad(g.Name, 16), g.Received, g.Answered, g.AnsweredOnTime,
				rate(g.Answered, g.OnTimeRate), g.NoticesSent, g.DeadlinesPassed, g.Reopened, g.Open,
				hoursOf(g.FirstResponse.Count, g.FirstResponse.MedianHours), hoursOf(g.FirstResponse.Count, g.FirstResponse.P90Hours))
		}
		if skipped > 0 {
			fmt.Fprintf(&b, "  (접수 없는 달 %d개 생략 / %d months without tickets left out)\n", skipped, skipped)
		}
		b.WriteString("\n")
	}
	s := r.Survey
	fmt.Fprintf(&b, "고객만족도 조사 / satisfaction survey\n")
	fmt.Fprintf(&b, "  발송 / sent:            %d\n", s.Sent)
	fmt.Fprintf(&b, "  응답 / responses:       %d (%s)\n", s.Responses, pct(s.ResponseRate))
	if s.Responses > 0 {
		fmt.Fprintf(&b, "  평균 / average:         %s / 5 (%s / 100)\n", num(s.Average), num(s.Score100))
	} else {
		fmt.Fprintf(&b, "  평균 / average:         - (응답 없음 / no responses)\n")
	}
	dist = nil
	for n := 5; n >= 1; n-- {
		dist = append(dist, fmt.Sprintf("%d: %d", n, s.Distribution[strconv.Itoa(n)]))
	}
	fmt.Fprintf(&b, "  분포 / distribution:    %s\n", strings.Join(dist, ", "))
	for _, h := range s.ByHandler {
		fmt.Fprintf(&b, "  %-12s %-8s %3d responses, average %s\n", h.ID, h.Name, h.Responses, num(h.Average))
	}
	c := r.Corrections
	fmt.Fprintf(&b, "\n정정 요청 / corrections\n")
	fmt.Fprintf(&b, "  접수 / received: %d, 인용 / upheld: %d, 기각 / dismissed: %d\n", c.Received, c.Upheld, c.Dismissed)
	fmt.Fprintf(&b, "  보상 / compensation: %s원 (KRW), 지급 / paid: %d, 미지급 / unpaid: %d\n", num(c.CompensationKRW), c.Paid, c.Unpaid)
	_, err := io.WriteString(w, b.String())
	return err
}

// csvHeader names the CSV's columns: one row per ticket received in the
// period, with every figure's inputs.
var csvHeader = []string{"ticket_id", "tag", "category", "channel", "handler_id", "handler_name", "status",
	"created_at", "first_answer_at", "answered_at", "promised_at", "due_at", "answered", "on_time",
	"first_response_hours", "clock", "first_response_clock_hours", "notices_sent", "deadlines_passed", "reopened",
	"open", "overdue", "survey_sent_at", "rating"}

// WriteCSV writes one row per ticket received in the period.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	tm := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(r.loc).Format(time.RFC3339)
	}
	for _, row := range r.rows {
		first, clock, rating := "", "", ""
		if row.FirstAt != nil {
			first, clock = num(row.FirstHours), num(row.ClockHours)
		}
		if row.Rating > 0 {
			rating = strconv.Itoa(row.Rating)
		}
		created := row.CreatedAt
		cw.Write([]string{strconv.FormatInt(row.ID, 10), fmt.Sprintf("[%s #%d]", row.Tag, row.Number), row.Category, row.Channel,
			row.Handler.ID, row.Handler.Name, row.Status, tm(&created), tm(row.FirstAt), tm(row.AnsweredAt), tm(row.PromisedAt), tm(row.DueAt),
			strconv.FormatBool(row.AnsweredAt != nil), strconv.FormatBool(row.OnTime), first, row.Clock, clock,
			strconv.Itoa(row.Notices), strconv.Itoa(row.Alerts), strconv.Itoa(row.Reopened),
			strconv.FormatBool(row.Status == "open"), strconv.FormatBool(row.OverdueNow), tm(row.SurveySentAt), rating})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	return nil
}

//go:embed report.html.tmpl
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": func(v any) string {
		switch v := v.(type) {
		case int:
			return num(v)
		case int64:
			return num(v)
		case float64:
			return num(v)
		}
		return fmt.Sprint(v)
	},
	"pct":         pct,
	"rate":        rate,
	"hours":       hoursOf,
	"channels":    channels,
	"channelName": channelName,
}).Parse(reportHTML))

// WriteHTML writes the report as one self-contained HTML page (inline CSS
// and SVG, no script): the yearly charter report, printable to PDF.
func (r *Report) WriteHTML(w io.Writer) error {
	if err := reportTemplate.Execute(w, r.htmlView()); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	return nil
}

type htmlView struct {
	*Report
	OnTimeByMonth, OnTimeByCategory, Channels, Responses, Ratings, SurveyTrend template.HTML
}

func (r *Report) htmlView() htmlView {
	v := htmlView{Report: r}
	var pts []chartPoint
	for _, g := range r.Tickets.ByMonth {
		p := chartPoint{Label: g.ID[5:] + "월", Value: g.OnTimeRate * 100}
		if g.Answered > 0 {
			p.Text = pct(g.OnTimeRate)
		}
		pts = append(pts, p)
	}
	v.OnTimeByMonth = lineChart("월별 기한 내 답변율 / on-time rate by month", pts, 100, "%", "#1f5fa8")
	pts = nil
	for _, g := range r.Tickets.ByCategory {
		pts = append(pts, chartPoint{Label: g.Name, Value: g.OnTimeRate * 100, Text: pct(g.OnTimeRate)})
	}
	v.OnTimeByCategory = barChart("분류별 기한 내 답변율 / on-time rate by category", pts, 100, "%", "#1f5fa8")
	pts = nil
	for _, ch := range channelOrder(r.Tickets.ReceivedByChannel) {
		n := r.Tickets.ReceivedByChannel[ch]
		pts = append(pts, chartPoint{Label: channelName(ch), Value: float64(n), Text: num(n)})
	}
	v.Channels = barChart("채널별 접수 / received by channel", pts, 0, "", "#3c8d5a")
	pts = nil
	for _, bk := range r.First.Distribution {
		pts = append(pts, chartPoint{Label: bk.Label, Value: float64(bk.Count), Text: num(bk.Count)})
	}
	v.Responses = barChart("첫 답변 시간 분포 / first-response time", pts, 0, "", "#8a5a1f")
	pts = nil
	for n := 1; n <= 5; n++ {
		c := r.Survey.Distribution[strconv.Itoa(n)]
		pts = append(pts, chartPoint{Label: strconv.Itoa(n) + "점", Value: float64(c), Text: num(c)})
	}
	v.Ratings = barChart("만족도 분포 / satisfaction ratings", pts, 0, "", "#a83a1f")
	pts = nil
	for _, m := range r.Survey.ByMonth {
		p := chartPoint{Label: m.Month[5:] + "월", Value: m.Score100}
		if m.Responses > 0 {
			p.Text = num(m.Score100)
		}
		pts = append(pts, p)
	}
	v.SurveyTrend = lineChart("월별 만족도 (100점) / satisfaction score by month", pts, 100, "", "#a83a1f")
	return v
}
