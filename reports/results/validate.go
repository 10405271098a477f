package results

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Problem is one rule a document breaks, at a JSON field path such as
// "points[2].repetitions[0].metrics[3].unit".
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) String() string { return p.Path + ": " + p.Msg }

// ValidationError lists every problem Validate found, in document order.
type ValidationError struct {
	Problems []Problem
}

// maxListed bounds how many problems Error prints; a file broken
// everywhere would otherwise produce a wall of text.
const maxListed = 20

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid results document (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

type validator struct {
	probs []Problem
}

func (v *validator) addf(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) nonEmpty(path, s string) {
	if strings.TrimSpace(s) == "" {
		v.addf(path, "must not be empty")
	}
}

func (v *validator) finite(path string, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.addf(path, "must be a finite number, not %v", f)
	}
}

func (v *validator) ratio(path string, f float64) {
	if !(f >= 0 && f <= 1) {
		v.addf(path, "must be in [0, 1], not %v", f)
	}
}

// metricDecl is what the first occurrence of a metric name declared.
type metricDecl struct {
	path string
	m    Metric
}

// Validate checks every rule docs/results.md states and returns a
// *ValidationError listing each broken rule with its field path, or nil.
func (d *Document) Validate() error {
	v := &validator{}
	if d.Schema != Schema {
		v.addf("schema", "is %q, want %q", d.Schema, Schema)
	}
	v.scenario(&d.Scenario)
	v.config(&d.Config)
	v.environment(&d.Environment)
	v.sweep(&d.Sweep)
	v.points(d)
	v.plots(d)
	for i, w := range d.Warnings {
		v.nonEmpty(fmt.Sprintf("warnings[%d]", i), w)
	}
	if len(v.probs) == 0 {
		return nil
	}
	return &ValidationError{Problems: v.probs}
}

func (v *validator) scenario(s *Scenario) {
	v.nonEmpty("scenario.name", s.Name)
	if s.Mode != ModeLive && s.Mode != ModeSim {
		v.addf("scenario.mode", "is %q, want \"live\" or \"sim\"", s.Mode)
	}
	if s.Repetitions < 1 {
		v.addf("scenario.repetitions", "is %d, want at least 1", s.Repetitions)
	}
}

func (v *validator) config(c *Config) {
	if c.Workers < 1 {
		v.addf("config.workers", "is %d, want at least 1", c.Workers)
	}
	v.keyValues("config.session", c.Session)
	v.keyValues("config.fields", c.Fields)
}

func (v *validator) keyValues(path string, kvs []KeyValue) {
	seen := map[string]int{}
	for i, kv := range kvs {
		p := fmt.Sprintf("%s[%d].key", path, i)
		v.nonEmpty(p, kv.Key)
		if j, dup := seen[kv.Key]; dup {
			v.addf(p, "%q repeats %s[%d]", kv.Key, path, j)
		}
		seen[kv.Key] = i
	}
}

func (v *validator) environment(e *Environment) {
	v.nonEmpty("environment.go_version", e.GoVersion)
	v.nonEmpty("environment.goos", e.GOOS)
	v.nonEmpty("environment.goarch", e.GOARCH)
	v.nonEmpty("environment.cpu_model", e.CPUModel)
	if e.Cores < 1 {
		v.addf("environment.cores", "is %d, want at least 1", e.Cores)
	}
	v.nonEmpty("environment.version", e.Version)
	v.nonEmpty("environment.commit", e.Commit)
	if e.Start.IsZero() {
		v.addf("environment.start", "must be set")
	}
	if e.End.IsZero() {
		v.addf("environment.end", "must be set")
	} else if e.End.Before(e.Start) {
		v.addf("environment.end", "%s is before start %s", e.End.Format(timeLayout), e.Start.Format(timeLayout))
	}
}

const timeLayout = "2006-01-02T15:04:05.999999999Z07:00"

