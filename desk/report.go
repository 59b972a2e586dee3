package desk

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/kioi/maildesk/rules"
	"github.com/kioi/maildesk/store"
)

// Report is what `maildesk report` prints: the figures of a period (the
// charter report, 고객헌장 이행실적), computed once by BuildReport and
// rendered as JSON, text, CSV or HTML from this value alone.
// docs/report.md documents every field; a test keeps it level.
type Report struct {
	From        time.Time         `json:"from"` // inclusive
	To          time.Time         `json:"to"`   // exclusive
	Period      Period            `json:"period"`
	Category    string            `json:"category,omitempty"` // the -category filter; "" for all
	GeneratedAt time.Time         `json:"generated_at"`       // "now" of the open and overdue figures
	Tickets     TicketsReport     `json:"tickets"`
	First       FirstResponse     `json:"first_response"`
	Survey      SurveyReport      `json:"survey"`
	Corrections CorrectionsReport `json:"corrections"`

	loc  *time.Location
	rows []reportRow // the tickets, for CSV
}

// Period is the report's period as the command line gives it: dates in
// the configured zone, both included.
type Period struct {
	From string `json:"from"` // 2026-01-01
	To   string `json:"to"`   // 2026-12-31
}

// TicketFigures are the figures of a set of tickets received in the period.
type TicketFigures struct {
	Received          int            `json:"received"`
	ReceivedByChannel map[string]int `json:"received_by_channel"`
	Answered          int            `json:"answered"`
	AnsweredOnTime    int            `json:"answered_on_time"`
	OnTimeRate        float64        `json:"on_time_rate"` // answered_on_time / answered, 0..1
	NoticesSent       int            `json:"notices_sent"`
	DeadlinesPassed   int            `json:"deadlines_passed"` // supervisor alerts
	Reopened          int            `json:"reopened"`
	Open              int            `json:"open"`
	Overdue           int            `json:"overdue"`
}

// TicketsReport is TicketFigures overall and broken down.
type TicketsReport struct {
	TicketFigures
	ByCategory []TicketGroup `json:"by_category"`
	ByHandler  []TicketGroup `json:"by_handler"`
	ByMonth    []TicketGroup `json:"by_month"`
	ByChannel  []TicketGroup `json:"by_channel"`
}

// TicketGroup is one category, handler, month or channel.
type TicketGroup struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	TicketFigures
	FirstResponse ResponseTimes `json:"first_response"`
}

// ResponseTimes are first-response times: median and 90th percentile, in
// plain hours and in hours on the category's clock.
type ResponseTimes struct {
	Count            int     `json:"count"`
	MedianHours      float64 `json:"median_hours"`
	P90Hours         float64 `json:"p90_hours"`
	MedianClockHours float64 `json:"median_clock_hours"`
	P90ClockHours    float64 `json:"p90_clock_hours"`
}

// FirstResponse is the period's first-response times and their spread.
type FirstResponse struct {
	ResponseTimes
	Distribution []Bucket `json:"distribution"`
}

// Bucket counts first responses of at most UpToHours plain hours and
// more than the bucket before; the last has UpToHours 0 (no bound).
type Bucket struct {
	Label     string `json:"label"`
	UpToHours int    `json:"upto_hours"`
	Count     int    `json:"count"`
}

// responseBuckets are the first-response distribution's bounds, in hours.
var responseBuckets = []int{1, 4, 8, 24, 48, 72, 0}

// SurveyReport is the satisfaction survey's figures over the surveys sent
// in the period, each with its current rating (a replaced one does not
// count twice).
type SurveyReport struct {
	Sent         int     `json:"sent"`
	Responses    int     `json:"responses"`
	ResponseRate float64 `json:"response_rate"` // responses / sent, 0..1
	Average      float64 `json:"average"`       // mean rating, 1..5; 0 without responses
	// Score100 is the average on the 100-point scale Korean public
	// satisfaction surveys publish: (average - 1) × 25.
	Score100     float64          `json:"score100"`
	Distribution map[string]int   `json:"distribution"` // "1".."5": responses with that rating
	ByHandler    []HandlerSurveys `json:"by_handler"`   // by handler at the time of rating, by id
	ByMonth      []MonthSurveys   `json:"by_month"`     // by month sent
}

