package desk

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

func TestParseRating(t *testing.T) {
	tests := []struct {
		name, subject, text string
		want                int // 0: no rating
		comment             string
	}{
		{"digit", "", "5", 5, ""},
		{"points", "", "5점", 5, ""},
		{"points, spaced, polite", "", "4 점 드립니다.", 4, ""},
		{"full-width digit", "", "５", 5, ""},
		{"label", "", "평점: 3", 3, ""},
		{"out of five", "", "2/5", 2, ""},
		{"매우 만족", "", "매우 만족", 5, ""},
		{"매우만족 without a space", "", "매우만족합니다!", 5, ""},
		{"만족", "", "만족", 4, ""},
		{"만족합니다", "", "만족합니다.", 4, ""},
		{"보통", "", "보통이에요", 3, ""},
		{"불만", "", "불만", 2, ""},
		{"불만족", "", "불만족입니다", 2, ""},
		{"매우 불만", "", "매우 불만", 1, ""},
		{"아주 불만족", "", "아주 불만족", 1, ""},
		{"english", "", "Very satisfied", 5, ""},
		{"stars", "", "★★★★", 4, ""},
		{"rating then comment below", "", "5\r\n친절하게 답해 주셔서 감사합니다.", 5, "친절하게 답해 주셔서 감사합니다."},
		{"points then comment on the line", "", "2점. 답변이 너무 늦었습니다", 2, "답변이 너무 늦었습니다"},
		{"after a greeting", "", "안녕하세요.\n4점 드립니다", 4, "안녕하세요."},
		{"the links' subject, empty body", "Re: [FTA-PASS #12] 만족도 3", "", 3, ""},
		{"the body wins over the subject", "Re: [FTA-PASS #12] 만족도 5", "2\n생각해 보니 불충분했습니다", 2, "생각해 보니 불충분했습니다"},

		{"a 5 in a complaint", "", "5일이나 기다렸는데 아직도 답이 없습니다. 어떻게 된 건가요?", 0, ""},
		{"a 5 in a long first line", "", "지난 5월부터 문의했던 건인데 처리가 되지 않아 다시 메일 드립니다. 담당자분 연락 부탁드립니다. 정말 답답합니다 5", 0, ""},
		{"a numbered list", "", "1. 답변이 늦었습니다\n2. 불친절했습니다", 0, ""},
		{"만족스럽지 않다", "", "만족스럽지 않습니다", 0, ""},
		{"만족하지 않는다", "", "만족하지 않습니다", 0, ""},
		{"five days", "", "5 days without an answer", 0, ""},
		{"zero", "", "0", 0, ""},
		{"six", "", "6", 0, ""},
		{"fifty-five", "", "55", 0, ""},
		{"ten points", "", "10점", 0, ""},
		{"a rating below three lines of prose", "", "안녕하세요\n문의드립니다\n추가 질문이 있습니다\n5", 0, ""},
		{"a tag's number is not a rating", "Re: [FTA-PASS #5] 답변", "감사합니다", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseRating(tt.subject, tt.text)
			if tt.want == 0 {
				if ok {
					t.Fatalf("parseRating(%q, %q): got %d, want no rating", tt.subject, tt.text, got.Rating)
				}
				return
			}
			if !ok || got.Rating != tt.want || got.Comment != tt.comment {
				t.Fatalf("parseRating(%q, %q): got %+v (%v), want %d %q", tt.subject, tt.text, got, ok, tt.want, tt.comment)
			}
		})
	}
}

// surveyRules are deadlineRules with the survey on: sent at the close
// ("0s"), unless delay says otherwise.
func surveyRules(extra string) map[string]string {
	r := deadlineRules["rules.toml"]
	r = strings.Replace(r, `supervisor = "boss"`, "supervisor = \"boss\"\nsurvey = true\n"+extra, 1)
	return map[string]string{"rules.toml": r}
}

