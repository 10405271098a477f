// Package stats holds the statistics sessionlab's comparisons rest on:
// medians, bootstrap confidence intervals of a median and of the percent
// change between two medians, the Mann-Whitney U test (exact with ties for
// small samples, normal approximation with tie correction for larger ones)
// and the Holm-Bonferroni correction for testing many metrics at once.
//
// The data flow of one comparison (reports/compare drives it):
//
//	base, head samples ──Median──────────────> the change in percent
//	                   ──PercentChangeCI────> its bootstrap interval
//	                   ──MannWhitneyU───────> a p-value per metric and point
//	all p-values ──────Holm─────────────────> adjusted p-values, compared with α
//
// Everything is deterministic: the bootstrap draws from a PCG generator with
// a caller-given seed, so the same inputs give the same interval on every
// machine and in every run.
package stats

import (
	"math"
	"slices"

	mstats "github.com/montanaflynn/stats"
)

// Median returns the median of xs (the mean of the two middle values when
// len(xs) is even), or NaN for no values. xs is not modified.
func Median(xs []float64) float64 {
	m, err := mstats.Median(xs)
	if err != nil {
		return math.NaN()
	}
	return m
}

// PercentChange returns the change from base to head in percent of |base|.
// A change from 0 is +Inf or -Inf (0 when head is also 0).
func PercentChange(base, head float64) float64 {
	// No special case for base 0: IEEE division already gives ±Inf, and
	// only 0/0 (NaN) needs mapping. Branch-light, so it inlines into the
	// bootstrap loop.
	if base == 0 {
		base = 0 // -0 would flip the sign of the infinity
	}
	c := (head - base) / base * 100
	if base < 0 {
		c = -c // percent of |base|; negation is exact
	}
	if c != c && head == base {
		return 0
	}
	return c
}

// Holm returns Holm-Bonferroni adjusted p-values for ps, in the order of ps:
// with the p-values sorted ascending as p(1) ≤ … ≤ p(m), the adjusted value
// of p(i) is max over j ≤ i of min(1, (m-j+1)·p(j)). Rejecting where the
// adjusted value is below α controls the family-wise error rate at α
// without assuming the tests are independent. NaN entries are not tests:
// they stay NaN and do not count towards m.
func Holm(ps []float64) []float64 {
	adj := make([]float64, len(ps))
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		adj[i] = math.NaN()
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case ps[a] < ps[b]:
			return -1
		case ps[a] > ps[b]:
			return 1
		}
		return 0
	})
	m := len(idx)
	running := 0.0
	for j, i := range idx {
		v := math.Min(1, float64(m-j)*ps[i])
		running = math.Max(running, v)
		adj[i] = running
	}
	return adj
}
