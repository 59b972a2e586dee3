package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kioi/maildesk/internal/maildesktest"
	"github.com/kioi/maildesk/store"
)

func TestDisplayWidth(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"mslim", 5},
		{"임민수", 6},
		{"[FTA-PASS #1]", 13},
		{"김 A", 4},
		{"ＡＢ", 4}, // fullwidth Latin
	} {
		if got := displayWidth(tc.s); got != tc.want {
			t.Errorf("displayWidth(%q): got %d, want %d", tc.s, got, tc.want)
		}
	}
}

// TestWriteColumnsAlignsHangul: every column starts at the same terminal
// column on every row, whether the cells before it are Korean or not.
func TestWriteColumnsAlignsHangul(t *testing.T) {
	var b strings.Builder
	rows := [][]string{
		{"TICKET", "HANDLER", "CUSTOMER"},
		{"[FTA-PASS #1]", "임민수", "kim@example.co.kr"},
		{"[QUAL #22]", "bslee", "lee@example.com"},
	}
	if err := writeColumns(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(rows), b.String())
	}
	for col := 1; col < 3; col++ {
		var starts []int
		for i, l := range lines {
			at := strings.Index(l, rows[i][col])
			if at < 0 {
				t.Fatalf("line %q lacks %q", l, rows[i][col])
			}
			starts = append(starts, displayWidth(l[:at]))
		}
		for i := 1; i < len(starts); i++ {
			if starts[i] != starts[0] {
				t.Errorf("column %d starts at %v on the rows:\n%s", col, starts, b.String())
				break
			}
		}
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space in %q", l)
		}
	}
}

func TestStatusText(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status  string
		overdue *time.Time
		want    string
	}{
		{store.StatusOpen, nil, "open"},
		{store.StatusOpen, &at, "overdue"},
		{store.StatusAnswered, nil, "answered"},
		{store.StatusAnswered, &at, "answered"}, // answered late: no longer waiting
	} {
		tk := &store.Ticket{Status: tc.status, OverdueAt: tc.overdue}
		if got := statusText(tk); got != tc.want {
			t.Errorf("status %s, overdue %v: got %q, want %q", tc.status, tc.overdue, got, tc.want)
		}
	}
}

// TestDamagedMailIsAnswered: an inquiry whose text is readable but whose
// screenshot's base64 is broken and whose final boundary is missing (a
// webmail upload cut short) is acknowledged, and `ticket` says what was
// read around.
func TestDamagedMailIsAnswered(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	defer d.stop()
	raw := "From: =?UTF-8?B?6rmA6rOg6rCd?= <kim@example.co.kr>\r\nTo: fta-pass@origin.or.kr\r\n" +
		"Subject: =?UTF-8?B?7Jik66WYIOusuOydmA==?=\r\nMessage-ID: <damaged@example.co.kr>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0900\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n품목 등록 화면에서 오류가 납니다.\r\n" +
		"--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"error.png\"\r\n\r\n" +
		"iVBORw0KGgo!!!AAAANSUhEUg\r\n"
	if err := s.mail.Deliver("fta-pass@origin.or.kr", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	acks := s.waitCaptured(1)
	if len(acks[0].To) != 1 || acks[0].To[0] != "kim@example.co.kr" {
		t.Fatalf("sent: got %v, want the acknowledgement to the customer", acks[0].To)
	}
	var b bytes.Buffer
	if err := showTicket(context.Background(), s.configPath, "1", false, false, &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"read around: parse multipart/mixed: missing closing boundary", "read around: parse image/png part: decode base64"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("ticket lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "quarantined") {
		t.Errorf("ticket shows a quarantine:\n%s", b.String())
	}
}

// TestTicketByTag: `ticket` takes the tag as subjects show it as well as
// the id `tickets` lists; numbers count per tag, so a tag number is not an
// id.
func TestTicketByTag(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	for i, to := range []string{"fta-pass@origin.or.kr", "qualification@origin.or.kr", "qualification@origin.or.kr"} {
		if err := s.mail.Deliver(to, maildesktest.Inquiry("kim@example.co.kr", to, "문의", fmt.Sprintf("tag%d@x", i), "문의드립니다.\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	s.waitCaptured(3)
	d.stop()
	// The mailboxes are read side by side: which ticket got which id
	// depends on that, the numbers per tag do not.
	var id int64
	for _, tk := range s.snapshot(s.db()).tickets {
		if tk.FullTag() == "[QUAL #2]" {
			id = tk.ID
		}
	}
	if id == 0 {
		t.Fatal("no [QUAL #2]")
	}
	idArg := strconv.FormatInt(id, 10)
	byID, err := runCLI(t, "ticket", "-config", s.configPath, idArg)
	if err != nil || !strings.HasPrefix(byID, "[QUAL #2] ") {
		t.Fatalf("ticket %s: %v\n%s", idArg, err, byID)
	}
	for _, ref := range []string{"[QUAL #2]", "QUAL #2", "qual-2", "QUAL#2"} {
		if out, err := runCLI(t, "ticket", "-config", s.configPath, ref); err != nil || out != byID {
			t.Errorf("ticket %q: %v; want the same as ticket %s:\n%s", ref, err, idArg, out)
		}
	}
	if _, err := runCLI(t, "ticket", "-config", s.configPath, "[QUAL #3]"); exitCode(err) != 1 || !strings.Contains(err.Error(), "no ticket [QUAL #3]") {
		t.Errorf("ticket [QUAL #3]: %v; want no such ticket", err)
	}
	list, err := runCLI(t, "tickets", "-config", s.configPath)
	if err != nil || !regexp.MustCompile(`(?m)^`+idArg+` +\[QUAL #2\]`).MatchString(list) {
		t.Errorf("tickets: %v; want the id beside the tag:\n%s", err, list)
	}
}

// TestTicketView: `ticket` shows what each mail says (the new text, its
// first lines; -full all of it with the quoted history) and who of the
// ticket is away, with the delegate.
func TestTicketView(t *testing.T) {
	s := newStack(t)
	d := startDaemon(t, s.configPath)
	var body strings.Builder
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&body, "문의 내용 %d번째 줄입니다.\r\n", i)
	}
	body.WriteString("\r\n-----Original Message-----\r\n> 이전에 주신 답변입니다.\r\n")
	if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "문의", "view@x", body.String())); err != nil {
		t.Fatal(err)
	}
	s.waitCaptured(1)
	d.stop()

	out, err := runCLI(t, "ticket", "-config", s.configPath, "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| 문의 내용 1번째 줄입니다.", "| 문의 내용 12번째 줄입니다.", "| … 8 more lines (-full shows all)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ticket lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "13번째") || strings.Contains(out, "이전에 주신 답변") || strings.Contains(out, "away:") {
		t.Errorf("ticket shows more than the first lines of the new text, or an absence:\n%s", out)
	}
	full, err := runCLI(t, "ticket", "-config", s.configPath, "-full", "1")
	if err != nil || !strings.Contains(full, "| 문의 내용 20번째 줄입니다.") || !strings.Contains(full, "이전에 주신 답변입니다.") {
		t.Errorf("ticket -full: %v; want the whole text with the quote:\n%s", err, full)
	}

	today := s.addAbsence(3)
	out, err = runCLI(t, "ticket", "-config", s.configPath, "1")
	if err != nil || !strings.Contains(out, "away:      임민수 (mslim) is away "+today.Format("2006-01-02")) || !strings.Contains(out, "(kioi) gets this ticket's notices") {
		t.Errorf("ticket during the handler's absence: %v\n%s", err, out)
	}
}
