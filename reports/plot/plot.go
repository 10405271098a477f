// Package plot draws sessionlab results as PNG images with gonum/plot.
//
// Data flow: a *results.Document and one results.PlotSpec (what the
// scenario asked for, or Defaults) go into Render, which extracts the data
// (medians and bootstrap intervals over repetitions, histogram percentiles,
// time series, search bounds), builds a gonum plot and encodes it as PNG.
// CompareChanges draws a compare.Report instead.
//
// Every image is deterministic: fixed pixel sizes, gonum's embedded
// Liberation fonts, data in document order, intervals from a seeded
// bootstrap and no map iteration in drawing order — rendering the same
// input twice gives the same bytes, so images can be golden files and
// reports can be diffed.
package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/stats"
)

// Image is one rendered plot.
type Image struct {
	// Name is a file name for the image ("02-heatmap-lookup_cost.png").
	Name string
	// Title is the plot's title (also the HTML caption).
	Title string
	// Spec is what was drawn.
	Spec results.PlotSpec
	// PNG holds the encoded image.
	PNG []byte
	// Width and Height in pixels.
	Width, Height int
}

// Image sizes in pixels at DPI dots per inch.
const (
	Width  = 960
	Height = 600
	DPI    = 96
)

// MaxLines is the most lines one plot draws; beyond it the plot says how
// many were left out (a legend of 40 entries helps nobody).
const MaxLines = 12

// ciBootstrap is the bootstrap behind error bars: fixed seed, 95%.
var ciBootstrap = stats.Bootstrap{Resamples: 2000, Confidence: 0.95, Seed: 1}

var (
	sans      = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold  = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: 700}
	gridColor = color.Gray{Y: 225}
)

// palette is a colour-blind-safe qualitative palette (Okabe-Ito), then a
// few more distinct colours; line styles cycle on top of it.
var lineColors = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{160, 160, 0, 255},   // olive
}

var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}}

func lineColor(i int) color.Color { return lineColors[i%len(lineColors)] }

func lineDashes(i int) []vg.Length { return dashes[(i/len(lineColors))%len(dashes)] }

// newPlot returns a plot with sessionlab's style: sans fonts, a light grid.
func newPlot(title, xlabel, ylabel string) *gplot.Plot {
	p := gplot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansBold, 15)
	p.Title.Padding = vg.Points(8)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 12)
		a.Tick.Label.Font = font.From(sans, 10)
		a.Padding = vg.Points(4)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font = font.From(sans, 10)
	p.Legend.Top = true
	p.Legend.Left = false
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridColor, gridColor
	p.Add(g)
	return p
}

// encode draws p on a w×h pixel canvas and returns the PNG bytes.
func encode(w, h int, drawFn func(dc draw.Canvas)) ([]byte, error) {
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(w)*vg.Inch/DPI, vg.Length(h)*vg.Inch/DPI),
		vgimg.UseDPI(DPI),
		vgimg.UseBackgroundColor(color.White),
	)
	drawFn(draw.New(c))
	var buf bytes.Buffer
	// BestSpeed: half the encoding time of the default level for files
	// about a quarter larger; plots are drawn often (every report, every
	// test) and stay small either way.
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func render(p *gplot.Plot, w, h int) (b []byte, err error) {
	// gonum/plot panics on some degenerate input (a log axis over a zero,
	// an empty colour range); turn that into an error naming the plot.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plot %q: %v", p.Title.Text, r)
		}
	}()
	// The legend goes in a column right of the data instead of over it:
	// sweep labels are long, and a legend inside the axes hides the very
	// lines it explains.
	leg := p.Legend
	p.Legend = gplot.NewLegend()
	leg.Top, leg.Left = true, true
	return encode(w, h, func(dc draw.Canvas) {
		lw := leg.Rectangle(dc).Size().X
		if lw <= 0 {
			p.Draw(dc)
			return
		}
		lw = min(lw+vg.Points(14), (dc.Max.X-dc.Min.X)*0.45)
		p.Draw(draw.Crop(dc, 0, -lw, 0, 0))
		top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding + vg.Points(6)
		leg.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-lw+vg.Points(8), 0, 0, -top))
	})
}

// axisLabel returns "name (unit)" or just the name.
func axisLabel(name, unit string) string {
	if unit == "" {
		return name
	}
	return name + " (" + unit + ")"
}

// formatTick prints a tick value compactly: 1.5M, 250k, 0.25, 1e-06.
func formatTick(v float64) string {
	a := math.Abs(v)
	for _, s := range []struct {
		from   float64
		suffix string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}} {
		if a >= s.from {
			return strconv.FormatFloat(v/s.from, 'g', 4, 64) + s.suffix
		}
	}
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// siTicks is gonum's default ticker with SI labels (1.5M instead of 1.5e+06).
type siTicks struct{}

func (siTicks) Ticks(min, max float64) []gplot.Tick {
	ts := gplot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = formatTick(ts[i].Value)
		}
	}
	return ts
}

// logTicks labels 1, 2 and 5 times each power of ten of a log axis.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []gplot.Tick {
	if !(min > 0) || !(max > 0) {
		return nil
	}
	var ts []gplot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		base := math.Pow(10, e)
		for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
			v := m * base
			if v < min*0.999 || v > max*1.001 {
				continue
			}
			t := gplot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = formatTick(v)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// sanitize keeps a name usable in a file name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "plot"
	}
	return b.String()
}

// errPoints are points with asymmetric vertical error bars.
type errPoints struct {
	plotter.XYs
	lo, hi []float64 // distances below and above Y (non-negative)
}

func (e errPoints) YError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

// addLine adds one line with points, optionally with error bars, to p.
func addLine(p *gplot.Plot, i int, label string, pts errPoints, withErr bool) error {
	l, s, err := plotter.NewLinePoints(pts.XYs)
	if err != nil {
		return err
	}
	c := lineColor(i)
	l.Color, l.Width, l.Dashes = c, vg.Points(1.6), lineDashes(i)
	s.Color, s.GlyphStyle.Radius = c, vg.Points(2.6)
	s.GlyphStyle.Shape = glyphShape(i)
	p.Add(l, s)
	if withErr && len(pts.lo) == len(pts.XYs) {
		eb, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return err
		}
		eb.Color, eb.Width, eb.CapWidth = c, vg.Points(1), vg.Points(6)
		p.Add(eb)
	}
	if label != "" {
		p.Legend.Add(label, l, s)
	}
	return nil
}

func glyphShape(i int) draw.GlyphDrawer {
	switch i % 4 {
	case 1:
		return draw.SquareGlyph{}
	case 2:
		return draw.TriangleGlyph{}
	case 3:
		return draw.CrossGlyph{}
	}
	return draw.CircleGlyph{}
}