func (v *validator) sweep(s *Sweep) {
	names := map[string]int{}
	zipLen := map[string]int{}
	for i, a := range s.Axes {
		p := fmt.Sprintf("sweep.axes[%d]", i)
		v.nonEmpty(p+".name", a.Name)
		if j, dup := names[a.Name]; dup {
			v.addf(p+".name", "%q repeats sweep.axes[%d]", a.Name, j)
		}
		names[a.Name] = i
		if len(a.Values) == 0 {
			v.addf(p+".values", "must list at least one value")
		}
		texts := map[string]int{}
		for k, val := range a.Values {
			vp := fmt.Sprintf("%s.values[%d]", p, k)
			v.nonEmpty(vp+".text", val.Text)
			if val.Numeric {
				v.finite(vp+".num", val.Num)
			}
			if j, dup := texts[val.Text]; dup {
				v.addf(vp, "%q repeats values[%d]", val.Text, j)
			}
			texts[val.Text] = k
		}
		if a.Zip != "" {
			if n, ok := zipLen[a.Zip]; ok && n != len(a.Values) {
				v.addf(p+".values", "zip group %q: %d values, other axes of the group have %d", a.Zip, len(a.Values), n)
			} else if !ok {
				zipLen[a.Zip] = len(a.Values)
			}
		}
	}
}

func (v *validator) points(d *Document) {
	size := d.Sweep.Size()
	metrics := map[string]metricDecl{}
	present := map[int]int{} // point index -> position in Points
	last := -1
	for i := range d.Points {
		pt := &d.Points[i]
		p := fmt.Sprintf("points[%d]", i)
		switch {
		case pt.Index < 0 || pt.Index >= size:
			v.addf(p+".index", "%d is outside the sweep's %d points", pt.Index, size)
		case pt.Index <= last:
			v.addf(p+".index", "%d does not follow %d (points must be in increasing index order)", pt.Index, last)
		default:
			v.params(p, pt, d.Sweep.ParamsAt(pt.Index))
		}
		last = max(last, pt.Index)
		present[pt.Index] = i
		if len(pt.Repetitions) == 0 && pt.Search == nil {
			v.addf(p+".repetitions", "empty (a point holds at least one repetition or a search)")
		}
		if !d.Incomplete && len(pt.Repetitions) != 0 && len(pt.Repetitions) != d.Scenario.Repetitions {
			v.addf(p+".repetitions", "has %d, scenario.repetitions is %d (a complete run has all)", len(pt.Repetitions), d.Scenario.Repetitions)
		}
		for r := range pt.Repetitions {
			v.repetition(fmt.Sprintf("%s.repetitions[%d]", p, r), r, &pt.Repetitions[r], metrics)
		}
		for k, w := range pt.Warnings {
			v.nonEmpty(fmt.Sprintf("%s.warnings[%d]", p, k), w)
		}
		if pt.Search != nil {
			v.search(p+".search", pt.Search)
		}
	}
	if !d.Incomplete {
		if len(d.Points) != size {
			v.addf("points", "has %d points, the sweep has %d (set incomplete for an interrupted run)", len(d.Points), size)
		}
		if len(d.FinishedPoints) != 0 {
			v.addf("finished_points", "must be empty unless incomplete is true")
		}
		return
	}
	prev := -1
	for i, idx := range d.FinishedPoints {
		p := fmt.Sprintf("finished_points[%d]", i)
		if idx <= prev {
			v.addf(p, "%d does not follow %d (strictly increasing)", idx, prev)
		}
		prev = idx
		pos, ok := present[idx]
		if !ok {
			v.addf(p, "point %d is not in points", idx)
			continue
		}
		if n := len(d.Points[pos].Repetitions); n != 0 && n != d.Scenario.Repetitions {
			v.addf(p, "point %d has %d of %d repetitions, so it did not finish", idx, n, d.Scenario.Repetitions)
		}
	}
}