// HandlerSurveys is one handler's ratings.
type HandlerSurveys struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Responses int     `json:"responses"`
	Average   float64 `json:"average"`
}

// MonthSurveys is the surveys sent in one month.
type MonthSurveys struct {
	Month     string  `json:"month"` // 2026-03
	Sent      int     `json:"sent"`
	Responses int     `json:"responses"`
	Average   float64 `json:"average"`
	Score100  float64 `json:"score100"`
}

// CorrectionsReport is the correction requests' figures (정정 요청과 보상).
type CorrectionsReport struct {
	Received        int   `json:"received"`
	Upheld          int   `json:"upheld"`
	Dismissed       int   `json:"dismissed"`
	CompensationKRW int64 `json:"compensation_krw"` // owed for the upheld ones
	Paid            int   `json:"paid"`             // upheld cases whose compensation is paid
	Unpaid          int   `json:"unpaid"`           // upheld cases still to pay
}

// reportKinds are the kinds the report counts.
var reportKinds = store.ReportKinds{
	Answers: []string{KindAnswer, KindStaffDirect}, Notice: KindNotice, Alert: KindAlert, ReopenedEvents: "reopened",
}

// ReportOptions says what to report on.
type ReportOptions struct {
	From, To time.Time // [From, To)
	Now      time.Time // for the open and overdue figures; zero: time.Now()
	Category string    // one category id; "" for all
	Rules    *rules.Set
	Location *time.Location
}

// reportRow is one ticket with the figures' inputs worked out: the CSV's
// row.
type reportRow struct {
	*store.ReportTicket
	Clock        string
	FirstAt      *time.Time // first staff answer
	FirstHours   float64    // plain hours from received to first answer
	ClockHours   float64    // the same on the category's clock
	OnTime       bool
	OverdueNow   bool
	SurveySentAt *time.Time
	Rating       int // 0: no rating
}

// BuildReport works out the report of [o.From, o.To) from the database.
func BuildReport(ctx context.Context, st *store.Store, o ReportOptions) (*Report, error) {
	var r *Report
	err := st.Read(ctx, func(tx *store.Tx) (err error) {
		r, err = buildReport(ctx, tx, o)
		return err
	})
	return r, err
}

func buildReport(ctx context.Context, tx *store.Tx, o ReportOptions) (*Report, error) {
	loc := cmp.Or(o.Location, time.UTC)
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	r := &Report{From: o.From.In(loc), To: o.To.In(loc), Category: o.Category, GeneratedAt: now.In(loc).Truncate(time.Second), loc: loc}
	r.Period = Period{From: r.From.Format(time.DateOnly), To: r.To.Add(-time.Nanosecond).Format(time.DateOnly)}
	tickets, err := tx.ReportTickets(ctx, o.From, o.To, reportKinds)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	surveys, err := tx.ReportSurveys(ctx, o.From, o.To)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if r.Corrections, err = correctionFigures(ctx, tx, o.From, o.To, o.Category); err != nil {
		return nil, fmt.Errorf("report: corrections: %w", err)
	}
	bySurvey := map[int64]*store.ReportSurvey{}
	var cohort []*store.ReportSurvey
	for _, s := range surveys {
		if o.Category != "" && s.Category != o.Category {
			continue
		}
		bySurvey[s.TicketID] = s
		if !s.SentAt.Before(o.From) && s.SentAt.Before(o.To) {
			cohort = append(cohort, s)
		}
	}
	for _, t := range tickets {
		if o.Category != "" && t.Category != o.Category {
			continue
		}
		r.rows = append(r.rows, ticketRow(t, o.Rules, now, bySurvey[t.ID]))
	}
	r.Tickets = ticketsReport(r.rows, o.Rules, loc, r.months())
	r.First = FirstResponse{ResponseTimes: responseTimes(r.rows), Distribution: distribution(r.rows)}
	r.Survey = surveyFigures(cohort, loc, r.months())
	return r, nil
}

// Report works out the report of [from, to) with the desk's rules, zone
// and clock.
func (d *Desk) Report(ctx context.Context, from, to time.Time, category string) (*Report, error) {
	return BuildReport(ctx, d.store, ReportOptions{From: from, To: to, Now: d.clock.Now(), Category: category, Rules: d.rulesOf(ctx), Location: d.loc})
}

