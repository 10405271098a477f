// Package compare decides, metric by metric and sweep point by sweep point,
// whether a head run is better, worse or indistinguishable from a base run,
// in a way a CI job can gate on even on a noisy machine.
//
// Data flow:
//
//	base, head *results.Document ──check──> same scenario, mode, seed, sweep? (else an error)
//	per point × metric:
//	    count in sim mode ─────────> exact equality per repetition seed (else "mismatch")
//	    otherwise ─────────────────> medians, bootstrap CI of the % change (stats),
//	                                  Mann-Whitney U p-value
//	all p-values ──Holm────────────> adjusted p; verdict better / worse / ~
//	*Report ──> WriteText (benchstat-like), WriteMarkdown (CI summary), WriteJSON
//
// A verdict is "worse" only when the change is significant after the Holm
// correction AND the median moved by at least the threshold in the bad
// direction; Report.ExitCode is 1 if any metric is worse or any simulated
// count mismatches.
//
// RunInterleaved runs two scenarios alternately (A B A B …) through a
// caller-supplied Runner, so that slow drift of a machine (thermal state,
// other load) affects both sides alike.
package compare

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/stats"
)

// Verdict is the outcome for one metric at one point.
type Verdict string

// The verdicts.
const (
	// Same: no significant change, or a change smaller than the threshold
	// (printed "~", as benchstat does).
	Same Verdict = "~"
	// Better: a significant improvement of at least the threshold.
	Better Verdict = "better"
	// Worse: a significant regression of at least the threshold.
	Worse Verdict = "worse"
	// Changed: a significant change of at least the threshold in a metric
	// without a direction.
	Changed Verdict = "changed"
	// Mismatch: a count differs between simulated runs of the same seed.
	Mismatch Verdict = "mismatch"
	// Missing: the metric exists in only one of the documents.
	Missing Verdict = "missing"
)

// Fails reports whether the verdict fails a CI gate.
func (v Verdict) Fails() bool { return v == Worse || v == Mismatch }

// Options tune a comparison.
type Options struct {
	// Alpha is the family-wise significance level (default 0.05).
	Alpha float64
	// Threshold is the smallest change, in percent, that counts as better
	// or worse (default 5).
	Threshold float64
	// Metrics restricts the comparison to these metric names (all if empty).
	Metrics []string
	// Bootstrap configures the confidence intervals (default
	// stats.DefaultBootstrap: 5000 resamples, 95%).
	Bootstrap stats.Bootstrap
	// BaseName and HeadName label the documents in output (file names).
	BaseName, HeadName string
	// Configurations says the two sides are different configurations
	// compared on purpose (compare --run A.yaml B.yaml), not one
	// configuration at two points in time. Their scenario names may then
	// differ, and a simulated count that differs is the answer rather than
	// an inconsistency: it is judged by its direction and the threshold,
	// exactly (the simulation is deterministic per seed, so there is
	// nothing to test), instead of being a mismatch.
	Configurations bool
}

// DefaultOptions are the documented defaults.
func DefaultOptions() Options {
	return Options{Alpha: 0.05, Threshold: 5, Bootstrap: stats.DefaultBootstrap, BaseName: "base", HeadName: "head"}
}

// Side summarises one document's samples of a metric at a point.
type Side struct {
	N      int
	Median float64
	Values []float64
}

// Row is the comparison of one metric at one point.
type Row struct {
	Point     int
	Params    []results.Param
	Metric    string
	Unit      string
	Direction results.Direction
	Kind      results.Kind
	Base      Side
	Head      Side
	// ChangePct is the change of the median in percent of the base median.
	ChangePct float64
	// CI is the bootstrap interval of ChangePct (NaN bounds if not computed).
	CI stats.Interval
	// P is the Mann-Whitney U p-value, PAdj the Holm-adjusted one; NaN
	// when the row was not tested statistically (exact counts, missing).
	P, PAdj float64
	// Exact reports whether P is from the exact distribution.
	Exact   bool
	Verdict Verdict
	// Note explains a mismatch or a missing metric.
	Note string
}

// Label is the row's point label ("buckets=1024 memory=64m" or "all").
func (r *Row) Label() string {
	p := results.Point{Index: r.Point, Params: r.Params}
	return p.Label()
}

