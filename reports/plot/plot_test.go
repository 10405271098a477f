package plot_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/plot"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

// dumpDir, when set (SESSIONLAB_PLOT_DIR), receives every rendered image
// for a human to look at.
var dumpDir = os.Getenv("SESSIONLAB_PLOT_DIR")

func dump(t *testing.T, img plot.Image) {
	if dumpDir == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(dumpDir, img.Name), img.PNG, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkImage decodes the PNG, checks its size and that it is not blank:
// a real plot has many distinct colours (text antialiasing, lines, fills).
func checkImage(t *testing.T, img plot.Image) {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(img.PNG))
	if err != nil {
		t.Fatalf("%s: %v", img.Name, err)
	}
	if b := m.Bounds(); b.Dx() != img.Width || b.Dy() != img.Height {
		t.Errorf("%s: %dx%d, want %dx%d", img.Name, b.Dx(), b.Dy(), img.Width, img.Height)
	}
	if n := distinctColours(m, 64); n < 16 {
		t.Errorf("%s: only %d distinct colours: blank or nearly so", img.Name, n)
	}
	if img.Title == "" {
		t.Errorf("%s: no title", img.Name)
	}
}

func distinctColours(m image.Image, stop int) int {
	seen := map[[4]uint32]bool{}
	b := m.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := m.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= stop {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// TestRenderAllDeterministic renders every plot kind of a two-axis sweep
// twice and requires identical bytes.
func TestRenderAllDeterministic(t *testing.T) {
	d := resultstest.Build(resultstest.Default())
	first, err := plot.RenderAll(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(d.Plots) {
		t.Fatalf("%d images for %d specs", len(first), len(d.Plots))
	}
	twice := len(d.Plots)
	if raceEnabled {
		twice = 2 // see race_test.go
	}
	kinds := map[results.PlotKind]bool{}
	for i := range first {
		checkImage(t, first[i])
		dump(t, first[i])
		kinds[first[i].Spec.Kind] = true
		if i >= twice {
			continue
		}
		again, err := plot.Render(d, d.Plots[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first[i].PNG, again.PNG) {
			t.Errorf("%s: rendering twice gave different bytes", first[i].Name)
		}
	}
	for _, k := range []results.PlotKind{results.PlotMetric, results.PlotLatency, results.PlotCDF, results.PlotHeatmap,
		results.PlotTimeSeries, results.PlotSearch, results.PlotTrials} {
		if !kinds[k] {
			t.Errorf("kind %s not rendered", k)
		}
	}
}

func TestDefaults(t *testing.T) {
	d := resultstest.Build(resultstest.Default())
	d.Plots = nil
	specs := plot.Defaults(d)
	d.Plots = specs
	if err := d.Validate(); err != nil {
		t.Fatalf("default plot specs are not valid for the document: %v", err)
	}
	// Every kind is rendered by TestRenderAllDeterministic; here the
	// choice matters: each metric against the first axis, split by the
	// second, a heat map, latency, CDF, series, search and trials.
	kinds := map[results.PlotKind]int{}
	for _, sp := range specs {
		kinds[sp.Kind]++
	}
	want := map[results.PlotKind]int{results.PlotMetric: 5, results.PlotHeatmap: 1, results.PlotLatency: 2,
		results.PlotCDF: 2, results.PlotTimeSeries: 3, results.PlotSearch: 1, results.PlotTrials: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d default %s plots, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
	// An unswept run gets no x-axis plots but still its CDFs and series.
	s := resultstest.Single("one", resultstest.Metric{Name: "m", Unit: "u", Direction: results.NoDirection, Kind: results.KindCount, Base: 3})
	s.Histograms, s.Series = true, true
	one := resultstest.Build(s)
	for _, sp := range plot.Defaults(one) {
		if sp.X != "" {
			t.Errorf("unswept default %+v has an x axis", sp)
		}
	}
	specs = plot.Defaults(one)
	if len(specs) != 5 {
		t.Errorf("unswept: %d default plots, want 2 CDFs and 3 series", len(specs))
	}
	drawn := map[results.PlotKind]bool{}
	for _, sp := range specs { // one CDF, one series: the others are alike
		if drawn[sp.Kind] {
			continue
		}
		drawn[sp.Kind] = true
		img, err := plot.Render(one, sp)
		if err != nil {
			t.Fatalf("unswept %+v: %v", sp, err)
		}
		img.Name = "unswept-" + string(sp.Kind)
		checkImage(t, img)
	}
}

// TestCategoricalAndZipped: non-numeric and zipped axes, and a free axis
// that a heat map must hold fixed (and say so), while an axis zipped with
// the heat map's y axis moves with it.
func TestCategoricalAndZipped(t *testing.T) {
	s := resultstest.Spec{
		Name: "cat", Seed: 1, Repetitions: 3,
		Axes: []results.Axis{
			{Name: "apps.0.kind", Values: []results.Value{results.Text("echo"), results.Text("sink"), results.Text("proxy")}},
			{Name: "session.event-queue-length", Zip: "z", Values: []results.Value{results.Num(2048), results.Num(4096)}},
			{Name: "traffic.0.burst", Zip: "z", Values: []results.Value{results.Num(8), results.Num(16)}},
			{Name: "workers", Values: []results.Value{results.Num(1)}},
		},
		Metrics: []resultstest.Metric{{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Base: 1e5, Noise: 0.05}},
	}
	cases := []struct {
		spec results.PlotSpec
		held bool
	}{
		{results.PlotSpec{Kind: results.PlotMetric, Metric: "throughput", X: "apps.0.kind"}, false},
		{results.PlotSpec{Kind: results.PlotMetric, Metric: "throughput", X: "session.event-queue-length", Series: "apps.0.kind"}, false},
		{results.PlotSpec{Kind: results.PlotHeatmap, Metric: "throughput", X: "apps.0.kind", Y: "traffic.0.burst"}, false},
	}
	for _, c := range cases {
		d := resultstest.Build(s)
		img, err := plot.Render(d, c.spec)
		if err != nil {
			t.Fatalf("%+v: %v", c.spec, err)
		}
		img.Name = "cat-" + string(c.spec.Kind) + ".png"
		checkImage(t, img)
		if got := strings.Contains(img.Title, "first value"); got != c.held {
			t.Errorf("%s title %q: says held = %v, want %v", c.spec.Kind, img.Title, got, c.held)
		}
	}
	// With two workers values the heat map must hold workers at 1.
	s.Axes[3].Values = append(s.Axes[3].Values, results.Num(2))
	d := resultstest.Build(s)
	img, err := plot.Render(d, results.PlotSpec{Kind: results.PlotHeatmap, Metric: "throughput", X: "apps.0.kind", Y: "traffic.0.burst"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(img.Title, "other axes at their first value") {
		t.Errorf("heatmap title %q does not say workers is held", img.Title)
	}
	if _, err := plot.Render(d, results.PlotSpec{Kind: results.PlotHeatmap, Metric: "throughput", X: "session.event-queue-length", Y: "traffic.0.burst"}); err == nil {
		t.Error("heat map over two zipped axes: no error")
	}
}

func TestRenderErrors(t *testing.T) {
	d := resultstest.Build(resultstest.Default())
	for _, sp := range []results.PlotSpec{
		{Kind: "pie"},
		{Kind: results.PlotMetric, Metric: "nope", X: resultstest.BucketsAxis.Name},
		{Kind: results.PlotMetric, Metric: "throughput", X: "nope"},
		{Kind: results.PlotHeatmap, Metric: "throughput", X: resultstest.BucketsAxis.Name, Y: resultstest.BucketsAxis.Name},
		{Kind: results.PlotCDF, Metric: "nope"},
		{Kind: results.PlotTimeSeries, Metric: "nope"},
	} {
		if _, err := plot.Render(d, sp); err == nil {
			t.Errorf("%+v: no error", sp)
		}
	}
	noSearch := resultstest.Default()
	noSearch.Search = false
	noSearch.Plots = nil
	d = resultstest.Build(noSearch)
	if _, err := plot.Render(d, results.PlotSpec{Kind: results.PlotTrials}); err == nil {
		t.Error("trials plot without a search: no error")
	}
}

func TestCompareChanges(t *testing.T) {
	s := resultstest.Default()
	s.Repetitions = 8
	base := resultstest.Build(s)
	s.NoiseSeed = 5
	s.Metrics[0].Scale = 0.9
	s.Metrics[1].Scale = 0.85
	head := resultstest.Build(s)
	opt := compare.DefaultOptions()
	opt.Metrics = []string{"throughput", "lookup_cost"}
	r, err := compare.Compare(base, head, opt)
	if err != nil {
		t.Fatal(err)
	}
	a, err := plot.CompareChanges(r)
	if err != nil {
		t.Fatal(err)
	}
	if !raceEnabled {
		b, _ := plot.CompareChanges(r)
		if !bytes.Equal(a.PNG, b.PNG) {
			t.Error("compare plot: rendering twice gave different bytes")
		}
	}
	checkImage(t, a)
	dump(t, a)
	if a.Height <= plot.Height/2 {
		t.Errorf("24 rows in %d px", a.Height)
	}
}
