package plot

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sessionlab/sessionlab/reports/compare"
)

// MaxCompareRows is the most rows CompareChanges draws; beyond it, it
// keeps the rows with the largest absolute change.
const MaxCompareRows = 60

var verdictColor = map[compare.Verdict]color.Color{
	compare.Worse:   color.RGBA{213, 94, 0, 255},
	compare.Better:  color.RGBA{0, 158, 115, 255},
	compare.Changed: color.RGBA{0, 114, 178, 255},
	compare.Same:    color.Gray{Y: 110},
}

// changeRows are the horizontal error bars of a compare plot.
type changeRows struct {
	plotter.XYs
	lo, hi []float64
}

func (c changeRows) XError(i int) (float64, float64) { return c.lo[i], c.hi[i] }

// CompareChanges draws the median change of every statistically compared
// metric and point with its confidence interval, one row each, coloured by
// verdict, with the threshold band around zero. Exact counts (which have
// no interval) are left out. The image is taller the more rows it has.
func CompareChanges(r *compare.Report) (Image, error) {
	var rows []*compare.Row
	for i := range r.Rows {
		row := &r.Rows[i]
		if !math.IsNaN(row.CI.Lo) && !math.IsInf(row.ChangePct, 0) && !math.IsInf(row.CI.Lo, 0) && !math.IsInf(row.CI.Hi, 0) {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return Image{}, fmt.Errorf("compare plot: no metric with a confidence interval")
	}
	title := fmt.Sprintf("%s: %s vs %s — change of the median, %g%% CI", r.Base.Scenario, r.Head.Name, r.Base.Name, 100*r.Confidence)
	if len(rows) > MaxCompareRows {
		title += fmt.Sprintf(" (%d largest of %d)", MaxCompareRows, len(rows))
		rows = largest(rows, MaxCompareRows)
	}
	p := newPlot(title, "change (%)", "")
	p.Legend.Top, p.Legend.Left = false, false
	ticks := make(gplot.ConstantTicks, len(rows))
	n := len(rows)
	byVerdict := map[compare.Verdict]*changeRows{}
	order := []compare.Verdict{compare.Worse, compare.Better, compare.Changed, compare.Same}
	xmin, xmax := -r.Threshold, r.Threshold
	for i, row := range rows {
		y := float64(n - 1 - i) // first row on top
		ticks[i] = gplot.Tick{Value: y, Label: row.Metric + " · " + row.Label()}
		v := row.Verdict
		if _, ok := verdictColor[v]; !ok {
			v = compare.Same
		}
		cr := byVerdict[v]
		if cr == nil {
			cr = &changeRows{}
			byVerdict[v] = cr
		}
		cr.XYs = append(cr.XYs, plotter.XY{X: row.ChangePct, Y: y})
		cr.lo = append(cr.lo, math.Max(0, row.ChangePct-row.CI.Lo))
		cr.hi = append(cr.hi, math.Max(0, row.CI.Hi-row.ChangePct))
		xmin, xmax = math.Min(xmin, row.CI.Lo), math.Max(xmax, row.CI.Hi)
	}
	// The threshold band and zero.
	band, err := plotter.NewPolygon(plotter.XYs{
		{X: -r.Threshold, Y: -0.5}, {X: r.Threshold, Y: -0.5}, {X: r.Threshold, Y: float64(n) - 0.5}, {X: -r.Threshold, Y: float64(n) - 0.5},
	})
	if err != nil {
		return Image{}, err
	}
	band.Color = color.RGBA{235, 235, 235, 255}
	band.LineStyle.Width = 0
	p.Add(band)
	zero, err := plotter.NewLine(plotter.XYs{{X: 0, Y: -0.5}, {X: 0, Y: float64(n) - 0.5}})
	if err != nil {
		return Image{}, err
	}
	zero.Color, zero.Width = color.Gray{Y: 80}, vg.Points(1)
	p.Add(zero)
	p.Legend.Add(fmt.Sprintf("±%g%% threshold", r.Threshold), band)
	for _, v := range order {
		cr := byVerdict[v]
		if cr == nil {
			continue
		}
		s, err := plotter.NewScatter(cr.XYs)
		if err != nil {
			return Image{}, err
		}
		s.Color, s.GlyphStyle.Radius, s.GlyphStyle.Shape = verdictColor[v], vg.Points(3.2), draw.CircleGlyph{}
		eb, err := plotter.NewXErrorBars(cr)
		if err != nil {
			return Image{}, err
		}
		eb.Color, eb.Width, eb.CapWidth = verdictColor[v], vg.Points(1.4), vg.Points(6)
		p.Add(eb, s)
		p.Legend.Add(string(v), s)
	}
	p.Y.Tick.Marker = ticks
	p.Y.Min, p.Y.Max = -0.7, float64(n)-0.3
	pad := (xmax - xmin) * 0.05
	p.X.Min, p.X.Max = xmin-pad, xmax+pad
	p.X.Tick.Marker = siTicks{}
	h := 140 + 22*n
	b, err := render(p, Width, h)
	if err != nil {
		return Image{}, err
	}
	return Image{Name: "compare.png", Title: title, PNG: b, Width: Width, Height: h}, nil
}

// largest returns the k rows with the largest absolute change, in their
// original order.
func largest(rows []*compare.Row, k int) []*compare.Row {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	// Stable selection by |change|, ties by position: deterministic.
	for i := 0; i < k; i++ {
		best := i
		for j := i + 1; j < len(idx); j++ {
			if math.Abs(rows[idx[j]].ChangePct) > math.Abs(rows[idx[best]].ChangePct) {
				best = j
			}
		}
		idx[i], idx[best] = idx[best], idx[i]
	}
	keep := idx[:k]
	slices.Sort(keep)
	out := make([]*compare.Row, k)
	for i, j := range keep {
		out[i] = rows[j]
	}
	return out
}
