package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/kioi/maildesk/internal/maildesktest"
)

// TestLogFormatJSON: with log_format = "json", `maildesk run` writes every
// line as one JSON object, the lines of its start and stop included.
func TestLogFormatJSON(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	s := newStack(t)
	s.setConfig(`log_format = "json"`)
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run", "-config", s.configPath}, &bytes.Buffer{}, &stderr) }()
	if err := s.mail.Deliver("fta-pass@origin.or.kr", maildesktest.Inquiry("kim@example.co.kr", "fta-pass@origin.or.kr", "문의", "log@x", "문의드립니다.\r\n")); err != nil {
		t.Fatal(err)
	}
	s.waitCaptured(1)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["msg"] == nil || v["level"] == nil {
			t.Errorf("not a JSON log line: %q (%v)", l, err)
		}
	}
	if !strings.Contains(stderr.String(), `"msg":"maildesk stopped"`) {
		t.Errorf("the stop is not logged as JSON:\n%s", stderr.String())
	}
}