// surveyFixture: kim asked, mslim answered with #close; the answer and
// (with delay "0s") the survey are queued.
func surveyFixture(t *testing.T, extra string) *fixture {
	t.Helper()
	f := newFixtureWith(t, rulesFrom(t, surveyRules(extra)))
	f.deliver("fta-pass", 1, 1, mail{from: "김고객 <kim@example.co.kr>", to: "fta-pass@origin.or.kr", subject: "원산지 문의", id: "s1@x",
		body: "원산지확인서 발급 방법을 알려 주세요.\r\n"}.raw())
	notice := f.staffOf(0)
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#close\r\n[원산지확인서] 메뉴에서 발급하실 수 있습니다.\r\n")
	return f
}

// lastOf returns the newest queued mail of kind.
func (f *fixture) lastOf(kind string) *message.Message {
	f.t.Helper()
	all := f.state("").outbox
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Kind == kind {
			return f.parsed(all[i])
		}
	}
	f.t.Fatalf("no %s queued; queued: %v", kind, f.queued())
	return nil
}

// customerReply delivers the customer's reply to m with body.
func (f *fixture) customerReply(from string, m *message.Message, subject, body string, headers ...string) {
	f.t.Helper()
	uidSeq++
	if m != nil {
		headers = append([]string{"In-Reply-To: <" + m.MessageID + ">", "References: <" + m.MessageID + ">"}, headers...)
		if subject == "" {
			subject = "Re: " + m.Subject
		}
	}
	f.deliver("fta-pass", 1, uidSeq, mail{from: from, to: "fta-pass@origin.or.kr", subject: subject,
		id: fmt.Sprintf("c%d@example.co.kr", uidSeq), headers: headers, body: body}.raw())
}