// DocInfo identifies a compared document.
type DocInfo struct {
	Name        string       `json:"name"`
	Scenario    string       `json:"scenario"`
	Mode        results.Mode `json:"mode"`
	Seed        uint64       `json:"seed"`
	Repetitions int          `json:"repetitions"`
	Version     string       `json:"version"`
	Commit      string       `json:"commit"`
	CPUModel    string       `json:"cpu_model"`
}

func docInfo(name string, d *results.Document) DocInfo {
	return DocInfo{
		Name: name, Scenario: d.Scenario.Name, Mode: d.Scenario.Mode, Seed: d.Scenario.Seed,
		Repetitions: d.Scenario.Repetitions, Version: d.Environment.Version, Commit: d.Environment.Commit,
		CPUModel: d.Environment.CPUModel,
	}
}

// Report is the outcome of a comparison.
type Report struct {
	Base, Head DocInfo
	Alpha      float64
	Threshold  float64
	Confidence float64
	Resamples  int
	// Tests is the number of statistical tests the Holm correction spans.
	Tests int
	// Rows in point order, then metric order of the base document.
	Rows     []Row
	Warnings []string
}

// Count returns how many rows have verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for i := range r.Rows {
		if r.Rows[i].Verdict == v {
			n++
		}
	}
	return n
}

// ExitCode is 1 when a metric is worse or a simulated count mismatches,
// else 0 (the exit status of `sessionlab compare`).
func (r *Report) ExitCode() int {
	for i := range r.Rows {
		if r.Rows[i].Verdict.Fails() {
			return 1
		}
	}
	return 0
}

// MismatchError says why two documents cannot be compared.
type MismatchError struct {
	Msg string
}

func (e *MismatchError) Error() string { return "cannot compare: " + e.Msg }

func mismatchf(format string, args ...any) error {
	return &MismatchError{Msg: fmt.Sprintf(format, args...)}
}