func (v *validator) params(p string, pt *Point, want []Param) {
	if len(pt.Params) != len(want) {
		v.addf(p+".params", "has %d values, the sweep has %d axes", len(pt.Params), len(want))
		return
	}
	for k, w := range want {
		got := pt.Params[k]
		if got.Name != w.Name {
			v.addf(fmt.Sprintf("%s.params[%d].name", p, k), "is %q, want axis %q", got.Name, w.Name)
		} else if !got.Value.Equal(w.Value) {
			v.addf(fmt.Sprintf("%s.params[%d].value", p, k), "is %q, point %d of the grid has %q", got.Value.Text, pt.Index, w.Value.Text)
		}
	}
}

func (v *validator) repetition(p string, idx int, r *Repetition, metrics map[string]metricDecl) {
	if r.Index != idx {
		v.addf(p+".index", "is %d, want %d (its position)", r.Index, idx)
	}
	if r.DurationNS < 0 {
		v.addf(p+".duration_ns", "is negative (%d)", r.DurationNS)
	}
	seen := map[string]int{}
	for i, m := range r.Metrics {
		mp := fmt.Sprintf("%s.metrics[%d]", p, i)
		v.nonEmpty(mp+".name", m.Name)
		if j, dup := seen[m.Name]; dup {
			v.addf(mp+".name", "%q repeats metrics[%d]", m.Name, j)
		}
		seen[m.Name] = i
		v.nonEmpty(mp+".unit", m.Unit)
		if m.Direction != HigherIsBetter && m.Direction != LowerIsBetter && m.Direction != NoDirection {
			v.addf(mp+".direction", "is %q, want higher_is_better, lower_is_better or none", m.Direction)
		}
		if m.Kind != KindCount && m.Kind != KindMeasurement {
			v.addf(mp+".kind", "is %q, want count or measurement", m.Kind)
		}
		v.finite(mp+".value", m.Value)
		if decl, ok := metrics[m.Name]; ok {
			if decl.m.Unit != m.Unit || decl.m.Direction != m.Direction || decl.m.Kind != m.Kind {
				v.addf(mp, "metric %q is (%s, %s, %s) here but (%s, %s, %s) at %s",
					m.Name, m.Unit, m.Direction, m.Kind, decl.m.Unit, decl.m.Direction, decl.m.Kind, decl.path)
			}
		} else if m.Name != "" {
			metrics[m.Name] = metricDecl{path: mp, m: m}
		}
	}
	v.histograms(p+".histograms", r.Histograms)
	series := map[string]int{}
	for i := range r.Series {
		s := &r.Series[i]
		sp := fmt.Sprintf("%s.series[%d]", p, i)
		v.nonEmpty(sp+".name", s.Name)
		v.nonEmpty(sp+".unit", s.Unit)
		key := s.Key()
		if j, dup := series[key]; dup {
			v.addf(sp, "series %s repeats series[%d]", key, j)
		}
		series[key] = i
		prev := int64(-1)
		for k, pt := range s.Points {
			pp := fmt.Sprintf("%s.points[%d]", sp, k)
			if pt.TNS < 0 {
				v.addf(pp+".t_ns", "is negative (%d)", pt.TNS)
			} else if pt.TNS < prev {
				v.addf(pp+".t_ns", "%d is before the previous point's %d", pt.TNS, prev)
			}
			prev = pt.TNS
			v.finite(pp+".v", pt.V)
		}
	}
	v.drops(p+".drops", r.Drops)
	for k, w := range r.Warnings {
		v.nonEmpty(fmt.Sprintf("%s.warnings[%d]", p, k), w)
	}
}

func (v *validator) drops(p string, ds []Drop) {
	seen := map[string]int{}
	for i, d := range ds {
		dp := fmt.Sprintf("%s[%d].cause", p, i)
		v.nonEmpty(dp, d.Cause)
		if j, dup := seen[d.Cause]; dup {
			v.addf(dp, "%q repeats %s[%d]", d.Cause, p, j)
		}
		seen[d.Cause] = i
	}
}