func (f *fixture) ratings(id int64) []*store.Rating {
	f.t.Helper()
	var rs []*store.Rating
	err := f.store.Read(context.Background(), func(tx *store.Tx) (err error) {
		rs, err = tx.Ratings(context.Background(), id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return rs
}

func (f *fixture) hasEvent(id int64, kind string) bool {
	for _, e := range f.events(id) {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func TestSurveyAtCloseAndRating(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "0s"`)
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "answer kim@example.co.kr", "survey kim@example.co.kr"}) {
		t.Fatalf("queued: got %v, want the ack, the answer, then the survey", got)
	}
	if tk := f.ticket(1); tk.Status != store.StatusClosed {
		t.Fatalf("status: got %s, want closed", tk.Status)
	}
	sv := f.lastOf(KindSurvey)
	if sv.Header.Get("X-Maildesk-Kind") != "survey" || sv.Header.Get("Auto-Submitted") != "auto-generated" ||
		!strings.HasPrefix(sv.Subject, "[FTA-PASS #1] 고객만족도 조사") || len(sv.InReplyTo) != 1 || sv.InReplyTo[0] != "s1@x" {
		t.Errorf("survey headers: kind %q auto %q subject %q in-reply-to %v", sv.Header.Get("X-Maildesk-Kind"),
			sv.Header.Get("Auto-Submitted"), sv.Subject, sv.InReplyTo)
	}
	ko, en := strings.Index(sv.Text, "고객만족도를 여쭙습니다"), strings.Index(sv.Text, "How satisfied")
	if ko < 0 || en < 0 || ko > en {
		t.Errorf("survey: want Korean first, then English:\n%s", sv.Text)
	}
	if strings.Contains(sv.Text, "http") {
		t.Errorf("survey has a web link (a scanner opening it would rate):\n%s", sv.Text)
	}
	// The one-click link for 5: a reply with the rating in subject and body.
	var link string
	for _, l := range strings.Fields(sv.Text) {
		if strings.HasPrefix(l, "mailto:") && strings.HasSuffix(l, "body=5") {
			link = l
			break
		}
	}
	u, err := url.Parse(link)
	if err != nil || u.Opaque != "fta-pass@origin.or.kr" || u.Query().Get("subject") != "Re: [FTA-PASS #1] 만족도 5" || strings.Contains(link, "+") {
		t.Fatalf("mailto link for 5: %q (%v)", link, err)
	}

	// The customer clicks it: no In-Reply-To, the subject and body of the link.
	f.customerReply("kim@example.co.kr", nil, u.Query().Get("subject"), u.Query().Get("body"))
	rs := f.ratings(1)
	if len(rs) != 1 || rs[0].Rating != 5 || rs[0].Handler.ID != "mslim" || rs[0].Category != "fta-pass" {
		t.Fatalf("ratings: got %+v", rs)
	}
	if tk := f.ticket(1); tk.Status != store.StatusClosed {
		t.Errorf("a rating of 5 changed the status to %s", tk.Status)
	}
	thanks := f.lastOf(KindSurveyThanks)
	if !strings.Contains(thanks.Text, "5점 (매우 만족)") || thanks.To[0].Addr != "kim@example.co.kr" {
		t.Errorf("thanks to %v:\n%s", thanks.To, thanks.Text)
	}
	staffBefore := len(f.state("").staff)

	// A second rating, replying to the survey, replaces the first, logged;
	// no second thank-you.
	f.customerReply("kim@example.co.kr", sv, "", "4\r\n다시 생각해 보니 4점입니다.")
	rs = f.ratings(1)
	if len(rs) != 2 || rs[0].ReplacedAt == nil || rs[1].Rating != 4 || rs[1].ReplacedAt != nil || rs[1].Comment != "다시 생각해 보니 4점입니다." {
		t.Fatalf("after a second rating: %+v %+v", rs[0], rs[1])
	}
	if !f.hasEvent(1, "rating-replaced") {
		t.Errorf("the replacement is not logged")
	}
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "answer kim@example.co.kr", "survey kim@example.co.kr", "survey-thanks kim@example.co.kr"}) {
		t.Errorf("queued: got %v, want one thank-you", got)
	}
	if n := len(f.state("").staff); n != staffBefore {
		t.Errorf("a rating of 4 sent the handler %d notices", n-staffBefore)
	}

	r, err := f.desk.Report(context.Background(), start.Add(-time.Hour), start.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	s := r.Survey
	if s.Sent != 1 || s.Responses != 1 || s.Average != 4 || s.Score100 != 75 || s.ResponseRate != 1 || s.Distribution["4"] != 1 ||
		len(s.ByHandler) != 1 || s.ByHandler[0].ID != "mslim" || s.ByHandler[0].Name != "임민수" || s.ByHandler[0].Average != 4 {
		t.Errorf("report: got %+v", s)
	}
}

func TestSurveyLowRatingReopens(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "0s"`)
	sv := f.lastOf(KindSurvey)
	staffBefore := len(f.state("").staff)
	f.clock.Add(time.Hour)
	f.customerReply("kim@example.co.kr", sv, "", "1점 답변이 질문과 맞지 않습니다.")
	tk := f.ticket(1)
	wantDue := start.Add(time.Hour + 48*time.Hour) // calendar clock
	if tk.Status != store.StatusOpen || tk.DueAt == nil || !tk.DueAt.Equal(wantDue) || tk.ClosedAt != nil {
		t.Fatalf("after a rating of 1: status %s due %v; want open, due %v", tk.Status, tk.DueAt, wantDue)
	}
	staff := f.state("").staff
	if len(staff) != staffBefore+1 {
		t.Fatalf("handler notices: got %d new, want 1", len(staff)-staffBefore)
	}
	n := f.parsed(staff[len(staff)-1])
	if n.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(n.Text, "1점(매우 불만)") || !strings.Contains(n.Text, "답변이 질문과 맞지 않습니다.") ||
		len(n.ReplyTo) != 1 || !strings.HasPrefix(n.ReplyTo[0].Addr, "fta-pass+t1.") {
		t.Errorf("handler's notice to %v reply-to %v:\n%s", n.To, n.ReplyTo, n.Text)
	}
	alert := f.lastOf(KindSurveyAlert)
	if alert.To[0].Addr != "boss@origin.or.kr" || !strings.Contains(alert.Text, "1점(매우 불만)") || !strings.Contains(alert.Text, "답변이 질문과 맞지 않습니다.") {
		t.Errorf("supervisor's mail to %v:\n%s", alert.To, alert.Text)
	}
	thanks := f.lastOf(KindSurveyThanks)
	if !strings.Contains(thanks.Text, "다시 연락드리겠습니다") || !strings.Contains(thanks.Text, "031-600-0722") {
		t.Errorf("thanks after a rating of 1:\n%s", thanks.Text)
	}
	// The re-contact window runs on the deadline clock: the supervisor is
	// alerted when it passes unanswered.
	f.clock.Add(48 * time.Hour)
	f.tick()
	if !f.hasEvent(1, "overdue") {
		t.Errorf("the re-contact window passed without an overdue event")
	}
	// Closed again: no second survey.
	f.reply(n, "mslim@origin.or.kr", n.ReplyTo[0].Addr, "#close\r\n다시 안내드립니다.\r\n")
	surveys := f.surveysQueued()
	if surveys != 1 {
		t.Errorf("surveys after the second close: got %d, want 1 (one per ticket)", surveys)
	}
}

// TestSurveyReplyHostile: only the surveyed customer's answer to the survey
// rates; the rest is ordinary mail.
func TestSurveyReplyHostile(t *testing.T) {
	tests := []struct {
		name    string
		send    func(f *fixture, sv *message.Message)
		wantAct Action
	}{
		{"another address replies to the survey", func(f *fixture, sv *message.Message) {
			f.customerReply("lee@example.com", sv, "", "1")
		}, ActFollowUp},
		{"a plus-tag of the customer is the customer", func(f *fixture, sv *message.Message) {
			f.customerReply("Kim+x@Example.co.kr", sv, "", "5")
		}, ActRating},
		{"token-less forgery: the tag and a number, no reference to the survey", func(f *fixture, sv *message.Message) {
			f.customerReply("kim@example.co.kr", nil, "[FTA-PASS #1] 1", "1")
		}, ActFollowUp},
		{"a reply to the answer, not the survey", func(f *fixture, sv *message.Message) {
			f.customerReply("kim@example.co.kr", f.lastOf(KindAnswer), "", "1")
		}, ActFollowUp},
		{"a 5 in a long complaint", func(f *fixture, sv *message.Message) {
			f.customerReply("kim@example.co.kr", sv, "", "5일이나 기다렸는데 받은 답변은 엉뚱합니다. 다시 확인해 주세요.\r\n원산지확인서가 아니라 원산지증명서를 물었습니다.")
		}, ActFollowUp},
		{"the handler's address without a token", func(f *fixture, sv *message.Message) {
			f.customerReply("mslim@origin.or.kr", sv, "", "1")
		}, ActFollowUp},
		{"an auto-reply to the survey", func(f *fixture, sv *message.Message) {
			f.customerReply("kim@example.co.kr", sv, "Automatic reply: 5", "5", "Auto-Submitted: auto-replied")
		}, ActAutomatic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := surveyFixture(t, `survey_delay = "0s"`)
			sv := f.lastOf(KindSurvey)
			var acts []Action
			intakeDecided = func(_ uint32, dec Decision) { acts = append(acts, dec.Action) }
			defer func() { intakeDecided = nil }()
			tt.send(f, sv)
			if len(acts) != 1 || acts[0] != tt.wantAct {
				t.Fatalf("actions: got %v, want [%s]", acts, tt.wantAct)
			}
			rated := len(f.ratings(1)) > 0
			if rated != (tt.wantAct == ActRating) {
				t.Errorf("ratings stored: %v, want %v", f.ratings(1), tt.wantAct == ActRating)
			}
			for _, q := range f.queued() {
				if strings.HasPrefix(q, KindSurveyThanks) && tt.wantAct != ActRating {
					t.Errorf("a thank-you went out for a mail that is no rating: %v", f.queued())
				}
			}
		})
	}
}

func TestSurveyNotSurveyedTicketReplyIsFollowUp(t *testing.T) {
	// The category has no survey: a "5" to the answer is a follow-up.
	f := newFixtureWith(t, rulesFrom(t, deadlineRules))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "n1@x"}.raw())
	notice := f.staffOf(0)
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#close\r\n답변입니다.\r\n")
	f.customerReply("kim@example.co.kr", f.lastOf(KindAnswer), "", "5")
	if len(f.ratings(1)) != 0 || f.ticket(1).Status != store.StatusOpen {
		t.Errorf("a 5 on a ticket never surveyed: ratings %v, status %s; want none, reopened", f.ratings(1), f.ticket(1).Status)
	}
}

func TestSurveyRulesTestShowsRating(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "0s"`)
	sv := f.lastOf(KindSurvey)
	raw := mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: " + sv.Subject, id: "p1@x",
		headers: []string{"In-Reply-To: <" + sv.MessageID + ">"}, body: "매우 만족\r\n"}.raw()
	r, err := Preview(context.Background(), PreviewInput{Store: f.store, Rules: f.desk.rules.Load(), Templates: f.desk.templates.Load(),
		Mailboxes: []Mailbox{{Name: "fta-pass", Address: "fta-pass@origin.or.kr"}}, Raw: raw, Now: f.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if r.Action != ActRating || r.Rating != 5 || r.TicketID != 1 {
		t.Errorf("rules test: action %s rating %d ticket %d; want rating 5 on #1", r.Action, r.Rating, r.TicketID)
	}
}

func TestSurveyDelayAndInterval(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "24h"`)
	if got := f.queued(); len(got) != 2 {
		t.Fatalf("at the close: queued %v, want only the ack and the answer", got)
	}
	f.clock.Add(24*time.Hour - time.Second)
	f.tick()
	if got := f.queued(); len(got) != 2 {
		t.Fatalf("a second before the delay: queued %v", got)
	}
	f.clock.Add(time.Second)
	f.tick()
	f.tick() // nothing twice
	if got := f.queued(); !sameList(got, []string{"ack kim@example.co.kr", "answer kim@example.co.kr", "survey kim@example.co.kr"}) {
		t.Fatalf("after the delay: queued %v", got)
	}

	// kim asks again and it closes within survey_interval (default 30d): no
	// second survey to that address.
	f.deliver("fta-pass", 1, 2, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "다른 문의", id: "s2@x"}.raw())
	var notice *message.Message
	for _, d := range f.state("").staff {
		if m := f.parsed(d); strings.Contains(m.Subject, "#2]") {
			notice = m
		}
	}
	if notice == nil {
		t.Fatal("no notice of ticket 2")
	}
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#close\r\n")
	f.clock.Add(25 * time.Hour)
	f.tick()
	if !f.hasEvent(2, "survey-skipped") {
		t.Errorf("ticket 2: no survey-skipped event; events %v", f.events(2))
	}
	surveys := f.surveysQueued()
	if surveys != 1 {
		t.Errorf("surveys to one address within the interval: got %d, want 1", surveys)
	}
}

