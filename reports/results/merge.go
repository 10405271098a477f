package results

import (
	"fmt"
	"slices"
)

// Merge joins documents that each hold a share of one sweep's points (the
// shards of `sessionlab sweep --shard i/n`) into one document. The parts
// must come from the same scenario (name, mode, seed, repetitions) and the
// same sweep; a point may appear in only one part. The result takes the
// first part's scenario, configuration and environment, with the
// environment's start and end widened to cover every part, and the union
// of the warnings. It is incomplete, listing the finished points, unless
// every grid point is present with all its repetitions.
func Merge(parts ...*Document) (*Document, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("merge: no documents")
	}
	first := parts[0]
	out := *first
	out.Points = nil
	out.Warnings = slices.Clone(first.Warnings)
	out.FinishedPoints = nil
	out.Incomplete = false
	owner := map[int]int{}
	for k, p := range parts {
		if p.Schema != Schema {
			return nil, fmt.Errorf("merge: part %d has schema %q, want %q", k, p.Schema, Schema)
		}
		s, f := p.Scenario, first.Scenario
		if s.Name != f.Name || s.Mode != f.Mode || s.Seed != f.Seed || s.Repetitions != f.Repetitions {
			return nil, fmt.Errorf("merge: part %d ran %s (%s, seed %d, %d repetitions), part 0 ran %s (%s, seed %d, %d repetitions)",
				k, s.Name, s.Mode, s.Seed, s.Repetitions, f.Name, f.Mode, f.Seed, f.Repetitions)
		}
		if !sameSweep(p.Sweep, first.Sweep) {
			return nil, fmt.Errorf("merge: part %d has another sweep than part 0", k)
		}
		for i := range p.Points {
			idx := p.Points[i].Index
			if j, dup := owner[idx]; dup {
				return nil, fmt.Errorf("merge: point %d is in part %d and part %d", idx, j, k)
			}
			owner[idx] = k
			out.Points = append(out.Points, p.Points[i])
		}
		for _, w := range p.Warnings {
			if !slices.Contains(out.Warnings, w) {
				out.Warnings = append(out.Warnings, w)
			}
		}
		if p.Environment.Start.Before(out.Environment.Start) {
			out.Environment.Start = p.Environment.Start
		}
		if p.Environment.End.After(out.Environment.End) {
			out.Environment.End = p.Environment.End
		}
	}
	slices.SortFunc(out.Points, func(a, b Point) int { return a.Index - b.Index })
	var finished []int
	for i := range out.Points {
		if n := len(out.Points[i].Repetitions); n == 0 || n == out.Scenario.Repetitions {
			finished = append(finished, out.Points[i].Index)
		}
	}
	if len(finished) != out.Sweep.Size() {
		out.Incomplete = true
		out.FinishedPoints = finished
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return &out, nil
}

func sameSweep(a, b Sweep) bool {
	return slices.EqualFunc(a.Axes, b.Axes, func(x, y Axis) bool {
		return x.Name == y.Name && x.Unit == y.Unit && x.Zip == y.Zip && slices.EqualFunc(x.Values, y.Values, Value.Equal)
	})
}
