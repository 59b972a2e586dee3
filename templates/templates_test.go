package templates

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func seoul(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func sampleAck(t testing.TB) Ack {
	loc := seoul(t)
	return Ack{
		Tag:        "[FTA-PASS #12]",
		Subject:    "원산지증명서 발급 문의 <script>alert(1)</script>",
		Category:   "FTA-PASS 문의",
		CategoryEn: "FTA-PASS inquiry",
		Customer:   "홍길동",
		Handler: Contact{
			Name:       "임민수",
			Department: "FTA-PASS 운영팀",
			Phone:      "031-600-0722",
			Email:      "mslim@origin.or.kr",
		},
		Received: time.Date(2026, 11, 25, 14, 0, 0, 0, loc),
		Due:      time.Date(2026, 11, 27, 14, 0, 0, 0, loc),
		Mailbox:  "fta-pass@origin.or.kr",
	}
}

func TestDates(t *testing.T) {
	loc := seoul(t)
	tests := []struct {
		t            time.Time
		korean, engl string
	}{
		{time.Date(2026, 11, 27, 14, 0, 0, 0, loc), "2026년 11월 27일(금) 14:00", "Friday, 27 November 2026, 14:00 KST"},
		{time.Date(2026, 1, 4, 9, 5, 0, 0, loc), "2026년 1월 4일(일) 09:05", "Sunday, 4 January 2026, 09:05 KST"},
		{time.Date(2026, 2, 16, 23, 59, 0, 0, loc), "2026년 2월 16일(월) 23:59", "Monday, 16 February 2026, 23:59 KST"},
		// The time is shown in its own zone: callers convert first.
		{time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC), "2026년 11월 27일(금) 05:00", "Friday, 27 November 2026, 05:00 UTC"},
		{time.Time{}, "", ""},
	}
	for _, tt := range tests {
		if got := kdate(tt.t); got != tt.korean {
			t.Errorf("kdate(%v): got %q, want %q", tt.t, got, tt.korean)
		}
		if got := edate(tt.t); got != tt.engl {
			t.Errorf("edate(%v): got %q, want %q", tt.t, got, tt.engl)
		}
	}
}

func TestRenderAck(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Names(), []string{"ack", "alert", "answer", "correction-ack", "correction-result", "fyi", "history", "interim", "notice", "original", "quarantine", "reminder", "report", "spoof", "staff", "staff-error", "survey", "survey-alert", "survey-thanks", "transfer"}; !slices.Equal(got, want) {
		t.Errorf("Names: got %v, want %v", got, want)
	}
	text, html, err := s.Render("ack", sampleAck(t))
	if err != nil {
		t.Fatal(err)
	}
	if html == "" {
		t.Fatal("got no HTML part, want one")
	}
	both := []string{
		"[FTA-PASS #12]",
		"임민수",
		"FTA-PASS 운영팀",
		"031-600-0722",
		"mslim@origin.or.kr",
		"문의가 접수되었습니다",
		"늦어도 2026년 11월 27일(금) 14:00까지 답변드리겠습니다",
		"지연 사유와 처리 예정일",
		"by Friday, 27 November 2026, 14:00 KST",
		"FTA-PASS inquiry",
		"fta-pass@origin.or.kr",
	}
	// Markup such as <strong> may sit inside a sentence.
	htmlText := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, "")
	for _, part := range []struct{ name, body string }{{"text", text}, {"html", htmlText}} {
		for _, want := range both {
			if !strings.Contains(part.body, want) {
				t.Errorf("%s part: missing %q", part.name, want)
			}
		}
		// Korean first, English below.
		if k, e := strings.Index(part.body, "안녕하십니까"), strings.Index(part.body, "Dear "); k < 0 || e < 0 || k > e {
			t.Errorf("%s part: got Korean at %d and English at %d, want Korean first", part.name, k, e)
		}
	}
	if !strings.Contains(text, "<script>alert(1)</script>") {
		t.Errorf("text part: got the subject altered, want it verbatim:\n%s", text)
	}
	if strings.Contains(html, "<script>") {
		t.Errorf("html part: got an unescaped <script>:\n%s", html)
	}
	if !strings.Contains(html, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("html part: got no escaped subject, want &lt;script&gt;alert(1)&lt;/script&gt;")
	}
}

func TestRenderOptionalContact(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	ack := sampleAck(t)
	ack.Handler.Department, ack.Handler.Phone = "", ""
	ack.Customer = ""
	text, _, err := s.Render("ack", ack)
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{"부서:", "전화:", "Phone:", " 님, 안녕하십니까"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("got %q for an empty value, want it left out", unwanted)
		}
	}
	if !strings.Contains(text, "Dear customer,") {
		t.Errorf("got no \"Dear customer,\" without a customer name")
	}
}

