// Package html turns a results document into one self-contained HTML page
// (`sessionlab report`).
//
// Data flow: Write takes a *results.Document, renders its plots with
// reports/plot, writes each PNG into the output directory, and executes one
// html/template into index.html with the same PNGs embedded as data: URIs,
// the summary table (median and 95% bootstrap interval of every metric at
// every point), warnings, scenario, configuration and environment.
//
// The page needs nothing else: CSS is inline, there is no script and no
// reference to the network, so it can be archived as a CI artifact, mailed,
// or opened years later. Every string from the document goes through
// html/template's contextual escaping.
package html

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/plot"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/stats"
)

//go:embed report.html.tmpl
var pageText string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"value":  compare.FormatValue,
	"time":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"dur":    func(a, b time.Time) string { return b.Sub(a).Round(time.Millisecond).String() },
	"short":  results.ShortName,
	"commit": func(c string) string { return c[:min(len(c), 12)] },
}).Parse(pageText))

// Report is what Write produced.
type Report struct {
	// Index is the path of index.html.
	Index string
	// Images are the PNG files written beside it, in page order.
	Images []string
	// CSV and Bench are the exports written beside it: results.csv (one
	// row per point × repetition × metric) and results.bench (Go
	// benchmark format, for benchstat).
	CSV, Bench string
}

// Write renders d's report into dir (created if missing): dir/index.html,
// one PNG per plot, results.csv and results.bench. Existing files of the
// same names are replaced.
func Write(dir string, d *results.Document) (*Report, error) {
	imgs, err := plot.RenderAll(d)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	rep := &Report{Index: filepath.Join(dir, "index.html")}
	for _, img := range imgs {
		p := filepath.Join(dir, img.Name)
		if err := os.WriteFile(p, img.PNG, 0o644); err != nil {
			return nil, err
		}
		rep.Images = append(rep.Images, p)
	}
	var csv, bench bytes.Buffer
	if err := results.WriteCSV(&csv, d); err != nil {
		return nil, err
	}
	if err := results.WriteBenchfmt(&bench, d); err != nil {
		return nil, err
	}
	rep.CSV, rep.Bench = filepath.Join(dir, "results.csv"), filepath.Join(dir, "results.bench")
	for _, f := range []struct {
		path string
		b    []byte
	}{{rep.CSV, csv.Bytes()}, {rep.Bench, bench.Bytes()}} {
		if err := os.WriteFile(f.path, f.b, 0o644); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, d, imgs); err != nil {
		return nil, err
	}
	if err := os.WriteFile(rep.Index, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return rep, nil
}

// Render writes the page for d with the given (already rendered) images.
func Render(w io.Writer, d *results.Document, imgs []plot.Image) error {
	return page.Execute(w, newView(d, imgs))
}

// view is the template's data: everything precomputed, so the template
// holds layout only.
type view struct {
	D        *results.Document
	Warnings []warning
	Axes     []string
	Columns  []column
	Rows     []summaryRow
	Search   []string // goal names, when points hold searches
	Drops    []string // drop causes seen
	Figures  []figure
}

type warning struct {
	Where, Text string
}

type column struct {
	Name, Unit string
	Direction  results.Direction
	Kind       results.Kind
}

type cell struct {
	Median, Lo, Hi string
	HasCI          bool
	Empty          bool
}

type summaryRow struct {
	Index  int
	Params []string
	Reps   int
	Cells  []cell
	Search []string
	Drops  []string
	Warn   bool
}

type figure struct {
	Name, Title string
	Src         template.URL
	W, H        int
}

var ciBootstrap = stats.Bootstrap{Resamples: 2000, Confidence: 0.95, Seed: 1}

func newView(d *results.Document, imgs []plot.Image) *view {
	v := &view{D: d}
	for _, w := range d.Warnings {
		v.Warnings = append(v.Warnings, warning{"run", w})
	}
	for i := range d.Points {
		pt := &d.Points[i]
		for _, w := range pt.Warnings {
			v.Warnings = append(v.Warnings, warning{"point " + pt.Label(), w})
		}
		for r := range pt.Repetitions {
			for _, w := range pt.Repetitions[r].Warnings {
				v.Warnings = append(v.Warnings, warning{fmt.Sprintf("point %s, repetition %d", pt.Label(), r), w})
			}
		}
	}
	for _, a := range d.Sweep.Axes {
		v.Axes = append(v.Axes, results.ShortName(a.Name))
	}
	for _, name := range d.MetricNames() {
		m, _ := d.MetricInfo(name)
		v.Columns = append(v.Columns, column{Name: name, Unit: m.Unit, Direction: m.Direction, Kind: m.Kind})
	}
	causes := map[string]bool{}
	for i := range d.Points {
		for r := range d.Points[i].Repetitions {
			for _, dr := range d.Points[i].Repetitions[r].Drops {
				causes[dr.Cause] = true
			}
		}
		if s := d.Points[i].Search; s != nil {
			for _, g := range s.Goals {
				if !contains(v.Search, g.Name) {
					v.Search = append(v.Search, g.Name)
				}
			}
		}
	}
	for c := range causes {
		v.Drops = append(v.Drops, c)
	}
	sort.Strings(v.Drops)
	for i := range d.Points {
		v.Rows = append(v.Rows, v.row(&d.Points[i]))
	}
	for _, img := range imgs {
		v.Figures = append(v.Figures, figure{
			Name: img.Name, Title: img.Title, W: img.Width, H: img.Height,
			Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(img.PNG)),
		})
	}
	return v
}

func (v *view) row(pt *results.Point) summaryRow {
	r := summaryRow{Index: pt.Index, Reps: len(pt.Repetitions), Warn: len(pt.Warnings) > 0}
	for _, p := range pt.Params {
		r.Params = append(r.Params, p.Value.Text)
	}
	for _, c := range v.Columns {
		xs := pt.Samples(c.Name)
		if len(xs) == 0 {
			r.Cells = append(r.Cells, cell{Empty: true})
			continue
		}
		m := stats.Median(xs)
		cl := cell{Median: compare.FormatValue(m)}
		if ci, err := stats.MedianCI(xs, ciBootstrap); err == nil && len(xs) > 1 && ci.Lo != ci.Hi {
			cl.HasCI, cl.Lo, cl.Hi = true, compare.FormatValue(ci.Lo), compare.FormatValue(ci.Hi)
		}
		r.Cells = append(r.Cells, cl)
	}
	for _, g := range v.Search {
		s := "—"
		if pt.Search != nil {
			for _, sg := range pt.Search.Goals {
				if sg.Name == g {
					s = compare.FormatValue(sg.LowerBound) + " " + pt.Search.LoadUnit
				}
			}
		}
		r.Search = append(r.Search, s)
	}
	for _, cause := range v.Drops {
		var xs []float64
		for k := range pt.Repetitions {
			n := 0.0
			for _, dr := range pt.Repetitions[k].Drops {
				if dr.Cause == cause {
					n = float64(dr.Count)
				}
			}
			xs = append(xs, n)
		}
		m := stats.Median(xs)
		if math.IsNaN(m) {
			r.Drops = append(r.Drops, "—")
		} else {
			r.Drops = append(r.Drops, compare.FormatValue(m))
		}
	}
	return r
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// directionArrow is used by the template for column headers.
func (c column) Arrow() string {
	switch c.Direction {
	case results.HigherIsBetter:
		return "↑ higher is better"
	case results.LowerIsBetter:
		return "↓ lower is better"
	}
	return ""
}

// Title is the page title.
func (v *view) Title() string {
	return "sessionlab report: " + strings.TrimSpace(v.D.Scenario.Name)
}
