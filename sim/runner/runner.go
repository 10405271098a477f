// Package runner runs scenarios: it resolves each sweep point of a loaded
// scenario, runs it the requested number of repetitions on an [Engine],
// and assembles everything into one validated results document.
//
// Data flows through it in one direction:
//
//	*scenario.Scenario ──points of this shard──> jobs (points in parallel, repetitions in order)
//	  ──Engine.Run(point, rep, seed)──> *results.Repetition ──> *results.Document ──Validate──> caller
//
// The engine (package sim: workers, queues, clocks, app models, recorder)
// is behind the [Engine] interface so that the orchestration — sharding,
// parallel jobs, progress, cancellation, document assembly, merging shards
// — is tested on its own with a fake engine, and so that a live engine and
// a simulated one are interchangeable.
//
// Determinism: in simulated mode the document depends only on the scenario
// and the engine's results for each (point, seed). Points are stored by
// index whatever order jobs finish in, repetition seeds come from
// scenario.Scenario.RepetitionSeed, and nothing iterates a map into the
// document, so two runs differ only in the environment and timestamps.
//
// Interruption: when the context is cancelled (Ctrl-C), running
// repetitions are asked to stop through the same context, their partial
// results are discarded, and Run returns what finished, marked incomplete,
// with [ErrInterrupted].
package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// Engine runs one repetition of one point. Implementations must be safe
// for concurrent Run calls on different points (the runner's --jobs).
type Engine interface {
	// Run executes one repetition of one resolved point and returns its
	// measurements. It must return promptly with ctx.Err() (or an error
	// wrapping it) when ctx is cancelled. The runner sets the returned
	// repetition's Index and Seed.
	Run(ctx context.Context, p *scenario.Resolved, opt RunOptions) (*results.Repetition, error)
}

// RunOptions are the per-repetition parameters the runner passes to an
// engine.
type RunOptions struct {
	// Rep is the repetition's index within its point.
	Rep int
	// Seed is the repetition's seed: scenario.Scenario.RepetitionSeed(Rep),
	// the same for every point (common random numbers; see
	// docs/scenarios.md, "Seeds"). Engines derive per-source seeds from
	// it with scenario.DeriveSeed.
	Seed uint64
	// Duration overrides the scenario's duration when non-zero (the
	// search's trials).
	Duration time.Duration
	// Load, when non-zero, replaces the scenario's own offered load, in
	// LoadUnit: "pps" (packets per second) or "cps" (new sessions per
	// second). The NDR/PDR search (issue 12) uses it; run and sweep leave
	// it 0.
	Load     float64
	LoadUnit string
	// Progress, when set, receives the repetition's progress (done out of
	// total, in whatever unit the engine counts: virtual nanoseconds,
	// packets). Engines call it from any goroutine, at most a few times a
	// second.
	Progress func(done, total float64)
}

// Options tune a run.
type Options struct {
	// Jobs is how many points run at the same time in simulated mode
	// (default 1). Repetitions of a point always run one after another.
	// Live mode always runs one repetition at a time: concurrent live runs
	// would compete for the same cores and distort each other's
	// throughput and latency.
	Jobs int
	// Shard selects the points of this run (the zero Shard: all).
	Shard Shard
	// Progress receives progress events (nil: none).
	Progress Progress
	// Now returns the wall-clock time for the environment's start and end
	// (nil: time.Now); tests fix it.
	Now func() time.Time
}

// ErrInterrupted is returned (wrapped) by Run when its context was
// cancelled before every point finished; the document holds what finished
// and is marked incomplete.
var ErrInterrupted = errors.New("run interrupted")

