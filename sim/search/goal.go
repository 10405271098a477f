package search

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Goal is one search goal (MLRsearch's Search Goal): which trials count as
// passing, how much failing trial time a lower bound tolerates, and how
// precise the result must be.
type Goal struct {
	// Name labels the goal in results ("NDR", "PDR").
	Name string
	// LossRatio is the Goal Loss Ratio: a trial whose loss ratio is above
	// it is a high-loss trial for this goal. 0 for NDR.
	LossRatio float64
	// ExceedRatio is the Goal Exceed Ratio: the share of a load's trial
	// time (Duration Sum) that may be high-loss at a lower bound. In
	// [0, 1); 0 is RFC 2544's rule (one lossy trial makes an upper bound).
	ExceedRatio float64
	// Width is the Goal Width, relative: the search for this goal ends
	// when (upper − lower) / upper ≤ Width. In (0, 1).
	Width float64
	// FinalTrial is the Goal Final Trial Duration: trials shorter than it
	// are short trials, which can never make a lower bound on their own.
	FinalTrial time.Duration
	// DurationSum is the Goal Duration Sum: the full-length trial time a
	// load needs before it is decided either way (less when the results
	// so far already decide it).
	DurationSum time.Duration
	// InitialTrial is the Goal Initial Trial Duration: the trial duration
	// of the first (coarsest) intermediate phase. 0 means FinalTrial/10.
	InitialTrial time.Duration
	// Intermediate is the number of intermediate phases (CSIT's
	// "preceding targets") before the final one: phase k from the end has
	// a 2^k times wider width and a geometrically shorter duration sum
	// and trials. Negative means the default, 2.
	Intermediate int
}

// Config is a search's input.
type Config struct {
	// Goals are searched together; by convention NDR first. Their loss
	// ratios need not be distinct, but names must be.
	Goals []Goal
	// MinLoad and MaxLoad bound every trial's load (0 < MinLoad < MaxLoad).
	MinLoad, MaxLoad float64
	// Budget ends the search once the trials' effective durations add up
	// to it (the time-out). In simulated mode effective durations are the
	// trial durations, so the budget is spent identically on every run.
	// 0 means no limit.
	Budget time.Duration
	// Expansion multiplies the step of an external search (extending a
	// bound up or down) each time a step fails to find the missing bound.
	// 0 means the default, 2.
	Expansion int
	// OnTrial, when set, is called after every trial with its record
	// (progress reports); it runs on the search's goroutine.
	OnTrial func(Trial)
}

// DefaultIntermediate is the default number of intermediate phases.
const DefaultIntermediate = 2

// DefaultExpansion is the default expansion coefficient of external search.
const DefaultExpansion = 2

// NDRPDR returns CSIT's two goals: NDR (loss ratio 0) and PDR (loss ratio
// 0.5%), each with the given width, exceed ratio, final trial and duration
// sum. It is what `sessionlab search` runs with its defaults (goal width
// 0.5%, exceed ratio 0.5, 1 s trials, 21 s duration sum).
func NDRPDR(width, exceed float64, trial, sum time.Duration) []Goal {
	return []Goal{
		{Name: "NDR", LossRatio: 0, ExceedRatio: exceed, Width: width, FinalTrial: trial, DurationSum: sum, Intermediate: -1},
		{Name: "PDR", LossRatio: 0.005, ExceedRatio: exceed, Width: width, FinalTrial: trial, DurationSum: sum, Intermediate: -1},
	}
}

// GoalNames returns the conventional names for goals with these loss
// ratios: "NDR" for 0, "PDR" for the largest non-zero ratio when it is the
// only non-zero one, and otherwise "PDR0.1%"-style names built from the
// ratio.
func GoalNames(lossRatios []float64) []string {
	names := make([]string, len(lossRatios))
	nonzero := 0
	for _, r := range lossRatios {
		if r != 0 {
			nonzero++
		}
	}
	for i, r := range lossRatios {
		switch {
		case r == 0:
			names[i] = "NDR"
		case nonzero == 1:
			names[i] = "PDR"
		default:
			names[i] = "PDR" + FormatRatio(r)
		}
	}
	// Equal ratios would give equal names; number the repeats.
	seen := map[string]int{}
	for i, n := range names {
		seen[n]++
		if k := seen[n]; k > 1 {
			names[i] = fmt.Sprintf("%s#%d", n, k)
		}
	}
	return names
}

// withDefaults returns g with its unset fields filled.
func (g Goal) withDefaults() Goal {
	if g.InitialTrial == 0 {
		g.InitialTrial = max(g.FinalTrial/10, time.Millisecond)
		g.InitialTrial = min(g.InitialTrial, g.FinalTrial)
	}
	if g.Intermediate < 0 {
		g.Intermediate = DefaultIntermediate
	}
	return g
}

func (g Goal) validate() error {
	switch {
	case g.Name == "":
		return errors.New("a goal needs a name")
	case !(g.LossRatio >= 0 && g.LossRatio < 1):
		return fmt.Errorf("loss ratio %v: want 0 ≤ ratio < 1", g.LossRatio)
	case !(g.ExceedRatio >= 0 && g.ExceedRatio < 1):
		return fmt.Errorf("exceed ratio %v: want 0 ≤ ratio < 1", g.ExceedRatio)
	case !(g.Width > 0 && g.Width < 1):
		return fmt.Errorf("goal width %v: want 0 < width < 1", g.Width)
	case g.FinalTrial <= 0:
		return fmt.Errorf("final trial duration %v: want > 0", g.FinalTrial)
	case g.DurationSum < g.FinalTrial:
		return fmt.Errorf("duration sum %v is shorter than the final trial duration %v", g.DurationSum, g.FinalTrial)
	case g.InitialTrial <= 0 || g.InitialTrial > g.FinalTrial:
		return fmt.Errorf("initial trial duration %v: want 0 < initial ≤ final trial duration %v", g.InitialTrial, g.FinalTrial)
	case g.Intermediate > 16:
		return fmt.Errorf("%d intermediate phases: want at most 16", g.Intermediate)
	}
	return nil
}

// withDefaults returns c with defaults filled and checks it.
func (c Config) withDefaults() (Config, error) {
	if len(c.Goals) == 0 {
		return c, errors.New("search: no goals")
	}
	gs := make([]Goal, len(c.Goals))
	names := map[string]bool{}
	for i, g := range c.Goals {
		g = g.withDefaults()
		if err := g.validate(); err != nil {
			return c, fmt.Errorf("search: goal %d (%s): %w", i, g.Name, err)
		}
		if names[g.Name] {
			return c, fmt.Errorf("search: goal name %q repeats", g.Name)
		}
		names[g.Name] = true
		gs[i] = g
	}
	c.Goals = gs
	if !(c.MinLoad > 0) || math.IsInf(c.MinLoad, 0) {
		return c, fmt.Errorf("search: min load %v: want a finite load > 0", c.MinLoad)
	}
	if !(c.MaxLoad > c.MinLoad) || math.IsInf(c.MaxLoad, 0) {
		return c, fmt.Errorf("search: max load %v: want a finite load above the min load %v", c.MaxLoad, c.MinLoad)
	}
	if c.Budget < 0 {
		return c, fmt.Errorf("search: budget %v: want ≥ 0", c.Budget)
	}
	if c.Expansion == 0 {
		c.Expansion = DefaultExpansion
	}
	if c.Expansion < 2 || c.Expansion > 64 {
		return c, fmt.Errorf("search: expansion coefficient %d: want 2..64", c.Expansion)
	}
	return c, nil
}

// target is one phase of one goal (CSIT's TargetSpec): the loss and exceed
// ratios of its goal with this phase's width, trial duration and duration
// sum. The final target is the goal itself; intermediate ones are coarser
// and quicker, and only steer the search towards the final one.
type target struct {
	goal        int
	phase       int // 0 = final, k = k phases before the final one
	lossRatio   float64
	exceedRatio float64
	width       int           // grid steps
	trial       time.Duration // trial duration of this phase = its full-length threshold
	sum         time.Duration // duration sum of this phase
}

// targets returns goal gi's targets, coarsest first, the final one last.
//
// Duration sums fall geometrically from the goal's DurationSum (final) to
// its InitialTrial (the coarsest phase): with k intermediate phases the
// ratio between neighbours is (InitialTrial/DurationSum)^(1/k). A phase's
// trials last its duration sum, capped at the final trial duration, so
// early phases decide a load with one short trial. Each earlier phase has
// twice the width of the next.
func targets(gi int, g Goal, finalWidth int) []target {
	ts := make([]target, g.Intermediate+1)
	for k := range ts {
		t := target{goal: gi, phase: k, lossRatio: g.LossRatio, exceedRatio: g.ExceedRatio,
			width: finalWidth << k, trial: g.FinalTrial, sum: g.DurationSum}
		if k > 0 {
			ratio := float64(g.InitialTrial) / float64(g.DurationSum)
			sum := time.Duration(float64(g.DurationSum) * math.Pow(ratio, float64(k)/float64(g.Intermediate)))
			if k == g.Intermediate {
				sum = g.InitialTrial
			}
			// Rounded to a millisecond when that long: trial durations
			// people read in logs and reports.
			if sum > time.Millisecond {
				sum = sum.Round(time.Millisecond)
			}
			t.sum = max(sum, time.Microsecond)
			t.trial = min(g.FinalTrial, t.sum)
		}
		ts[len(ts)-1-k] = t
	}
	return ts
}
