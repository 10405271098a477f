package plot

import (
	"fmt"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/stats"
)

// grid is a heat map's cells: column c is the c-th value of the x axis,
// row r the r-th value of the y axis, each placed at its index so that
// cells are equally wide however the values are spaced.
type grid struct {
	z    [][]float64 // z[c][r]
	cols int
	rows int
}

func (g grid) Dims() (c, r int)   { return g.cols, g.rows }
func (g grid) Z(c, r int) float64 { return g.z[c][r] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

func indexTicks(a results.Axis) gplot.ConstantTicks {
	ts := make(gplot.ConstantTicks, len(a.Values))
	for i, v := range a.Values {
		ts[i] = gplot.Tick{Value: float64(i), Label: v.Text}
	}
	return ts
}

// heatmap draws the median of a metric over two sweep axes, with each
// cell's value printed in it and a colour bar on the right. Axes outside
// the zip groups of x and y are held at their first value (the title says
// so).
func heatmap(d *results.Document, spec results.PlotSpec) (Image, error) {
	xa, xi := d.Sweep.Axis(spec.X)
	ya, yi := d.Sweep.Axis(spec.Y)
	if xi < 0 || yi < 0 || xi == yi {
		return Image{}, fmt.Errorf("heatmap needs two different sweep axes, have x %q y %q", spec.X, spec.Y)
	}
	// Axes zipped with x or y move with them; only the other groups are
	// held at their first value.
	group := make([]int, len(d.Sweep.Axes))
	for gi, g := range d.Sweep.Groups() {
		for _, a := range g.Axes {
			group[a] = gi
		}
	}
	if group[xi] == group[yi] {
		return Image{}, fmt.Errorf("heatmap axes %q and %q are zipped together: they form a line, not a grid", spec.X, spec.Y)
	}
	info, ok := d.MetricInfo(spec.Metric)
	if !ok {
		return Image{}, fmt.Errorf("no metric %q", spec.Metric)
	}
	g := grid{cols: len(xa.Values), rows: len(ya.Values)}
	g.z = make([][]float64, g.cols)
	for c := range g.z {
		g.z[c] = make([]float64, g.rows)
		for r := range g.z[c] {
			g.z[c][r] = math.NaN()
		}
	}
	held := false
	zmin, zmax := math.Inf(1), math.Inf(-1)
	for i := range d.Points {
		pt := &d.Points[i]
		other := false
		for k, q := range pt.Params {
			if group[k] != group[xi] && group[k] != group[yi] && !q.Value.Equal(d.Sweep.Axes[k].Values[0]) {
				other = true
			}
		}
		if other {
			held = true
			continue
		}
		xs := pt.Samples(spec.Metric)
		if len(xs) == 0 {
			continue
		}
		c, r := indexOf(xa, pt.Params[xi].Value), indexOf(ya, pt.Params[yi].Value)
		m := stats.Median(xs)
		g.z[c][r] = m
		zmin, zmax = math.Min(zmin, m), math.Max(zmax, m)
	}
	if math.IsInf(zmin, 1) {
		return Image{}, fmt.Errorf("metric %q has no values over %s × %s", spec.Metric, spec.X, spec.Y)
	}
	if zmin == zmax {
		// A constant field still needs a colour range.
		pad := math.Max(math.Abs(zmin)*0.01, 1)
		zmin, zmax = zmin-pad, zmax+pad
	}
	// Black body (black, red, yellow, white): perceptually ordered, so a
	// brighter cell always means a larger value.
	cmap := moreland.BlackBody()
	cmap.SetMin(zmin)
	cmap.SetMax(zmax)

	title := fmt.Sprintf("%s over %s × %s (median)%s", spec.Metric, results.ShortName(spec.X), results.ShortName(spec.Y), directionNote(info.Direction))
	if held {
		title += " — other axes at their first value"
	}
	p := newPlot(titleOr(spec, title), axisLabel(results.ShortName(xa.Name), xa.Unit), axisLabel(results.ShortName(ya.Name), ya.Unit))
	hm := plotter.NewHeatMap(g, cmap.Palette(256))
	hm.Min, hm.Max = zmin, zmax
	hm.NaN = color.Gray{Y: 235}
	p.Add(hm)
	p.X.Tick.Marker, p.Y.Tick.Marker = indexTicks(xa), indexTicks(ya)

	// The value of every cell, in black or white for contrast.
	var lab plotter.XYLabels
	var styles []text.Style
	for c := 0; c < g.cols; c++ {
		for r := 0; r < g.rows; r++ {
			v := g.Z(c, r)
			if math.IsNaN(v) {
				continue
			}
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(c), Y: float64(r)})
			lab.Labels = append(lab.Labels, formatTick(v))
			fg := color.Color(color.Black)
			if col, err := cmap.At(v); err == nil && luminance(col) < 0.45 {
				fg = color.White
			}
			styles = append(styles, text.Style{
				Color: fg, Font: font.From(sans, 11), Handler: gplot.DefaultTextHandler,
				XAlign: text.XCenter, YAlign: text.YCenter,
			})
		}
	}
	if len(lab.XYs) > 0 {
		labels, err := plotter.NewLabels(lab)
		if err != nil {
			return Image{}, err
		}
		labels.TextStyle = styles
		p.Add(labels)
	}

	bar := gplot.New()
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true, Colors: 256})
	bar.HideX()
	bar.Y.Label.Text = axisLabel(spec.Metric, info.Unit)
	bar.Y.Label.TextStyle.Font = font.From(sans, 12)
	bar.Y.Tick.Label.Font = font.From(sans, 10)
	bar.Y.Tick.Marker = siTicks{}

	const barWidth = 110 // points, including tick labels and the axis label
	b, err := renderDraw(p.Title.Text, func(dc draw.Canvas) {
		main := draw.Crop(dc, 0, -vg.Points(barWidth), 0, 0)
		p.Draw(main)
		// Align the bar with the plot area: below the title, above the
		// x axis labels.
		side := draw.Crop(dc, dc.Max.X-dc.Min.X-vg.Points(barWidth-10), -vg.Points(20), vg.Points(52), -vg.Points(44))
		bar.Draw(side)
	})
	if err != nil {
		return Image{}, err
	}
	return Image{Title: p.Title.Text, Spec: spec, PNG: b, Width: Width, Height: Height}, nil
}

func renderDraw(title string, fn func(dc draw.Canvas)) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot %q: %v", title, r)
		}
	}()
	return encode(Width, Height, fn)
}

func indexOf(a results.Axis, v results.Value) int {
	for i, w := range a.Values {
		if w.Equal(v) {
			return i
		}
	}
	return 0
}

// luminance is the relative luminance of c in [0, 1] (sRGB weights, no
// gamma: precise enough to choose black or white text).
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)) / 0xffff
}
