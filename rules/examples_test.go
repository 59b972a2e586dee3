package rules

import (
	"path/filepath"
	"testing"
	"time"
)

// TestExamples decides with the shipped example rules, in the zone of the
// example maildesk.toml (config.TestExamples reads that file;
// desk.TestLoadExamples checks the two together).
func TestExamples(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "examples", "rules")
	set, err := LoadWithZone(dir, loc)
	if err != nil {
		t.Fatal(err)
	}
	// The mailboxes of examples/maildesk.toml.
	dep := Deployment{File: filepath.Join("..", "examples", "maildesk.toml"), Rules: dir}
	for _, name := range []string{"fta-pass", "qualification", "education", "correction"} {
		dep.Mailboxes = append(dep.Mailboxes, DeployedMailbox{Name: name})
	}
	if err := set.Validate(dep); err != nil {
		t.Fatal(err)
	}
	// Complaints go to VOC from any mailbox but the correction one.
	received := time.Date(2026, 11, 20, 17, 30, 0, 0, loc) // a Friday
	for _, tt := range []struct {
		mailbox, subject, category, handler string
	}{
		{"fta-pass", "직원이 불친절합니다", "voc", "kioi"},
		{"education", "Complaint about the course", "voc", "kioi"},
		{"correction", "불친절 시정요청", "correction", "kioi"},
		{"qualification", "시험 일정 문의", "qualification", "bslee"},
	} {
		d, err := set.Decide(Input{Mailbox: tt.mailbox, Subject: tt.subject, At: received})
		if err != nil {
			t.Fatal(err)
		}
		if d.Category.ID != tt.category || d.Handler.ID != tt.handler {
			t.Errorf("%s %q: got %s/%s (%s), want %s/%s", tt.mailbox, tt.subject, d.Category.ID, d.Handler.ID, d.Rule, tt.category, tt.handler)
		}
		if tt.category == "voc" {
			// 5 days of 8 working hours from Friday 17:30.
			if want := time.Date(2026, 11, 27, 17, 30, 0, 0, loc); !d.Due.Equal(want) || d.Category.Clock != ClockWorkingHours {
				t.Errorf("voc due: got %v on %s, want %v on working-hours", d.Due, d.Category.Clock, want)
			}
		}
	}
	// An inquiry's 48 hours skip weekends and holidays: Chuseok
	// (24–26 September 2026) and a weekend, and a Friday's weekend.
	// The delay notice goes a working day before, at the hour the inquiry
	// came in: never at night.
	for _, tt := range []struct{ received, due, notice time.Time }{
		{time.Date(2026, 9, 23, 10, 0, 0, 0, loc), time.Date(2026, 9, 29, 10, 0, 0, 0, loc), time.Date(2026, 9, 28, 10, 0, 0, 0, loc)},
		{time.Date(2026, 11, 20, 17, 30, 0, 0, loc), time.Date(2026, 11, 24, 17, 30, 0, 0, loc), time.Date(2026, 11, 23, 17, 30, 0, 0, loc)},
		// 제헌절 2027 on a Saturday: its substitute Monday 07-19 does not count.
		{time.Date(2027, 7, 16, 9, 0, 0, 0, loc), time.Date(2027, 7, 21, 9, 0, 0, 0, loc), time.Date(2027, 7, 20, 9, 0, 0, 0, loc)},
	} {
		d, err := set.Decide(Input{Mailbox: "fta-pass", Subject: "원산지 문의", At: tt.received})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Due.Equal(tt.due) || !d.NoticeAt.Equal(tt.notice) {
			t.Errorf("fta-pass received %v: got due %v notice %v, want %v and %v", tt.received, d.Due, d.NoticeAt, tt.due, tt.notice)
		}
	}
	want := map[string]struct{ tag, phone, email string }{
		"fta-pass":      {"FTA-PASS", "031-600-0722", "mslim@origin.or.kr"},
		"qualification": {"QUAL", "031-600-0745", "bslee@origin.or.kr"},
		"education":     {"EDU", "031-600-0743~44", "ohsk84@origin.or.kr"},
		"correction":    {"CORR", "031-600-0734", "kioi@origin.or.kr"},
	}
	if len(set.Mailboxes) != len(want) {
		t.Errorf("mailboxes: got %v, want %v", len(set.Mailboxes), len(want))
	}
	for _, mb := range set.Mailboxes {
		w, ok := want[mb.Name]
		if !ok {
			t.Errorf("unexpected mailbox %q", mb.Name)
			continue
		}
		d, err := set.Decide(Input{Mailbox: mb.Name})
		if err != nil {
			t.Fatal(err)
		}
		got := [...]string{d.Category.Tag, d.Handler.Phone, d.Handler.Email}
		if got != [...]string{w.tag, w.phone, w.email} {
			t.Errorf("%s: got %v, want %v", mb.Name, got, w)
		}
		// 48 hours on working days, as public institutions count them.
		if d.Category.Window != 48*time.Hour || d.Category.NoticeBefore != 24*time.Hour || d.Category.Clock != ClockBusinessDays {
			t.Errorf("%s: got window %v notice %v clock %v, want 48h0m0s 24h0m0s business-days",
				mb.Name, d.Category.Window, d.Category.NoticeBefore, d.Category.Clock)
		}
		if !d.Acknowledge {
			t.Errorf("%s: got acknowledge false, want true", mb.Name)
		}
	}
}
