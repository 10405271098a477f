package stats

import (
	"math/rand/v2"
	"strconv"
	"testing"

	mstats "github.com/montanaflynn/stats"
)

func benchSample(n int, mu float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = mu * (1 + 0.02*rng.NormFloat64())
	}
	return xs
}

// BenchmarkPercentChangeCI compares the counting resampler with the
// textbook bootstrap (copy the resample, montanaflynn/stats Median sorts
// it) at 5000 resamples.
func BenchmarkPercentChangeCI(b *testing.B) {
	for _, n := range []int{10, 30} {
		base, head := benchSample(n, 100, 1), benchSample(n, 105, 2)
		cfg := DefaultBootstrap
		b.Run("n="+strconv.Itoa(n)+"/impl=counting", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := PercentChangeCI(base, head, cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("n="+strconv.Itoa(n)+"/impl=montanaflynn", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rng := rand.New(rand.NewPCG(cfg.Seed, seedStream))
				vals := make([]float64, cfg.Resamples)
				rb, rh := make([]float64, len(base)), make([]float64, len(head))
				for i := range vals {
					for k := range rb {
						rb[k] = base[rng.IntN(len(base))]
					}
					for k := range rh {
						rh[k] = head[rng.IntN(len(head))]
					}
					mb, _ := mstats.Median(rb)
					mh, _ := mstats.Median(rh)
					vals[i] = PercentChange(mb, mh)
				}
				_ = quantiles(vals, cfg.Confidence)
			}
		})
	}
}

// BenchmarkMannWhitneyU compares the dynamic program with enumeration of
// every split (feasible only for small samples).
func BenchmarkMannWhitneyU(b *testing.B) {
	x, y := benchSample(8, 100, 3), benchSample(8, 101, 4)
	b.Run("n=8/impl=dp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MannWhitneyU(x, y)
		}
	})
	b.Run("n=8/impl=enumerate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			slowMWU(x, y)
		}
	})
	x, y = benchSample(20, 100, 3), benchSample(20, 101, 4)
	b.Run("n=20/impl=dp", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			MannWhitneyU(x, y)
		}
	})
}
