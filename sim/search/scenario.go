package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// Settings are a scenario search's parameters: the scenario's search block
// with defaults (scenario.SearchDefaults), then command-line overrides.
type Settings struct {
	// GoalWidth is every goal's relative width.
	GoalWidth float64
	// LossRatios are the goals' loss ratios, NDR (0) first by convention;
	// goals are named by GoalNames.
	LossRatios []float64
	// ExceedRatio is every goal's exceed ratio.
	ExceedRatio float64
	// Trial is the final trial duration, DurationSum the duration sum.
	Trial, DurationSum time.Duration
	// InitialTrial is the first intermediate phase's trial duration
	// (0: Trial/10).
	InitialTrial time.Duration
	// MinLoad and MaxLoad bound the loads (MaxLoad 0: four times the
	// scenario's own offered load, see OfferedLoad).
	MinLoad, MaxLoad float64
	// LoadUnit is UnitPPS or UnitCPS.
	LoadUnit string
	// LatencyFractions are the fractions of the PDR lower bound at which
	// latency is measured (empty: none).
	LatencyFractions []float64
	// Timeout is the search budget per point: the sum of its trials'
	// effective durations (virtual time in simulated mode).
	Timeout time.Duration
}

// SettingsFrom converts a scenario's search block (defaults filled) to
// Settings.
func SettingsFrom(d scenario.SearchDefaults) Settings {
	s := Settings{
		GoalWidth:   d.GoalWidth.F(),
		ExceedRatio: d.ExceedRatio.F(),
		Trial:       d.Trial.D(),
		DurationSum: d.DurationSum.D(),
		MinLoad:     d.MinLoad,
		MaxLoad:     d.MaxLoad,
		LoadUnit:    d.LoadUnit,
		Timeout:     d.Timeout.D(),
	}
	for _, r := range d.LossRatios {
		s.LossRatios = append(s.LossRatios, r.F())
	}
	for _, f := range d.LatencyFractions {
		s.LatencyFractions = append(s.LatencyFractions, f.F())
	}
	return s
}

// Check validates the settings; errors name the flag or field.
func (s *Settings) Check() error {
	switch {
	case !(s.GoalWidth > 0 && s.GoalWidth < 1):
		return fmt.Errorf("goal width %v: want more than 0 and less than 1", s.GoalWidth)
	case len(s.LossRatios) == 0:
		return errors.New("loss ratios: want at least one")
	case !(s.ExceedRatio >= 0 && s.ExceedRatio < 1):
		return fmt.Errorf("exceed ratio %v: want 0 ≤ ratio < 1", s.ExceedRatio)
	case s.Trial <= 0:
		return fmt.Errorf("trial duration %v: want > 0", s.Trial)
	case s.DurationSum < s.Trial:
		return fmt.Errorf("duration sum %v is shorter than one trial (%v)", s.DurationSum, s.Trial)
	case s.InitialTrial < 0 || s.InitialTrial > s.Trial:
		return fmt.Errorf("initial trial duration %v: want 0 < initial ≤ trial (%v)", s.InitialTrial, s.Trial)
	case !(s.MinLoad > 0):
		return fmt.Errorf("min load %v: want > 0", s.MinLoad)
	case s.MaxLoad != 0 && !(s.MaxLoad > s.MinLoad):
		return fmt.Errorf("max load %v: want more than the min load %v", s.MaxLoad, s.MinLoad)
	case s.LoadUnit != UnitPPS && s.LoadUnit != UnitCPS:
		return fmt.Errorf("load unit %q: want pps or cps", s.LoadUnit)
	case s.Timeout <= 0:
		return fmt.Errorf("timeout %v: want > 0", s.Timeout)
	}
	for i, r := range s.LossRatios {
		if !(r >= 0 && r < 1) {
			return fmt.Errorf("loss ratio %d (%v): want 0 ≤ ratio < 1", i+1, r)
		}
		if i > 0 && r <= s.LossRatios[i-1] {
			return fmt.Errorf("loss ratios must increase (NDR first): %v after %v", r, s.LossRatios[i-1])
		}
	}
	for i, f := range s.LatencyFractions {
		if !(f > 0 && f <= 1) {
			return fmt.Errorf("latency fraction %d (%v): want 0 < fraction ≤ 1", i+1, f)
		}
	}
	return nil
}

