package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// surveyAtClose makes the stack's FTA-PASS category send its survey at
// the close (survey_delay = "0s"); the example rules have survey = true.
func (s *stack) surveyAtClose() {
	s.t.Helper()
	p := filepath.Join(s.dir, "rules", "categories.toml")
	b, err := os.ReadFile(p)
	if err != nil {
		s.t.Fatal(err)
	}
	text := strings.Replace(string(b), "survey = true", "survey = true\nsurvey_delay = \"0s\"", 1)
	if text == string(b) {
		s.t.Fatal("the example FTA-PASS category has no survey = true")
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// waitKind waits for the n-th sent mail of kind and returns it parsed.
func (s *stack) waitKind(kind string, n int) (*message.Message, localmail.Captured) {
	s.t.Helper()
	got := s.waitSent(kind, n)
	m, err := message.Parse(got[n-1].Raw)
	if err != nil {
		s.t.Fatal(err)
	}
	return m, got[n-1]
}

// noticeOf waits for the handler's notice of ticket tag.
func (s *stack) noticeOf(tag string) *message.Message {
	s.t.Helper()
	var notice *message.Message
	maildesktest.WaitUntil(s.t, "the handler's notice of "+tag, func() bool {
		for _, c := range s.staffNotices() {
			if m, _ := message.Parse(c.Raw); m != nil && strings.HasPrefix(m.Subject, tag) {
				notice = m
			}
		}
		return notice != nil
	})
	return notice
}

type reportJSON struct {
	Survey struct {
		Sent         int            `json:"sent"`
		Responses    int            `json:"responses"`
		ResponseRate float64        `json:"response_rate"`
		Average      float64        `json:"average"`
		Score100     float64        `json:"score100"`
		Distribution map[string]int `json:"distribution"`
		ByHandler    []struct {
			ID        string  `json:"id"`
			Name      string  `json:"name"`
			Responses int     `json:"responses"`
			Average   float64 `json:"average"`
		} `json:"by_handler"`
	} `json:"survey"`
}

func (s *stack) report() reportJSON {
	s.t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"report", "-config", s.configPath, "-format", "json"}, &out, &errOut); err != nil {
		s.t.Fatalf("maildesk report: %v\n%s", err, errOut.String())
	}
	var r reportJSON
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		s.t.Fatalf("report JSON: %v\n%s", err, out.String())
	}
	return r
}

// surveyFlow: an inquiry, the handler's #close with the answer, the
// survey (at once: survey_delay = "0s"), the customer's "5", and the
// report shows it for the handler. A second ticket, closed with `maildesk
// ticket close`, is rated "1": it reopens for re-contact and the
// supervisor is told.
func surveyFlow(t *testing.T, s *stack, deliver func(from string, raw []byte)) {
	st := s.db()
	deliver("kim@example.co.kr", maildesktest.Inquiry("=?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>", "fta-pass@origin.or.kr",
		"=?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?=", "sv1@example.co.kr", "원산지확인서 발급 방법을 알려 주세요.\r\n"))
	notice := s.noticeOf("[FTA-PASS #1]")
	deliver("mslim@origin.or.kr", maildesktest.Inquiry("임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, "RE: "+notice.Subject, "sv-answer@origin.or.kr",
		"#close\r\nFTA-PASS의 [원산지확인서] 메뉴에서 발급하실 수 있습니다.\r\n", "In-Reply-To: <"+notice.MessageID+">"))
	survey, c := s.waitKind(desk.KindSurvey, 1)
	if c.To[0] != "kim@example.co.kr" || !strings.HasPrefix(survey.Subject, "[FTA-PASS #1] 고객만족도 조사") ||
		!strings.Contains(survey.Text, "mailto:fta-pass@origin.or.kr?subject=") || strings.Contains(survey.Text, "http") {
		t.Fatalf("survey to %v %q:\n%s", c.To, survey.Subject, survey.Text)
	}
	t.Logf("the survey as the customer received it:\n%s\n\n%s", c.Raw[:headerEnd(c.Raw)], survey.Text)

	deliver("kim@example.co.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "Re: "+survey.Subject, "sv-rate1@example.co.kr",
		"5\r\n친절한 답변 감사합니다.\r\n", "In-Reply-To: <"+survey.MessageID+">"))
	thanks, _ := s.waitKind(desk.KindSurveyThanks, 1)
	if !strings.Contains(thanks.Text, "5점") {
		t.Errorf("thanks:\n%s", thanks.Text)
	}
	r := s.report()
	if r.Survey.Sent != 1 || r.Survey.Responses != 1 || r.Survey.Average != 5 || r.Survey.Score100 != 100 || r.Survey.Distribution["5"] != 1 ||
		len(r.Survey.ByHandler) != 1 || r.Survey.ByHandler[0].ID != "mslim" || r.Survey.ByHandler[0].Responses != 1 || r.Survey.ByHandler[0].Average != 5 {
		t.Errorf("report after a 5: %+v", r.Survey)
	}

	// A second customer; the ticket is closed from the command line.
	deliver("park@example.com", maildesktest.Inquiry("park@example.com", "fta-pass@origin.or.kr", "FTA-PASS login", "sv2@example.com", "로그인이 안 됩니다.\r\n"))
	s.noticeOf("[FTA-PASS #2]")
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"ticket", "close", "-config", s.configPath, "2"}, &out, &errOut); err != nil {
		t.Fatalf("maildesk ticket close 2: %v\n%s", err, errOut.String())
	}
	survey2, _ := s.waitKind(desk.KindSurvey, 2)
	deliver("park@example.com", maildesktest.Inquiry("park@example.com", "fta-pass@origin.or.kr", "Re: "+survey2.Subject, "sv-rate2@example.com",
		"매우 불만\r\n아무도 연락하지 않았습니다.\r\n", "In-Reply-To: <"+survey2.MessageID+">"))
	alert, ac := s.waitKind(desk.KindSurveyAlert, 1)
	if ac.To[0] != "kioi@origin.or.kr" || !strings.Contains(alert.Text, "1점") || !strings.Contains(alert.Text, "아무도 연락하지 않았습니다.") {
		t.Errorf("supervisor's mail to %v:\n%s", ac.To, alert.Text)
	}
	snap := s.waitFor(st, "ticket 2 reopened", func(sn snapshot) bool {
		for _, tk := range sn.tickets {
			if tk.ID == 2 {
				return tk.Status == store.StatusOpen
			}
		}
		return false
	})
	for _, tk := range snap.tickets {
		if tk.ID == 1 && tk.Status != store.StatusClosed {
			t.Errorf("ticket 1 after its 5: %s, want closed", tk.Status)
		}
	}
	s.noticeOf("[FTA-PASS #2]")
	r = s.report()
	if r.Survey.Sent != 2 || r.Survey.Responses != 2 || r.Survey.Average != 3 || r.Survey.Distribution["1"] != 1 {
		t.Errorf("report after a 1: %+v", r.Survey)
	}
}

func TestSurveyEndToEnd(t *testing.T) {
	s := newStack(t)
	s.surveyAtClose()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	surveyFlow(t, s, func(from string, raw []byte) {
		s.send(from, []string{"fta-pass@origin.or.kr"}, raw)
	})
	s.reportFormats(t)
	d.stop()
}

func TestDovecotSurvey(t *testing.T) {
	s, dv := newDovecotStack(t)
	s.surveyAtClose()
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	surveyFlow(t, s, func(from string, raw []byte) {
		dv.deliver(t, "fta-pass", from, raw)
	})
	d.stop()
}
