package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/internal/cost"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// Engine runs scenario repetitions on the simulated clock or live,
// whichever the scenario's mode says. It implements runner.Engine and is
// safe for concurrent Run calls (each builds its own session layer).
type Engine struct {
	// NoRecorder turns the latency histograms and per-session timing off
	// (counters still count). The benchmarks use it to measure the
	// recorder's cost; results then have empty histograms.
	NoRecorder bool
}

var _ runner.Engine = (*Engine)(nil)

// NewEngine returns an engine with the recorder on.
func NewEngine() *Engine { return &Engine{} }

// costModel returns the cost model of a simulated scenario and a note for
// the results when it is not the built-in one.
func costModel(s *scenario.Scenario) (cost.Model, string, error) {
	m := cost.BuiltinModel()
	if s.Sim == nil {
		return m, "", nil
	}
	if s.Sim.Calibrate {
		c, err := cost.Calibrate()
		if err != nil {
			return m, "", fmt.Errorf("calibrating the cost model: %w", err)
		}
		m = c
	}
	m = m.Apply(s.Sim.Costs)
	if m.Source == cost.Builtin && len(m.Overridden) == 0 {
		return m, "", nil
	}
	return m, m.Describe(), nil
}

// Run runs one repetition of point p (runner.Engine).
func (e *Engine) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	s := p.Scenario
	live := s.Mode == scenario.ModeLive
	cm, note, err := costModel(s)
	if err != nil {
		return nil, err
	}
	if live {
		note = ""
	}
	m, err := newModel(p, opt.Seed, cm, live, !e.NoRecorder)
	if err != nil {
		return nil, err
	}
	defer m.release()
	base := time.Now()
	m.wall = func() int64 { return int64(time.Since(base)) }

	win := window{warm: int64(s.Warmup), end: math.MaxInt64, packets: s.Packets, progress: opt.Progress}
	dur := int64(s.Duration)
	if opt.Duration > 0 {
		dur = int64(opt.Duration)
		win.packets = 0
	}
	if dur > 0 {
		win.end = win.warm + dur
	}
	win.sample = int64(scenario.DefaultSample)
	if s.Sim != nil && s.Sim.Sample > 0 {
		win.sample = int64(s.Sim.Sample)
	}
	m.setSampling(win)
	unit := opt.LoadUnit
	if unit == "" {
		unit = "pps"
	}
	lp, err := m.planLoad(opt.Seed, opt.Load, unit)
	if err != nil {
		return nil, err
	}
	feeds, err := m.feeds(opt.Seed, lp)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, f := range feeds {
			_ = f.st.close()
		}
	}()
	var span int64
	if live {
		span, err = m.runLive(ctx, feeds, win)
	} else {
		span, err = m.simulate(ctx, feeds, win)
	}
	if err != nil {
		return nil, err
	}
	leaks := m.drain()
	var extra []string
	if note != "" {
		extra = append(extra, note)
	}
	if lp.scaled() {
		extra = append(extra, fmt.Sprintf("offered load set to %g %s (the sources' own load times %.4g)", opt.Load, unit, lp.factor))
	}
	rep := m.repetition(span, leaks, extra)
	if !live {
		calibrated := 0.0
		if cm.Source == cost.Calibrated {
			calibrated = 1
		}
		rep.Metrics = append(rep.Metrics, count("cost_model_calibrated", "1", results.NoDirection, calibrated))
	}
	return rep, nil
}

// CompareRunner returns the runner `sessionlab compare --run` uses: it
// runs repetition rep of every point of the scenario at path (a file or a
// built-in name) with the scenario's seed for that repetition, so the two
// sides of a comparison see the same traffic.
func CompareRunner(e *Engine) compare.Runner {
	return func(ctx context.Context, path string, rep int) (*results.Document, error) {
		s, err := runner.Load(path, scenario.Options{Sets: []scenario.Override{{Key: "repetitions", Value: "1"}}})
		if err != nil {
			return nil, err
		}
		seed := s.RepetitionSeed(rep)
		one := engineFunc(func(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
			opt.Rep, opt.Seed = rep, seed
			return e.Run(ctx, p, opt)
		})
		doc, err := runner.Run(ctx, one, s, runner.Options{Jobs: 1})
		if err != nil {
			return nil, err
		}
		for i := range doc.Points {
			for j := range doc.Points[i].Repetitions {
				doc.Points[i].Repetitions[j].Seed = seed
			}
		}
		return doc, nil
	}
}

// engineFunc adapts a function to runner.Engine.
type engineFunc func(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error)

// Run calls f.
func (f engineFunc) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	return f(ctx, p, opt)
}