func (v *validator) histograms(p string, hs []Histogram) {
	seen := map[string]int{}
	for i := range hs {
		h := &hs[i]
		hp := fmt.Sprintf("%s[%d]", p, i)
		v.nonEmpty(hp+".name", h.Name)
		if j, dup := seen[h.Name]; dup {
			v.addf(hp+".name", "%q repeats %s[%d]", h.Name, p, j)
		}
		seen[h.Name] = i
		v.nonEmpty(hp+".unit", h.Unit)
		fields := []struct {
			name string
			val  float64
		}{{"min", h.Min}, {"p50", h.P50}, {"p90", h.P90}, {"p99", h.P99}, {"p999", h.P999}, {"max", h.Max}}
		for _, f := range fields {
			v.finite(hp+"."+f.name, f.val)
		}
		v.finite(hp+".mean", h.Mean)
		if h.Count > 0 {
			for k := 1; k < len(fields); k++ {
				if fields[k].val < fields[k-1].val {
					v.addf(hp+"."+fields[k].name, "%v is below %s %v (want min ≤ p50 ≤ p90 ≤ p99 ≤ p999 ≤ max)",
						fields[k].val, fields[k-1].name, fields[k-1].val)
				}
			}
			if h.Mean < h.Min || h.Mean > h.Max {
				v.addf(hp+".mean", "%v is outside [min %v, max %v]", h.Mean, h.Min, h.Max)
			}
		} else if len(h.CDF) > 0 {
			v.addf(hp+".cdf", "must be empty when count is 0")
		}
		prevV, prevF := math.Inf(-1), 0.0
		for k, c := range h.CDF {
			cp := fmt.Sprintf("%s.cdf[%d]", hp, k)
			v.finite(cp+".v", c.Value)
			if c.Value < prevV {
				v.addf(cp+".v", "%v is below the previous point's %v (values must not decrease)", c.Value, prevV)
			}
			if !(c.Fraction >= prevF && c.Fraction <= 1) {
				v.addf(cp+".f", "%v must be in [%v, 1] (fractions must not decrease)", c.Fraction, prevF)
			}
			prevV, prevF = c.Value, c.Fraction
		}
		if n := len(h.CDF); n > 0 && h.CDF[n-1].Fraction != 1 {
			v.addf(fmt.Sprintf("%s.cdf[%d].f", hp, n-1), "the last fraction is %v, want 1", h.CDF[n-1].Fraction)
		}
	}
}

