// Package resultstest builds synthetic, deterministic results documents for
// tests, examples and demos of the reports packages, before (and without) a
// simulator.
//
// A Spec describes a sweep and its metrics as formulas; Build turns it into a
// valid *results.Document. Counts depend only on Spec.Seed (two documents
// with the same seed agree exactly, as simulated runs do); measurements add
// Gaussian noise drawn from Spec.NoiseSeed (two "machines" differ), so
// compare can be tested on known shifts.
package resultstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
)

// Metric describes one synthetic metric.
type Metric struct {
	Name      string
	Unit      string
	Direction results.Direction
	Kind      results.Kind
	// Base is the value at every point, times Effect.
	Base float64
	// Effect returns a multiplier for a point's parameters (nil: 1).
	Effect func(params []results.Param) float64
	// Noise is the relative standard deviation of a measurement (a
	// measurement with Noise 0.02 varies by about 2% between repetitions).
	// Counts get a small seed-dependent jitter instead.
	Noise float64
	// Scale multiplies every value (0 means 1): a known shift for compare
	// tests (1.10 = +10%).
	Scale float64
}

// Spec describes a synthetic document.
type Spec struct {
	Name        string
	Description string
	Mode        results.Mode // default sim
	Seed        uint64
	// NoiseSeed drives measurement noise (see the package comment).
	NoiseSeed   uint64
	Repetitions int // default 5
	Workers     int // default 2
	Axes        []results.Axis
	Metrics     []Metric
	// Histograms adds "packet" and "session_setup" latency histograms.
	Histograms bool
	// Series adds telemetry time series.
	Series bool
	// Search adds an NDR/PDR search to every point.
	Search bool
	Plots  []results.PlotSpec
	// Start is the run's start time (default 2025-01-02T03:04:05Z).
	Start time.Time
}

// Axes used by Default: session table buckets × memory, the sweep the
// heat map was made for.
var (
	BucketsAxis = results.Axis{Name: "session.session-table-buckets", Values: []results.Value{
		results.Num(1024), results.Num(4096), results.Num(16384), results.Num(65536)}}
	MemoryAxis = results.Axis{Name: "session.session-table-memory", Unit: "B", Values: []results.Value{
		results.NumText("16m", 16<<20), results.NumText("64m", 64<<20), results.NumText("256m", 256<<20)}}
)

// Default returns a two-axis sweep (buckets × memory) with a throughput
// measurement, a lookup-cost measurement, a latency measurement and two
// counts, histograms, series, searches and one plot of every kind.
func Default() Spec {
	buckets := func(ps []results.Param) float64 { return ps[0].Value.Num }
	memory := func(ps []results.Param) float64 { return ps[1].Value.Num }
	return Spec{
		Name:        "bucket-sweep",
		Description: "Session table buckets × memory under a synthetic TCP load.",
		Seed:        42,
		NoiseSeed:   1,
		Repetitions: 5,
		Axes:        []results.Axis{BucketsAxis, MemoryAxis},
		Metrics: []Metric{
			{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement,
				Base: 2e6, Noise: 0.02, Effect: func(ps []results.Param) float64 {
					return 1 - 0.5/(1+math.Log2(buckets(ps)/512))
				}},
			{Name: "lookup_cost", Unit: "ns", Direction: results.LowerIsBetter, Kind: results.KindMeasurement,
				Base: 40, Noise: 0.03, Effect: func(ps []results.Param) float64 {
					return 1 + 8/math.Log2(buckets(ps)) + 4*float64(16<<20)/memory(ps)
				}},
			{Name: "latency_p99", Unit: "ns", Direction: results.LowerIsBetter, Kind: results.KindMeasurement,
				Base: 12000, Noise: 0.05, Effect: func(ps []results.Param) float64 {
					return 1 + 2000/buckets(ps)
				}},
			{Name: "splits", Unit: "splits", Direction: results.NoDirection, Kind: results.KindCount,
				Base: 5e5, Effect: func(ps []results.Param) float64 { return 1 / buckets(ps) }},
			{Name: "table_full_drops", Unit: "packets", Direction: results.LowerIsBetter, Kind: results.KindCount,
				Base: 2e4, Effect: func(ps []results.Param) float64 {
					return math.Max(0, 64-memory(ps)/float64(1<<20)) / 48
				}},
		},
		Histograms: true,
		Series:     true,
		Search:     true,
		Plots: []results.PlotSpec{
			{Kind: results.PlotMetric, Metric: "throughput", X: BucketsAxis.Name, Series: MemoryAxis.Name},
			{Kind: results.PlotHeatmap, Metric: "lookup_cost", X: BucketsAxis.Name, Y: MemoryAxis.Name},
			{Kind: results.PlotLatency, Metric: "packet", X: BucketsAxis.Name},
			{Kind: results.PlotCDF, Metric: "packet"},
			{Kind: results.PlotTimeSeries, Metric: "table_occupancy"},
			{Kind: results.PlotSearch, X: BucketsAxis.Name, Series: MemoryAxis.Name},
			{Kind: results.PlotTrials},
		},
	}
}

