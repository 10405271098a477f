package plot

import (
	"fmt"
	"math"
	"slices"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/stats"
)

// Render draws one plot of d. The spec must be valid for d (Validate
// checks plot specs against the document).
func Render(d *results.Document, spec results.PlotSpec) (Image, error) {
	var (
		p   *gplot.Plot
		err error
	)
	switch spec.Kind {
	case results.PlotMetric:
		p, err = metricPlot(d, spec)
	case results.PlotLatency:
		p, err = latencyPlot(d, spec)
	case results.PlotCDF:
		p, err = cdfPlot(d, spec)
	case results.PlotHeatmap:
		return heatmap(d, spec)
	case results.PlotTimeSeries:
		p, err = timeSeriesPlot(d, spec)
	case results.PlotSearch:
		p, err = searchPlot(d, spec)
	case results.PlotTrials:
		p, err = trialsPlot(d, spec)
	default:
		return Image{}, fmt.Errorf("plot: unknown kind %q", spec.Kind)
	}
	if err != nil {
		return Image{}, err
	}
	b, err := render(p, Width, Height)
	if err != nil {
		return Image{}, err
	}
	return Image{Title: p.Title.Text, Spec: spec, PNG: b, Width: Width, Height: Height}, nil
}

// RenderAll draws the plots the document asks for, or Defaults when it
// asks for none, naming the files "NN-kind-metric.png" in order.
func RenderAll(d *results.Document) ([]Image, error) {
	specs := d.Plots
	if len(specs) == 0 {
		specs = Defaults(d)
	}
	var out []Image
	for i, s := range specs {
		img, err := Render(d, s)
		if err != nil {
			return out, fmt.Errorf("plots[%d] (%s %s): %w", i, s.Kind, s.Metric, err)
		}
		name := string(s.Kind)
		if s.Metric != "" {
			name += "-" + s.Metric
		}
		img.Name = fmt.Sprintf("%02d-%s.png", i+1, sanitize(name))
		out = append(out, img)
	}
	return out, nil
}

// Defaults chooses plots for a document that asked for none: every metric
// against the first axis (lines split by the second), a heat map of the
// first metric for a two-axis sweep, latency percentiles and CDFs of every
// histogram, every telemetry series, and the search's bounds and trials.
func Defaults(d *results.Document) []results.PlotSpec {
	var specs []results.PlotSpec
	axes := d.Sweep.Axes
	x, series := "", ""
	if len(axes) > 0 {
		x = axes[0].Name
	}
	if len(axes) > 1 {
		series = axes[1].Name
	}
	metrics := d.MetricNames()
	if x != "" {
		for _, m := range metrics {
			specs = append(specs, results.PlotSpec{Kind: results.PlotMetric, Metric: m, X: x, Series: series})
		}
		if len(axes) == 2 && len(metrics) > 0 {
			specs = append(specs, results.PlotSpec{Kind: results.PlotHeatmap, Metric: metrics[0], X: x, Y: series})
		}
	}
	for _, h := range d.HistogramNames() {
		if x != "" {
			specs = append(specs, results.PlotSpec{Kind: results.PlotLatency, Metric: h, X: x})
		}
		specs = append(specs, results.PlotSpec{Kind: results.PlotCDF, Metric: h})
	}
	for _, s := range d.SeriesNames() {
		specs = append(specs, results.PlotSpec{Kind: results.PlotTimeSeries, Metric: s})
	}
	if d.HasSearch() {
		if x != "" {
			specs = append(specs, results.PlotSpec{Kind: results.PlotSearch, X: x, Series: series})
		}
		specs = append(specs, results.PlotSpec{Kind: results.PlotTrials})
	}
	return specs
}

// xAxis places the values of a sweep axis on a plot's horizontal axis:
// numerically (log-scaled when they span a factor of 16 or more, as bucket
// counts and memory sizes do) or, for non-numeric values, by position.
type xAxis struct {
	axis        results.Axis
	index       int
	categorical bool
	log         bool
}

