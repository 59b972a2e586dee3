package desk

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// yearRules: one category on each clock, with delay notices, supervisor
// alerts and the survey at the close.
var yearRules = map[string]string{"rules.toml": `
[[handler]]
id = "mslim"
name = "임민수"
email = "mslim@origin.or.kr"

[[handler]]
id = "kioi"
name = "김이오"
email = "kioi@origin.or.kr"

[[handler]]
id = "boss"
name = "김팀장"
email = "boss@origin.or.kr"

[[category]]
id = "fta-pass"
name = "FTA-PASS 문의"
tag = "FTA-PASS"
window = "48h"
clock = "calendar"
notice_before = "8h"
supervisor = "boss"
survey = true
survey_delay = "0s"

[[category]]
id = "qual"
name = "자격 문의"
tag = "QUAL"
window = "48h"
clock = "business-days"
notice_before = "8h"
supervisor = "boss"
survey = true
survey_delay = "0s"

[[category]]
id = "voc"
name = "고객의 소리"
tag = "VOC"
window = "40h"
clock = "working-hours"
notice_before = "8h"
supervisor = "boss"
survey = true
survey_delay = "0s"
auto_close = "0"

[[mailbox]]
name = "fta-pass"
category = "fta-pass"
handler = "mslim"

[[mailbox]]
name = "qualification"
category = "qual"
handler = "kioi"

[[category]]
id = "corr"
name = "시정 요청"
tag = "CORR"
window = "48h"
clock = "business-days"
notice_before = "8h"
supervisor = "boss"
compensation = 10000

[[mailbox]]
name = "education"
category = "voc"
handler = "kioi"

[[mailbox]]
name = "correction"
category = "corr"
handler = "kioi"
`}

// year drives a desk through 2026 on the injected clock.
type year struct {
	*fixture
	uid uint32
}

func (y *year) moveTo(at time.Time) { y.clock.Add(at.Sub(y.clock.Now())) }

// newest returns the newest queued mail of kind on ticket id.
func (y *year) newest(id int64, kind string) *message.Message {
	y.t.Helper()
	var ds []*store.Delivery
	err := y.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		ds, err = tx.Deliveries(context.Background(), "")
		return err
	})
	if err != nil {
		y.t.Fatal(err)
	}
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].TicketID == id && ds[i].Kind == kind {
			return y.parsed(ds[i])
		}
	}
	y.t.Fatalf("ticket %d: no %s queued", id, kind)
	return nil
}

func (y *year) deliverTo(mbox string, m mail) {
	y.t.Helper()
	y.uid++
	m.id = fmt.Sprintf("y%d@x", y.uid)
	y.deliver(mbox, 1, y.uid, m.raw())
}

// inquiry delivers a customer's inquiry to mbox and returns its ticket.
func (y *year) inquiry(mbox, customer string) int64 {
	y.t.Helper()
	y.deliverTo(mbox, mail{from: customer, to: mbox + "@origin.or.kr", subject: "문의 " + customer})
	var id int64
	y.store.Read(context.Background(), func(tx *store.Tx) error {
		ts := must(tx.Tickets(context.Background(), store.TicketFilter{}))
		for _, t := range ts {
			id = max(id, t.ID)
		}
		return nil
	})
	return id
}

// answer is the handler's reply to the newest notice of ticket id.
func (y *year) answer(mbox string, id int64, from, body string) {
	y.t.Helper()
	n := y.newest(id, KindStaffNotice)
	y.deliverTo(mbox, mail{from: from, to: n.ReplyTo[0].Addr, subject: "RE: " + n.Subject, body: body,
		headers: []string{"In-Reply-To: <" + n.MessageID + ">", "References: <" + n.MessageID + ">"}})
}