// Single returns a one-point (unswept) spec with the given metrics.
func Single(name string, metrics ...Metric) Spec {
	return Spec{Name: name, Seed: 7, NoiseSeed: 1, Repetitions: 10, Metrics: metrics}
}

// Build returns the document the spec describes. It panics if the spec
// yields an invalid document, which is a bug in the test that wrote it.
func Build(s Spec) *results.Document {
	if s.Mode == "" {
		s.Mode = results.ModeSim
	}
	if s.Repetitions == 0 {
		s.Repetitions = 5
	}
	if s.Workers == 0 {
		s.Workers = 2
	}
	if s.Start.IsZero() {
		s.Start = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	}
	d := &results.Document{
		Schema: results.Schema,
		Scenario: results.Scenario{
			Name: s.Name, Description: s.Description, Mode: s.Mode, Seed: s.Seed,
			Repetitions: s.Repetitions, Source: "builtin:" + s.Name,
			YAML: fmt.Sprintf("name: %s\nmode: %s\nseed: %d\nrepetitions: %d\n", s.Name, s.Mode, s.Seed, s.Repetitions),
		},
		Config: results.Config{
			SessionStanza: "session {\n  enable\n  event-queue-length 2048\n}\n",
			Session: []results.KeyValue{
				{Key: "enable", Value: "on"}, {Key: "event-queue-length", Value: "2048"},
				{Key: "session-table-buckets", Value: "20000"}, {Key: "session-table-memory", Value: "64m"},
			},
			Workers: s.Workers,
			Fields:  []results.KeyValue{{Key: "duration", Value: "1s"}, {Key: "traffic.0.kind", Value: "synth"}},
		},
		Environment: results.Environment{
			GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64", GOAMD64: "v1",
			CPUModel: "Synthetic CPU @ 3.00GHz", Cores: 2, Kernel: "6.1.0-synthetic",
			Version: "dev", Commit: "0000000000000000000000000000000000000000",
			Start: s.Start, End: s.Start.Add(90 * time.Second),
		},
		Sweep: results.Sweep{Axes: s.Axes},
		Plots: s.Plots,
	}
	n := d.Sweep.Size()
	for i := 0; i < n; i++ {
		pt := results.Point{Index: i, Params: d.Sweep.ParamsAt(i)}
		for r := 0; r < s.Repetitions; r++ {
			pt.Repetitions = append(pt.Repetitions, s.repetition(i, r, pt.Params))
		}
		if s.Search {
			pt.Search = s.search(i, pt.Params)
		}
		d.Points = append(d.Points, pt)
	}
	if err := d.Validate(); err != nil {
		panic("resultstest: spec builds an invalid document: " + err.Error())
	}
	return d
}

// value returns metric m's value at point i, repetition r.
func (s *Spec) value(m *Metric, mi, i, r int, ps []results.Param) float64 {
	v := m.Base
	if m.Effect != nil {
		v *= m.Effect(ps)
	}
	if m.Scale != 0 {
		v *= m.Scale
	}
	if m.Kind == results.KindCount {
		// A seed-dependent jitter of up to ±1%: the same seed always gives
		// the same count, another seed another one.
		rng := rand.New(rand.NewPCG(s.Seed, uint64(i)<<32|uint64(r)<<16|uint64(mi)))
		return math.Round(v * (1 + float64(0.02*(rng.Float64()-0.5))))
	}
	rng := rand.New(rand.NewPCG(s.NoiseSeed^0x9e3779b97f4a7c15, uint64(i)<<32|uint64(r)<<16|uint64(mi)))
	// The float64 conversions stop the compiler from fusing multiply and
	// add (FMA on arm64, amd64 v3), so values are the same on every machine
	// and golden files hold.
	return v * (1 + float64(m.Noise*rng.NormFloat64()))
}

func (s *Spec) repetition(i, r int, ps []results.Param) results.Repetition {
	rep := results.Repetition{
		Index:      r,
		Seed:       s.Seed + uint64(r),
		DurationNS: int64(time.Second),
	}
	for mi := range s.Metrics {
		m := &s.Metrics[mi]
		rep.Metrics = append(rep.Metrics, results.Metric{
			Name: m.Name, Unit: m.Unit, Direction: m.Direction, Kind: m.Kind,
			Value: s.value(m, mi, i, r, ps),
		})
	}
	rng := rand.New(rand.NewPCG(s.Seed, uint64(i)<<32|uint64(r)|1<<63))
	scale := 1.0
	if len(ps) > 0 && ps[0].Value.Numeric && ps[0].Value.Num > 0 {
		scale = 1 + 2000/ps[0].Value.Num
	}
	if s.Histograms {
		rep.Histograms = []results.Histogram{
			SampleHistogram("packet", rng, 2000, 3000*scale, 0.6),
			SampleHistogram("session_setup", rng, 500, 9000*scale, 0.4),
		}
	}
	if s.Series {
		rep.Series = syntheticSeries(rng, scale)
	}
	rep.Drops = []results.Drop{
		{Cause: results.DropQueueFull, Count: uint64(rng.IntN(50))},
		{Cause: results.DropTableFull, Count: uint64(100 * (scale - 1))},
	}
	return rep
}

