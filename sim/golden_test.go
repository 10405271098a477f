package sim

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.golden")

// TestGolden replays a fixed capture on the simulated clock and compares
// every count metric and drop with testdata/golden.golden: a change in
// what the engine (or the session layer under it) does with the same
// packets shows up here. After an intended change: go test ./sim -run
// Golden -update, and review the diff.
func TestGolden(t *testing.T) {
	s, err := scenario.Load("testdata/golden.yaml", scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := run(t, s)
	r := d.Points[0].Repetitions[0]
	var b strings.Builder
	fmt.Fprintf(&b, "duration_ns %d\n", r.DurationNS)
	for _, m := range r.Metrics {
		if m.Kind == results.KindCount {
			fmt.Fprintf(&b, "%s %v %s\n", m.Name, m.Value, m.Unit)
		}
	}
	for _, dr := range r.Drops {
		fmt.Fprintf(&b, "drop %s %d\n", dr.Cause, dr.Count)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning %s\n", w)
	}
	got := b.String()
	golden.Check(t, "testdata/golden.golden", got, *update)
}
