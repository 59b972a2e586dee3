package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// reports returns the monthly report mails queued so far, parsed.
func (f *fixture) reports() []*message.Message {
	f.t.Helper()
	var out []*message.Message
	for _, d := range f.state("").outbox {
		if d.Kind == KindReport {
			out = append(out, f.parsed(d))
		}
	}
	return out
}

func TestMonthlyReportMail(t *testing.T) {
	seoul, _ := time.LoadLocation("Asia/Seoul")
	files := map[string]string{"rules.toml": "report_to = [\"kioi\"]\n" + yearRules["rules.toml"]}
	f := newFixtureWith(t, rulesFrom(t, files))
	y := &year{fixture: f}
	moveTo := func(at time.Time) { f.clock.Add(at.Sub(f.clock.Now())) }

	// November: two inquiries, one answered in 4 hours.
	moveTo(time.Date(2026, 11, 10, 10, 0, 0, 0, seoul))
	y.inquiry("fta-pass", "고객1 <c1@example.co.kr>")
	moveTo(time.Date(2026, 11, 10, 14, 0, 0, 0, seoul))
	y.answer("fta-pass", 1, "mslim@origin.or.kr", "답변드립니다.\r\n")
	moveTo(time.Date(2026, 11, 30, 10, 0, 0, 0, seoul))
	y.inquiry("qualification", "고객2 <c2@example.co.kr>")

	steps := []struct {
		name    string
		at      time.Time
		restart bool
		want    int // report mails queued in all
	}{
		{"the evening before", time.Date(2026, 11, 30, 23, 0, 0, 0, seoul), false, 0},
		{"the 1st before 09:00", time.Date(2026, 12, 1, 8, 59, 59, 0, seoul), false, 0},
		{"the 1st at 09:00", time.Date(2026, 12, 1, 9, 0, 0, 0, seoul), false, 1},
		{"a pass later", time.Date(2026, 12, 1, 9, 0, 5, 0, seoul), false, 1},
		{"after a restart", time.Date(2026, 12, 1, 10, 0, 0, 0, seoul), true, 1},
		{"the next day", time.Date(2026, 12, 2, 9, 0, 0, 0, seoul), false, 1},
		// maildesk down on New Year's Day: the report goes at the first pass.
		{"January, late", time.Date(2027, 1, 3, 11, 0, 0, 0, seoul), true, 2},
		// Down more than a week on 1 February: the month is skipped.
		{"February, too late", time.Date(2027, 2, 9, 9, 0, 0, 0, seoul), false, 2},
		{"March", time.Date(2027, 3, 1, 9, 30, 0, 0, seoul), false, 3},
	}
	for _, s := range steps {
		moveTo(s.at)
		if s.restart {
			d2, err := New(Options{Store: f.store, Rules: f.desk.rules.Load(), Templates: f.desk.templates.Load(), Clock: f.clock,
				Location: seoul, Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}, {Name: "qualification", Address: "qualification@origin.or.kr"},
					{Name: "education", Address: "education@origin.or.kr"}}, Logger: f.desk.log})
			if err != nil {
				t.Fatal(err)
			}
			f.desk = d2
		}
		f.tick()
		if got := len(f.reports()); got != s.want {
			t.Fatalf("%s: %d report mails, want %d", s.name, got, s.want)
		}
	}

	rs := f.reports()
	m := rs[0]
	if m.To[0].Addr != "kioi@origin.or.kr" || m.Subject != "고객헌장 이행실적 2026-11 / Charter report 2026-11" ||
		m.Header.Get("X-Maildesk-Kind") != KindReport {
		t.Errorf("report mail: to %v, subject %q, kind %q", m.To, m.Subject, m.Header.Get("X-Maildesk-Kind"))
	}
	for _, want := range []string{"김이오 님,", "2026-11 고객헌장 이행실적입니다 (2026-11-01 ~ 2026-11-30)", "접수: 2건",
		"답변: 1건, 기한 내 1건 (100%)", "첫 답변 시간: 중앙값 4시간", "Received: 2"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("report text lacks %q:\n%s", want, m.Text)
		}
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Name != "charter-report-2026-11.html" || m.Attachments[0].ContentType != "text/html" {
		t.Fatalf("attachments: %+v", m.Attachments)
	}
	page := string(m.Attachments[0].Data)
	for _, want := range []string{`id="period">2026-11-01 ~ 2026-11-30<`, `id="received">2<`, `id="answered">1<`, `id="median_hours">4<`} {
		if !strings.Contains(page, want) {
			t.Errorf("attached report lacks %q", want)
		}
	}
	if !strings.Contains(rs[1].Subject, "2026-12") || !strings.Contains(rs[2].Subject, "2027-02") {
		t.Errorf("later reports: %q, %q", rs[1].Subject, rs[2].Subject)
	}
	var sent []byte
	f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		sent, err = tx.Setting(context.Background(), reportSentSetting)
		return err
	})
	if string(sent) != "2027-02" {
		t.Errorf("setting %s: %q, want 2027-02", reportSentSetting, sent)
	}
}