// TestSurveyReopenedBeforeItWent: a customer who writes again between the
// close and the survey reopens the ticket; the survey waits for the next
// close and goes out once.
func TestSurveyReopenedBeforeItWent(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "24h"`)
	f.clock.Add(time.Hour)
	f.customerReply("kim@example.co.kr", f.lastOf(KindAnswer), "", "하나 더 여쭙겠습니다. 발급 수수료가 있나요?")
	if f.ticket(1).Status != store.StatusOpen {
		t.Fatalf("the follow-up did not reopen the ticket")
	}
	f.clock.Add(24 * time.Hour)
	f.tick()
	if !f.hasEvent(1, "survey-waiting") {
		t.Fatalf("no survey-waiting event: %v", f.events(1))
	}
	n := f.state("").staff
	notice := f.parsed(n[len(n)-1])
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "#close\r\n수수료는 없습니다.\r\n")
	f.clock.Add(24 * time.Hour)
	f.tick()
	f.tick()
	surveys := f.surveysQueued()
	if surveys != 1 {
		t.Errorf("surveys: got %d, want 1 after the second close", surveys)
	}
}

// TestSurveyNever: no survey for quarantined, automatic, spoofed or
// staff-opened tickets.
func TestSurveyNever(t *testing.T) {
	tests := []struct {
		name string
		m    mail
		raw  []byte
	}{
		{"list mail", mail{from: "news@example.com", subject: "소식지", id: "l1@x", headers: []string{"List-Id: <news.example.com>"}}, nil},
		{"no-reply sender", mail{from: "no-reply@example.com", subject: "알림", id: "l2@x"}, nil},
		{"a staff address without proof (spoofed)", mail{from: "mslim@origin.or.kr", subject: "문의", id: "l3@x"}, nil},
		{"quarantined", mail{}, []byte("From: kim@example.co.kr\r\nSubject: x\r\nContent-Type: multipart/mixed\r\n\r\nno boundary")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, rulesFrom(t, surveyRules(`survey_delay = "0s"`)))
			raw := tt.raw
			if raw == nil {
				tt.m.to = "fta-pass@origin.or.kr"
				raw = tt.m.raw()
			}
			f.deliver("fta-pass", 1, 1, raw)
			if _, err := f.desk.Close(context.Background(), 1, "cli"); err != nil {
				t.Fatal(err)
			}
			if f.surveysQueued() > 0 {
				t.Fatalf("a survey went out: %v", f.queued())
			}
			if !f.hasEvent(1, "survey-skipped") {
				t.Errorf("no survey-skipped event: %v", f.events(1))
			}
		})
	}
}

func TestCloseCommand(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "0s"`)
	if _, err := f.desk.Close(context.Background(), 1, "cli"); !errors.Is(err, ErrClosed) {
		t.Errorf("closing a closed ticket: got %v, want ErrClosed", err)
	}
	if _, err := f.desk.Close(context.Background(), 99, "cli"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("closing no ticket: got %v, want ErrNotFound", err)
	}
}