func TestRenderErrors(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Render("nope", sampleAck(t)); err == nil || !strings.Contains(err.Error(), "no such template") {
		t.Errorf("unknown template: got %v, want no such template", err)
	}
	if _, _, err := s.Render("ack", map[string]string{"Tag": "x"}); err == nil {
		t.Errorf("data without the fields: got no error, want one")
	}
}

func TestOverride(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "override"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Names(), []string{"ack", "alert", "answer", "correction-ack", "correction-result", "delay", "fyi", "history", "interim", "notice", "original", "quarantine", "reminder", "report", "spoof", "staff", "staff-error", "survey", "survey-alert", "survey-thanks", "transfer"}; !slices.Equal(got, want) {
		t.Errorf("Names: got %v, want %v", got, want)
	}
	text, html, err := s.Render("ack", sampleAck(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[FTA-PASS #12] 접수되었습니다. 담당: 임민수, 기한: 2026년 11월 27일(금) 14:00\n"; text != want {
		t.Errorf("text: got %q, want %q", text, want)
	}
	// Overriding ack.txt replaces the whole template: the built-in HTML
	// part would otherwise be what most clients show.
	if html != "" {
		t.Errorf("html: got %q, want none once ack.txt is overridden", html)
	}
}

func TestOverrideErrors(t *testing.T) {
	tests := []struct {
		dir   string
		want  []string
		lines []int // of each Error, for callers that sort by line
	}{
		{"broken", []string{
			"ack.html: ends in a non-text context (an unclosed tag, attribute or quote?)",
			"ack.txt:3: bad character U+007D '}'",
			"notice.txt:3: unexpected EOF",
		}, []int{0, 3, 3}},
		{"html-only", []string{
			"ack.html: no ack.txt beside it; every mail needs a text part",
		}, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tt.dir)
			s, err := Load(dir)
			if err == nil {
				t.Fatalf("got set %v, want an error", s.Names())
			}
			var want []string
			for _, w := range tt.want {
				want = append(want, filepath.Join(dir, w))
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
				t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %T, want Errors", err)
			}
			var lines []int
			for i, e := range errs {
				lines = append(lines, e.Line)
				if i < len(want) && e.File != strings.SplitN(want[i], ":", 2)[0] {
					t.Errorf("error %d: got file %q, want %q", i, e.File, strings.SplitN(want[i], ":", 2)[0])
				}
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("lines: got %v, want %v", lines, tt.lines)
			}
		})
	}

	if _, err := Load(filepath.Join("testdata", "does-not-exist")); err == nil {
		t.Errorf("missing override dir: got no error, want one")
	}
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"builtin/ack.txt", "builtin/ack.html"} {
		b, err := builtin.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.HasSuffix(name, ".html"))
	}
	f.Add([]byte("{{.Tag}"), false)
	f.Add([]byte(`<a href="{{.Mailbox}}>`), true)
	dir := f.TempDir()
	ack := sampleAck(f)
	f.Fuzz(func(t *testing.T, data []byte, isHTML bool) {
		if strings.Contains(string(data), "range") {
			t.Skip("a range over a large number would run for ages")
		}
		for _, name := range []string{"ack.txt", "ack.html"} {
			os.Remove(filepath.Join(dir, name))
		}
		txt, html := data, []byte(nil)
		if isHTML {
			txt, html = []byte("{{.Tag}}"), data
			if err := os.WriteFile(filepath.Join(dir, "ack.html"), html, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "ack.txt"), txt, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Load(dir)
		if err != nil {
			if !strings.HasPrefix(err.Error(), filepath.Join(dir, "ack.")) {
				t.Fatalf("got error %q, want one naming the file", err)
			}
			return
		}
		s.Render("ack", ack) // may fail, must not panic
	})
}

func TestRenderQuarantine(t *testing.T) {
	s, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	seoul, _ := time.LoadLocation("Asia/Seoul")
	text, html, err := s.Render("quarantine", Quarantine{
		Handler: Contact{Name: "임민수"}, Mailbox: "fta-pass@origin.or.kr", Tag: "[FTA-PASS #3]", TicketID: 3,
		Subject: "깨진 메일", Received: time.Date(2026, 11, 25, 14, 0, 0, 0, seoul), Reason: "missing closing boundary",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"임민수 님", "[FTA-PASS #3]", "(알 수 없음)", "2026년 11월 25일(수) 14:00", "missing closing boundary", "maildesk ticket 3"} {
		if !strings.Contains(text, want) {
			t.Errorf("quarantine text lacks %q:\n%s", want, text)
		}
	}
	if html != "" {
		t.Errorf("quarantine has no HTML part; got %q", html)
	}
}
