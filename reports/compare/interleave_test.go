package compare_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

// fakeRunner returns one-repetition documents: scenario "b.yaml" has a
// throughput 20% lower than "a.yaml". It records the call order.
type fakeRunner struct {
	calls   []string
	failAt  int // call number that fails (-1: none)
	cancel  context.CancelFunc
	cancelN int
}

func (f *fakeRunner) run(ctx context.Context, path string, rep int) (*results.Document, error) {
	f.calls = append(f.calls, fmt.Sprintf("%s#%d", path, rep))
	if len(f.calls)-1 == f.failAt {
		return nil, errors.New("simulator exploded")
	}
	if f.cancel != nil && len(f.calls) == f.cancelN {
		f.cancel()
	}
	scale := 1.0
	if path == "b.yaml" {
		scale = 0.8
	}
	s := resultstest.Spec{
		Name: "interleaved", Seed: 100 + uint64(rep), NoiseSeed: uint64(len(f.calls)), Repetitions: 1,
		Axes: []results.Axis{resultstest.BucketsAxis},
		Metrics: []resultstest.Metric{
			{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Base: 1e6, Noise: 0.01, Scale: scale},
			{Name: "splits", Unit: "splits", Direction: results.NoDirection, Kind: results.KindCount, Base: 1e4},
		},
	}
	d := resultstest.Build(s)
	d.Scenario.Seed = 100 // the scenario's seed; the repetition's is 100+rep
	return d, nil
}

func TestRunInterleaved(t *testing.T) {
	f := &fakeRunner{failAt: -1}
	base, head, err := compare.RunInterleaved(context.Background(), f.run, "a.yaml", "b.yaml", 6)
	if err != nil {
		t.Fatal(err)
	}
	want := "a.yaml#0 b.yaml#0 a.yaml#1 b.yaml#1 a.yaml#2 b.yaml#2 a.yaml#3 b.yaml#3 a.yaml#4 b.yaml#4 a.yaml#5 b.yaml#5"
	if got := strings.Join(f.calls, " "); got != want {
		t.Errorf("call order:\n got %s\nwant %s", got, want)
	}
	if base.Scenario.Repetitions != 6 || len(base.Points[0].Repetitions) != 6 || base.Points[3].Repetitions[5].Index != 5 {
		t.Errorf("merged base: %d repetitions, point 0 has %d", base.Scenario.Repetitions, len(base.Points[0].Repetitions))
	}
	if base.Points[0].Repetitions[4].Seed != 104 {
		t.Errorf("repetition 4 has seed %d, want 104", base.Points[0].Repetitions[4].Seed)
	}
	r, err := compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r.Count(compare.Worse) != 4 || r.Count(compare.Mismatch) != 0 || r.ExitCode() != 1 {
		t.Errorf("B 20%% slower at 4 points: %s", r.Summary())
	}
}

func TestRunInterleavedErrors(t *testing.T) {
	f := &fakeRunner{failAt: 3}
	_, _, err := compare.RunInterleaved(context.Background(), f.run, "a.yaml", "b.yaml", 3)
	if err == nil || !strings.Contains(err.Error(), "b.yaml, repetition 1: simulator exploded") {
		t.Errorf("runner failure: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f = &fakeRunner{failAt: -1, cancel: cancel, cancelN: 2}
	_, _, err = compare.RunInterleaved(ctx, f.run, "a.yaml", "b.yaml", 3)
	if !errors.Is(err, context.Canceled) || len(f.calls) != 2 {
		t.Errorf("cancelled after 2 calls: err = %v, %d calls", err, len(f.calls))
	}
	if _, _, err := compare.RunInterleaved(context.Background(), nil, "a", "b", 1); !errors.Is(err, compare.ErrNoRunner) {
		t.Errorf("nil runner: %v", err)
	}
	// A runner that returns two repetitions breaks the contract.
	bad := func(ctx context.Context, path string, rep int) (*results.Document, error) {
		return resultstest.Build(resultstest.Single("x", resultstest.Metric{Name: "m", Unit: "u",
			Direction: results.NoDirection, Kind: results.KindCount, Base: 1})), nil
	}
	if _, _, err := compare.RunInterleaved(context.Background(), bad, "a", "b", 1); err == nil || !strings.Contains(err.Error(), "want 1") {
		t.Errorf("runner returning 10 repetitions: %v", err)
	}
}