func TestAutoClose(t *testing.T) {
	tests := []struct {
		name     string
		extra    string
		after    time.Duration // after the answer
		closed   bool
		surveyed bool
	}{
		{"default 7d: a second before", `survey_delay = "0s"`, 7*24*time.Hour - time.Second, false, false},
		{"default 7d", `survey_delay = "0s"`, 7 * 24 * time.Hour, true, true},
		{"3d", "auto_close = \"3d\"\nsurvey_delay = \"0s\"", 3 * 24 * time.Hour, true, true},
		{"never", "auto_close = \"0\"\nsurvey_delay = \"0s\"", 365 * 24 * time.Hour, false, false},
		{"long after it was due: closed, no survey", `survey_delay = "0s"`, 9 * 24 * time.Hour, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWith(t, rulesFrom(t, surveyRules(tt.extra)))
			f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "a1@x"}.raw())
			notice := f.staffOf(0)
			f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "답변입니다.\r\n")
			f.tick() // plans the close
			f.clock.Add(tt.after)
			f.tick()
			tk := f.ticket(1)
			if closed := tk.Status == store.StatusClosed; closed != tt.closed {
				t.Fatalf("status after %v: %s, want closed %v", tt.after, tk.Status, tt.closed)
			}
			surveyed := f.surveysQueued() > 0
			if surveyed != tt.surveyed {
				t.Errorf("surveyed: %v, want %v (%v)", surveyed, tt.surveyed, f.queued())
			}
		})
	}
}

