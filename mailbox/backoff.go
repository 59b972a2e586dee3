package mailbox

import (
	"math/rand/v2"
	"time"
)

// Default reconnect delays: quick enough that a restarted server is picked up
// within seconds, slow enough at the top that a server that is down for hours
// sees only a dozen logins an hour from each watcher.
const (
	defaultBackoffMin = time.Second
	defaultBackoffMax = 5 * time.Minute
)

// Backoff computes reconnect delays: exponential from Min to Max with full or equal jitter.
//
// This implementation uses equal jitter: the delay for attempt n is drawn from
// [d/2, d] where d = min(Max, Min·2ⁿ). Full jitter ([0, d]) spreads load
// slightly better, but can return a delay near zero, which turns a refused
// connection into a busy loop; half of d is always waited here.
//
// The zero value is usable: Min defaults to 1s, Max to 5m, Rand to
// math/rand/v2.Float64. Rand is injectable so tests can pin the delay.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a value in [0, 1). Values outside are clamped.
	Rand func() float64
}

// Next returns how long to wait before retry number attempt (0 for the first
// retry after a failure). Negative attempts count as 0.
func (b *Backoff) Next(attempt int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = defaultBackoffMin
	}
	if hi <= 0 {
		hi = defaultBackoffMax
	}
	if hi < lo {
		hi = lo
	}

	// Double step by step rather than shifting, stopping before a doubling
	// could pass hi, so no attempt count or duration can overflow.
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		if d > hi/2 {
			d = hi
			break
		}
		d *= 2
	}

	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	f := r()
	if !(f >= 0) { // also catches NaN
		f = 0
	}
	if f > 1 {
		f = 1
	}
	half := d / 2
	return half + time.Duration(f*float64(d-half))
}