func ticketRow(t *store.ReportTicket, rs *rules.Set, now time.Time, s *store.ReportSurvey) reportRow {
	row := reportRow{ReportTicket: t, Clock: rules.ClockCalendar, FirstAt: cmp.Or(t.FirstAnswerAt, t.AnsweredAt)}
	var cat *rules.Category
	if rs != nil {
		cat = rs.Categories[t.Category]
	}
	if cat != nil {
		row.Clock = cat.Clock
	}
	if row.FirstAt != nil {
		row.FirstHours = hours(row.FirstAt.Sub(t.CreatedAt))
		row.ClockHours = row.FirstHours
		if cat != nil {
			row.ClockHours = hours(cat.Elapsed(t.CreatedAt, *row.FirstAt))
		}
	}
	// No promise (a category without a window): nothing to be late for.
	row.OnTime = t.AnsweredAt != nil && (t.PromisedAt == nil || !t.AnsweredAt.After(*t.PromisedAt))
	row.OverdueNow = t.Status == store.StatusOpen && t.DueAt != nil && !t.DueAt.After(now)
	if s != nil {
		row.SurveySentAt = &s.SentAt
		if s.Rating != nil {
			row.Rating = s.Rating.Rating
		}
	}
	return row
}

func hours(d time.Duration) float64 { return round(d.Hours(), 2) }

// months lists the months of the period, "2026-01", in the report's zone.
func (r *Report) months() []string {
	var out []string
	m := time.Date(r.From.Year(), r.From.Month(), 1, 0, 0, 0, 0, r.loc)
	for m.Before(r.To) && len(out) < 1200 {
		out = append(out, m.Format("2006-01"))
		m = m.AddDate(0, 1, 0)
	}
	return out
}

func figures(rows []reportRow) TicketFigures {
	f := TicketFigures{ReceivedByChannel: map[string]int{}}
	for _, row := range rows {
		f.Received++
		f.ReceivedByChannel[row.Channel]++
		if row.AnsweredAt != nil {
			f.Answered++
			if row.OnTime {
				f.AnsweredOnTime++
			}
		}
		f.NoticesSent += row.Notices
		f.DeadlinesPassed += row.Alerts
		f.Reopened += row.Reopened
		if row.Status == store.StatusOpen {
			f.Open++
		}
		if row.OverdueNow {
			f.Overdue++
		}
	}
	if f.Answered > 0 {
		f.OnTimeRate = round(float64(f.AnsweredOnTime)/float64(f.Answered), 4)
	}
	return f
}

func group(id, name string, rows []reportRow) TicketGroup {
	return TicketGroup{ID: id, Name: name, TicketFigures: figures(rows), FirstResponse: responseTimes(rows)}
}

func ticketsReport(rows []reportRow, rs *rules.Set, loc *time.Location, months []string) TicketsReport {
	tr := TicketsReport{TicketFigures: figures(rows), ByCategory: []TicketGroup{}, ByHandler: []TicketGroup{}, ByMonth: []TicketGroup{}, ByChannel: []TicketGroup{}}
	split := func(key func(reportRow) string) (map[string][]reportRow, []string) {
		m := map[string][]reportRow{}
		for _, row := range rows {
			m[key(row)] = append(m[key(row)], row)
		}
		return m, slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
	}
	cats, ids := split(func(r reportRow) string { return r.Category })
	for _, id := range ids {
		name := id
		if rs != nil && rs.Categories[id] != nil {
			name = rs.Categories[id].Name
		}
		tr.ByCategory = append(tr.ByCategory, group(id, name, cats[id]))
	}
	hs, ids := split(func(r reportRow) string { return r.Handler.ID })
	for _, id := range ids {
		tr.ByHandler = append(tr.ByHandler, group(id, hs[id][len(hs[id])-1].Handler.Name, hs[id]))
	}
	ms, _ := split(func(r reportRow) string { return r.CreatedAt.In(loc).Format("2006-01") })
	for _, m := range months {
		tr.ByMonth = append(tr.ByMonth, group(m, monthName(m), ms[m]))
	}
	chs, ids := split(func(r reportRow) string { return r.Channel })
	sort.SliceStable(ids, func(i, j int) bool { return ids[i] == store.ChannelEmail && ids[j] != store.ChannelEmail })
	for _, id := range ids {
		tr.ByChannel = append(tr.ByChannel, group(id, channelName(id), chs[id]))
	}
	return tr
}