func (v *validator) search(p string, s *Search) {
	if s.LoadUnit != "pps" && s.LoadUnit != "cps" {
		v.addf(p+".load_unit", "is %q, want \"pps\" or \"cps\"", s.LoadUnit)
	}
	if len(s.Goals) == 0 {
		v.addf(p+".goals", "must list at least one goal")
	}
	goals := map[string]int{}
	for i, g := range s.Goals {
		gp := fmt.Sprintf("%s.goals[%d]", p, i)
		v.nonEmpty(gp+".name", g.Name)
		if j, dup := goals[g.Name]; dup {
			v.addf(gp+".name", "%q repeats goals[%d]", g.Name, j)
		}
		goals[g.Name] = i
		v.ratio(gp+".loss_ratio", g.LossRatio)
		v.ratio(gp+".exceed_ratio", g.ExceedRatio)
		if !(g.Width > 0 && g.Width < 1) {
			v.addf(gp+".width", "must be in (0, 1), not %v", g.Width)
		}
		if !(g.LowerBound >= 0) || math.IsInf(g.LowerBound, 0) {
			v.addf(gp+".lower_bound", "must be a finite load ≥ 0, not %v", g.LowerBound)
		}
		if !(g.UpperBound >= g.LowerBound) || math.IsInf(g.UpperBound, 0) {
			v.addf(gp+".upper_bound", "%v must be finite and ≥ lower_bound %v", g.UpperBound, g.LowerBound)
		}
	}
	for i, t := range s.Trials {
		tp := fmt.Sprintf("%s.trials[%d]", p, i)
		if !(t.Load > 0) || math.IsInf(t.Load, 0) {
			v.addf(tp+".load", "must be a finite load > 0, not %v", t.Load)
		}
		if t.DurationNS <= 0 {
			v.addf(tp+".duration_ns", "must be > 0, not %d", t.DurationNS)
		}
		if t.Received > t.Offered {
			v.addf(tp+".received", "%d exceeds offered %d", t.Received, t.Offered)
			continue
		}
		v.drops(tp+".drops", t.Drops)
		want := 0.0
		if t.Offered > 0 {
			want = float64(t.Offered-t.Received) / float64(t.Offered)
		}
		if math.Abs(t.LossRatio-want) > 1e-9 {
			v.addf(tp+".loss_ratio", "is %v, (offered-received)/offered is %v", t.LossRatio, want)
		}
	}
	for i, l := range s.Latency {
		lp := fmt.Sprintf("%s.latency[%d]", p, i)
		if _, ok := goals[l.Goal]; !ok {
			v.addf(lp+".goal", "%q names no goal of this search", l.Goal)
		}
		if !(l.Fraction > 0 && l.Fraction <= 1) {
			v.addf(lp+".fraction", "must be in (0, 1], not %v", l.Fraction)
		}
		if !(l.Load >= 0) || math.IsInf(l.Load, 0) {
			v.addf(lp+".load", "must be a finite load ≥ 0, not %v", l.Load)
		}
		v.histograms(lp+".histograms", l.Histograms)
	}
}

func (v *validator) plots(d *Document) {
	metrics := d.MetricNames()
	hists := d.HistogramNames()
	series := d.SeriesNames()
	axis := func(path, name string, required bool) {
		if name == "" {
			if required {
				v.addf(path, "must name a sweep axis")
			}
			return
		}
		if _, i := d.Sweep.Axis(name); i < 0 {
			v.addf(path, "%q is not a sweep axis%s", name, axisHint(d))
		}
	}
	known := func(path, name, what string, names []string) {
		if name == "" {
			v.addf(path, "must name a %s", what)
		} else if !slices.Contains(names, name) {
			v.addf(path, "%q is not a %s of this document (have %s)", name, what, listOrNone(names))
		}
	}
	for i, ps := range d.Plots {
		p := fmt.Sprintf("plots[%d]", i)
		switch ps.Kind {
		case PlotMetric:
			known(p+".metric", ps.Metric, "metric", metrics)
			axis(p+".x", ps.X, true)
			axis(p+".series", ps.Series, false)
		case PlotLatency:
			known(p+".metric", ps.Metric, "histogram", hists)
			axis(p+".x", ps.X, true)
		case PlotCDF:
			known(p+".metric", ps.Metric, "histogram", hists)
		case PlotHeatmap:
			known(p+".metric", ps.Metric, "metric", metrics)
			axis(p+".x", ps.X, true)
			axis(p+".y", ps.Y, true)
			if ps.X != "" && ps.X == ps.Y {
				v.addf(p+".y", "is the same axis as x")
			}
		case PlotTimeSeries:
			known(p+".metric", ps.Metric, "series", series)
		case PlotSearch:
			axis(p+".x", ps.X, true)
			axis(p+".series", ps.Series, false)
		case PlotTrials:
		default:
			v.addf(p+".kind", "is %q, want one of metric, latency, cdf, heatmap, timeseries, search, trials", ps.Kind)
		}
		if ps.Series != "" && ps.Series == ps.X {
			v.addf(p+".series", "is the same axis as x")
		}
	}
}

func axisHint(d *Document) string {
	var names []string
	for _, a := range d.Sweep.Axes {
		names = append(names, a.Name)
	}
	return " (have " + listOrNone(names) + ")"
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