// Config returns the search configuration for a point whose max load is
// maxLoad.
func (s *Settings) Config(maxLoad float64) Config {
	names := GoalNames(s.LossRatios)
	c := Config{MinLoad: s.MinLoad, MaxLoad: maxLoad, Budget: s.Timeout}
	for i, r := range s.LossRatios {
		c.Goals = append(c.Goals, Goal{Name: names[i], LossRatio: r, ExceedRatio: s.ExceedRatio, Width: s.GoalWidth,
			FinalTrial: s.Trial, DurationSum: s.DurationSum, InitialTrial: s.InitialTrial, Intermediate: -1})
	}
	return c
}

// maxLoadFactor scales a scenario's own offered load to the default max
// load.
const maxLoadFactor = 4

// OfferedLoad estimates a scenario's own offered load in unit, the load
// the engine scales: in cps the synthetic sources' mean flow rates (on/off
// arrivals: the rate while on times the on share); in pps the pcap replay
// rates (timing mode pps), veth frame rates and synthetic flow rates times
// their client-to-server packets per flow (data segments of the mean flow
// size, plus SYN, ACK, FIN and ACK for TCP). A source whose rate cannot be
// told before the run (original timing, top speed) makes it an error;
// RunScenario then measures the load with one trial instead.
func OfferedLoad(sc *scenario.Scenario, unit string) (float64, error) {
	total := 0.0
	for i, src := range sc.Traffic {
		y := src.Synth
		if src.Veth != nil && src.Veth.Frames.Synth != nil {
			y = src.Veth.Frames.Synth
		}
		switch {
		case y != nil:
			total += synthLoad(y.WithDefaults(), unit)
		case unit == UnitCPS:
			return 0, fmt.Errorf("traffic[%d]: only synthetic sources have a connection rate; give the max load", i)
		case src.Pcap != nil && src.Pcap.Timing.Mode == pcap.PPS && src.Pcap.Timing.PPS > 0:
			total += src.Pcap.Timing.PPS
		case src.Veth != nil && src.Veth.Rate > 0:
			total += src.Veth.Rate
		default:
			return 0, fmt.Errorf("traffic[%d]: its packet rate is not known before the run; give the max load", i)
		}
	}
	if !(total > 0) {
		return 0, fmt.Errorf("the scenario offers no %s load to scale; give the max load", unit)
	}
	return total, nil
}

// synthLoad is a synthetic source's mean offered load in unit.
func synthLoad(y synth.Options, unit string) float64 {
	rate := y.Arrival.Rate
	if y.Arrival.Process == "onoff" {
		on, off := float64(y.Arrival.On), float64(y.Arrival.Off)
		rate *= on / (on + off)
	}
	if unit == UnitCPS {
		return rate
	}
	udp := y.UDPFraction
	tcpPkts := math.Ceil(y.Size.Mean/float64(max(y.MSS, 1))) + 4
	udpPkts := math.Max(math.Ceil(y.Size.Mean/float64(max(y.Datagram, 1))), 1)
	return rate * ((1-udp)*tcpPkts + udp*udpPkts)
}

// Options tune RunScenario.
type Options struct {
	// Jobs is how many points are searched at the same time in simulated
	// mode (default 1); live mode searches one point at a time.
	Jobs int
	// Progress receives events (nil: none). It is called from the jobs
	// concurrently; implementations synchronise.
	Progress func(Event)
	// Now reads the wall clock for the environment's start and end and for
	// live trials' effective durations (nil: time.Now).
	Now func() time.Time
}

// Event reports progress: a finished trial (Trial set) or a finished point
// (Result set).
type Event struct {
	Point  *scenario.Resolved
	Points int
	Trial  *Trial
	Result *Result
	// Latency is set when a latency run at a fraction finished.
	Latency *results.LoadLatency
}

