package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// NewDocument fills everything a results document knows before the first
// repetition: scenario, effective configuration, environment (started at
// start), sweep. It returns the base configuration's warnings too, so
// per-point warnings can leave out what every point shares (see
// PointWarnings). Run uses it; so can other producers of results for a
// scenario (the NDR/PDR search).
func NewDocument(s *scenario.Scenario, start time.Time) (*results.Document, []string, error) {
	cfg, warns, err := s.Config()
	if err != nil {
		return nil, nil, err
	}
	d := &results.Document{
		Schema: results.Schema,
		Scenario: results.Scenario{
			Name:        s.Name,
			Description: strings.TrimSpace(s.Description),
			Mode:        results.Mode(s.Mode),
			Seed:        s.Seed,
			Repetitions: s.Repetitions,
			Source:      s.SourceName(),
			YAML:        string(s.Text()),
		},
		Config: results.Config{
			SessionStanza: cfg.Session.Stanza(),
			Workers:       max(cfg.Workers, 1),
			Fields:        s.Fields(),
		},
		Environment: results.CurrentEnvironment(start),
		Sweep:       results.Sweep{Axes: s.SweepAxes()},
	}
	for _, p := range cfg.Session.Params() {
		d.Config.Session = append(d.Config.Session, results.KeyValue{Key: p.Keyword, Value: fmt.Sprint(p.Effective)})
	}
	if cfg.Workers == 0 {
		d.Warnings = append(d.Warnings, NoWorkersWarning)
	}
	for _, o := range s.Overrides() {
		d.Warnings = append(d.Warnings, fmt.Sprintf("--set session.%s (the scenario text shows the value before it)", o))
	}
	d.Warnings = append(d.Warnings, warns...)
	return d, warns, nil
}

// NoWorkersWarning is the run-wide warning NewDocument gives a
// configuration without worker threads.
const NoWorkersWarning = "no worker threads: the main thread does all the work (config.workers counts it as 1)"

// PointWarnings returns a point's warnings that the base configuration
// does not already have (those are listed once, run-wide).
func PointWarnings(ws, base []string) []string {
	var out []string
	for _, w := range ws {
		if !slices.Contains(base, w) {
			out = append(out, w)
		}
	}
	return out
}

// shardNote starts the run-wide warning a shard's document carries.
const shardNote = "shard "

// finishDocument sets the end time, the plots and the completeness flags
// once every job has stopped.
func finishDocument(d *results.Document, s *scenario.Scenario, sh Shard, end time.Time) {
	d.Environment.End = end.UTC()
	if d.Environment.End.Before(d.Environment.Start) {
		d.Environment.End = d.Environment.Start
	}
	if sh.Count > 1 {
		d.Warnings = append(d.Warnings, fmt.Sprintf("%s%d/%d: this document holds the points whose index %% %d == %d; join the shards with sessionlab merge",
			shardNote, sh.Index, sh.Count, sh.Count, sh.Index))
	}
	setPlots(d, s)
	setCompleteness(d)
}

// setPlots copies the scenario's plots, leaving out (with a warning) those
// that name a metric, histogram or series the engine did not produce: a
// plot of nothing would make the document invalid and the report useless.
func setPlots(d *results.Document, s *scenario.Scenario) {
	metrics, hists, series := d.MetricNames(), d.HistogramNames(), d.SeriesNames()
	d.Plots = nil
	for i, p := range s.Plots {
		var have []string
		what := ""
		switch p.Kind {
		case "metric", "heatmap":
			have, what = metrics, "metric"
		case "latency", "cdf":
			have, what = hists, "histogram"
		case "timeseries":
			have, what = series, "time series"
		}
		if what != "" && !slices.Contains(have, p.Metric) {
			if len(d.Points) > 0 {
				d.Warnings = append(d.Warnings, fmt.Sprintf("plots[%d] (%s of %q) left out: the run produced no %s of that name", i, p.Kind, p.Metric, what))
			}
			continue
		}
		d.Plots = append(d.Plots, results.PlotSpec{Kind: results.PlotKind(p.Kind), Metric: p.Metric, X: p.X, Y: p.Y, Series: p.Series, Title: p.Title})
	}
}

// setCompleteness marks the document incomplete unless it holds every
// point of the grid with every repetition, and lists the finished points.
func setCompleteness(d *results.Document) {
	d.FinishedPoints = nil
	complete := len(d.Points) == d.Sweep.Size()
	for _, p := range d.Points {
		if len(p.Repetitions) == d.Scenario.Repetitions {
			d.FinishedPoints = append(d.FinishedPoints, p.Index)
		} else {
			complete = false
		}
	}
	d.Incomplete = !complete
	if complete {
		d.FinishedPoints = nil
	}
}
