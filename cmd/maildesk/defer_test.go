package main

import (
	"testing"
	"time"
)

func TestParseUntil(t *testing.T) {
	seoul, err := time.LoadLocation("Asia/Seoul")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		// A bare date is the end of that day (desk.EndOfDay), as for #defer.
		{"2026-12-01", time.Date(2026, 12, 1, 18, 0, 0, 0, seoul), false},
		{" 2026-12-01 ", time.Date(2026, 12, 1, 18, 0, 0, 0, seoul), false},
		{"2026-12-01T15:00", time.Date(2026, 12, 1, 15, 0, 0, 0, seoul), false},
		{"2026-12-01 15:00", time.Date(2026, 12, 1, 15, 0, 0, 0, seoul), false},
		{"2026-12-01T15:00:00Z", time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), false},
		{"tomorrow", time.Time{}, true},
		{"2026-13-01", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseUntil(tt.in, seoul)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("parseUntil(%q): got %v, %v, want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}