// channelNames are the Korean names of the channels tickets come by.
var channelNames = map[string]string{
	"email": "전자우편", "phone": "전화", "web": "누리집", "post": "우편", "visit": "방문", "fax": "팩스",
}

func channelName(id string) string { return cmp.Or(channelNames[id], id) }

// monthName is "2026년 3월" for "2026-03".
func monthName(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return fmt.Sprintf("%d년 %d월", t.Year(), t.Month())
}

func responseTimes(rows []reportRow) ResponseTimes {
	var plain, clock []float64
	for _, row := range rows {
		if row.FirstAt != nil {
			plain = append(plain, row.FirstHours)
			clock = append(clock, row.ClockHours)
		}
	}
	return ResponseTimes{Count: len(plain), MedianHours: median(plain), P90Hours: p90(plain),
		MedianClockHours: median(clock), P90ClockHours: p90(clock)}
}

// median is the middle value, or the mean of the two middle ones; 0 for
// none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return round((s[n/2-1]+s[n/2])/2, 2)
}

// p90 is the 90th percentile by nearest rank: the smallest value with at
// least 90 % of the values at or below it; 0 for none.
func p90(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[int(math.Ceil(0.9*float64(len(s))))-1]
}

func distribution(rows []reportRow) []Bucket {
	out := make([]Bucket, len(responseBuckets))
	lo := 0
	for i, up := range responseBuckets {
		out[i].UpToHours = up
		if up == 0 {
			out[i].Label = fmt.Sprintf("%dh+", lo)
		} else {
			out[i].Label = fmt.Sprintf("%d-%dh", lo, up)
		}
		lo = up
	}
	for _, row := range rows {
		if row.FirstAt == nil {
			continue
		}
		for i, up := range responseBuckets {
			if up == 0 || row.FirstHours <= float64(up) {
				out[i].Count++
				break
			}
		}
	}
	return out
}

func surveyFigures(cohort []*store.ReportSurvey, loc *time.Location, months []string) SurveyReport {
	s := SurveyReport{Sent: len(cohort), Distribution: map[string]int{}, ByHandler: []HandlerSurveys{}, ByMonth: []MonthSurveys{}}
	for n := 1; n <= 5; n++ {
		s.Distribution[strconv.Itoa(n)] = 0
	}
	type acc struct {
		name           string
		sent, n, total int
	}
	by, bm := map[string]*acc{}, map[string]*acc{}
	total := 0
	for _, sv := range cohort {
		m := bm[sv.SentAt.In(loc).Format("2006-01")]
		if m == nil {
			m = &acc{}
			bm[sv.SentAt.In(loc).Format("2006-01")] = m
		}
		m.sent++
		rt := sv.Rating
		if rt == nil {
			continue
		}
		s.Responses++
		m.n++
		m.total += rt.Rating
		total += rt.Rating
		s.Distribution[strconv.Itoa(rt.Rating)]++
		a := by[rt.Handler.ID]
		if a == nil {
			a = &acc{}
			by[rt.Handler.ID] = a
		}
		a.name = rt.Handler.Name // the last one's name, in ticket order
		a.n++
		a.total += rt.Rating
	}
	if s.Sent > 0 {
		s.ResponseRate = round(float64(s.Responses)/float64(s.Sent), 4)
	}
	if s.Responses > 0 {
		avg := float64(total) / float64(s.Responses)
		s.Average, s.Score100 = round(avg, 2), round((avg-1)*25, 1)
	}
	for id, a := range by {
		s.ByHandler = append(s.ByHandler, HandlerSurveys{ID: id, Name: a.name, Responses: a.n, Average: round(float64(a.total)/float64(a.n), 2)})
	}
	sort.Slice(s.ByHandler, func(i, j int) bool { return s.ByHandler[i].ID < s.ByHandler[j].ID })
	for _, month := range months {
		ms := MonthSurveys{Month: month}
		if a := bm[month]; a != nil {
			ms.Sent, ms.Responses = a.sent, a.n
			if a.n > 0 {
				avg := float64(a.total) / float64(a.n)
				ms.Average, ms.Score100 = round(avg, 2), round((avg-1)*25, 1)
			}
		}
		s.ByMonth = append(s.ByMonth, ms)
	}
	return s
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}