func newXAxis(d *results.Document, name string) (xAxis, error) {
	a, i := d.Sweep.Axis(name)
	if i < 0 {
		return xAxis{}, fmt.Errorf("%q is not a sweep axis", name)
	}
	x := xAxis{axis: a, index: i}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range a.Values {
		if !v.Numeric {
			x.categorical = true
			return x, nil
		}
		lo, hi = math.Min(lo, v.Num), math.Max(hi, v.Num)
	}
	x.log = lo > 0 && hi/lo >= 16
	return x, nil
}

func (x xAxis) pos(v results.Value) float64 {
	if x.categorical {
		for i, w := range x.axis.Values {
			if w.Equal(v) {
				return float64(i)
			}
		}
	}
	return v.Num
}

// configure sets the scale and puts one labelled tick at every value.
func (x xAxis) configure(a *gplot.Axis) {
	ticks := make(gplot.ConstantTicks, 0, len(x.axis.Values))
	for _, v := range x.axis.Values {
		ticks = append(ticks, gplot.Tick{Value: x.pos(v), Label: v.Text})
	}
	a.Tick.Marker = ticks
	if x.log {
		a.Scale = gplot.LogScale{}
	}
	// Keep the first and last points off the plot's edges.
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x.axis.Values {
		lo, hi = math.Min(lo, x.pos(v)), math.Max(hi, x.pos(v))
	}
	switch {
	case x.categorical:
		a.Min, a.Max = lo-0.5, hi+0.5
	case x.log:
		f := math.Pow(hi/lo, 0.04)
		a.Min, a.Max = lo/f, hi*f
	case lo == hi:
		pad := math.Max(math.Abs(lo)*0.1, 0.5)
		a.Min, a.Max = lo-pad, hi+pad
	default:
		pad := (hi - lo) * 0.04
		a.Min, a.Max = lo-pad, hi+pad
	}
}

func (x xAxis) label() string { return axisLabel(results.ShortName(x.axis.Name), x.axis.Unit) }

// line is the points of one line: the points that share every parameter
// except the x axis, in x order.
type line struct {
	label  string
	points []*results.Point
}

// linesBy groups the document's points into lines along axis x. Lines are
// in first-appearance order, so a sweep's natural order gives the legend's.
func linesBy(d *results.Document, x xAxis) []line {
	var ls []line
	idx := map[string]int{}
	for i := range d.Points {
		p := &d.Points[i]
		var parts []string
		for k, q := range p.Params {
			if k != x.index {
				parts = append(parts, results.ShortName(q.Name)+"="+q.Value.Text)
			}
		}
		key := strings.Join(parts, " ")
		j, ok := idx[key]
		if !ok {
			j = len(ls)
			idx[key] = j
			ls = append(ls, line{label: key})
		}
		ls[j].points = append(ls[j].points, p)
	}
	for i := range ls {
		slices.SortStableFunc(ls[i].points, func(a, b *results.Point) int {
			pa, pb := x.pos(a.Params[x.index].Value), x.pos(b.Params[x.index].Value)
			switch {
			case pa < pb:
				return -1
			case pa > pb:
				return 1
			}
			return 0
		})
	}
	return ls
}

// capLines keeps the first MaxLines lines and says in the title if it cut.
func capLines[T any](p *gplot.Plot, ls []T) []T {
	if len(ls) > MaxLines {
		p.Title.Text += fmt.Sprintf(" (first %d of %d lines)", MaxLines, len(ls))
		return ls[:MaxLines]
	}
	return ls
}

// medianWithCI returns the median of xs and the distances to its bootstrap
// interval's bounds (zero for a single value).
func medianWithCI(xs []float64) (m, lo, hi float64) {
	m = stats.Median(xs)
	if len(xs) < 2 {
		return m, 0, 0
	}
	ci, err := stats.MedianCI(xs, ciBootstrap)
	if err != nil {
		return m, 0, 0
	}
	return m, math.Max(0, m-ci.Lo), math.Max(0, ci.Hi-m)
}

