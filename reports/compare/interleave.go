package compare

import (
	"context"
	"fmt"
	"slices"

	"github.com/sessionlab/sessionlab/reports/results"
)

// Runner runs repetition rep (0-based) of the scenario at scenarioPath and
// returns its results: a complete document whose every point holds exactly
// one repetition. Repetition rep of both scenarios must run with the same
// seed, so that simulated counts can be compared exactly. The simulator
// provides the implementation; RunInterleaved only schedules calls.
type Runner func(ctx context.Context, scenarioPath string, rep int) (*results.Document, error)

// RunInterleaved runs scenarios a and b reps times each, alternating
// A B A B …, and returns one document per scenario holding all repetitions.
// Alternating spreads slow drift of the machine (temperature, background
// load, frequency scaling) evenly over both sides, where running all of A
// and then all of B would attribute the drift to the change.
//
// A cancelled context stops after the current run and returns ctx.Err().
func RunInterleaved(ctx context.Context, run Runner, a, b string, reps int) (base, head *results.Document, err error) {
	if run == nil {
		return nil, nil, ErrNoRunner
	}
	if reps < 1 {
		return nil, nil, fmt.Errorf("compare: %d repetitions, want at least 1", reps)
	}
	for rep := 0; rep < reps; rep++ {
		for _, side := range []struct {
			path string
			acc  **results.Document
		}{{a, &base}, {b, &head}} {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			d, err := run(ctx, side.path, rep)
			if err != nil {
				return nil, nil, fmt.Errorf("%s, repetition %d: %w", side.path, rep, err)
			}
			if err := appendRun(side.acc, d, rep); err != nil {
				return nil, nil, fmt.Errorf("%s, repetition %d: %w", side.path, rep, err)
			}
		}
	}
	for _, d := range []*results.Document{base, head} {
		if err := d.Validate(); err != nil {
			return nil, nil, fmt.Errorf("compare: merged runs: %w", err)
		}
	}
	return base, head, nil
}

// appendRun adds the single repetition per point of run d (repetition rep)
// to *acc, creating it from d on the first call.
func appendRun(acc **results.Document, d *results.Document, rep int) error {
	if d == nil {
		return fmt.Errorf("runner returned no document")
	}
	for i := range d.Points {
		if n := len(d.Points[i].Repetitions); n != 1 {
			return fmt.Errorf("runner returned %d repetitions at point %d, want 1", n, d.Points[i].Index)
		}
	}
	if *acc == nil {
		c := clone(d)
		for i := range c.Points {
			c.Points[i].Repetitions[0].Index = rep
		}
		c.Scenario.Repetitions = 1
		*acc = c
		return nil
	}
	a := *acc
	if d.Scenario.Name != a.Scenario.Name || len(d.Points) != len(a.Points) {
		return fmt.Errorf("runner returned scenario %q with %d points, earlier repetitions had %q with %d",
			d.Scenario.Name, len(d.Points), a.Scenario.Name, len(a.Points))
	}
	for i := range d.Points {
		if d.Points[i].Index != a.Points[i].Index {
			return fmt.Errorf("runner returned point %d where earlier repetitions had point %d", d.Points[i].Index, a.Points[i].Index)
		}
		r := d.Points[i].Repetitions[0]
		r.Index = len(a.Points[i].Repetitions)
		a.Points[i].Repetitions = append(a.Points[i].Repetitions, r)
		a.Points[i].Warnings = appendNew(a.Points[i].Warnings, d.Points[i].Warnings...)
	}
	a.Scenario.Repetitions++
	a.Warnings = appendNew(a.Warnings, d.Warnings...)
	if d.Environment.End.After(a.Environment.End) {
		a.Environment.End = d.Environment.End
	}
	return nil
}

func appendNew(dst []string, src ...string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// clone copies the parts of d that appendRun modifies.
func clone(d *results.Document) *results.Document {
	c := *d
	c.Points = slices.Clone(d.Points)
	for i := range c.Points {
		c.Points[i].Repetitions = slices.Clone(d.Points[i].Repetitions)
		c.Points[i].Warnings = slices.Clone(d.Points[i].Warnings)
	}
	c.Warnings = slices.Clone(d.Warnings)
	return &c
}
