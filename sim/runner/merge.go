package runner

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/sessionlab/sessionlab/reports/results"
)

// Input is one document to merge and the name it is known by in errors.
type Input struct {
	Name string
	Doc  *results.Document
}

// Merge joins the documents of a sharded (or resumed) run. Every input must
// come from the same scenario run: the same scenario (name, mode, seed,
// repetitions, text), the same effective configuration and the same sweep;
// an error names the first difference otherwise. Points are joined by
// index; a point in two inputs is an error (overlapping shards). The
// result is complete (incomplete false) exactly when it holds every point
// of the grid with every repetition: an interrupted shard leaves it
// incomplete, listing the points that did finish. The environment is the
// first input's, spanning the earliest start to the latest end, with a
// warning when the shards ran on different machines or builds.
func Merge(in []Input) (*results.Document, error) {
	if len(in) == 0 {
		return nil, errors.New("merge: no documents")
	}
	first := in[0]
	out := *first.Doc
	out.Points, out.Warnings, out.Plots = nil, nil, nil
	owner := map[int]string{}
	var envDiffs []string
	for _, x := range in {
		d := x.Doc
		if err := sameRun(first, x); err != nil {
			return nil, err
		}
		for _, p := range d.Points {
			if o, dup := owner[p.Index]; dup {
				return nil, fmt.Errorf("merge: point %d is in both %s and %s (overlapping shards)", p.Index, o, x.Name)
			}
			owner[p.Index] = x.Name
			out.Points = append(out.Points, p)
		}
		for _, w := range d.Warnings {
			if !strings.HasPrefix(w, shardNote) && !slices.Contains(out.Warnings, w) {
				out.Warnings = append(out.Warnings, w)
			}
		}
		for _, p := range d.Plots {
			if !slices.Contains(out.Plots, p) {
				out.Plots = append(out.Plots, p)
			}
		}
		e, f := d.Environment, first.Doc.Environment
		if e.Start.Before(out.Environment.Start) {
			out.Environment.Start = e.Start
		}
		if e.End.After(out.Environment.End) {
			out.Environment.End = e.End
		}
		if diff := envDiff(f, e); diff != "" && x.Name != first.Name {
			envDiffs = append(envDiffs, fmt.Sprintf("%s (%s)", x.Name, diff))
		}
	}
	if len(envDiffs) > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("merged shards ran in different environments; the environment is %s's, differing: %s",
			first.Name, strings.Join(envDiffs, "; ")))
	}
	slices.SortFunc(out.Points, func(a, b results.Point) int { return a.Index - b.Index })
	setCompleteness(&out)
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return &out, nil
}

// sameRun checks that b belongs to the same run as a.
func sameRun(a, b Input) error {
	x, y := a.Doc, b.Doc
	diff := func(what string, u, v any) error {
		return fmt.Errorf("merge: %s and %s are not shards of one run: %s differs (%v vs %v)", a.Name, b.Name, what, u, v)
	}
	switch {
	case x.Scenario.Name != y.Scenario.Name:
		return diff("scenario name", x.Scenario.Name, y.Scenario.Name)
	case x.Scenario.Mode != y.Scenario.Mode:
		return diff("mode", x.Scenario.Mode, y.Scenario.Mode)
	case x.Scenario.Seed != y.Scenario.Seed:
		return diff("seed", x.Scenario.Seed, y.Scenario.Seed)
	case x.Scenario.Repetitions != y.Scenario.Repetitions:
		return diff("repetitions", x.Scenario.Repetitions, y.Scenario.Repetitions)
	case x.Scenario.YAML != y.Scenario.YAML:
		return diff("scenario text", "...", "...")
	case !reflect.DeepEqual(x.Sweep, y.Sweep):
		return diff("sweep", axisNames(x.Sweep), axisNames(y.Sweep))
	case x.Config.SessionStanza != y.Config.SessionStanza:
		return diff("session stanza", strings.TrimSpace(x.Config.SessionStanza), strings.TrimSpace(y.Config.SessionStanza))
	case x.Config.Workers != y.Config.Workers:
		return diff("workers", x.Config.Workers, y.Config.Workers)
	case !reflect.DeepEqual(x.Config, y.Config):
		return diff("effective configuration", firstKVDiff(x.Config.Fields, y.Config.Fields), "")
	}
	return nil
}

func axisNames(s results.Sweep) string {
	var out []string
	for _, a := range s.Axes {
		var vs []string
		for _, v := range a.Values {
			vs = append(vs, v.Text)
		}
		out = append(out, fmt.Sprintf("%s=[%s]", a.Name, strings.Join(vs, " ")))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func firstKVDiff(a, b []results.KeyValue) string {
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return b[i].Key + " only in the second"
		case i >= len(b):
			return a[i].Key + " only in the first"
		case a[i] != b[i]:
			return fmt.Sprintf("%s=%s vs %s=%s", a[i].Key, a[i].Value, b[i].Key, b[i].Value)
		}
	}
	return "fields"
}

// envDiff names what differs between two environments (times aside).
func envDiff(a, b results.Environment) string {
	var d []string
	add := func(name, x, y string) {
		if x != y {
			d = append(d, fmt.Sprintf("%s %s vs %s", name, x, y))
		}
	}
	add("go", a.GoVersion, b.GoVersion)
	add("cpu", a.CPUModel, b.CPUModel)
	add("cores", fmt.Sprint(a.Cores), fmt.Sprint(b.Cores))
	add("kernel", a.Kernel, b.Kernel)
	add("commit", a.Commit, b.Commit)
	add("arch", a.GOARCH, b.GOARCH)
	return strings.Join(d, ", ")
}