// Compare compares head against base. It returns a *MismatchError when the
// documents do not describe the same experiment (schema, scenario, mode,
// seed in simulated mode, sweep axes and points), and an error for invalid
// options or an unknown metric name.
func Compare(base, head *results.Document, opt Options) (*Report, error) {
	opt = withDefaults(opt)
	if err := checkOptions(opt); err != nil {
		return nil, err
	}
	if err := compatible(base, head, opt); err != nil {
		return nil, err
	}
	metrics, err := selectMetrics(base, head, opt.Metrics)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		Base: docInfo(opt.BaseName, base), Head: docInfo(opt.HeadName, head),
		Alpha: opt.Alpha, Threshold: opt.Threshold,
		Confidence: opt.Bootstrap.Confidence, Resamples: opt.Bootstrap.Resamples,
	}
	sim := base.Scenario.Mode == results.ModeSim
	var tested []int // indices into rep.Rows of statistically tested rows
	minP := 0.0
	for i := range base.Points {
		bp, hp := &base.Points[i], &head.Points[i]
		for _, name := range metrics {
			row, ok := newRow(bp, hp, name, base, head)
			if !ok {
				continue
			}
			switch {
			case row.Verdict == Missing:
			case sim && row.Kind == results.KindCount:
				exactCounts(&row, bp, hp, opt)
			default:
				if err := measure(&row, opt, bp.Index); err != nil {
					return nil, err
				}
				tested = append(tested, len(rep.Rows))
				minP = math.Max(minP, stats.MinExactP(row.Base.N, row.Head.N))
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	rep.Tests = len(tested)
	ps := make([]float64, len(tested))
	for k, i := range tested {
		ps[k] = rep.Rows[i].P
	}
	for k, adj := range stats.Holm(ps) {
		row := &rep.Rows[tested[k]]
		row.PAdj = adj
		row.Verdict = verdict(row, opt)
	}
	rep.Warnings = warnings(base, head, rep, minP)
	return rep, nil
}

func withDefaults(o Options) Options {
	d := DefaultOptions()
	if o.Alpha == 0 {
		o.Alpha = d.Alpha
	}
	if o.Bootstrap == (stats.Bootstrap{}) {
		o.Bootstrap = d.Bootstrap
	}
	if o.BaseName == "" {
		o.BaseName = d.BaseName
	}
	if o.HeadName == "" {
		o.HeadName = d.HeadName
	}
	return o
}

func checkOptions(o Options) error {
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return fmt.Errorf("alpha %v: want a level in (0, 1), e.g. 0.05", o.Alpha)
	}
	if !(o.Threshold >= 0) || math.IsInf(o.Threshold, 0) {
		return fmt.Errorf("threshold %v%%: want a percentage ≥ 0, e.g. 5", o.Threshold)
	}
	if o.Bootstrap.Resamples < stats.MinResamples || !(o.Bootstrap.Confidence > 0 && o.Bootstrap.Confidence < 1) {
		return fmt.Errorf("bootstrap: want at least %d resamples and a confidence in (0, 1), have %d and %v",
			stats.MinResamples, o.Bootstrap.Resamples, o.Bootstrap.Confidence)
	}
	return nil
}

// compatible rejects every pair of documents whose comparison would be
// wrong rather than merely noisy.
func compatible(b, h *results.Document, o Options) error {
	for _, d := range []struct {
		name string
		doc  *results.Document
	}{{o.BaseName, b}, {o.HeadName, h}} {
		if d.doc.Schema != results.Schema {
			return mismatchf("%s has schema %q, want %q", d.name, d.doc.Schema, results.Schema)
		}
		if d.doc.Incomplete {
			return mismatchf("%s is an interrupted run (incomplete; points %v finished); compare needs complete runs", d.name, d.doc.FinishedPoints)
		}
		for i := range d.doc.Points {
			if pt := &d.doc.Points[i]; pt.Search != nil && len(pt.Repetitions) == 0 {
				// Its figures are search bounds, not repetitions of
				// one measurement: nothing here to test for a shift,
				// and "nothing compared" must not read as a pass.
				return mismatchf("%s is an NDR/PDR search document (point %d); compare reads run and sweep results (rerun the search and read its bounds, or `sessionlab report` both)", d.name, i)
			}
		}
	}
	if b.Scenario.Name != h.Scenario.Name && !o.Configurations {
		return mismatchf("different scenarios: %s ran %q, %s ran %q", o.BaseName, b.Scenario.Name, o.HeadName, h.Scenario.Name)
	}
	if b.Scenario.Mode != h.Scenario.Mode {
		return mismatchf("different modes: %s ran %s, %s ran %s", o.BaseName, b.Scenario.Mode, o.HeadName, h.Scenario.Mode)
	}
	if b.Scenario.Mode == results.ModeSim && b.Scenario.Seed != h.Scenario.Seed {
		return mismatchf("different seeds in simulated mode (%s %d, %s %d): simulated counts compare only under the same seed",
			o.BaseName, b.Scenario.Seed, o.HeadName, h.Scenario.Seed)
	}
	ba, ha := b.Sweep.Axes, h.Sweep.Axes
	if len(ba) != len(ha) {
		return mismatchf("different sweeps: %s has %d axes (%s), %s has %d (%s)",
			o.BaseName, len(ba), axisNames(ba), o.HeadName, len(ha), axisNames(ha))
	}
	for i := range ba {
		x, y := ba[i], ha[i]
		if x.Name != y.Name {
			return mismatchf("different sweeps: axis %d is %q in %s, %q in %s", i, x.Name, o.BaseName, y.Name, o.HeadName)
		}
		if x.Zip != y.Zip {
			return mismatchf("different sweeps: axis %q is zipped as %q in %s, %q in %s", x.Name, x.Zip, o.BaseName, y.Zip, o.HeadName)
		}
		if !slices.EqualFunc(x.Values, y.Values, results.Value.Equal) {
			return mismatchf("different sweeps: axis %q has values %s in %s, %s in %s",
				x.Name, valueTexts(x.Values), o.BaseName, valueTexts(y.Values), o.HeadName)
		}
	}
	if len(b.Points) != len(h.Points) {
		return mismatchf("different points: %s has %d, %s has %d", o.BaseName, len(b.Points), o.HeadName, len(h.Points))
	}
	for i := range b.Points {
		bp, hp := &b.Points[i], &h.Points[i]
		if bp.Index != hp.Index || !slices.EqualFunc(bp.Params, hp.Params, func(x, y results.Param) bool {
			return x.Name == y.Name && x.Value.Equal(y.Value)
		}) {
			return mismatchf("different points: point %d is %q in %s, point %d is %q in %s",
				bp.Index, bp.Label(), o.BaseName, hp.Index, hp.Label(), o.HeadName)
		}
	}
	for _, name := range b.MetricNames() {
		bm, _ := b.MetricInfo(name)
		hm, ok := h.MetricInfo(name)
		if ok && (bm.Unit != hm.Unit || bm.Kind != hm.Kind || bm.Direction != hm.Direction) {
			return mismatchf("metric %q is (%s, %s, %s) in %s but (%s, %s, %s) in %s",
				name, bm.Unit, bm.Direction, bm.Kind, o.BaseName, hm.Unit, hm.Direction, hm.Kind, o.HeadName)
		}
	}
	return nil
}

func axisNames(as []results.Axis) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Name)
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func valueTexts(vs []results.Value) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Text)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// selectMetrics returns the metric names to compare: base's order, then
// head-only ones; restricted to want when given (every wanted name must
// exist in at least one document).
func selectMetrics(b, h *results.Document, want []string) ([]string, error) {
	all := b.MetricNames()
	for _, n := range h.MetricNames() {
		if !slices.Contains(all, n) {
			all = append(all, n)
		}
	}
	if len(want) == 0 {
		return all, nil
	}
	var out []string
	for _, n := range want {
		if !slices.Contains(all, n) {
			return nil, fmt.Errorf("--metric %q: no such metric (have %s)", n, strings.Join(all, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func side(p *results.Point, metric string) Side {
	xs := p.Samples(metric)
	return Side{N: len(xs), Median: stats.Median(xs), Values: xs}
}

// newRow fills the descriptive part of a row; ok is false when neither
// point has the metric.
func newRow(bp, hp *results.Point, name string, b, h *results.Document) (Row, bool) {
	row := Row{Point: bp.Index, Params: bp.Params, Metric: name, Base: side(bp, name), Head: side(hp, name),
		ChangePct: math.NaN(), CI: stats.Interval{Lo: math.NaN(), Hi: math.NaN()}, P: math.NaN(), PAdj: math.NaN()}
	m, ok := b.MetricInfo(name)
	if !ok {
		m, _ = h.MetricInfo(name)
	}
	row.Unit, row.Direction, row.Kind = m.Unit, m.Direction, m.Kind
	switch {
	case row.Base.N == 0 && row.Head.N == 0:
		return row, false
	case row.Base.N == 0:
		row.Verdict, row.Note = Missing, "only in "+"head"
	case row.Head.N == 0:
		row.Verdict, row.Note = Missing, "only in "+"base"
	default:
		row.ChangePct = stats.PercentChange(row.Base.Median, row.Head.Median)
	}
	return row, true
}

// exactCounts compares a count repetition by repetition, pairing
// repetitions by their seed: in simulated mode the same seed must give the
// same count.
func exactCounts(row *Row, bp, hp *results.Point, opt Options) {
	row.Verdict = Same
	headBySeed := map[uint64]float64{}
	for r := range hp.Repetitions {
		if m, ok := hp.Repetitions[r].Metric(row.Metric); ok {
			headBySeed[hp.Repetitions[r].Seed] = m.Value
		}
	}
	common, diffs := 0, 0
	var first string
	for r := range bp.Repetitions {
		rp := &bp.Repetitions[r]
		m, ok := rp.Metric(row.Metric)
		hv, hok := headBySeed[rp.Seed]
		if !ok || !hok {
			continue
		}
		common++
		if m.Value != hv {
			diffs++
			if first == "" {
				first = fmt.Sprintf("seed %d: %s → %s", rp.Seed, formatExact(m.Value), formatExact(hv))
			}
		}
	}
	switch {
	case common == 0:
		row.Verdict, row.Note = Mismatch, "no repetition seed in common: simulated counts cannot be checked"
	case diffs > 0 && opt.Configurations:
		row.Verdict = countVerdict(row, opt)
		row.Note = fmt.Sprintf("exact: differs in %d of %d repetitions (%s)", diffs, common, first)
	case diffs > 0:
		row.Verdict = Mismatch
		row.Note = fmt.Sprintf("simulated count differs in %d of %d repetitions (%s)", diffs, common, first)
	}
}

// countVerdict judges a simulated count that differs between two
// configurations: by the change of its median against the threshold, in
// the metric's direction.
func countVerdict(row *Row, o Options) Verdict {
	if math.IsNaN(row.ChangePct) || math.Abs(row.ChangePct) < o.Threshold {
		return Same
	}
	return directionVerdict(row)
}

// directionVerdict is the verdict of a change already judged large enough:
// better or worse by the metric's direction, changed when it has none.
func directionVerdict(row *Row) Verdict {
	switch s := row.Direction.Sign() * row.ChangePct; {
	case row.Direction == results.NoDirection:
		return Changed
	case s > 0:
		return Better
	case s < 0:
		return Worse
	}
	return Same
}

func formatExact(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%g", v)
}

// measure computes the interval and the p-value of a noisy metric.
func measure(row *Row, o Options, point int) error {
	cfg := o.Bootstrap
	// A seed per (metric, point), so a row's interval does not depend on
	// which other metrics are compared or in what order.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d", row.Metric, point)
	cfg.Seed ^= h.Sum64()
	ci, err := stats.PercentChangeCI(row.Base.Values, row.Head.Values, cfg)
	if err != nil {
		return fmt.Errorf("%s at point %d: %w", row.Metric, point, err)
	}
	row.CI = ci
	u := stats.MannWhitneyU(row.Base.Values, row.Head.Values)
	row.P, row.Exact = u.P, u.Exact
	return nil
}

// verdict applies the rule: significant after Holm and at least the
// threshold → better/worse/changed by direction; otherwise "~".
func verdict(row *Row, o Options) Verdict {
	if !(row.PAdj < o.Alpha) || !(math.Abs(row.ChangePct) >= o.Threshold) {
		return Same
	}
	return directionVerdict(row)
}

func warnings(b, h *results.Document, rep *Report, minP float64) []string {
	var ws []string
	if rep.Tests > 0 && minP*float64(rep.Tests) >= rep.Alpha {
		ws = append(ws, fmt.Sprintf(
			"too few repetitions to detect any change: with %d and %d repetitions the smallest possible p-value is %.4f, "+
				"but the Holm correction over %d tests needs one below %.4f; run more repetitions",
			b.Scenario.Repetitions, h.Scenario.Repetitions, minP, rep.Tests, rep.Alpha/float64(rep.Tests)))
	}
	be, he := b.Environment, h.Environment
	if rep.Tests > 0 {
		var diffs []string
		if be.CPUModel != he.CPUModel {
			diffs = append(diffs, fmt.Sprintf("CPU %q vs %q", be.CPUModel, he.CPUModel))
		}
		if be.Cores != he.Cores {
			diffs = append(diffs, fmt.Sprintf("%d vs %d cores", be.Cores, he.Cores))
		}
		if be.GoVersion != he.GoVersion {
			diffs = append(diffs, fmt.Sprintf("Go %s vs %s", be.GoVersion, he.GoVersion))
		}
		if len(diffs) > 0 {
			ws = append(ws, "base and head ran in different environments ("+strings.Join(diffs, ", ")+"): measurements may differ for that reason alone")
		}
	}
	missing := map[string]bool{}
	for i := range rep.Rows {
		if rep.Rows[i].Verdict == Missing {
			missing[rep.Rows[i].Metric+" ("+rep.Rows[i].Note+")"] = true
		}
	}
	if len(missing) > 0 {
		var ms []string
		for m := range missing {
			ms = append(ms, m)
		}
		sort.Strings(ms)
		ws = append(ws, "metrics present in only one document: "+strings.Join(ms, ", "))
	}
	return ws
}

// ErrNoRunner is returned by RunInterleaved without a Runner.
var ErrNoRunner = errors.New("compare: no scenario runner")