// ErrInterrupted is returned (wrapped) when the context was cancelled
// before every point was searched; the document holds what finished.
var ErrInterrupted = runner.ErrInterrupted

// RunScenario searches every point of s (its whole sweep) on eng and
// returns one results document: per point the search (goals, every trial,
// latency at fractions of the PDR lower bound) and its warnings. When ctx
// is cancelled the document holds the points that finished, marked
// incomplete, and the error wraps ErrInterrupted. A nil document comes only
// with an error that prevents assembling one.
func RunScenario(ctx context.Context, eng runner.Engine, s *scenario.Scenario, set Settings, opt Options) (*results.Document, error) {
	if err := set.Check(); err != nil {
		return nil, fmt.Errorf("%s: search: %w", s.SourceName(), err)
	}
	now := opt.Now
	if now == nil {
		now = time.Now
	}
	doc, base, err := runner.NewDocument(s, now())
	if err != nil {
		return nil, err
	}
	// What a search document says differently from a run's: at least one
	// repetition (a search has none of its own), and no note on a
	// configuration without workers.
	doc.Scenario.Repetitions = max(doc.Scenario.Repetitions, 1)
	doc.Warnings = slices.DeleteFunc(doc.Warnings, func(w string) bool { return w == runner.NoWorkersWarning })
	n := s.Points()
	jobs := min(max(opt.Jobs, 1), n)
	if s.Mode == scenario.ModeLive {
		jobs = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		points   = make([]*results.Point, n)
		firstErr error
	)
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range work {
				pt, err := searchPoint(ctx, eng, s, i, set, base, opt, now)
				mu.Lock()
				if pt != nil {
					points[i] = pt
				}
				if err != nil && firstErr == nil && ctx.Err() == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()

	for _, pt := range points {
		if pt != nil {
			doc.Points = append(doc.Points, *pt)
			doc.FinishedPoints = append(doc.FinishedPoints, pt.Index)
		}
	}
	doc.Incomplete = len(doc.Points) != n
	if !doc.Incomplete {
		doc.FinishedPoints = nil
	}
	doc.Environment.End = now().UTC()
	if doc.Environment.End.Before(doc.Environment.Start) {
		doc.Environment.End = doc.Environment.Start
	}
	doc.Plots = searchPlots(s)
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("%s: the search results do not form a valid document: %w", s.SourceName(), err)
	}
	switch {
	case firstErr != nil:
		return doc, firstErr
	case doc.Incomplete:
		return doc, fmt.Errorf("%w after %d of %d points", ErrInterrupted, len(doc.Points), n)
	}
	return doc, nil
}

