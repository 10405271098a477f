package compare_test

import (
	"fmt"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

// Two runs of a one-point scenario, ten repetitions each: head's throughput
// is 12% lower, its session count unchanged.
func Example() {
	run := func(noiseSeed uint64, scale float64) *results.Document {
		s := resultstest.Single("example",
			resultstest.Metric{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter,
				Kind: results.KindMeasurement, Base: 2e6, Noise: 0.02, Scale: scale},
			resultstest.Metric{Name: "sessions", Unit: "sessions", Direction: results.NoDirection,
				Kind: results.KindCount, Base: 40000},
		)
		s.NoiseSeed = noiseSeed
		return resultstest.Build(s)
	}
	base, head := run(1, 1), run(2, 0.88)

	rep, err := compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rep.Rows {
		fmt.Printf("%s: %s, %s\n", r.Metric, compare.FormatChange(r.ChangePct), r.Verdict)
	}
	// rep.WriteMarkdown(w) writes the same for a CI job summary.
	fmt.Println(rep.Summary(), "exit", rep.ExitCode())
	// Output:
	// throughput: -10.5%, worse
	// sessions: 0.0%, ~
	// FAIL: 1 worse, 1 ~ exit 1
}
