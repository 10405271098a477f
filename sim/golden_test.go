package sim

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

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
	const file = "testdata/golden.golden"
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("line %d: got %q, want %q", i+1, g, w)
			}
		}
		t.Log("after an intended change: go test ./sim -run Golden -update")
	}
}
