package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
)

// smallGoals are NDR and PDR with CSIT's widths and ratios but shorter
// durations, so a test search takes milliseconds.
func smallGoals(trial, sum time.Duration) []Goal {
	return NDRPDR(0.005, 0.5, trial, sum)
}

// TestNDROfQueueSystem is the acceptance test on the analytic
// fake: a single server with fixed service time and a queue of given length
// under constant-rate arrivals, whose loss-free condition is known in
// closed form. The search's NDR bounds must bracket the true NDR and be
// within the goal width; PDR's bounds must bracket a 0.5% loss.
func TestNDROfQueueSystem(t *testing.T) {
	for _, tc := range []struct {
		name    string
		service float64
		queue   int
		trial   time.Duration
	}{
		{"100kpps-q500", 10e-6, 500, time.Second},
		{"50kpps-q64", 20e-6, 64, 500 * time.Millisecond},
		{"1Mpps-q4096-short", 1e-6, 4096, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &queueSystem{service: tc.service, queue: tc.queue}
			cfg := Config{Goals: smallGoals(tc.trial, 5*tc.trial), MinLoad: 1000, MaxLoad: 4 / tc.service}
			res, err := Run(context.Background(), q, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ndr, pdr := res.Goals[0], res.Goals[1]
			truth := q.ndr(tc.trial, cfg.MaxLoad)
			t.Logf("true NDR %.6g; NDR [%.6g, %.6g] width %.3g%%; PDR [%.6g, %.6g]; %d trials, %v",
				truth, ndr.Lower, ndr.Upper, 100*ndr.Width, pdr.Lower, pdr.Upper, len(res.Trials), res.Spent)
			for _, g := range res.Goals {
				if !g.Regular {
					t.Errorf("%s: irregular: %s", g.Goal.Name, g.Note)
				}
				if g.Width > g.Goal.Width {
					t.Errorf("%s: width %v exceeds the goal width %v", g.Goal.Name, g.Width, g.Goal.Width)
				}
			}
			if !q.lossFree(ndr.Lower, tc.trial) || q.lossFree(ndr.Upper, tc.trial) {
				t.Errorf("NDR lower %v must be loss-free and upper %v lossy by the closed form", ndr.Lower, ndr.Upper)
			}
			if !(ndr.Lower <= truth && truth < ndr.Upper) {
				t.Errorf("true NDR %v is outside the bounds [%v, %v)", truth, ndr.Lower, ndr.Upper)
			}
			if l := q.lossAt(pdr.Lower, tc.trial); l > 0.005 {
				t.Errorf("PDR lower bound %v loses %v > 0.5%%", pdr.Lower, l)
			}
			if l := q.lossAt(pdr.Upper, tc.trial); l <= 0.005 {
				t.Errorf("PDR upper bound %v loses %v ≤ 0.5%%", pdr.Upper, l)
			}
			if !(pdr.Lower >= ndr.Lower) {
				t.Errorf("PDR lower %v below NDR lower %v", pdr.Lower, ndr.Lower)
			}
		})
	}
}

// TestSearchDeterministic: a measurer that depends only on its input (the
// jittered fake draws arrivals from a seed and the trial index) gives the
// same trial sequence and bounds every time.
func TestSearchDeterministic(t *testing.T) {
	run := func(seed uint64) *Result {
		q := &queueSystem{service: 10e-6, queue: 200, jitter: true, seed: seed}
		res, err := Run(context.Background(), q, Config{Goals: smallGoals(100*time.Millisecond, 500*time.Millisecond), MinLoad: 1000, MaxLoad: 4e5})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := run(1), run(1)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two searches with the same seed differ:\n%+v\n%+v", a.Goals, b.Goals)
	}
	if c := run(2); reflect.DeepEqual(a.Trials, c.Trials) {
		t.Error("seeds 1 and 2 gave the same trials")
	}
}