// searchPoint searches point i and measures its latency. A point that was
// interrupted is not returned (a partial search has no bounds worth
// keeping).
func searchPoint(ctx context.Context, eng runner.Engine, s *scenario.Scenario, i int, set Settings, base []string, opt Options, now func() time.Time) (*results.Point, error) {
	r, err := s.Resolve(i)
	if err != nil {
		return nil, err
	}
	live := s.Mode == scenario.ModeLive
	m := &EngineMeasurer{Engine: eng, Point: r, Unit: set.LoadUnit, Live: live, Now: now}
	maxLoad := set.MaxLoad
	if maxLoad == 0 {
		own, err := OfferedLoad(r.Scenario, set.LoadUnit)
		if err != nil {
			// The engine knows (it replays the capture to scale it):
			// measure the scenario's own load with one trial.
			own, err = m.probeLoad(ctx, set.Trial)
			if err != nil {
				if ctx.Err() != nil {
					return nil, nil
				}
				return nil, fmt.Errorf("%s: no default max load: %w", r, err)
			}
		}
		maxLoad = own * maxLoadFactor
		if !(maxLoad > set.MinLoad) {
			return nil, fmt.Errorf("%s: the default max load (%g %s, %d× the scenario's own) is not above the min load %g; give both", r, maxLoad, set.LoadUnit, maxLoadFactor, set.MinLoad)
		}
	}
	cfg := set.Config(maxLoad)
	if opt.Progress != nil {
		cfg.OnTrial = func(tr Trial) { opt.Progress(Event{Point: r, Points: s.Points(), Trial: &tr}) }
	}
	res, err := Run(ctx, m, cfg)
	if err != nil {
		if res != nil && res.Stopped == Interrupted {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	if opt.Progress != nil {
		opt.Progress(Event{Point: r, Points: s.Points(), Result: res})
	}
	pt := &results.Point{Index: r.Index, Params: r.Params, Warnings: runner.PointWarnings(r.Warnings, base)}
	pt.Search = ToResults(res, set.LoadUnit)
	for _, g := range res.Goals {
		if !g.Regular {
			pt.Warnings = append(pt.Warnings, fmt.Sprintf("search goal %s is irregular: %s", g.Goal.Name, g.Note))
		}
	}
	lat, warn, err := measureLatency(ctx, m, res, set)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: latency: %w", r, err)
	}
	for k := range lat {
		if opt.Progress != nil {
			opt.Progress(Event{Point: r, Points: s.Points(), Latency: &lat[k]})
		}
	}
	pt.Search.Latency = lat
	pt.Warnings = append(pt.Warnings, warn...)
	return pt, nil
}

// LatencyGoal returns the index of the goal latency fractions apply to: the
// one named PDR, else the one with the highest loss ratio (the last).
func LatencyGoal(goals []GoalResult) int {
	for i, g := range goals {
		if g.Goal.Name == "PDR" {
			return i
		}
	}
	return len(goals) - 1
}

// measureLatency runs one final-length trial at each fraction of the PDR
// lower bound and keeps its histograms (the same recorder, so the same
// HDR-grade histograms as `run`).
func measureLatency(ctx context.Context, m *EngineMeasurer, res *Result, set Settings) ([]results.LoadLatency, []string, error) {
	if len(set.LatencyFractions) == 0 || len(res.Goals) == 0 {
		return nil, nil, nil
	}
	g := res.Goals[LatencyGoal(res.Goals)]
	if !g.HasLower {
		return nil, []string{fmt.Sprintf("no latency measured: goal %s has no lower bound", g.Goal.Name)}, nil
	}
	var out []results.LoadLatency
	for k, f := range set.LatencyFractions {
		load := f * g.Lower
		rep, _, err := m.run(ctx, load, set.Trial, LatencySeed(m.Point.Scenario.Seed, k), k)
		if err != nil {
			return nil, nil, err
		}
		hs := slices.Clone(rep.Histograms)
		out = append(out, results.LoadLatency{Goal: g.Goal.Name, Fraction: f, Load: load, Histograms: hs})
	}
	return out, nil, nil
}

// ToResults converts a search result to the results document's form. A
// missing lower bound is 0; a missing upper bound is the lower bound (the
// max load was a lower bound), so lower ≤ upper always holds.
func ToResults(res *Result, unit string) *results.Search {
	out := &results.Search{LoadUnit: unit}
	for _, g := range res.Goals {
		sg := results.SearchGoal{Name: g.Goal.Name, LossRatio: g.Goal.LossRatio, ExceedRatio: g.Goal.ExceedRatio, Width: g.Goal.Width,
			LowerBound: g.Lower, UpperBound: g.Upper}
		if !g.HasUpper {
			sg.UpperBound = sg.LowerBound
		}
		out.Goals = append(out.Goals, sg)
	}
	for _, t := range res.Trials {
		out.Trials = append(out.Trials, results.Trial{Load: t.Load, DurationNS: int64(t.Duration), Offered: t.Offered, Received: t.Received,
			Drops: slices.Clone(t.Drops), LossRatio: t.LossRatio})
	}
	return out
}

// searchPlots keeps the scenario's search and trials plots (the others
// name metrics a search document does not have); with none, the report
// draws its defaults, which include both.
func searchPlots(s *scenario.Scenario) []results.PlotSpec {
	var out []results.PlotSpec
	for _, p := range s.Plots {
		if p.Kind == "search" || p.Kind == "trials" {
			out = append(out, results.PlotSpec{Kind: results.PlotKind(p.Kind), X: p.X, Series: p.Series, Title: p.Title})
		}
	}
	return out
}
