package rules

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

func loadFull(t *testing.T) *Set {
	t.Helper()
	set, err := Load(filepath.Join("testdata", "rules", "full"))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRoutes(t *testing.T) {
	set := loadFull(t)
	tests := []struct {
		name     string
		in       Input
		category string
		handler  string
		priority string
		ack      bool
		rule     string
	}{
		{"mailbox default", Input{Mailbox: "fta-pass", Subject: "일반 문의"},
			"fta-pass", "mslim", "normal", true, "mailbox fta-pass default"},
		{"mailbox default priority", Input{Mailbox: "education", Subject: "교육 일정"},
			"edu", "bslee", "low", true, "mailbox education default"},
		// The disabled route before it would match too.
		{"keyword in subject", Input{Mailbox: "fta-pass", Subject: "민원 제기합니다"},
			"voc", "kioi", "high", true, `d-routes.toml:6 (keyword "민원" in subject)`},
		{"keyword in body, any case", Input{Mailbox: "education", Text: "A COMPLAINT about the course"},
			"voc", "kioi", "high", true, `d-routes.toml:6 (keyword "Complaint" in body)`},
		{"decomposed Korean", Input{Mailbox: "fta-pass", Subject: norm.NFD.String("직원이 불친절합니다")},
			"voc", "kioi", "high", true, `d-routes.toml:6 (keyword "불친절" in subject)`},
		{"mailbox and sender domain", Input{Mailbox: "education", From: "Lee@Customs.go.kr"},
			"edu", "kioi", "low", true, `d-routes.toml:11 (mailbox "education", sender domain "@customs.go.kr")`},
		{"sender subdomain", Input{Mailbox: "education", From: "<a@seoul.customs.go.kr>"},
			"edu", "kioi", "low", true, `d-routes.toml:11 (mailbox "education", sender domain "@customs.go.kr")`},
		{"sender domain, other mailbox", Input{Mailbox: "fta-pass", From: "lee@customs.go.kr"},
			"fta-pass", "mslim", "normal", true, "mailbox fta-pass default"},
		{"look-alike domain", Input{Mailbox: "education", From: "lee@notcustoms.go.kr"},
			"edu", "bslee", "low", true, "mailbox education default"},
		{"sender address", Input{Mailbox: "fta-pass", From: "Boss@Example.com"},
			"fta-pass", "mslim", "normal", false, `d-routes.toml:16 (sender "boss@example.com")`},
		{"recipient with plus address", Input{Mailbox: "fta-pass", To: []string{"a@example.org", "urgent+t1.abc@origin.or.kr"}},
			"fta-pass", "mslim", "high", true, `d-routes.toml:20 (recipient "urgent@origin.or.kr" (urgent+t1.abc@origin.or.kr))`},
		{"body keyword and mailbox", Input{Mailbox: "fta-pass", Text: "환불 요청드립니다"},
			"fta-pass", "kioi", "normal", true, `d-routes.toml:24 (mailbox "fta-pass", keyword "환불" in body)`},
		{"body keyword, other mailbox", Input{Mailbox: "education", Text: "환불 요청드립니다"},
			"edu", "bslee", "low", true, "mailbox education default"},
		{"attachment pattern", Input{Mailbox: "fta-pass", Attachments: []string{"견적서.pdf"}},
			"edu", "mslim", "normal", true, `d-routes.toml:29 (has an attachment, attachment "견적서.pdf" matches "*.PDF")`},
		{"Korean attachment pattern", Input{Mailbox: "fta-pass", Attachments: []string{"", "사업자등록증 사본.jpg"}},
			"edu", "mslim", "normal", true, `d-routes.toml:29 (has an attachment, attachment "사업자등록증 사본.jpg" matches "*사업자등록증*")`},
		{"attachment not matching", Input{Mailbox: "fta-pass", Subject: "첨부", Attachments: []string{"photo.jpg"}},
			"fta-pass", "mslim", "normal", true, "mailbox fta-pass default"},
		{"no attachment", Input{Mailbox: "fta-pass", Subject: "첨부 누락"},
			"fta-pass", "mslim", "low", true, `d-routes.toml:34 (keyword "첨부" in subject, no attachment)`},
		{"mailbox without a rule, route names the category", Input{Mailbox: "voc", Subject: "민원"},
			"voc", "kioi", "high", true, `d-routes.toml:6 (keyword "민원" in subject)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := set.Decide(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := [...]any{d.Category.ID, d.Handler.ID, d.Priority, d.Acknowledge, d.Rule}
			want := [...]any{tt.category, tt.handler, tt.priority, tt.ack, tt.rule}
			if got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestDecideNoRule(t *testing.T) {
	set := loadFull(t)
	for _, in := range []Input{
		{Mailbox: "nowhere", Subject: "hello"},
		// The route sets a category without a handler of its own.
		{Mailbox: "nowhere", Attachments: []string{"a.pdf"}},
	} {
		if _, err := set.Decide(in); !errors.Is(err, ErrNoRule) {
			t.Errorf("Decide(%+v): got %v, want ErrNoRule", in, err)
		}
	}
}

func TestDecideDeadlines(t *testing.T) {
	set := loadFull(t)
	tests := []struct {
		name         string
		in           Input
		due, notice  string
		wantCategory string
	}{
		// business-days 48h over Chuseok; the notice 8h before on the
		// same clock.
		{"inquiry over Chuseok", Input{Mailbox: "fta-pass", Subject: "문의", At: at(t, "2026-09-23 10:00")},
			"2026-09-29 10:00", "2026-09-29 02:00", "fta-pass"},
		// working-hours 5d = 40 working hours; notice 1d = 8 working
		// hours before.
		{"VOC from Friday 17:30", Input{Mailbox: "fta-pass", Subject: "민원", At: at(t, "2026-11-20 17:30")},
			"2026-11-27 17:30", "2026-11-26 17:30", "voc"},
		// 90s on the working clock (written "working"), no notice.
		{"short window for tests", Input{Mailbox: "education", At: at(t, "2026-11-25 11:59")},
			"2026-11-25 13:00:30", "2026-11-25 13:00:30", "edu"},
	}
	for _, tt := range tests {
		d, err := set.Decide(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if d.Category.ID != tt.wantCategory || !d.Due.Equal(at(t, tt.due)) || !d.NoticeAt.Equal(at(t, tt.notice)) {
			t.Errorf("%s: got %s due %v notice %v, want %s due %s notice %s",
				tt.name, d.Category.ID, d.Due, d.NoticeAt, tt.wantCategory, tt.due, tt.notice)
		}
		if !d.Due.Equal(d.Category.Due(tt.in.At)) {
			t.Errorf("%s: Category.Due got %v, want %v", tt.name, d.Category.Due(tt.in.At), d.Due)
		}
	}
	d, err := set.Decide(Input{Mailbox: "fta-pass"})
	if err != nil || !d.Due.IsZero() || !d.NoticeAt.IsZero() {
		t.Errorf("without At: got %v %v %v, want zero times", d.Due, d.NoticeAt, err)
	}
}

func TestAbsenceDelegation(t *testing.T) {
	set := loadFull(t)
	tests := []struct {
		name            string
		at              time.Time
		handler, absent string
	}{
		{"before the absence", at(t, "2026-08-02 23:59"), "mslim", ""},
		{"first day", at(t, "2026-08-03 00:00"), "bslee", "mslim"},
		// The day is the calendar's: 2026-08-07 23:30 in Seoul is still
		// the 7th there, although it is the 7th 14:30 in UTC.
		{"last day, given in UTC", at(t, "2026-08-07 23:30").UTC(), "bslee", "mslim"},
		{"after the absence", at(t, "2026-08-08 00:00"), "mslim", ""},
		{"second absence, string dates", at(t, "2026-12-31 12:00"), "kioi", "mslim"},
	}
	for _, tt := range tests {
		d, err := set.Decide(Input{Mailbox: "fta-pass", At: tt.at})
		if err != nil {
			t.Fatal(err)
		}
		absent := ""
		if d.Absent != nil {
			absent = d.Absent.ID
		}
		if d.Handler.ID != tt.handler || absent != tt.absent {
			t.Errorf("%s: got handler %s absent %q, want %s and %q", tt.name, d.Handler.ID, absent, tt.handler, tt.absent)
		}
	}
	// A route's handler is replaced too.
	d, err := set.Decide(Input{Mailbox: "fta-pass", Text: "환불", At: at(t, "2026-08-04 10:00")})
	if err != nil || d.Handler.ID != "kioi" || d.Absent != nil {
		t.Errorf("route to a present handler: got %v, %v", d.Handler, err)
	}
}

// TestDelegateChain follows delegates who are away too, which Load
// rejects but a Set built by hand may have, and stops at loops.
func TestDelegateChain(t *testing.T) {
	day := Date{2026, time.August, 5}
	away := func(delegate string) []Absence {
		return []Absence{{From: day, To: day, Delegate: delegate}}
	}
	a := &Handler{ID: "a", Absences: away("b")}
	b := &Handler{ID: "b", Absences: away("c")}
	c := &Handler{ID: "c"}
	x := &Handler{ID: "x", Absences: away("y")}
	y := &Handler{ID: "y", Absences: away("x")}
	set := &Set{Handlers: map[string]*Handler{"a": a, "b": b, "c": c, "x": x, "y": y}}
	when := at(t, "2026-08-05 10:00")
	tests := []struct {
		h    *Handler
		want string
		ok   bool
	}{
		{a, "c", true},
		{b, "c", true},
		{c, "c", false},
		{x, "y", true}, // y's delegate x is where the chain started
	}
	for _, tt := range tests {
		got, ok := set.Delegate(tt.h, when)
		if got.ID != tt.want || ok != tt.ok {
			t.Errorf("Delegate(%s): got %s %v, want %s %v", tt.h.ID, got.ID, ok, tt.want, tt.ok)
		}
	}
	if got, ok := set.Delegate(a, when.AddDate(0, 0, 1)); got != a || ok {
		t.Errorf("Delegate the day after: got %s %v, want a false", got.ID, ok)
	}
}

func TestLoadFull(t *testing.T) {
	set := loadFull(t)
	if len(set.Routes) != 8 || !set.Routes[0].Disabled || set.Routes[1].Where() != "d-routes.toml:6" {
		t.Errorf("routes: got %d, first disabled %v, second at %s", len(set.Routes), set.Routes[0].Disabled, set.Routes[1].Where())
	}
	voc := set.Categories["voc"]
	checks := []struct {
		name      string
		got, want any
	}{
		{"voc window", voc.Window, 40 * time.Hour},
		{"voc notice", voc.NoticeBefore, 8 * time.Hour},
		{"voc reason", voc.NoticeReason, "확인 중입니다."},
		{"voc status", voc.NoticeStatus, "조사 중입니다."},
		{"voc templates", voc.AckTemplate + " " + voc.NoticeTemplate, "ack-voc notice-voc"},
		{"edu window", set.Categories["edu"].Window, 90 * time.Second},
		{"edu clock", set.Categories["edu"].Clock, ClockWorkingHours},
		{"fta-pass window", set.Categories["fta-pass"].Window, 48 * time.Hour},
		{"absences", len(set.Handlers["mslim"].Absences), 2},
		{"calendar", set.Calendar.String(), "Asia/Seoul, 09:00-12:00 13:00-18:00, Mon Tue Wed Thu Fri, added 2027-05-10, removed 2026-06-03"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}
