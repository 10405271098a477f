package search

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// queueSystem is the analytic fake system under test: one FIFO server with
// a fixed service time and room for queue packets waiting (plus the one in
// service), fed by constant-rate arrivals.
//
// Its trial definition: arrivals at t_k = k/λ for k = 0, 1, … while
// t_k < T, so N = ⌈λT⌉ packets are offered; a departure at the same instant
// as an arrival frees its place first; an arrival that finds queue packets
// waiting is dropped; after T the system drains, so everything accepted is
// received.
//
// Loss-free condition (derived in docs/search.md): with μ = 1/service, a
// trial is loss-free iff λ ≤ μ, or (N−1) − ⌊(N−1)·μ/λ⌋ ≤ queue. (While no
// packet has been dropped and λ > μ the server never idles, so departures
// happen at s, 2s, …; before arrival k, k packets have arrived and
// ⌊k·μ/λ⌋ have left; that count never decreases in k, so the last arrival
// sees the fullest system.)
type queueSystem struct {
	service float64 // seconds
	queue   int
	// jitter, when set, draws each inter-arrival gap uniformly from
	// [0, 2/λ) with the trial's seed instead of exactly 1/λ (bursty
	// arrivals for the determinism test).
	jitter bool
	seed   uint64
}

// trial simulates one trial event by event: a ring of the departure times
// of the packets in the system.
func (q *queueSystem) trial(load float64, d time.Duration, index int) (offered, received uint64) {
	T := d.Seconds()
	ring := make([]float64, q.queue+1)
	head, n := 0, 0
	last := 0.0
	var rng *rand.Rand
	if q.jitter {
		rng = rand.New(rand.NewPCG(q.seed, uint64(index)))
	}
	t := 0.0
	for k := 0; ; k++ {
		if q.jitter {
			if k > 0 {
				t += rng.Float64() * 2 / load
			}
		} else {
			t = float64(k) / load
		}
		if t >= T {
			break
		}
		offered++
		for n > 0 && ring[head] <= t {
			head = (head + 1) % len(ring)
			n--
		}
		if n == len(ring) {
			continue
		}
		dep := max(t, last) + q.service
		ring[(head+n)%len(ring)] = dep
		n++
		last = dep
		received++
	}
	return offered, received
}

// lossFree is the closed form of the trial's loss-free condition.
func (q *queueSystem) lossFree(load float64, d time.Duration) bool {
	mu := 1 / q.service
	if load <= mu {
		return true
	}
	n := math.Ceil(load * d.Seconds())
	if n <= 1 {
		return true
	}
	return (n-1)-math.Floor((n-1)*mu/load) <= float64(q.queue)
}

// ndr returns the highest loss-free load (the true NDR for trials of d) by
// bisection on the closed form, to a relative precision of 1e-12.
func (q *queueSystem) ndr(d time.Duration, maxLoad float64) float64 {
	lo, hi := 1/q.service, maxLoad
	for hi-lo > lo*1e-12 {
		mid := (lo + hi) / 2
		if q.lossFree(mid, d) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func (q *queueSystem) Measure(_ context.Context, in TrialInput) (TrialOutput, error) {
	o, r := q.trial(in.Load, in.Duration, in.Index)
	return TrialOutput{Offered: o, Received: r}, nil
}

// lossAt returns the fake's loss ratio of one trial.
func (q *queueSystem) lossAt(load float64, d time.Duration) float64 {
	o, r := q.trial(load, d, 0)
	out := TrialOutput{Offered: o, Received: r}
	return out.LossRatio()
}
