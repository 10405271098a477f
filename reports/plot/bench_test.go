package plot_test

import (
	"testing"

	"github.com/sessionlab/sessionlab/reports/plot"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

// BenchmarkRender measures one plot of each kind of the default sweep
// (12 points × 5 repetitions).
func BenchmarkRender(b *testing.B) {
	d := resultstest.Build(resultstest.Default())
	for _, spec := range d.Plots {
		b.Run(string(spec.Kind), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := plot.Render(d, spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