// rate is the customer's reply to ticket id's survey.
func (y *year) rate(mbox string, id int64, customer string, rating int) {
	y.t.Helper()
	s := y.newest(id, KindSurvey)
	y.deliverTo(mbox, mail{from: customer, to: mbox + "@origin.or.kr", subject: "Re: " + s.Subject, body: fmt.Sprintf("%d\r\n", rating),
		headers: []string{"In-Reply-To: <" + s.MessageID + ">", "References: <" + s.MessageID + ">"}})
}

// tickAt runs the deadline clock at the ticket's notice or deadline.
func (y *year) tickAt(at time.Time) {
	y.t.Helper()
	y.moveTo(at)
	y.tick()
}

// simulatedYear builds 2026 (dates in Seoul):
//
//	1 fta-pass (calendar)      Tue 6 Jan 10:00, answered 14:00 (4 h) and closed; rated 5
//	2 fta-pass                 Mon 2 Feb 10:00, notice Wed 4 02:00, answered 09:00 (47 h); rated 4
//	3 fta-pass                 Tue 3 Mar 10:00, notice, alert Thu 5 10:00, answered 12:00 (50 h, late);
//	                           rated 2 on Fri 6 10:00: reopened, answered again 15:00
//	4 qual (business days)     Wed 23 Sep 10:00, answered Fri 25 10:00 in Chuseok: 48 h, 14 h on the clock;
//	                           surveyed, no rating
//	5 voc (working hours)      Fri 20 Nov 17:30, answered Mon 23 10:00: 64.5 h, 1.5 working hours; not closed
//	6 qual                     Tue 1 Dec 10:00, never answered: notice Thu 3 02:00, alert 10:00; overdue
//	7 fta-pass                 Thu 3 Dec 16:00, open, due Sat 5 16:00
//	8 corr (business days)     Thu 3 Dec 17:00, a correction request; #uphold Fri 4 09:00: 10,000 KRW, closed
//	9 voc by phone             Fri 4 Dec 10:00, registered without an email address; open
func simulatedYear(t *testing.T) (*fixture, time.Time) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, seoul) }
	y := &year{fixture: newFixtureWith(t, rulesFrom(t, yearRules))}
	const (
		mslim = "mslim@origin.or.kr"
		kioi  = "kioi@origin.or.kr"
	)
	customer := func(n int) string { return fmt.Sprintf("고객%d <c%d@example.co.kr>", n, n) }
	steps := []struct {
		at time.Time
		do func()
	}{
		{at(1, 6, 10, 0), func() { y.inquiry("fta-pass", customer(1)) }},
		{at(1, 6, 14, 0), func() { y.answer("fta-pass", 1, mslim, "#close\r\n답변드립니다.\r\n") }},
		{at(1, 7, 9, 0), func() { y.rate("fta-pass", 1, customer(1), 5) }},

		{at(2, 2, 10, 0), func() { y.inquiry("fta-pass", customer(2)) }},
		{at(2, 4, 2, 0), y.tick0},
		{at(2, 4, 9, 0), func() { y.answer("fta-pass", 2, mslim, "#close\r\n답변드립니다.\r\n") }},
		{at(2, 5, 9, 0), func() { y.rate("fta-pass", 2, customer(2), 4) }},

		{at(3, 3, 10, 0), func() { y.inquiry("fta-pass", customer(3)) }},
		{at(3, 5, 2, 0), y.tick0},
		{at(3, 5, 10, 0), y.tick0},
		{at(3, 5, 12, 0), func() { y.answer("fta-pass", 3, mslim, "#close\r\n늦어서 죄송합니다.\r\n") }},
		{at(3, 6, 10, 0), func() { y.rate("fta-pass", 3, customer(3), 2) }},
		{at(3, 6, 15, 0), func() { y.answer("fta-pass", 3, mslim, "#close\r\n다시 안내드립니다.\r\n") }},

		{at(9, 23, 10, 0), func() { y.inquiry("qualification", customer(4)) }},
		{at(9, 25, 10, 0), func() { y.answer("qualification", 4, kioi, "#close\r\n답변드립니다.\r\n") }},

		{at(11, 20, 17, 30), func() { y.inquiry("education", customer(5)) }},
		{at(11, 23, 10, 0), func() { y.answer("education", 5, kioi, "답변드립니다.\r\n") }},

		{at(12, 1, 10, 0), func() { y.inquiry("qualification", customer(6)) }},
		{at(12, 3, 2, 0), y.tick0},
		{at(12, 3, 10, 0), y.tick0},
		{at(12, 3, 16, 0), func() { y.inquiry("fta-pass", customer(7)) }},

		{at(12, 3, 17, 0), func() { y.inquiry("correction", customer(8)) }},
		{at(12, 4, 9, 0), func() { y.answer("correction", 8, kioi, "#uphold\r\n불편을 드려 죄송합니다.\r\n") }},

		{at(12, 4, 10, 0), func() {
			_, err := y.desk.Register(context.Background(), Registration{Category: "voc", Channel: "phone", Name: "홍길동",
				Phone: "010-1234-5678", Subject: "전화 민원", Text: "전화로 불편을 말씀하셨습니다.", Received: y.clock.Now(), By: "cli"})
			if err != nil {
				y.t.Fatal(err)
			}
		}},
	}
	for _, s := range steps {
		y.moveTo(s.at)
		s.do()
	}
	now := at(12, 4, 12, 0)
	y.moveTo(now)
	return y.fixture, now
}

