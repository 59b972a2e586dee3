package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/message"
	"github.com/kioi/maildesk/store"
)

// replyStyles quote our notice as the handlers' mail clients do: Outlook's
// "-----Original Message-----" header block, and Gmail's Korean
// "…님이 작성:" line over ">"-quoted text.
var replyStyles = map[string]func(notice *message.Message) string{
	"outlook": func(notice *message.Message) string {
		return "\r\n\r\n-----Original Message-----\r\nFrom: maildesk <fta-pass@origin.or.kr>\r\nSent: Wednesday, November 25, 2026 2:00 PM\r\nTo: mslim@origin.or.kr\r\nSubject: " +
			notice.Subject + "\r\n\r\n" + strings.ReplaceAll(notice.Text, "\n", "\r\n")
	},
	"gmail": func(notice *message.Message) string {
		var q strings.Builder
		q.WriteString("\r\n\r\n2026년 11월 25일 (수) 오후 2:00, maildesk <" + notice.ReplyTo[0].Addr + ">님이 작성:\r\n")
		for _, l := range strings.Split(notice.Text, "\n") {
			q.WriteString("> " + l + "\r\n")
		}
		return q.String()
	},
}

// staffFlow: a customer asks, the handler is notified, replies from a mail
// client (new text on top, the notice quoted below in the client's style),
// and the customer receives exactly the answer with the handler's
// signature, threaded into their conversation; the ticket is answered.
func staffFlow(t *testing.T, s *stack, quote func(*message.Message) string, deliver func(from string, raw []byte)) {
	st := s.db()
	deliver("kim@example.co.kr", maildesktest.Inquiry("=?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>", "fta-pass@origin.or.kr",
		"=?UTF-8?B?7JuQ7IKw7KeAIOusuOydmA==?=", "sf1@example.co.kr", "원산지확인서 발급 방법을 알려 주세요.\r\n"))
	acks := s.waitCaptured(1)
	var notice *message.Message
	maildesktest.WaitUntil(t, "the handler's notice", func() bool {
		for _, c := range s.staffNotices() {
			notice, _ = message.Parse(c.Raw)
			return true
		}
		return false
	})
	if notice.To[0].Addr != "mslim@origin.or.kr" || !strings.Contains(notice.Text, "원산지확인서 발급 방법을 알려 주세요.") {
		t.Fatalf("notice to %v:\n%s", notice.To, notice.Text)
	}
	quoted := quote(notice)
	deliver("mslim@origin.or.kr", maildesktest.Inquiry("임민수 <mslim@origin.or.kr>", notice.ReplyTo[0].Addr, "RE: "+notice.Subject, "sf-answer@origin.or.kr",
		"안녕하십니까.\r\nFTA-PASS의 [원산지확인서] 메뉴에서 발급하실 수 있습니다.\r\n감사합니다."+quoted,
		"In-Reply-To: <"+notice.MessageID+">"))
	caps := s.waitCaptured(2)
	answer, err := message.Parse(caps[1].Raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the answer as the customer received it:\n%s\n\n%s", caps[1].Raw[:headerEnd(caps[1].Raw)], answer.Text)
	ack, _ := message.Parse(acks[0].Raw)
	if caps[1].To[0] != "kim@example.co.kr" || answer.From.Addr != "fta-pass@origin.or.kr" || answer.InReplyTo[0] != "sf1@example.co.kr" ||
		answer.Subject != "Re: "+ack.Subject {
		t.Errorf("answer to %v from %v in-reply-to %v subject %q", caps[1].To, answer.From, answer.InReplyTo, answer.Subject)
	}
	want := "안녕하십니까.\nFTA-PASS의 [원산지확인서] 메뉴에서 발급하실 수 있습니다.\n감사합니다.\n\n--\n임민수 / FTA-PASS 운영팀\n전화 031-600-0722\nmslim@origin.or.kr"
	// (Parse trims trailing blanks; on the wire the delimiter is "-- ".)
	if !strings.HasPrefix(answer.Text, want) || strings.Contains(answer.Text, "Original Message") || strings.Contains(answer.Text, "작성:") || !strings.Contains(string(decodedBody(t, caps[1].Raw)), "\r\n-- \r\n") {
		t.Errorf("answer text: got\n%s\nwant it to start with\n%s", answer.Text, want)
	}
	snap := s.waitFor(st, "ticket answered", func(sn snapshot) bool {
		return len(sn.tickets) == 1 && sn.tickets[0].Status == store.StatusAnswered
	})
	if snap.tickets[0].AnsweredAt == nil {
		t.Errorf("answered_at not set")
	}
}

func TestStaffAnswerEndToEnd(t *testing.T) {
	for style, quote := range replyStyles {
		t.Run(style, func(t *testing.T) {
			s := newStack(t)
			d := startDaemon(t, s.configPath)
			d.waitSynced(t, len(s.mboxes))
			staffFlow(t, s, quote, func(from string, raw []byte) {
				s.send(from, []string{"fta-pass@origin.or.kr"}, raw)
			})
			d.stop()
		})
	}
}

func TestDovecotStaffAnswer(t *testing.T) {
	for style, quote := range replyStyles {
		t.Run(style, func(t *testing.T) {
			s, dv := newDovecotStack(t)
			d := startDaemon(t, s.configPath)
			d.waitSynced(t, len(s.mboxes))
			staffFlow(t, s, quote, func(from string, raw []byte) {
				dv.deliver(t, "fta-pass", from, raw)
			})
			d.stop()
		})
	}
}

// decodedBody is the base64 text body of a single-part mail we composed.
func decodedBody(t *testing.T, raw []byte) []byte {
	t.Helper()
	i := strings.Index(string(raw), "\r\n\r\n")
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw[i+4:]), "\r\n", ""))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	return b
}