func directionNote(dir results.Direction) string {
	switch dir {
	case results.HigherIsBetter:
		return " — higher is better"
	case results.LowerIsBetter:
		return " — lower is better"
	}
	return ""
}

func titleOr(spec results.PlotSpec, def string) string {
	if spec.Title != "" {
		return spec.Title
	}
	return def
}

// useLogY switches the y axis to a log scale when positive values span more
// than two decades (a linear axis would flatten all but the largest).
func useLogY(p *gplot.Plot, lo, hi float64) {
	if lo > 0 && hi/lo > 100 {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	} else {
		p.Y.Tick.Marker = siTicks{}
	}
}

func metricPlot(d *results.Document, spec results.PlotSpec) (*gplot.Plot, error) {
	x, err := newXAxis(d, spec.X)
	if err != nil {
		return nil, err
	}
	info, ok := d.MetricInfo(spec.Metric)
	if !ok {
		return nil, fmt.Errorf("no metric %q", spec.Metric)
	}
	p := newPlot(titleOr(spec, fmt.Sprintf("%s vs %s%s", spec.Metric, results.ShortName(spec.X), directionNote(info.Direction))),
		x.label(), axisLabel(spec.Metric, info.Unit)+", median and 95% CI")
	x.configure(&p.X)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, l := range capLines(p, linesBy(d, x)) {
		var pts errPoints
		for _, pt := range l.points {
			xs := pt.Samples(spec.Metric)
			if len(xs) == 0 {
				continue
			}
			m, el, eh := medianWithCI(xs)
			pts.XYs = append(pts.XYs, plotter.XY{X: x.pos(pt.Params[x.index].Value), Y: m})
			pts.lo, pts.hi = append(pts.lo, el), append(pts.hi, eh)
			lo, hi = math.Min(lo, m-el), math.Max(hi, m+eh)
		}
		if len(pts.XYs) == 0 {
			continue
		}
		if err := addLine(p, i, l.label, pts, true); err != nil {
			return nil, err
		}
	}
	useLogY(p, lo, hi)
	return p, nil
}

// percentile names and accessors of a Histogram, in drawing order.
var percentiles = []struct {
	name string
	get  func(h *results.Histogram) float64
}{
	{"p50", func(h *results.Histogram) float64 { return h.P50 }},
	{"p90", func(h *results.Histogram) float64 { return h.P90 }},
	{"p99", func(h *results.Histogram) float64 { return h.P99 }},
	{"p99.9", func(h *results.Histogram) float64 { return h.P999 }},
}

func histUnit(d *results.Document, name string) string {
	for i := range d.Points {
		for r := range d.Points[i].Repetitions {
			if h, ok := d.Points[i].Repetitions[r].Histogram(name); ok {
				return h.Unit
			}
		}
	}
	return ""
}

