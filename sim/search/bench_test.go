package search

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

// fluidQueue is the queue system's trial in closed form, for benchmarks
// that measure the search rather than a simulation: N = ⌈λT⌉ offered, and
// the excess of the last arrival's backlog over the queue counted as
// dropped (exact for the first drop, close after it).
type fluidQueue struct {
	service float64
	queue   int
}

func (f fluidQueue) Measure(_ context.Context, in TrialInput) (TrialOutput, error) {
	n := math.Ceil(in.Load * in.Duration.Seconds())
	mu := 1 / f.service
	drops := 0.0
	if in.Load > mu && n > 1 {
		drops = max(0, (n-1)-math.Floor((n-1)*mu/in.Load)-float64(f.queue))
	}
	return TrialOutput{Offered: uint64(n), Received: uint64(n - drops)}, nil
}

// BenchmarkSearchCost compares what a search costs in trial time — the
// time a tester spends offering traffic, the figure MLRsearch exists to
// cut — for CSIT's NDR and PDR goals (0.5% width, 1 s trials, 21 s
// duration sum, exceed ratio 0.5): impl=mlrsearch is this package;
// impl=bisect is a plain binary search per goal on the same grid, each load
// measured with 1 s trials until the final goal decides it (RFC 2544's
// procedure with MLRsearch's classification). trial-s/op is the trial
// seconds per search, trials/op the trial count.
func BenchmarkSearchCost(b *testing.B) {
	for _, sys := range []struct {
		name string
		q    fluidQueue
	}{
		{"queue100k", fluidQueue{service: 10e-6, queue: 500}},
		{"queue1M", fluidQueue{service: 1e-6, queue: 4096}},
	} {
		cfg := Config{Goals: NDRPDR(0.005, 0.5, time.Second, 21*time.Second), MinLoad: 1000, MaxLoad: 4 / sys.q.service}
		b.Run(fmt.Sprintf("system=%s/impl=mlrsearch", sys.name), func(b *testing.B) {
			var spent time.Duration
			trials := 0
			for b.Loop() {
				res, err := Run(context.Background(), sys.q, cfg)
				if err != nil {
					b.Fatal(err)
				}
				spent += res.Spent
				trials += len(res.Trials)
			}
			b.ReportMetric(spent.Seconds()/float64(b.N), "trial-s/op")
			b.ReportMetric(float64(trials)/float64(b.N), "trials/op")
		})
		b.Run(fmt.Sprintf("system=%s/impl=bisect", sys.name), func(b *testing.B) {
			s, err := newSearcher(sys.q, cfg)
			if err != nil {
				b.Fatal(err)
			}
			var spent time.Duration
			trials := 0
			for b.Loop() {
				for _, sel := range s.sels {
					tg := sel.ts[len(sel.ts)-1]
					_, d := slowNDR(sys.q, s.g, tg)
					spent += d
					trials += int(d / tg.trial)
				}
			}
			b.ReportMetric(spent.Seconds()/float64(b.N), "trial-s/op")
			b.ReportMetric(float64(trials)/float64(b.N), "trials/op")
		})
	}
}

// BenchmarkNominate is the search's own cost per trial: every selector
// finding its relevant bounds and nominating, on a database of 40 loads
// with 11 trials each.
func BenchmarkNominate(b *testing.B) {
	db := stepDatabase()
	tg := target{exceedRatio: 0.5, width: 64, trial: time.Second, sum: 21 * time.Second}
	sel := &selector{ts: []target{tg}, pend: none}
	sel.setHints(2500, 2600, 2, 10000)
	b.ReportAllocs()
	for b.Loop() {
		sel.nominate(db, 10000, 2)
	}
}
