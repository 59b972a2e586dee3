package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kioi/maildesk/desk"
	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/localmail"
	"github.com/kioi/maildesk/message"
)

// waitKind waits until a mail of kind has left maildesk n times.
func (s *stack) waitSent(kind string, n int) []localmail.Captured {
	s.t.Helper()
	var got []localmail.Captured
	maildesktest.WaitUntil(s.t, kind+" mail sent", func() bool {
		got = capturedKind(s.mail, func(k string) bool { return k == kind })
		return len(got) >= n
	})
	return got
}

func parsedMail(t *testing.T, c localmail.Captured) *message.Message {
	t.Helper()
	m, err := message.Parse(c.Raw)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCorrectionEndToEnd: a mail to correction@ gets an ack that
// apologises; the handler's #uphold tells the customer of the 10,000 KRW,
// and the ledger (`maildesk compensation`) and the report figures show it;
// `compensation paid` marks it paid once.
func TestCorrectionEndToEnd(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	correctionFlow(t, s, func(from, to string, raw []byte) { s.send(from, []string{to}, raw) })
}

// TestDovecotCorrection is the correction flow with a real IMAP server.
func TestDovecotCorrection(t *testing.T) {
	s, dv := newDovecotStack(t)
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	correctionFlow(t, s, func(from, _ string, raw []byte) { dv.deliver(t, "correction", from, raw) })
	d.stop()
}

// correctionFlow runs a correction request through a running daemon; deliver
// puts a mail from from for to into the correction mailbox.
func correctionFlow(t *testing.T, s *stack, deliver func(from, to string, raw []byte)) {
	deliver("kim@example.co.kr", "correction@origin.or.kr",
		maildesktest.Inquiry("kim@example.co.kr", "correction@origin.or.kr", "상담 직원이 불친절했습니다", "corr1@example.co.kr", "전화 상담에서 불친절한 응대를 받았습니다.\r\n"))
	ack := parsedMail(t, s.waitSent(desk.KindAck, 1)[0])
	if !strings.Contains(ack.Text, "진심으로 사과드립니다") || !strings.Contains(ack.Text, "[CORR #1]") {
		t.Fatalf("ack does not apologise:\n%s", ack.Text)
	}
	var notice *message.Message
	maildesktest.WaitUntil(t, "the handler's notice", func() bool {
		for _, c := range s.staffNotices() {
			notice = parsedMail(t, c)
			return true
		}
		return false
	})
	deliver("kioi@origin.or.kr", notice.ReplyTo[0].Addr,
		maildesktest.Inquiry("김지원 <kioi@origin.or.kr>", notice.ReplyTo[0].Addr, "RE: "+notice.Subject, "corr-uphold@origin.or.kr",
			"#uphold\r\n\r\n해당 직원에게 주의를 주었습니다.\r\n", "In-Reply-To: <"+notice.MessageID+">"))
	res := s.waitSent(desk.KindCorrectionResult, 1)
	result := parsedMail(t, res[0])
	if res[0].To[0] != "kim@example.co.kr" || !strings.Contains(result.Text, "10,000원") || !strings.Contains(result.Text, "해당 직원에게 주의를 주었습니다.") {
		t.Fatalf("result to %v:\n%s", res[0].To, result.Text)
	}

	out, err := runCLI(t, "compensation", "-config", s.configPath, "-json")
	if err != nil {
		t.Fatal(err)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("compensation -json: %v\n%s", err, out)
	}
	if len(entries) != 1 || entries[0]["amount_krw"] != 10000.0 || entries[0]["paid"] != false || entries[0]["handler"] != "kioi" ||
		entries[0]["tag"] != "[CORR #1]" || entries[0]["customer"] != "kim@example.co.kr" {
		t.Fatalf("ledger: %s", out)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "10,000"},
		{[]string{"-from", "2000-01-01", "-to", "2999-12-31"}, "[CORR #1]"},
		{[]string{"-to", "2000-01-01"}, "0 entries"},
	} {
		out, err := runCLI(t, append([]string{"compensation", "-config", s.configPath}, tt.args...)...)
		if err != nil || !strings.Contains(out, tt.want) {
			t.Errorf("compensation %v: %v\n%s", tt.args, err, out)
		}
	}
	if out, err := runCLI(t, "compensation", "paid", "-config", s.configPath, "1", "--note", "계좌이체"); err != nil || !strings.Contains(out, "marked paid") {
		t.Fatalf("compensation paid: %v %s", err, out)
	}
	for _, args := range [][]string{{"1"}, {"2"}, {"-5"}, {"x"}} {
		_, err := runCLI(t, append([]string{"compensation", "paid", "-config", s.configPath}, args...)...)
		if code := exitCode(err); code == 0 {
			t.Errorf("compensation paid %v: exit 0, want a refusal", args)
		}
	}
	out, _ = runCLI(t, "compensation", "-config", s.configPath)
	if !strings.Contains(out, "계좌이체") || !strings.Contains(out, "0 KRW unpaid") {
		t.Errorf("after paid:\n%s", out)
	}
	// The report shows it, as the supervisor reads it.
	out, err = runCLI(t, "report", "-config", s.configPath, "-format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Corrections desk.CorrectionsReport `json:"corrections"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if want := (desk.CorrectionsReport{Received: 1, Upheld: 1, CompensationKRW: 10000, Paid: 1}); rep.Corrections != want {
		t.Errorf("report corrections: got %+v, want %+v\n%s", rep.Corrections, want, out)
	}
	out, _ = runCLI(t, "ticket", "-config", s.configPath, "1")
	for _, want := range []string{"channel:   email", "upheld", "paid"} {
		if !strings.Contains(out, want) {
			t.Errorf("ticket view lacks %q:\n%s", want, out)
		}
	}
}