func latencyPlot(d *results.Document, spec results.PlotSpec) (*gplot.Plot, error) {
	x, err := newXAxis(d, spec.X)
	if err != nil {
		return nil, err
	}
	unit := histUnit(d, spec.Metric)
	p := newPlot(titleOr(spec, fmt.Sprintf("%s latency percentiles vs %s", spec.Metric, results.ShortName(spec.X))),
		x.label(), axisLabel(spec.Metric+" latency", unit)+", median of repetitions and 95% CI")
	x.configure(&p.X)
	ls := linesBy(d, x)
	ps := percentiles
	if len(ls) > 2 {
		ps = []struct {
			name string
			get  func(h *results.Histogram) float64
		}{percentiles[0], percentiles[2]} // p50 and p99 keep many groups readable
	}
	type pl struct {
		label string
		pts   errPoints
	}
	var all []pl
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range ls {
		for _, pc := range ps {
			var pts errPoints
			for _, pt := range l.points {
				var xs []float64
				for r := range pt.Repetitions {
					if h, ok := pt.Repetitions[r].Histogram(spec.Metric); ok && h.Count > 0 {
						xs = append(xs, pc.get(h))
					}
				}
				if len(xs) == 0 {
					continue
				}
				m, el, eh := medianWithCI(xs)
				pts.XYs = append(pts.XYs, plotter.XY{X: x.pos(pt.Params[x.index].Value), Y: m})
				pts.lo, pts.hi = append(pts.lo, el), append(pts.hi, eh)
				lo, hi = math.Min(lo, m-el), math.Max(hi, m+eh)
			}
			label := pc.name
			if l.label != "" {
				label += " " + l.label
			}
			if len(pts.XYs) > 0 {
				all = append(all, pl{label, pts})
			}
		}
	}
	for i, l := range capLines(p, all) {
		if err := addLine(p, i, l.label, l.pts, true); err != nil {
			return nil, err
		}
	}
	if lo > 0 {
		p.Y.Scale = gplot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	} else {
		p.Y.Tick.Marker = siTicks{}
	}
	return p, nil
}

func cdfPlot(d *results.Document, spec results.PlotSpec) (*gplot.Plot, error) {
	unit := histUnit(d, spec.Metric)
	p := newPlot(titleOr(spec, spec.Metric+" latency CDF (first repetition of each point)"),
		axisLabel(spec.Metric+" latency", unit), "fraction of samples ≤ x")
	p.Legend.Top, p.Legend.Left = false, false
	type cl struct {
		label string
		pts   plotter.XYs
	}
	var ls []cl
	positive := true
	for i := range d.Points {
		pt := &d.Points[i]
		for r := range pt.Repetitions {
			h, ok := pt.Repetitions[r].Histogram(spec.Metric)
			if !ok || len(h.CDF) == 0 {
				continue
			}
			var xy plotter.XYs
			for _, c := range h.CDF {
				xy = append(xy, plotter.XY{X: c.Value, Y: c.Fraction})
				positive = positive && c.Value > 0
			}
			ls = append(ls, cl{pt.Label(), xy})
			break
		}
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no histogram %q with a CDF", spec.Metric)
	}
	for i, l := range capLines(p, ls) {
		ln, err := plotter.NewLine(l.pts)
		if err != nil {
			return nil, err
		}
		ln.Color, ln.Width, ln.Dashes = lineColor(i), vg.Points(1.6), lineDashes(i)
		ln.StepStyle = plotter.PostStep
		p.Add(ln)
		if len(d.Points) > 1 {
			p.Legend.Add(l.label, ln)
		}
	}
	if positive {
		p.X.Scale = gplot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	} else {
		p.X.Tick.Marker = siTicks{}
	}
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}

func timeSeriesPlot(d *results.Document, spec results.PlotSpec) (*gplot.Plot, error) {
	type sl struct {
		label string
		pts   plotter.XYs
	}
	var ls []sl
	unit := ""
	for i := range d.Points {
		pt := &d.Points[i]
		if len(pt.Repetitions) == 0 {
			continue
		}
		for _, s := range pt.Repetitions[0].Series {
			if s.Name != spec.Metric || len(s.Points) == 0 {
				continue
			}
			unit = s.Unit
			var xy plotter.XYs
			for _, q := range s.Points {
				xy = append(xy, plotter.XY{X: float64(q.TNS) / 1e6, Y: q.V})
			}
			label := strings.TrimPrefix(s.Key(), s.Name)
			if len(d.Points) > 1 {
				label = strings.TrimSpace(pt.Label() + " " + label)
			}
			ls = append(ls, sl{label, xy})
		}
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no time series %q", spec.Metric)
	}
	p := newPlot(titleOr(spec, spec.Metric+" over time (first repetition)"), "time (ms)", axisLabel(spec.Metric, unit))
	p.X.Tick.Marker = siTicks{}
	p.Y.Tick.Marker = siTicks{}
	for i, l := range capLines(p, ls) {
		ln, err := plotter.NewLine(l.pts)
		if err != nil {
			return nil, err
		}
		ln.Color, ln.Width, ln.Dashes = lineColor(i), vg.Points(1.6), lineDashes(i)
		p.Add(ln)
		if l.label != "" {
			p.Legend.Add(l.label, ln)
		}
	}
	p.Y.Min = math.Min(0, p.Y.Min)
	return p, nil
}

