package mailbox

import (
	"math"
	"testing"
	"time"
)

func TestBackoffNext(t *testing.T) {
	fixed := func(f float64) func() float64 { return func() float64 { return f } }
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		want    time.Duration
	}{
		{"first retry, lowest draw", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(0)}, 0, 500 * time.Millisecond},
		{"first retry, middle draw", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(0.5)}, 0, 750 * time.Millisecond},
		{"first retry, top draw", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(1)}, 0, time.Second},
		{"doubles", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(1)}, 3, 8 * time.Second},
		{"doubles, lowest draw", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(0)}, 3, 4 * time.Second},
		{"capped at max", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(1)}, 6, time.Minute},
		{"capped at max, lowest draw", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(0)}, 10, 30 * time.Second},
		{"huge attempt does not overflow", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(1)}, math.MaxInt, time.Minute},
		{"negative attempt counts as first", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(1)}, -5, time.Second},
		{"zero value defaults: 1s", Backoff{Rand: fixed(1)}, 0, time.Second},
		{"zero value defaults: 5m cap", Backoff{Rand: fixed(1)}, 100, 5 * time.Minute},
		{"max below min is raised to min", Backoff{Min: time.Minute, Max: time.Second, Rand: fixed(1)}, 4, time.Minute},
		{"rand above 1 is clamped", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(7)}, 0, time.Second},
		{"negative rand is clamped", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(-1)}, 0, 500 * time.Millisecond},
		{"NaN rand is clamped", Backoff{Min: time.Second, Max: time.Minute, Rand: fixed(math.NaN())}, 0, 500 * time.Millisecond},
		{"near-max duration does not overflow", Backoff{Min: time.Duration(math.MaxInt64 / 3), Max: time.Duration(math.MaxInt64), Rand: fixed(1)}, 5, time.Duration(math.MaxInt64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Next(tt.attempt); got != tt.want {
				t.Errorf("Next(%d): got %v, want %v", tt.attempt, got, tt.want)
			}
		})
	}
}

func TestBackoffDefaultRandBounds(t *testing.T) {
	// With the real random source every delay stays within [d/2, d].
	b := Backoff{Min: 10 * time.Millisecond, Max: time.Second}
	for attempt := 0; attempt < 12; attempt++ {
		d := min(10*time.Millisecond<<attempt, time.Second)
		for range 50 {
			got := b.Next(attempt)
			if got < d/2 || got > d {
				t.Fatalf("Next(%d): got %v, want within [%v, %v]", attempt, got, d/2, d)
			}
		}
	}
}
