package veth

import (
	"time"
)

// Pacer releases frames at a fixed rate. It sleeps while the next frame is
// far off and spins for the last stretch, because a sleeping thread wakes
// late (tens of microseconds with nanosleep(2) and a small timer slack, up to
// a millisecond with time.Sleep): sleeping alone cannot hold a 20 µs
// interval, and spinning alone would burn a core at low rates.
//
// Frame i is due at start + i/rate. When the sender falls behind, Wait
// reports every overdue frame at once, so a burst catches up (bounded by
// MaxBurst) instead of the schedule slipping.
type Pacer struct {
	start    time.Time
	perFrame float64 // ns
	spin     time.Duration
	// MaxBurst bounds how many overdue frames one Wait releases.
	MaxBurst uint64
	// Stop, when set, is polled at least every maxNap while Wait sleeps;
	// Wait returns 0 once it reports true.
	Stop func() bool
}

// maxNap bounds one sleep, so a stop request is seen promptly even at a
// rate of one frame a minute.
const maxNap = 20 * time.Millisecond

// sleep blocks the calling thread; Linux replaces it with nanosleep(2),
// which the runtime's timer wheel would otherwise round up to a millisecond.
var sleep = time.Sleep

// NewPacer returns a pacer for rate frames per second starting now. spin is
// how close to a deadline it stops sleeping and spins (default 50 µs when
// 0). A rate of 0 or less means unpaced: Wait never blocks.
func NewPacer(rate float64, spin time.Duration) *Pacer {
	if spin <= 0 {
		spin = 50 * time.Microsecond
	}
	p := &Pacer{start: time.Now(), spin: spin, MaxBurst: 256}
	if rate > 0 {
		p.perFrame = 1e9 / rate
	}
	return p
}

// Due returns how many frames are due by elapsed time since the start.
func (p *Pacer) Due(elapsed time.Duration) uint64 {
	if p.perFrame == 0 {
		return ^uint64(0)
	}
	return uint64(float64(elapsed)/p.perFrame) + 1
}

// Wait blocks until frame number sent (0-based) is due and returns how many
// frames may go now: at least 1, or 0 when Stop reported true.
func (p *Pacer) Wait(sent uint64) uint64 {
	if p.perFrame == 0 {
		return p.MaxBurst
	}
	for {
		el := time.Since(p.start)
		if due := p.Due(el); due > sent {
			return min(due-sent, p.MaxBurst)
		}
		wait := time.Duration(float64(sent)*p.perFrame) - el
		if wait > p.spin {
			if p.Stop != nil && p.Stop() {
				return 0
			}
			sleep(min(wait-p.spin, maxNap))
		}
	}
}