// TestAutoCloseCountsFromTheLastAnswer: a follow-up reopens the ticket; the
// next answer starts the auto_close period again.
func TestAutoCloseCountsFromTheLastAnswer(t *testing.T) {
	f := newFixtureWith(t, rulesFrom(t, surveyRules(`survey_delay = "0s"`)))
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "b1@x"}.raw())
	notice := f.staffOf(0)
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "첫 답변입니다.\r\n")
	f.tick()
	f.clock.Add(5 * 24 * time.Hour)
	f.customerReply("kim@example.co.kr", f.lastOf(KindAnswer), "", "추가로 여쭙습니다.")
	f.clock.Add(time.Hour)
	f.reply(notice, "mslim@origin.or.kr", notice.ReplyTo[0].Addr, "두 번째 답변입니다.\r\n")
	f.tick()
	f.clock.Add(2*24*time.Hour + time.Hour) // 7 days after the first answer
	f.tick()
	if s := f.ticket(1).Status; s != store.StatusAnswered {
		t.Fatalf("7 days after the first answer: %s, want still answered", s)
	}
	f.clock.Add(5 * 24 * time.Hour)
	f.tick()
	if s := f.ticket(1).Status; s != store.StatusClosed {
		t.Fatalf("7 days after the second answer: %s, want closed", s)
	}
}

