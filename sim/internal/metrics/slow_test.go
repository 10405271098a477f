package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
)

// exactQuantile is the slow, obviously right quantile: the nearest-rank
// value of the sorted samples.
func exactQuantile(sorted []int64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return float64(sorted[rank-1])
}

// TestHistAgainstExact: HDR percentiles with 3 significant digits are
// within 0.1% of the exact nearest-rank quantiles; count, min, max and mean
// are exact.
func TestHistAgainstExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, dist := range []struct {
		name string
		draw func() int64
	}{
		{"uniform", func() int64 { return 1 + rng.Int64N(1e6) }},
		{"exponential", func() int64 { return int64(rng.ExpFloat64() * 5000) }},
		{"pareto", func() int64 { return int64(100 / math.Pow(1-rng.Float64(), 1/1.2)) }},
		{"few", func() int64 { return []int64{7, 7, 7, 1000, 123456}[rng.IntN(5)] }},
	} {
		h := NewHist()
		var xs []int64
		sum := 0.0
		for range 20000 {
			v := min(dist.draw(), HighestNS)
			h.Record(v)
			xs = append(xs, v)
			sum += float64(v)
		}
		slices.Sort(xs)
		for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
			got, want := h.Quantile(q), exactQuantile(xs, q)
			if math.Abs(got-want) > want*0.001+1 {
				t.Errorf("%s: q%v = %v, exact %v", dist.name, q, got, want)
			}
		}
		r := h.Result("x")
		if r.Count != uint64(len(xs)) || r.Min != float64(xs[0]) || r.Max != float64(xs[len(xs)-1]) {
			t.Errorf("%s: count %d min %v max %v, want %d %d %d", dist.name, r.Count, r.Min, r.Max, len(xs), xs[0], xs[len(xs)-1])
		}
		if mean := sum / float64(len(xs)); math.Abs(r.Mean-mean) > 1e-9*mean {
			t.Errorf("%s: mean %v, want %v", dist.name, r.Mean, mean)
		}
		// The CDF: non-decreasing, ends at (max, 1), and each point's
		// fraction is within the HDR precision of the exact one.
		for i, p := range r.CDF {
			if i > 0 && (p.Value < r.CDF[i-1].Value || p.Fraction < r.CDF[i-1].Fraction) {
				t.Fatalf("%s: CDF decreases at %d: %v after %v", dist.name, i, p, r.CDF[i-1])
			}
			exact := float64(sort0(xs, int64(p.Value*1.001))) / float64(len(xs))
			if exact+1e-9 < p.Fraction {
				t.Errorf("%s: CDF claims %v of samples <= %v, exactly %v are <= it (+0.1%%)", dist.name, p.Fraction, p.Value, exact)
			}
		}
		if last := r.CDF[len(r.CDF)-1]; last.Fraction != 1 || last.Value != r.Max {
			t.Errorf("%s: CDF ends at %v, want (%v, 1)", dist.name, last, r.Max)
		}
	}
}

// sort0 counts the sorted samples <= v.
func sort0(xs []int64, v int64) int {
	i, _ := slices.BinarySearch(xs, v+1)
	return i
}

// TestSessionsFifoAgainstBytes: the fifo residence the per-session marks
// record equals a byte-by-byte model's — each byte timed from its enqueue
// to the read that consumes it, a sample per enqueue mark completed —
// while marks do not run out.
func TestSessionsFifoAgainstBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 200 {
		s := NewSessions(1)
		h := session.MakeHandle(0, uint32(round%7))
		s.Reset(h, -1)
		hist := NewHist()
		var want []int64
		// The slow model: every byte's enqueue time, in order; an enqueue
		// mark completes when its last byte is read.
		var bytes []int64
		var ends []int // index past each mark's last byte
		read := 0
		now := int64(0)
		pending := 0
		for range 50 {
			now += 1 + rng.Int64N(100)
			if pending < marksPerSession && rng.IntN(2) == 0 {
				n := 1 + rng.IntN(1000)
				s.Enqueued(h, n, now)
				for range n {
					bytes = append(bytes, now)
				}
				ends = append(ends, len(bytes))
				pending++
				continue
			}
			if avail := len(bytes) - read; avail > 0 {
				n := 1 + rng.IntN(avail)
				s.Dequeued(h, n, now, hist)
				read += n
				for len(ends) > 0 && ends[0] <= read {
					want = append(want, now-bytes[ends[0]-1])
					ends = ends[1:]
					pending--
				}
			}
		}
		if hist.Count() != uint64(len(want)) {
			t.Fatalf("round %d: %d samples, want %d", round, hist.Count(), len(want))
		}
		slices.Sort(want)
		if len(want) > 0 {
			if got := hist.Result("f"); got.Max != float64(want[len(want)-1]) || got.Min != float64(want[0]) {
				t.Fatalf("round %d: min %v max %v, want %v %v", round, got.Min, got.Max, want[0], want[len(want)-1])
			}
		}
	}
}
