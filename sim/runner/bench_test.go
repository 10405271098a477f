package runner

import (
	"context"
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

type nopEngine struct{ rep results.Repetition }

func (e *nopEngine) Run(context.Context, *scenario.Resolved, RunOptions) (*results.Repetition, error) {
	r := e.rep
	return &r, nil
}

// BenchmarkRunOverhead is the runner's own cost for a 6-point, 3-repetition
// sweep with an engine that does nothing: resolving points, checking each
// repetition, assembling and validating the document. It is what the
// runner adds to every run, next to the engine's seconds.
func BenchmarkRunOverhead(b *testing.B) {
	s, err := scenario.Parse("fake.yaml", []byte(sweepYAML), scenario.Options{})
	if err != nil {
		b.Fatal(err)
	}
	eng := &nopEngine{rep: results.Repetition{DurationNS: 1, Metrics: []results.Metric{
		{Name: "packets_per_second", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Value: 1},
	}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(context.Background(), eng, s, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