// TestSurveyCrashBeforeCommit: a pass that queued the survey but did not
// commit (a crash, a full disk) leaves it due; the next pass sends it
// once, and the one after sends nothing.
func TestSurveyCrashBeforeCommit(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "1h"`)
	f.clock.Add(time.Hour)
	ctx := f.desk.withSnapshot(context.Background())
	crash := errors.New("crash before the commit")
	err := f.store.Write(ctx, func(tx *store.Tx) error {
		if _, err := f.desk.queueClosing(ctx, tx, f.clock.Now()); err != nil {
			return err
		}
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatalf("pass: got %v", err)
	}
	if got := f.queued(); len(got) != 2 {
		t.Fatalf("after the rolled-back pass: %v", got)
	}
	f.tick()
	f.tick()
	surveys := f.surveysQueued()
	if surveys != 1 {
		t.Errorf("surveys: got %d, want 1", surveys)
	}
}

func FuzzParseRating(f *testing.F) {
	for _, s := range []string{"5", "5점", "매우 만족", "불만족입니다", "2점. 늦었습니다", "★★★", "５", "1. 목록\n2. 목록", "5일이나 기다렸습니다"} {
		f.Add("Re: [FTA-PASS #1] 만족도 4", s)
	}
	f.Fuzz(func(t *testing.T, subject, text string) {
		r, ok := parseRating(subject, text)
		if !ok {
			return
		}
		if r.Rating < 1 || r.Rating > 5 {
			t.Fatalf("parseRating(%q, %q): rating %d", subject, text, r.Rating)
		}
		if utf8.RuneCountInString(r.Comment) > maxCommentRunes+1 {
			t.Fatalf("comment of %d runes", utf8.RuneCountInString(r.Comment))
		}
	})
}

// TestSurveyTurnedOff: a survey planned before a reload that turned the
// category's survey off does not go out.
func TestSurveyTurnedOff(t *testing.T) {
	f := surveyFixture(t, `survey_delay = "1h"`)
	f.desk.SetRules(rulesFrom(t, deadlineRules))
	f.clock.Add(2 * time.Hour)
	f.tick()
	if f.surveysQueued() > 0 {
		t.Fatalf("a survey went out after survey was turned off: %v", f.queued())
	}
	if !f.hasEvent(1, "survey-skipped") {
		t.Errorf("no survey-skipped event: %v", f.events(1))
	}
}

// surveysQueued counts the surveys queued, on every ticket.
func (f *fixture) surveysQueued() int {
	f.t.Helper()
	n := 0
	for _, q := range f.queued() {
		if strings.HasPrefix(q, KindSurvey+" ") {
			n++
		}
	}
	return n
}