// TestTicketNewEndToEnd: `maildesk ticket new -channel phone` opens a VOC
// ticket on the VOC clock; with an email the customer is acknowledged by
// mail, without one the handler gets the acknowledgement to pass on.
func TestTicketNewEndToEnd(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	d.waitSynced(t, len(s.mboxes))
	base := []string{"ticket", "new", "-config", s.configPath, "-category", "voc", "-channel", "phone", "-name", "홍길동",
		"-phone", "010-1234-5678", "-subject", "민원 처리 지연", "-text", "신청 처리가 늦어 항의합니다."}
	out, err := runCLI(t, base...)
	if err != nil || !strings.Contains(out, "[VOC #1] registered") || !strings.Contains(out, "reminder") {
		t.Fatalf("ticket new: %v\n%s", err, out)
	}
	d.stop() // the CLI wrote the database; a restarted daemon sends what it queued
	d = startDaemon(t, s.configPath)
	rem := s.waitSent(desk.KindReminder, 1)
	if rem[0].To[0] != "kioi@origin.or.kr" || !strings.Contains(parsedMail(t, rem[0]).Text, "010-1234-5678") {
		t.Fatalf("reminder to %v", rem[0].To)
	}
	out, err = runCLI(t, append(base, "-email", "hong@example.com", "-received", "2026-11-23T10:00")...)
	if err != nil || !strings.Contains(out, "[VOC #2]") {
		t.Fatalf("ticket new -email: %v\n%s", err, out)
	}
	d.stop()
	startDaemon(t, s.configPath)
	acks := s.waitSent(desk.KindAck, 1)
	if acks[0].To[0] != "hong@example.com" || !strings.Contains(parsedMail(t, acks[0]).Text, "홍길동 님") {
		t.Fatalf("ack to %v", acks[0].To)
	}
	out, err = runCLI(t, "tickets", "-config", s.configPath, "-json", "-status", "all")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	for _, tk := range list {
		if tk["channel"] != "phone" || tk["category"] != "voc" {
			t.Errorf("ticket %v: channel %v category %v", tk["tag"], tk["channel"], tk["category"])
		}
	}
	for _, bad := range [][]string{
		{"ticket", "new", "-config", s.configPath, "-category", "voc", "-channel", "sms", "-name", "a", "-subject", "b", "-text", "c"},
		{"ticket", "new", "-config", s.configPath, "-category", "voc", "-channel", "phone", "-name", "a", "-subject", "b"},
		{"ticket", "new", "-config", s.configPath, "-category", "voc", "-channel", "phone", "-name", "a", "-subject", "b", "-text", "c", "-received", "yesterday"},
	} {
		if _, err := runCLI(t, bad...); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