// Run runs the scenario's points (those of opt.Shard) and returns the
// results document. On success the error is nil. When ctx is cancelled
// the document holds every repetition that finished, marked incomplete,
// and the error wraps ErrInterrupted. When the engine fails, the other
// jobs are stopped and Run returns what finished (marked incomplete) with
// the engine's error. A nil document comes only with an error that
// prevents assembling one.
func Run(ctx context.Context, eng Engine, s *scenario.Scenario, opt Options) (*results.Document, error) {
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	if err := opt.Shard.check(); err != nil {
		return nil, err
	}
	doc, base, err := NewDocument(s, start)
	if err != nil {
		return nil, err
	}
	var idx []int
	for i := range s.Points() {
		if opt.Shard.Has(i) {
			idx = append(idx, i)
		}
	}
	jobs := max(opt.Jobs, 1)
	if s.Mode == scenario.ModeLive {
		jobs = 1
	}
	jobs = min(jobs, max(len(idx), 1))
	reps := s.Repetitions
	prog := opt.Progress
	if prog == nil {
		prog = nopProgress{}
	}
	prog.Start(len(idx) * reps)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		points   = make([]*results.Point, len(idx)) // by position in idx
		firstErr error
		done     int
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for k := range work {
				r, err := s.Resolve(idx[k])
				if err != nil {
					fail(err)
					continue
				}
				pt := &results.Point{Index: r.Index, Params: r.Params, Warnings: PointWarnings(r.Warnings, base)}
				for rep := range reps {
					if ctx.Err() != nil {
						break
					}
					seed := s.RepetitionSeed(rep)
					t0 := now()
					ro := RunOptions{Rep: rep, Seed: seed, Progress: func(d, t float64) { prog.Update(r, rep, d, t) }}
					res, err := eng.Run(ctx, r, ro)
					if err == nil && res == nil {
						err = errors.New("the engine returned no results")
					}
					if err == nil {
						res.Index, res.Seed = rep, seed
						err = checkRepetition(res)
					}
					if err != nil {
						if ctx.Err() == nil {
							fail(fmt.Errorf("%s, repetition %d: %w", r, rep, err))
						}
						break
					}
					pt.Repetitions = append(pt.Repetitions, *res)
					mu.Lock()
					done++
					ev := Event{Point: r, Points: s.Points(), Rep: rep, Reps: reps, Done: done, Total: len(idx) * reps, Elapsed: now().Sub(t0)}
					mu.Unlock()
					prog.RepetitionDone(ev)
				}
				if len(pt.Repetitions) > 0 {
					mu.Lock()
					points[k] = pt
					mu.Unlock()
				}
			}
		})
	}
	for k := range idx {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- k:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	prog.Finish()

	interrupted := firstErr == nil && ctx.Err() != nil && !allDone(points, reps)
	for _, pt := range points {
		if pt != nil {
			doc.Points = append(doc.Points, *pt)
		}
	}
	finishDocument(doc, s, opt.Shard, now())
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the results do not form a valid document: %w", s.SourceName(), err)
	}
	switch {
	case firstErr != nil:
		return doc, firstErr
	case interrupted:
		return doc, fmt.Errorf("%w after %d of %d repetitions", ErrInterrupted, done, len(idx)*reps)
	}
	return doc, nil
}

func allDone(points []*results.Point, reps int) bool {
	return !slices.ContainsFunc(points, func(p *results.Point) bool { return p == nil || len(p.Repetitions) != reps })
}

// checkRepetition validates one repetition on its own (names, units,
// finite numbers, histogram order), so an engine bug is reported with the
// point and repetition that produced it rather than as a broken document
// at the end.
func checkRepetition(r *results.Repetition) error {
	d := results.Document{
		Schema:      results.Schema,
		Scenario:    results.Scenario{Name: "x", Mode: results.ModeSim, Repetitions: 1},
		Config:      results.Config{Workers: 1},
		Environment: results.Environment{GoVersion: "x", GOOS: "x", GOARCH: "x", CPUModel: "x", Cores: 1, Version: "x", Commit: "x", Start: time.Unix(1, 0), End: time.Unix(1, 0)},
		Points:      []results.Point{{Repetitions: []results.Repetition{*r}}},
	}
	d.Points[0].Repetitions[0].Index = 0
	if err := d.Validate(); err != nil {
		return fmt.Errorf("the engine returned invalid results: %w", err)
	}
	return nil
}