func (y *year) tick0() { y.t.Helper(); y.tick() }

func TestReportSimulatedYear(t *testing.T) {
	f, now := simulatedYear(t)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	ctx := context.Background()
	r, err := f.desk.Report(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, seoul), time.Date(2027, 1, 1, 0, 0, 0, 0, seoul), "")
	if err != nil {
		t.Fatal(err)
	}
	if !r.GeneratedAt.Equal(now) {
		t.Errorf("generated at %v, want %v", r.GeneratedAt, now)
	}
	// The JSON document, read back as a reader of it would.
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	groupOf := func(list, id string) map[string]any {
		for _, g := range doc["tickets"].(map[string]any)[list].([]any) {
			if g := g.(map[string]any); g["id"] == id {
				return g
			}
		}
		t.Fatalf("tickets.%s has no %q", list, id)
		return nil
	}
	tests := []struct {
		path string
		want any
	}{
		{"period.from", "2026-01-01"},
		{"period.to", "2026-12-31"},
		{"tickets.received", 9.0},
		{"tickets.received_by_channel.email", 8.0},
		{"tickets.received_by_channel.phone", 1.0},
		{"tickets.answered", 6.0},         // 1-5, and 8 by its #uphold
		{"tickets.answered_on_time", 5.0}, // 3 was late; its re-contact window does not make it on time
		{"tickets.on_time_rate", 0.8333},
		{"tickets.notices_sent", 3.0}, // 2, 3, 6
		{"tickets.deadlines_passed", 2.0},
		{"tickets.reopened", 1.0},
		{"tickets.open", 3.0},    // 6, 7, 9
		{"tickets.overdue", 1.0}, // 6
		// Plain hours 4, 16, 47, 48, 50, 64.5: the median halfway
		// between the middle two, p90 the 6th of 6 (nearest rank).
		{"first_response.count", 6.0},
		{"first_response.median_hours", 47.5},
		{"first_response.p90_hours", 64.5},
		// On the categories' clocks 4, 47, 50 (calendar), 14 (business
		// days: Chuseok counts nothing), 16 (business days, Thu 17:00 to
		// Fri 09:00), 1.5 (working hours).
		{"first_response.median_clock_hours", 15.0},
		{"first_response.p90_clock_hours", 50.0},
		{"survey.sent", 4.0},
		{"survey.responses", 3.0},
		{"survey.response_rate", 0.75},
		{"survey.average", 3.67},
		{"survey.score100", 66.7},
		{"survey.distribution.5", 1.0},
		{"survey.distribution.4", 1.0},
		{"survey.distribution.3", 0.0},
		{"survey.distribution.2", 1.0},
		{"corrections.received", 1.0},
		{"corrections.upheld", 1.0},
		{"corrections.dismissed", 0.0},
		{"corrections.compensation_krw", 10000.0},
		{"corrections.paid", 0.0},
		{"corrections.unpaid", 1.0},
	}
	for _, tt := range tests {
		var v any = doc
		for _, k := range strings.Split(tt.path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: %v is not an object", tt.path, v)
			}
			v = m[k]
		}
		if v != tt.want {
			t.Errorf("%s: got %v, want %v", tt.path, v, tt.want)
		}
	}
	groups := []struct {
		list, id                                          string
		received, answered, onTime, notices, passed, open float64
		rate, median                                      float64
	}{
		{"by_category", "fta-pass", 4, 3, 2, 2, 1, 1, 0.6667, 47},
		{"by_category", "qual", 2, 1, 1, 1, 1, 1, 1, 48},
		{"by_category", "voc", 2, 1, 1, 0, 0, 1, 1, 64.5},
		{"by_category", "corr", 1, 1, 1, 0, 0, 0, 1, 16},
		{"by_handler", "mslim", 4, 3, 2, 2, 1, 1, 0.6667, 47},
		{"by_handler", "kioi", 5, 3, 3, 1, 1, 2, 1, 48},
		{"by_month", "2026-01", 1, 1, 1, 0, 0, 0, 1, 4},
		{"by_month", "2026-03", 1, 1, 0, 1, 1, 0, 0, 50},
		{"by_month", "2026-06", 0, 0, 0, 0, 0, 0, 0, 0},
		{"by_month", "2026-12", 4, 1, 1, 1, 1, 3, 1, 16},
		{"by_channel", "email", 8, 6, 5, 3, 2, 2, 0.8333, 47.5},
		{"by_channel", "phone", 1, 0, 0, 0, 0, 1, 0, 0},
	}
	for _, g := range groups {
		got := groupOf(g.list, g.id)
		for k, want := range map[string]float64{"received": g.received, "answered": g.answered, "answered_on_time": g.onTime,
			"notices_sent": g.notices, "deadlines_passed": g.passed, "open": g.open, "on_time_rate": g.rate} {
			if got[k] != want {
				t.Errorf("tickets.%s[%s].%s: got %v, want %v", g.list, g.id, k, got[k], want)
			}
		}
		if m := got["first_response"].(map[string]any)["median_hours"]; m != g.median {
			t.Errorf("tickets.%s[%s].first_response.median_hours: got %v, want %v", g.list, g.id, m, g.median)
		}
	}
	if n := len(r.Tickets.ByMonth); n != 12 {
		t.Errorf("by_month has %d months, want 12", n)
	}
	wantDist := map[string]int{"0-1h": 0, "1-4h": 1, "4-8h": 0, "8-24h": 1, "24-48h": 2, "48-72h": 2, "72h+": 0}
	for _, bk := range r.First.Distribution {
		if bk.Count != wantDist[bk.Label] {
			t.Errorf("first-response bucket %s: got %d, want %d", bk.Label, bk.Count, wantDist[bk.Label])
		}
	}
	if len(r.Survey.ByHandler) != 1 || r.Survey.ByHandler[0].ID != "mslim" || r.Survey.ByHandler[0].Responses != 3 || r.Survey.ByHandler[0].Average != 3.67 {
		t.Errorf("survey by handler: got %+v", r.Survey.ByHandler)
	}
	for _, m := range r.Survey.ByMonth {
		want := map[string]MonthSurveys{"2026-01": {"2026-01", 1, 1, 5, 100}, "2026-02": {"2026-02", 1, 1, 4, 75},
			"2026-03": {"2026-03", 1, 1, 2, 25}, "2026-09": {"2026-09", 1, 0, 0, 0}}[m.Month]
		want.Month = m.Month
		if m != want {
			t.Errorf("survey by month %s: got %+v, want %+v", m.Month, m, want)
		}
	}

	// One category: the figures of its tickets only.
	q, err := f.desk.Report(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, seoul), time.Date(2027, 1, 1, 0, 0, 0, 0, seoul), "qual")
	if err != nil {
		t.Fatal(err)
	}
	if q.Tickets.Received != 2 || q.Tickets.Overdue != 1 || q.Survey.Sent != 1 || q.Survey.Responses != 0 || len(q.Tickets.ByCategory) != 1 {
		t.Errorf("-category qual: got %+v, survey %+v", q.Tickets.TicketFigures, q.Survey)
	}

	// The CSV: a header and one row per ticket, with the inputs.
	b.Reset()
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("csv: %d rows, header %v", len(rows), rows[0])
	}
	col := func(row []string, name string) string {
		for i, h := range csvHeader {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	if r3 := rows[3]; col(r3, "ticket_id") != "3" || col(r3, "on_time") != "false" || col(r3, "first_response_hours") != "50" ||
		col(r3, "notices_sent") != "1" || col(r3, "deadlines_passed") != "1" || col(r3, "reopened") != "1" || col(r3, "rating") != "2" {
		t.Errorf("csv row of ticket 3: %v", r3)
	}
	if r4 := rows[4]; col(r4, "clock") != "business-days" || col(r4, "first_response_clock_hours") != "14" || col(r4, "rating") != "" || col(r4, "survey_sent_at") == "" {
		t.Errorf("csv row of ticket 4: %v", r4)
	}
}

// TestReportRenderingsShowTheJSONNumbers: text and HTML print the JSON's
// numbers, formatted alike, and nothing computed on the side.
func TestReportRenderingsShowTheJSONNumbers(t *testing.T) {
	f, _ := simulatedYear(t)
	seoul, _ := time.LoadLocation("Asia/Seoul")
	r, err := f.desk.Report(context.Background(), time.Date(2026, 1, 1, 0, 0, 0, 0, seoul), time.Date(2027, 1, 1, 0, 0, 0, 0, seoul), "")
	if err != nil {
		t.Fatal(err)
	}
	var js, text, page bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tickets struct {
			Received, Answered, AnsweredOnTime, NoticesSent, DeadlinesPassed, Reopened, Open, Overdue float64
			OnTimeRate                                                                                float64 `json:"on_time_rate"`
			ByCategory                                                                                []struct {
				ID, Name      string
				Received      float64
				OnTimeRate    float64 `json:"on_time_rate"`
				FirstResponse struct {
					MedianHours float64 `json:"median_hours"`
				} `json:"first_response"`
			} `json:"by_category"`
		}
		First struct {
			MedianHours      float64 `json:"median_hours"`
			P90Hours         float64 `json:"p90_hours"`
			MedianClockHours float64 `json:"median_clock_hours"`
		} `json:"first_response"`
		Survey struct {
			Average, Score100 float64
			ResponseRate      float64 `json:"response_rate"`
		}
	}
	// encoding/json matches answered_on_time to AnsweredOnTime and so on
	// case-insensitively only without underscores: spell those out.
	raw := strings.NewReplacer(`"answered_on_time"`, `"AnsweredOnTime"`, `"notices_sent"`, `"NoticesSent"`,
		`"deadlines_passed"`, `"DeadlinesPassed"`).Replace(js.String())
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatal(err)
	}
	d := doc.Tickets
	wantText := []string{
		"접수 / received:             " + num(d.Received),
		"기한 내 답변 / on time:      " + num(d.AnsweredOnTime) + " (" + num(d.OnTimeRate*100) + "%)",
		"지연 안내 / delay notices:   " + num(d.NoticesSent),
		"기한 경과 / deadlines passed: " + num(d.DeadlinesPassed),
		"overdue now: " + num(d.Overdue),
		"중앙값 / median:  " + num(doc.First.MedianHours) + " h (분류 기준 시간 / on the category's clock: " + num(doc.First.MedianClockHours) + " h)",
		"90% / p90:        " + num(doc.First.P90Hours) + " h",
		"평균 / average:         " + num(doc.Survey.Average) + " / 5 (" + num(doc.Survey.Score100) + " / 100)",
	}
	wantHTML := []string{
		`id="received">` + num(d.Received) + `<`, `id="on_time_rate">` + num(d.OnTimeRate*100) + `%<`,
		`id="median_hours">` + num(doc.First.MedianHours) + `<`, `id="p90_hours">` + num(doc.First.P90Hours) + `<`,
		`id="survey_score100">` + num(doc.Survey.Score100) + `<`,
	}
	for _, c := range d.ByCategory {
		wantText = append(wantText, pad(c.ID, 14)+" "+pad(c.Name, 16)+fmt.Sprintf(" %6s", num(c.Received)))
		wantHTML = append(wantHTML, fmt.Sprintf(`<td class="l">%s</td><td class="l">%s</td><td>%s</td>`, c.ID, c.Name, num(c.Received)),
			fmt.Sprintf(`<title>%s: %s%%</title>`, c.Name, num(c.OnTimeRate*100)))
	}
	for _, w := range wantText {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	for _, w := range wantHTML {
		if !strings.Contains(page.String(), w) {
			t.Errorf("HTML lacks %q", w)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "url("} {
		if strings.Contains(strings.ReplaceAll(page.String(), `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("HTML is not self-contained: has %q", bad)
		}
	}
}

func TestMedianAndP90(t *testing.T) {
	tests := []struct {
		xs          []float64
		median, p90 float64
	}{
		{nil, 0, 0},
		{[]float64{3}, 3, 3},
		{[]float64{5, 1}, 3, 5},
		{[]float64{4, 47, 48, 50, 64.5}, 48, 64.5},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 9},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6, 10},
		{[]float64{0.33, 0.34}, 0.34, 0.34}, // the mean of the middle two, to two places
	}
	for _, tt := range tests {
		if got := median(tt.xs); got != tt.median {
			t.Errorf("median(%v): got %v, want %v", tt.xs, got, tt.median)
		}
		if got := p90(tt.xs); got != tt.p90 {
			t.Errorf("p90(%v): got %v, want %v", tt.xs, got, tt.p90)
		}
	}
}

// TestReportChannels: tickets of several channels (as VOC registered by
// phone will be, once tickets have a channel) are counted per channel,
// mail first.
func TestReportChannels(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	at := time.Date(2026, 5, 6, 10, 0, 0, 0, seoul)
	answered := at.Add(2 * time.Hour)
	var rows []reportRow
	for i, ch := range []string{"phone", "email", "visit", "phone", "email"} {
		tk := &store.ReportTicket{ID: int64(i + 1), Category: "voc", Channel: ch, Status: store.StatusOpen, CreatedAt: at}
		if ch == "phone" {
			tk.AnsweredAt, tk.FirstAnswerAt, tk.Status = &answered, &answered, store.StatusAnswered
		}
		rows = append(rows, ticketRow(tk, nil, at, nil))
	}
	tr := ticketsReport(rows, nil, seoul, []string{"2026-05"})
	var got []string
	for _, g := range tr.ByChannel {
		got = append(got, fmt.Sprintf("%s:%s:%d/%d", g.ID, g.Name, g.Received, g.Answered))
	}
	if want := "email:전자우편:2/0 phone:전화:2/2 visit:방문:1/0"; strings.Join(got, " ") != want {
		t.Errorf("by channel: got %v, want %s", got, want)
	}
	if c := tr.ReceivedByChannel; c["email"] != 2 || c["phone"] != 2 || c["visit"] != 1 || tr.Received != 5 {
		t.Errorf("received by channel: %v", c)
	}
	if c := tr.ByCategory[0].ReceivedByChannel; c["phone"] != 2 {
		t.Errorf("VOC by channel: %v", c)
	}
}
