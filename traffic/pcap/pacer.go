package pcap

import (
	"context"
	"io"
	"time"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Clock is the wall clock a Pacer waits on: monotonic nanoseconds and a
// sleep. Tests substitute a fake one.
type Clock interface {
	Now() int64
	Sleep(d time.Duration)
}

// wallClock reads the monotonic clock through time.Since (a vDSO read, about
// 25 ns on Linux).
type wallClock struct{ base time.Time }

func (c wallClock) Now() int64            { return int64(time.Since(c.base)) }
func (c wallClock) Sleep(d time.Duration) { time.Sleep(d) }

// WallClock returns the real monotonic clock.
func WallClock() Clock { return wallClock{base: time.Now()} }

// Pacer releases scheduled packets on the wall clock. The first call to Wait
// ties the first scheduled timestamp to "now"; every later one returns when
// its timestamp's offset from the first has elapsed.
//
// Far from a deadline it sleeps; within the spin window it polls the clock,
// because a sleep on Linux overshoots by up to a millisecond or more while a
// clock read costs nanoseconds: at 100k packets/s the gap is 10 µs and only
// spinning hits it. The spin window adapts: it is twice the largest recent
// sleep overshoot (between 50 µs and 5 ms), so on a quiet machine the pacer
// sleeps more and spins less. A packet already due is released at once, so
// after a stall (a preemption, a slow consumer) the backlog goes out
// back-to-back until the pacer has caught up: the average rate holds even
// when single gaps cannot.
type Pacer struct {
	clock     Clock
	spin      int64 // current spin window, ns
	overshoot int64 // smoothed sleep overshoot, ns

	started              bool
	originDue, originNow int64
	firstNow, lastNow    int64
	firstDue, lastDue    int64
	n                    uint64
	late                 uint64
	maxLag               int64
}

// Pacer defaults.
const (
	minSpin     = 50 * int64(time.Microsecond)
	maxSpin     = 5 * int64(time.Millisecond)
	initialSpin = 2 * int64(time.Millisecond)
	// LateThreshold is how far behind its due time a packet must be
	// released to count as late.
	LateThreshold = 100 * time.Microsecond
)

// NewPacer returns a Pacer on clock (nil means the wall clock).
func NewPacer(clock Clock) *Pacer {
	if clock == nil {
		clock = WallClock()
	}
	return &Pacer{clock: clock, spin: initialSpin}
}

// Wait blocks until due (a scheduled timestamp, ns) has come.
func (pc *Pacer) Wait(due int64) {
	now := pc.clock.Now()
	if !pc.started {
		pc.started = true
		pc.originDue, pc.originNow = due, now
		pc.firstDue, pc.firstNow = due, now
	} else {
		target := pc.originNow + (due - pc.originDue)
		for target-now > pc.spin {
			d := target - now - pc.spin
			pc.clock.Sleep(time.Duration(d))
			after := pc.clock.Now()
			pc.adapt(after - now - d)
			now = after
		}
		for now < target {
			now = pc.clock.Now()
		}
		if lag := now - target; lag > int64(LateThreshold) {
			pc.late++
			pc.maxLag = max(pc.maxLag, lag)
		}
	}
	pc.n++
	pc.lastDue, pc.lastNow = due, now
}

// adapt folds one sleep overshoot into the spin window.
func (pc *Pacer) adapt(over int64) {
	over = max(over, 0)
	// A sudden large overshoot widens the window at once; it narrows
	// slowly (1/8 per sleep) as sleeps turn out accurate.
	if over > pc.overshoot {
		pc.overshoot = over
	} else {
		pc.overshoot -= (pc.overshoot - over) / 8
	}
	pc.spin = min(max(2*pc.overshoot, minSpin), maxSpin)
}

// PacerStats describe a paced run.
type PacerStats struct {
	Packets   uint64
	Scheduled time.Duration // from the first packet's due time to the last's
	Elapsed   time.Duration // wall time from the first release to the last
	Late      uint64        // packets released more than LateThreshold late
	MaxLag    time.Duration // the latest any packet was released
}

// Stats returns what the pacer has done so far.
func (pc *Pacer) Stats() PacerStats {
	return PacerStats{
		Packets:   pc.n,
		Scheduled: time.Duration(pc.lastDue - pc.firstDue),
		Elapsed:   time.Duration(pc.lastNow - pc.firstNow),
		Late:      pc.late,
		MaxLag:    time.Duration(pc.maxLag),
	}
}

// Report is the outcome of a Replay: what was asked and what happened. The
// JSON field names are part of `sessionlab pcap replay --json`.
type Report struct {
	Timing        string  `json:"timing"`
	Packets       uint64  `json:"packets"`
	Bytes         uint64  `json:"bytes"` // wire bytes
	Passes        int     `json:"passes"`
	ScheduledSec  float64 `json:"scheduled_seconds"`
	ElapsedSec    float64 `json:"elapsed_seconds"`
	RequestedPPS  float64 `json:"requested_pps"`
	AchievedPPS   float64 `json:"achieved_pps"`
	RequestedMbps float64 `json:"requested_mbps"`
	AchievedMbps  float64 `json:"achieved_mbps"`
	Late          uint64  `json:"late_packets"`
	MaxLagSec     float64 `json:"max_lag_seconds"`
	// RateError is achieved/requested - 1 for the packet rate (0 when
	// nothing was requested, as in topspeed).
	RateError float64 `json:"rate_error"`
}

// Replay reads src under timing t, waits for each packet on a live Pacer and
// hands it to fn (which must not keep p's bytes). It stops at the end of
// the source, at ctx's end, or at the first error from src or fn, and
// reports the requested and achieved rates either way.
//
// Rates are measured over intervals: n packets span n-1 gaps, so the
// requested packet rate is (n-1)/scheduled span and the achieved one
// (n-1)/wall span between the first and the last release. Bit rates count
// the wire bytes of every packet but the last over the same spans.
func Replay(ctx context.Context, src packet.Source, t Timing, clock Clock, fn func(p *packet.Packet) error) (Report, error) {
	s, err := NewScheduler(src, t)
	if err != nil {
		return Report{}, err
	}
	pc := NewPacer(clock)
	rep := Report{Timing: t.Describe()}
	var p packet.Packet
	var lastBytes uint64
	for i := 0; ; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			err = ctx.Err()
			break
		}
		if err = s.Next(&p); err != nil {
			if err == io.EOF {
				err = nil
			}
			break
		}
		pc.Wait(p.Timestamp)
		rep.Packets++
		lastBytes = uint64(p.WireLen)
		rep.Bytes += lastBytes
		if err = fn(&p); err != nil {
			break
		}
	}
	rep.Passes = s.Pass() + 1
	if rep.Packets == 0 && err == nil {
		err = errNoPackets
	}
	st := pc.Stats()
	rep.ScheduledSec = st.Scheduled.Seconds()
	rep.ElapsedSec = st.Elapsed.Seconds()
	if t.Mode != TopSpeed { // at top speed every packet is due at once: lateness means nothing
		rep.Late = st.Late
		rep.MaxLagSec = st.MaxLag.Seconds()
	}
	if rep.Packets > 1 {
		gaps := float64(rep.Packets - 1)
		bits := float64(rep.Bytes-lastBytes) * 8
		if rep.ScheduledSec > 0 {
			rep.RequestedPPS = gaps / rep.ScheduledSec
			rep.RequestedMbps = bits / rep.ScheduledSec / 1e6
		}
		if rep.ElapsedSec > 0 {
			rep.AchievedPPS = gaps / rep.ElapsedSec
			rep.AchievedMbps = bits / rep.ElapsedSec / 1e6
		}
		if rep.RequestedPPS > 0 {
			rep.RateError = rep.AchievedPPS/rep.RequestedPPS - 1
		}
	}
	return rep, err
}
