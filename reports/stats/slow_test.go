package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	mstats "github.com/montanaflynn/stats"
)

// Slow, obviously right reference implementations the fast ones are
// checked against.

// slowMWU enumerates every way to split the pooled values into samples of
// sizes len(x) and len(y) and counts rank sums at or beyond the observed
// one, using midranks computed by pairwise comparison.
func slowMWU(x, y []float64) (u, p float64) {
	all := append(slices.Clone(x), y...)
	n, n1 := len(all), len(x)
	rank := make([]float64, n)
	for i, v := range all {
		less, equal := 0, 0
		for _, w := range all {
			if w < v {
				less++
			} else if w == v {
				equal++
			}
		}
		rank[i] = float64(less) + float64(equal+1)/2
	}
	obs := 0.0
	for _, r := range rank[:n1] {
		obs += r
	}
	var le, ge, total float64
	idx := make([]int, n1)
	var rec func(start, depth int, sum float64)
	rec = func(start, depth int, sum float64) {
		if depth == n1 {
			total++
			if sum <= obs+1e-9 {
				le++
			}
			if sum >= obs-1e-9 {
				ge++
			}
			return
		}
		for i := start; i <= n-(n1-depth); i++ {
			idx[depth] = i
			rec(i+1, depth+1, sum+rank[i])
		}
	}
	rec(0, 0, 0)
	return obs - float64(n1*(n1+1))/2, math.Min(1, 2*math.Min(le, ge)/total)
}

// slowHolm is the textbook step-down procedure.
func slowHolm(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]] < ps[order[b]] })
	adj := make([]float64, m)
	for k, i := range order {
		best := 0.0
		for j := 0; j <= k; j++ {
			best = math.Max(best, math.Min(1, float64(m-j)*ps[order[j]]))
		}
		adj[i] = best
	}
	return adj
}

// slowResample draws a resample of xs with the same generator calls as the
// fast resampler (n calls of IntN(n)) and returns its median computed the
// textbook way: copy the values, sort, take the middle.
func slowResample(xs []float64, rng *rand.Rand) float64 {
	sorted := slices.Clone(xs)
	slices.Sort(sorted) // the fast path indexes the sorted sample
	re := make([]float64, len(xs))
	for i := range re {
		re[i] = sorted[rng.IntN(len(xs))]
	}
	m, _ := mstats.Median(re)
	return m
}

func slowQuantiles(vals []float64, confidence float64) Interval {
	sort.Float64s(vals)
	b := float64(len(vals))
	a := (1 - confidence) / 2
	return Interval{Lo: vals[int(math.Floor(b*a))], Hi: vals[int(math.Ceil(b*(1-a)))-1]}
}

func slowPercentChangeCI(base, head []float64, cfg Bootstrap) Interval {
	rng := rand.New(rand.NewPCG(cfg.Seed, seedStream))
	var vals []float64
	for range cfg.Resamples {
		mb := slowResample(base, rng)
		mh := slowResample(head, rng)
		vals = append(vals, PercentChange(mb, mh))
	}
	return slowQuantiles(vals, cfg.Confidence)
}

func slowMedianCI(xs []float64, cfg Bootstrap) Interval {
	rng := rand.New(rand.NewPCG(cfg.Seed, seedStream))
	var vals []float64
	for range cfg.Resamples {
		vals = append(vals, slowResample(xs, rng))
	}
	return slowQuantiles(vals, cfg.Confidence)
}
