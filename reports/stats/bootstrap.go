package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a confidence interval [Lo, Hi].
type Interval struct {
	Lo, Hi float64
}

// Contains reports whether x lies in the closed interval.
func (iv Interval) Contains(x float64) bool { return iv.Lo <= x && x <= iv.Hi }

// Bootstrap configures a percentile bootstrap.
//
// The method is the percentile bootstrap: resample each sample with
// replacement, compute the statistic, and take the α/2 and 1-α/2 quantiles
// of the resampled statistics as the interval. It is not BCa: with the small
// samples benchmarks have (5–30 repetitions) the jackknife acceleration
// estimate of BCa is itself too noisy to improve coverage, and the
// percentile interval of a median is transformation-respecting, which is
// what a percent change needs.
type Bootstrap struct {
	// Resamples is the number of bootstrap resamples (at least MinResamples).
	Resamples int
	// Confidence is the interval's confidence level, in (0, 1).
	Confidence float64
	// Seed seeds the PCG generator: equal seeds give equal intervals.
	Seed uint64
}

// MinResamples is the fewest resamples a Bootstrap accepts: below about
// 2000, the 2.5% and 97.5% quantiles of the resampled statistic move by
// more than the noise they are meant to describe.
const MinResamples = 2000

// DefaultBootstrap is 5000 resamples at 95% confidence, seed 1.
var DefaultBootstrap = Bootstrap{Resamples: 5000, Confidence: 0.95, Seed: 1}

var (
	errResamples  = errors.New("stats: bootstrap needs at least 2000 resamples")
	errConfidence = errors.New("stats: bootstrap confidence must be in (0, 1)")
	errEmpty      = errors.New("stats: bootstrap of an empty sample")
)

func (b Bootstrap) check() error {
	if b.Resamples < MinResamples {
		return errResamples
	}
	if !(b.Confidence > 0 && b.Confidence < 1) {
		return errConfidence
	}
	return nil
}

// resampler draws bootstrap medians of one sample without sorting anything
// per resample.
//
// Why this is fast: the sample is sorted once. A resample is a multiset of
// indices into the sorted sample, and because the sorted values are
// monotone in their index, the median of the resampled values is the value
// at the median of the resampled indices. The indices lie in [0, n), so a
// counting pass over n counters finds the k-th smallest in O(n) with no
// comparisons and no allocation — instead of copying and sorting n values
// (O(n log n)) as a textbook bootstrap does 5000 times.
type resampler struct {
	sorted []float64
	counts []int32
}

func newResampler(xs []float64) resampler {
	s := slices.Clone(xs)
	slices.Sort(s)
	return resampler{sorted: s, counts: make([]int32, len(s))}
}

// median draws one resample from rng and returns its median.
func (r *resampler) median(rng *rand.Rand) float64 {
	n := len(r.sorted)
	clear(r.counts)
	for range n {
		r.counts[rng.IntN(n)]++
	}
	// Ranks (0-based) of the middle order statistics of the resample.
	lo, hi := (n-1)/2, n/2
	var vlo float64
	found := false
	seen := 0
	for i, c := range r.counts {
		seen += int(c)
		if !found && seen > lo {
			vlo, found = r.sorted[i], true
		}
		if seen > hi {
			if n%2 == 1 {
				return vlo
			}
			return (vlo + r.sorted[i]) / 2
		}
	}
	panic("unreachable: counts sum to n")
}

// quantiles returns the percentile interval of vals (sorted in place) at
// the given confidence: the order statistics at ⌊B·α/2⌋ and ⌈B·(1-α/2)⌉-1
// (0-based), which for B = 5000 and 95% are the 125th and 4875th smallest.
func quantiles(vals []float64, confidence float64) Interval {
	slices.Sort(vals)
	b := len(vals)
	a := (1 - confidence) / 2
	lo := int(math.Floor(float64(b) * a))
	hi := int(math.Ceil(float64(b)*(1-a))) - 1
	lo = min(max(lo, 0), b-1)
	hi = min(max(hi, lo), b-1)
	return Interval{Lo: vals[lo], Hi: vals[hi]}
}

// PercentChangeCI returns the percentile-bootstrap confidence interval of
// the percent change of the median from base to head: each resample draws
// base and head independently with replacement (base first, then head, from
// one generator) and computes PercentChange(median(base*), median(head*)).
// It allocates its buffers once; no resample allocates.
func PercentChangeCI(base, head []float64, cfg Bootstrap) (Interval, error) {
	if err := cfg.check(); err != nil {
		return Interval{}, err
	}
	if len(base) == 0 || len(head) == 0 {
		return Interval{}, errEmpty
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, seedStream))
	rb, rh := newResampler(base), newResampler(head)
	vals := make([]float64, cfg.Resamples)
	for i := range vals {
		mb := rb.median(rng)
		mh := rh.median(rng)
		vals[i] = PercentChange(mb, mh)
	}
	return quantiles(vals, cfg.Confidence), nil
}

// MedianCI returns the percentile-bootstrap confidence interval of the
// median of xs.
func MedianCI(xs []float64, cfg Bootstrap) (Interval, error) {
	if err := cfg.check(); err != nil {
		return Interval{}, err
	}
	if len(xs) == 0 {
		return Interval{}, errEmpty
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, seedStream))
	r := newResampler(xs)
	vals := make([]float64, cfg.Resamples)
	for i := range vals {
		vals[i] = r.median(rng)
	}
	return quantiles(vals, cfg.Confidence), nil
}

// seedStream is the second PCG word; fixed so that Bootstrap.Seed alone
// decides the stream.
const seedStream = 0x5e55_1011_ab00_0001