// TestSearchBudget: the budget ends the search with the best bounds so
// far, flagged irregular.
func TestSearchBudget(t *testing.T) {
	q := &queueSystem{service: 10e-6, queue: 500}
	cfg := Config{Goals: smallGoals(time.Second, 21*time.Second), MinLoad: 1000, MaxLoad: 4e5, Budget: 10 * time.Second}
	res, err := Run(context.Background(), q, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stopped != Budget || res.Spent < cfg.Budget || res.Spent > cfg.Budget+time.Second {
		t.Fatalf("stopped %v after %v, want the budget after 10 s to 11 s", res.Stopped, res.Spent)
	}
	for _, g := range res.Goals {
		if g.Regular || !strings.HasPrefix(g.Note, "timed out") {
			t.Errorf("%s: regular %v, note %q: want irregular, timed out", g.Goal.Name, g.Regular, g.Note)
		}
	}
}

// TestSearchInterrupted: cancelling returns the trials so far and an
// error wrapping the context's.
func TestSearchInterrupted(t *testing.T) {
	q := &queueSystem{service: 10e-6, queue: 500}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	m := MeasurerFunc(func(ctx context.Context, in TrialInput) (TrialOutput, error) {
		if n++; n == 5 {
			cancel()
		}
		return q.Measure(ctx, in)
	})
	res, err := Run(ctx, m, Config{Goals: smallGoals(time.Second, 5*time.Second), MinLoad: 1000, MaxLoad: 4e5})
	if !errors.Is(err, context.Canceled) || res == nil || res.Stopped != Interrupted || len(res.Trials) != 5 {
		t.Fatalf("err %v, result %+v: want context.Canceled after 5 trials", err, res)
	}
}

// TestSearchLimits: a system that never loses ends at max load with no
// upper bound; one that always loses ends at min load with no lower bound.
func TestSearchLimits(t *testing.T) {
	cfg := Config{Goals: smallGoals(time.Second, 3*time.Second), MinLoad: 1000, MaxLoad: 4e5}
	res, err := Run(context.Background(), &queueSystem{service: 1e-7, queue: 10}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Goals {
		if g.HasUpper || g.Lower != cfg.MaxLoad || g.Regular || !strings.Contains(g.Note, "max load is a lower bound") {
			t.Errorf("fast system, %s: %+v", g.Goal.Name, g)
		}
	}
	if len(res.Trials) > 10 {
		t.Errorf("%d trials to find that max load passes", len(res.Trials))
	}
	res, err = Run(context.Background(), &queueSystem{service: 1e-2, queue: 10}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Goals {
		if g.HasLower || g.Upper != cfg.MinLoad || g.Regular || !strings.Contains(g.Note, "min load is an upper bound") {
			t.Errorf("slow system, %s: %+v", g.Goal.Name, g)
		}
	}
}

func TestSearchErrors(t *testing.T) {
	q := &queueSystem{service: 10e-6, queue: 500}
	good := Config{Goals: smallGoals(time.Second, 3*time.Second), MinLoad: 1000, MaxLoad: 4e5}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no goals", func(c *Config) { c.Goals = nil }, "no goals"},
		{"min", func(c *Config) { c.MinLoad = 0 }, "min load"},
		{"max", func(c *Config) { c.MaxLoad = c.MinLoad }, "max load"},
		{"width", func(c *Config) { c.Goals[0].Width = 1 }, "goal width"},
		{"loss", func(c *Config) { c.Goals[1].LossRatio = -0.1 }, "loss ratio"},
		{"exceed", func(c *Config) { c.Goals[0].ExceedRatio = 1 }, "exceed ratio"},
		{"sum", func(c *Config) { c.Goals[0].DurationSum = time.Millisecond }, "duration sum"},
		{"names", func(c *Config) { c.Goals[1].Name = "NDR" }, "repeats"},
		{"expansion", func(c *Config) { c.Expansion = 1 }, "expansion"},
	} {
		c := good
		c.Goals = append([]Goal(nil), good.Goals...)
		tc.edit(&c)
		if _, err := Run(context.Background(), q, c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	// A measurer error names the trial; the trials before it are kept.
	bad := MeasurerFunc(func(ctx context.Context, in TrialInput) (TrialOutput, error) {
		if in.Index == 3 {
			return TrialOutput{Offered: 1, Received: 2}, nil
		}
		return q.Measure(ctx, in)
	})
	res, err := Run(context.Background(), bad, good)
	if err == nil || !strings.Contains(err.Error(), "trial 3") || !strings.Contains(err.Error(), "exceeds offered") || len(res.Trials) != 3 {
		t.Errorf("error %v with %d trials: want trial 3's received > offered after 3 trials", err, len(res.Trials))
	}
}

func TestCounts(t *testing.T) {
	m := func(name string, v float64) results.Metric {
		return results.Metric{Name: name, Unit: "packets", Direction: results.NoDirection, Kind: results.KindCount, Value: v}
	}
	rep := &results.Repetition{
		Metrics: []results.Metric{m(MetricOfferedPackets, 1000), m(MetricReceivedPackets, 890)},
		Drops:   []results.Drop{{Cause: results.DropRule, Count: 100}, {Cause: results.DropQueueFull, Count: 10}},
	}
	out, err := Counts(rep)
	// Rule drops are policy: 900 expected through, 890 made it.
	if err != nil || out.Offered != 900 || out.Received != 890 || len(out.Drops) != 2 || math.Abs(out.LossRatio()-10.0/900) > 1e-12 {
		t.Errorf("%+v, %v", out, err)
	}
	// Without received_packets: offered minus the other drops.
	rep.Metrics = rep.Metrics[:1]
	if out, err := Counts(rep); err != nil || out.Offered != 900 || out.Received != 890 {
		t.Errorf("without received: %+v, %v", out, err)
	}
	rep.Metrics = []results.Metric{m(MetricOfferedPackets, 10), m(MetricReceivedPackets, 20)}
	if _, err := Counts(rep); err == nil || !strings.Contains(err.Error(), "received_packets") {
		t.Errorf("received > offered: %v", err)
	}
	rep.Metrics = []results.Metric{m("packets_per_second", 1)}
	if _, err := Counts(rep); err == nil || !strings.Contains(err.Error(), "packets_per_second") {
		t.Errorf("no offered metric: %v", err)
	}
}

// TestNothingOffered: a trial that offered nothing counts as total loss,
// so a measurer that never gets going cannot make max load a lower bound.
func TestNothingOffered(t *testing.T) {
	idle := MeasurerFunc(func(context.Context, TrialInput) (TrialOutput, error) { return TrialOutput{}, nil })
	res, err := Run(context.Background(), idle, Config{Goals: smallGoals(time.Second, 2*time.Second), MinLoad: 1000, MaxLoad: 4e5})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range res.Goals {
		if g.HasLower || !g.HasUpper || g.Upper != 1000 {
			t.Errorf("%s: %+v, want min load as the upper bound", g.Goal.Name, g)
		}
	}
	if res.Trials[0].LossRatio != 0 {
		t.Errorf("recorded loss ratio %v, want 0 (the results convention)", res.Trials[0].LossRatio)
	}
}

// TestWorkedExample pins docs/search.md's worked example (the analytic
// system with the command's defaults), so the table and figures there
// cannot drift from what the code does.
func TestWorkedExample(t *testing.T) {
	q := &queueSystem{service: 10e-6, queue: 500}
	cfg := Config{Goals: NDRPDR(0.005, 0.5, time.Second, 21*time.Second), MinLoad: 1000, MaxLoad: 400000}
	res, err := Run(context.Background(), q, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ndr, pdr := res.Goals[0], res.Goals[1]
	got := fmt.Sprintf("%d trials, %.1f s; NDR [%.0f, %.0f]; PDR [%.0f, %.0f]",
		len(res.Trials), res.Spent.Seconds(), ndr.Lower, ndr.Upper, pdr.Lower, pdr.Upper)
	const want = "44 trials, 41.3 s; NDR [100363, 100867]; PDR [100867, 101374]"
	if got != want {
		t.Errorf("worked example: %s\ndocs/search.md says:  %s", got, want)
	}
	// The first trials of the table: max load, then the corrected MRR.
	if l := res.Trials[0].Load; l != 400000 {
		t.Errorf("trial 0 at %v, want max load 400000", l)
	}
	if l := res.Trials[1].Load; math.Round(l) != 104994 {
		t.Errorf("trial 1 at %.1f, want the corrected MRR 104994", l)
	}
}
