package desk

import (
	"fmt"
	"strings"
	"testing"
)

// TestStaffNoticeHistory: a handler's notice on a long ticket lists its
// last 12 messages, oldest first, ending with the mail it tells of, and
// quotes that mail's new text.
func TestStaffNoticeHistory(t *testing.T) {
	f := newFixture(t)
	f.deliver("fta-pass", 1, 1, mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "문의", id: "h0@x"}.raw())
	for i := 1; i <= 6; i++ {
		f.deliver("fta-pass", 1, uint32(i+1), mail{from: "kim@example.co.kr", to: "fta-pass@origin.or.kr", subject: "Re: 문의",
			id: fmt.Sprintf("h%d@x", i), headers: []string{"In-Reply-To: <h0@x>"}, body: fmt.Sprintf("추가 질문 %d 입니다.\r\n", i)}.raw())
	}
	s := f.state("fta-pass")
	if len(s.tickets) != 1 || len(s.staff) != 7 {
		t.Fatalf("got %d tickets and %d notices, want 1 and 7", len(s.tickets), len(s.staff))
	}
	// inquiry, ack, notice, then 6 × (follow-up, notice): 15 messages
	// before the last notice, which lists the last 12 of them.
	text := f.staffOf(6).Text
	_, hist, ok := strings.Cut(text, "지금까지의 기록:")
	if !ok {
		t.Fatalf("last notice has no history:\n%s", text)
	}
	var lines []string
	for _, l := range strings.Split(hist, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			if len(lines) > 0 {
				break
			}
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) != 12 {
		t.Fatalf("history: got %d lines, want 12:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], "out") || !strings.Contains(lines[0], KindStaffNotice) {
		t.Errorf("history starts with %q, want the first notice (the inquiry and its ack scrolled off)", lines[0])
	}
	if last := lines[11]; !strings.Contains(last, "in ") || !strings.Contains(last, KindFollowUp) || !strings.Contains(last, "kim@example.co.kr") {
		t.Errorf("history ends with %q, want the latest follow-up from kim@example.co.kr", last)
	}
	if !strings.Contains(text, "추가 질문 6 입니다.") {
		t.Errorf("last notice does not quote the latest follow-up:\n%s", text)
	}
}
