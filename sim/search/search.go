package search

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Trial is one trial of a search: what was asked, what was measured, and
// why the load was chosen.
type Trial struct {
	TrialInput
	TrialOutput
	// LossRatio is TrialOutput.LossRatio() (0 when nothing was offered,
	// though the classification counts such a trial as total loss).
	LossRatio float64
	// Goal names the goal whose selector chose the load ("" in the initial
	// phase), Phase its phase (0 = final, k = k phases before it), and
	// Strategy the rule that chose it.
	Goal     string
	Phase    int
	Strategy Strategy
}

// Stop says why a search stopped before every goal was reached.
type Stop uint8

// The reasons a search stops early.
const (
	// Converged: every goal's final bounds are within its width (or at a
	// load limit).
	Converged Stop = iota
	// Budget: the trials' effective durations reached Config.Budget.
	Budget
	// Interrupted: the context was cancelled.
	Interrupted
)

func (s Stop) String() string {
	switch s {
	case Budget:
		return "timed out"
	case Interrupted:
		return "interrupted"
	}
	return "converged"
}

// GoalResult is what the search found for one goal (MLRsearch's Goal
// Result).
type GoalResult struct {
	// Goal is the goal with its defaults filled in.
	Goal Goal
	// Lower is the Relevant Lower Bound and Upper the Relevant Upper Bound
	// (loads); HasLower and HasUpper say whether they exist. Lower is 0
	// when missing, Upper too.
	Lower, Upper       float64
	HasLower, HasUpper bool
	// Width is (Upper − Lower)/Upper when both exist, else 1.
	Width float64
	// ConditionalThroughput is MLRsearch's conditional throughput at the
	// lower bound: its load times the forwarding ratio at the exceed
	// quantile of its full-length trials (0 without a lower bound).
	ConditionalThroughput float64
	// Regular is true when both bounds exist and are within the goal's
	// width: the result MLRsearch calls regular. Otherwise Note says why.
	Regular bool
	Note    string
}

// Result is a search's output.
type Result struct {
	// Goals holds one result per Config goal, in order.
	Goals []GoalResult
	// Trials holds every trial in the order it ran.
	Trials []Trial
	// Spent is the sum of the trials' effective durations.
	Spent time.Duration
	// Stopped says why the search ended.
	Stopped Stop
}

// maxTrials stops a search that keeps measuring without deciding anything
// (a measurer reporting effective durations of nearly nothing could do
// that with no budget). Real searches take tens of trials.
const maxTrials = 100000

// Run searches with measurer m. The result holds every trial that ran even
// when the error is not nil: on cancellation (the error wraps ctx.Err(),
// Result.Stopped is Interrupted) and on a measurer error (the error says
// which trial). Only an invalid Config gives a nil result.
func Run(ctx context.Context, m Measurer, cfg Config) (*Result, error) {
	s, err := newSearcher(m, cfg)
	if err != nil {
		return nil, err
	}
	err = s.run(ctx)
	s.finish()
	return &s.res, err
}

type searcher struct {
	cfg  Config
	m    Measurer
	g    grid
	db   database
	sels []*selector
	res  Result
}

func newSearcher(m Measurer, cfg Config) (*searcher, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	narrowest := cfg.Goals[0].Width
	for _, g := range cfg.Goals {
		narrowest = min(narrowest, g.Width)
	}
	g, err := newGrid(cfg.MinLoad, cfg.MaxLoad, narrowest)
	if err != nil {
		return nil, err
	}
	s := &searcher{cfg: cfg, m: m, g: g}
	for i, goal := range cfg.Goals {
		s.sels = append(s.sels, &selector{name: goal.Name, ts: targets(i, goal, g.steps(goal.Width)), initLo: none, initHi: none, pend: none})
	}
	return s, nil
}

// errStop ends the loop without an error of its own (budget spent).
var errStop = errors.New("stop")