// SampleHistogram summarises n log-normal samples with the given median and
// shape (sigma of the log) as a Histogram with a 64-point CDF.
func SampleHistogram(name string, rng *rand.Rand, n int, median, sigma float64) results.Histogram {
	xs := make([]float64, n)
	sum := 0.0
	for i := range xs {
		xs[i] = math.Round(median * math.Exp(sigma*rng.NormFloat64()))
		sum += xs[i]
	}
	sort.Float64s(xs)
	q := func(p float64) float64 { return xs[min(n-1, int(math.Ceil(p*float64(n)))-1)] }
	h := results.Histogram{
		Name: name, Unit: "ns", Count: uint64(n),
		Min: xs[0], Max: xs[n-1], Mean: sum / float64(n),
		P50: q(0.5), P90: q(0.9), P99: q(0.99), P999: q(0.999),
	}
	const pts = 64
	for k := 1; k <= pts; k++ {
		idx := k*n/pts - 1
		h.CDF = append(h.CDF, results.CDFPoint{Value: xs[idx], Fraction: float64(idx+1) / float64(n)})
	}
	return h
}

func syntheticSeries(rng *rand.Rand, scale float64) []results.Series {
	const steps = 50
	step := int64(20 * time.Millisecond)
	occ := results.Series{Name: "table_occupancy", Unit: "sessions"}
	fill := results.Series{Name: "fifo_fill", Unit: "B", Labels: map[string]string{"worker": "0"}}
	est := results.Series{Name: "sessions", Unit: "sessions", Labels: map[string]string{"state": "established"}}
	closing := results.Series{Name: "sessions", Unit: "sessions", Labels: map[string]string{"state": "closing"}}
	for k := 0; k < steps; k++ {
		t := int64(k) * step
		x := float64(k) / steps
		occ.Points = append(occ.Points, results.SeriesPoint{TNS: t, V: math.Round(10000 * (1 - math.Exp(-4*x)) * (0.9 + 0.1*scale))})
		fill.Points = append(fill.Points, results.SeriesPoint{TNS: t, V: math.Round(32768 * (0.5 + float64(0.4*math.Sin(6*x)) + float64(0.05*rng.NormFloat64())))})
		est.Points = append(est.Points, results.SeriesPoint{TNS: t, V: math.Round(8000 * (1 - math.Exp(-5*x)))})
		closing.Points = append(closing.Points, results.SeriesPoint{TNS: t, V: math.Round(400 * x * (1 + float64(0.1*rng.NormFloat64())))})
	}
	return []results.Series{occ, fill, est, closing}
}

// search fakes an MLRsearch: capacity grows with the first axis; trials
// bisect towards it.
func (s *Spec) search(i int, ps []results.Param) *results.Search {
	capacity := 1.5e6
	if len(ps) > 0 && ps[0].Value.Numeric && ps[0].Value.Num > 0 {
		capacity *= 1 - 0.4/(1+math.Log2(ps[0].Value.Num/512))
	}
	if len(ps) > 1 && ps[1].Value.Numeric && ps[1].Value.Num > 0 {
		capacity *= 1 + 0.05*math.Log2(ps[1].Value.Num/float64(16<<20))
	}
	ndr, pdr := capacity*0.97, capacity
	srch := &results.Search{
		LoadUnit: "pps",
		Goals: []results.SearchGoal{
			{Name: "NDR", LossRatio: 0, ExceedRatio: 0.5, Width: 0.005, LowerBound: ndr * 0.998, UpperBound: ndr * 1.002},
			{Name: "PDR", LossRatio: 0.005, ExceedRatio: 0.5, Width: 0.005, LowerBound: pdr * 0.998, UpperBound: pdr * 1.002},
		},
	}
	lo, hi := capacity*0.5, capacity*1.6
	for k := 0; k < 10; k++ {
		load := (lo + hi) / 2
		if k == 0 {
			load = hi
		}
		offered := uint64(load)
		loss := 0.0
		if load > ndr {
			loss = math.Min(0.9, (load-ndr)/load*1.2)
		}
		received := offered - uint64(loss*float64(offered))
		srch.Trials = append(srch.Trials, results.Trial{
			Load: load, DurationNS: int64(time.Second), Offered: offered, Received: received,
			Drops:     []results.Drop{{Cause: results.DropQueueFull, Count: offered - received}},
			LossRatio: float64(offered-received) / float64(offered),
		})
		if loss > 0.005 {
			hi = load
		} else {
			lo = load
		}
	}
	rng := rand.New(rand.NewPCG(s.Seed, uint64(i)|1<<62))
	for _, f := range []float64{0.1, 0.5, 0.9} {
		srch.Latency = append(srch.Latency, results.LoadLatency{
			Goal: "PDR", Fraction: f, Load: f * pdr,
			Histograms: []results.Histogram{SampleHistogram("packet", rng, 500, 2000/(1-0.9*f), 0.3)},
		})
	}
	return srch
}
