package main

import (
	"strings"
	"testing"
	"time"

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