func (s *searcher) run(ctx context.Context) error {
	err := s.initial(ctx)
	for err == nil {
		var best nomination
		found := false
		for i, sel := range s.sels {
			n, ok := sel.nominate(&s.db, s.g.top, s.cfg.Expansion)
			if !ok {
				continue
			}
			n.sel = i
			if !found || n.before(best) {
				best, found = n, true
			}
		}
		if !found {
			return nil
		}
		t := s.sels[best.sel].ts[s.sels[best.sel].cur]
		err = s.measure(ctx, best.load, best.dur, s.sels[best.sel].name, t.phase, best.kind)
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// initial runs the initial phase (MLRsearch's initial trials) with the
// first goal's coarsest trial duration: max load, then the max receive
// rate it saw corrected for the first goal's loss ratio (a good guess of
// that goal's throughput), then either one coarse width above it (it
// passed) or the corrected receive rate it saw in turn (it failed). The
// last two loads are every selector's first hints.
func (s *searcher) initial(ctx context.Context) error {
	t0 := &s.sels[0].ts[0]
	ratio := s.cfg.Goals[0].LossRatio
	g := &s.g
	var measured []int
	meas := func(i int) (loss float64, err error) {
		if err := s.measure(ctx, i, t0.trial, "", 0, Initial); err != nil {
			return 0, err
		}
		measured = append(measured, i)
		return s.res.Trials[len(s.res.Trials)-1].LossRatio, nil
	}
	defer func() {
		lo, hi := none, none
		switch n := len(measured); {
		case n >= 2:
			lo, hi = min(measured[n-1], measured[n-2]), max(measured[n-1], measured[n-2])
		case n == 1:
			lo = measured[0]
		}
		for _, sel := range s.sels {
			sel.setHints(lo, hi, s.cfg.Expansion, g.top)
		}
	}()
	loss, err := meas(g.top)
	if err != nil {
		return err
	}
	corrected := g.max * (1 - loss) / (1 - ratio)
	if corrected >= g.max {
		return nil
	}
	mrr := min(g.floor(corrected), g.top-t0.width)
	if mrr < 0 {
		mrr = 0
	}
	if mrr >= g.top {
		return nil
	}
	if loss, err = meas(mrr); err != nil {
		return err
	}
	var mrr2 int
	if loss > ratio {
		if mrr == 0 {
			return nil
		}
		mrr2 = max(min(g.floor(g.load(mrr)*(1-loss)/(1-ratio)), mrr-t0.width), 0)
	} else {
		mrr2 = mrr + t0.width
		if mrr2 >= g.top {
			return nil
		}
	}
	_, err = meas(mrr2)
	return err
}

// measure runs one trial at grid index i and records it.
func (s *searcher) measure(ctx context.Context, i int, dur time.Duration, goal string, phase int, why Strategy) error {
	if err := ctx.Err(); err != nil {
		s.res.Stopped = Interrupted
		return fmt.Errorf("search interrupted after %d trials: %w", len(s.res.Trials), err)
	}
	if s.cfg.Budget > 0 && s.res.Spent >= s.cfg.Budget {
		s.res.Stopped = Budget
		return errStop
	}
	if len(s.res.Trials) >= maxTrials {
		return fmt.Errorf("search: %d trials without converging (do the measurer's effective durations add up?)", maxTrials)
	}
	in := TrialInput{Index: len(s.res.Trials), Load: s.g.load(i), Duration: dur}
	out, err := s.m.Measure(ctx, in)
	if err == nil {
		err = out.check()
	}
	if err != nil {
		if ctx.Err() != nil {
			s.res.Stopped = Interrupted
			return fmt.Errorf("search interrupted in trial %d: %w", in.Index, ctx.Err())
		}
		return fmt.Errorf("search: trial %d (load %.6g for %v): %w", in.Index, in.Load, in.Duration, err)
	}
	if out.Effective == 0 {
		out.Effective = dur
	}
	tr := Trial{TrialInput: in, TrialOutput: out, LossRatio: out.LossRatio(), Goal: goal, Phase: phase, Strategy: why}
	s.res.Trials = append(s.res.Trials, tr)
	s.res.Spent += out.Effective
	if s.cfg.OnTrial != nil {
		s.cfg.OnTrial(tr)
	}
	loss := tr.LossRatio
	if out.Offered == 0 {
		// Nothing offered proves nothing about the load (a live tester
		// that did not get going in a short trial): the results record
		// a loss ratio of 0 by convention, the classification counts it
		// as total loss, conservatively.
		loss = 1
	}
	s.db.add(i, trialRec{intended: dur, effective: out.Effective, loss: loss})
	return nil
}

// finish fills the goal results from the final targets' relevant bounds.
func (s *searcher) finish() {
	s.res.Goals = make([]GoalResult, len(s.sels))
	for k, sel := range s.sels {
		t := &sel.ts[len(sel.ts)-1]
		goal := s.cfg.Goals[k]
		b := s.db.bounds(t)
		r := GoalResult{Goal: goal, Width: 1}
		if b.lo != none {
			r.Lower, r.HasLower = s.g.load(b.lo), true
			r.ConditionalThroughput = s.conditional(b.lo, t)
		}
		if b.hi != none {
			r.Upper, r.HasUpper = s.g.load(b.hi), true
		}
		switch {
		case r.HasLower && r.HasUpper:
			r.Width = (r.Upper - r.Lower) / r.Upper
			r.Regular = b.hi-b.lo <= t.width
			if !r.Regular {
				r.Note = fmt.Sprintf("bounds %.3g%% apart, wider than the goal width %.3g%%", 100*r.Width, 100*goal.Width)
			}
		case r.HasLower && b.lo == s.g.top:
			r.Note = "max load is a lower bound: the throughput is at least the max load (raise the max load)"
		case r.HasUpper && b.hi == 0:
			r.Note = "min load is an upper bound: the throughput is below the min load (lower the min load)"
		case r.HasLower:
			r.Note = "no upper bound found"
		case r.HasUpper:
			r.Note = "no lower bound found"
		default:
			r.Note = "no bounds found"
		}
		if s.res.Stopped != Converged {
			if r.Note != "" {
				r.Note = s.res.Stopped.String() + "; " + r.Note
			} else {
				r.Note = s.res.Stopped.String() + " (the bounds happened to be within the width already)"
			}
		}
		s.res.Goals[k] = r
	}
}

// conditional returns the conditional throughput at index i for target t.
func (s *searcher) conditional(i int, t *target) float64 {
	ls := s.db.at(i)
	var full []LossTime
	for _, r := range ls.trials {
		if r.intended >= t.trial {
			full = append(full, LossTime{LossRatio: r.loss, Effective: r.effective})
		}
	}
	return ConditionalThroughput(s.g.load(i), full, t.sum, t.exceedRatio)
}

// nomination is a selector's choice of the next trial.
type nomination struct {
	load int
	dur  time.Duration
	kind Strategy
	sel  int
}

// before reports whether n should be measured before o (CSIT's candidate
// order): the lower load first (conservative: a lower load cannot harm the
// system for the next trial, and lower bounds are what every goal needs),
// then the longer trial (it decides more), then the earlier goal.
func (n nomination) before(o nomination) bool {
	if n.load != o.load {
		return n.load < o.load
	}
	if n.dur != o.dur {
		return n.dur > o.dur
	}
	return n.sel < o.sel
}

// selector steers the search for one goal (CSIT's Selector): it works on
// one target (phase) at a time, coarsest first, and nominates the next load
// by the first strategy that applies.
type selector struct {
	name string
	ts   []target
	cur  int
	// initLo and initHi are the hints of the current phase: the previous
	// phase's relevant bounds, or for the first phase the last two loads
	// of the initial phase. They steer halving and refinement.
	initLo, initHi int
	// ext is the step of external search in grid steps.
	ext int
	// pend is the load the selector nominated last, kind why, and pendB
	// the relevant bounds then; it is measured again until it is
	// classified for the current phase, unless the bounds move meanwhile
	// (a trial for another goal changed the picture: choose afresh).
	pend  int
	pendB bounds
	kind  Strategy
}

// setHints starts the current phase with hints lo and hi.
func (sel *selector) setHints(lo, hi, expansion, top int) {
	sel.initLo, sel.initHi, sel.pend = lo, hi, none
	w := sel.ts[sel.cur].width
	if lo != none && hi != none {
		w = max(w, hi-lo)
	}
	sel.ext = min(w*expansion, top)
}

// worth reports whether measuring index i can improve bounds b: only a load
// strictly between the relevant bounds can become a tighter one.
func worth(i int, b bounds) bool {
	return (b.lo == none || i > b.lo) && (b.hi == none || i < b.hi)
}

// nominate returns the selector's next trial, moving on to the next phase
// when the current one is done; false when the final phase is done.
func (sel *selector) nominate(db *database, top, expansion int) (nomination, bool) {
	for {
		t := &sel.ts[sel.cur]
		b := db.bounds(t)
		if sel.pend != none {
			switch c := db.class(sel.pend, t); {
			case c != Undecided:
				sel.won(c, expansion, top)
				sel.pend = none
			case b == sel.pendB:
				// Nothing moved since the nomination: keep measuring
				// it until it is classified (CSIT's keep_going).
				return nomination{load: sel.pend, dur: t.trial, kind: sel.kind}, true
			default:
				sel.pend = none
			}
		}
		if kind, i, ok := sel.pick(db, t, b, top, expansion); ok {
			sel.pend, sel.pendB, sel.kind = i, b, kind
			return nomination{load: i, dur: t.trial, kind: kind}, true
		}
		if sel.cur == len(sel.ts)-1 {
			return nomination{}, false
		}
		sel.cur++
		sel.setHints(b.lo, b.hi, expansion, top)
	}
}

// won updates the selector when its pending load got classified: an
// external search step that fell short (the load became the same kind of
// bound as the one it stepped from) makes the next step longer.
func (sel *selector) won(c Class, expansion, top int) {
	switch {
	case sel.kind == ExtendHi && c == LowerBound, sel.kind == ExtendLo && c == UpperBound:
		sel.ext = min(sel.ext*expansion, top)
	}
}

// done reports whether bounds b finish target t: within its width, or at
// a load limit with the other bound missing.
func done(b bounds, t *target, top int) bool {
	switch {
	case b.lo != none && b.hi != none:
		return b.hi-b.lo <= t.width
	case b.hi == none && b.lo == top:
		return true
	case b.lo == none && b.hi == 0:
		return true
	}
	return false
}

// pick applies the strategies in priority order (CSIT's: halve, refine
// lower, refine upper, extend down, extend up, bisect) and returns the
// first nomination.
func (sel *selector) pick(db *database, t *target, b bounds, top, expansion int) (Strategy, int, bool) {
	if done(b, t, top) {
		return 0, 0, false
	}
	g := t.width
	lo, hi := sel.initLo, sel.initHi
	if lo != none && hi != none {
		w := hi - lo
		// Halve: the hints are one to two widths apart and nothing
		// measured since has moved inside them.
		if w > g && w <= 2*g && (b.lo == none || b.lo <= lo) && (b.hi == none || b.hi >= hi) &&
			db.class(lo, t) != UpperBound && db.class(hi, t) != LowerBound {
			if mid := split(lo, hi, g); worth(mid, b) && db.class(mid, t) == Undecided {
				return Halve, mid, true
			}
		}
	}
	if lo != none && worth(lo, b) && db.class(lo, t) == Undecided {
		return RefineLo, lo, true
	}
	if hi != none && worth(hi, b) && db.class(hi, t) == Undecided {
		return RefineHi, hi, true
	}
	switch {
	case b.lo == none && b.hi != none:
		return ExtendLo, max(b.hi-sel.ext, 0), true
	case b.hi == none && b.lo != none:
		return ExtendHi, min(b.lo+sel.ext, top), true
	case b.lo != none && b.hi != none:
		mid := split(b.lo, b.hi, g)
		// After a bisection an external search (should a bound be
		// invalidated later) starts from the scale the interval had.
		sel.ext = min(max(min(mid-b.lo, b.hi-mid), g)*expansion, top)
		return Bisect, mid, true
	}
	return Bootstrap, top, true
}