func searchPlot(d *results.Document, spec results.PlotSpec) (*gplot.Plot, error) {
	x, err := newXAxis(d, spec.X)
	if err != nil {
		return nil, err
	}
	unit := ""
	var goals []string
	for i := range d.Points {
		if s := d.Points[i].Search; s != nil {
			unit = s.LoadUnit
			for _, g := range s.Goals {
				if !slices.Contains(goals, g.Name) {
					goals = append(goals, g.Name)
				}
			}
		}
	}
	if len(goals) == 0 {
		return nil, fmt.Errorf("no point holds a search")
	}
	p := newPlot(titleOr(spec, fmt.Sprintf("%s vs %s", strings.Join(goals, " and "), results.ShortName(spec.X))),
		x.label(), axisLabel("throughput", unit)+": lower bound, bar to upper bound")
	x.configure(&p.X)
	p.Y.Tick.Marker = siTicks{}
	type sl struct {
		label string
		pts   errPoints
	}
	var all []sl
	for _, l := range linesBy(d, x) {
		for _, g := range goals {
			var pts errPoints
			for _, pt := range l.points {
				if pt.Search == nil {
					continue
				}
				for _, sg := range pt.Search.Goals {
					if sg.Name == g {
						pts.XYs = append(pts.XYs, plotter.XY{X: x.pos(pt.Params[x.index].Value), Y: sg.LowerBound})
						pts.lo, pts.hi = append(pts.lo, 0), append(pts.hi, sg.UpperBound-sg.LowerBound)
					}
				}
			}
			if len(pts.XYs) > 0 {
				all = append(all, sl{strings.TrimSpace(g + " " + l.label), pts})
			}
		}
	}
	for i, l := range capLines(p, all) {
		if err := addLine(p, i, l.label, l.pts, true); err != nil {
			return nil, err
		}
	}
	p.Y.Min = 0
	return p, nil
}

func trialsPlot(d *results.Document, spec results.PlotSpec) (*gplot.Plot, error) {
	type tl struct {
		label string
		pts   plotter.XYs
	}
	var ls []tl
	unit := ""
	for i := range d.Points {
		pt := &d.Points[i]
		if pt.Search == nil || len(pt.Search.Trials) == 0 {
			continue
		}
		unit = pt.Search.LoadUnit
		var xy plotter.XYs
		for _, t := range pt.Search.Trials {
			xy = append(xy, plotter.XY{X: t.Load, Y: t.LossRatio * 100})
		}
		ls = append(ls, tl{pt.Label(), xy})
	}
	if len(ls) == 0 {
		return nil, fmt.Errorf("no point holds search trials")
	}
	p := newPlot(titleOr(spec, "search trials: loss against offered load"), axisLabel("offered load", unit), "loss (% of offered)")
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Tick.Marker = siTicks{}
	p.Y.Tick.Marker = siTicks{}
	for i, l := range capLines(p, ls) {
		s, err := plotter.NewScatter(l.pts)
		if err != nil {
			return nil, err
		}
		s.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = lineColor(i), vg.Points(3), glyphShape(i)
		p.Add(s)
		p.Legend.Add(l.label, s)
	}
	p.Y.Min = 0
	return p, nil
}
