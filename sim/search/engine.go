package search

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// The load units: what a trial's load counts. Loss counts packets in both
// (see Counts).
const (
	// UnitPPS: packets per second.
	UnitPPS = "pps"
	// UnitCPS: new sessions (connections) per second.
	UnitCPS = "cps"
)

// The metrics a trial's loss is computed from: the packets the sources
// offered and those the layer processed without a drop.
const (
	MetricOfferedPackets  = "offered_packets"
	MetricReceivedPackets = "received_packets"
)

// Seed salts: trial and latency seeds are derived from the scenario seed
// with these as the first part, so they never coincide with repetition
// seeds (DeriveSeed(seed, rep)) for any realistic repetition count.
const (
	saltTrial   = 0x5ea7c4_0001 << 16
	saltLatency = 0x5ea7c4_0002 << 16
	saltProbe   = 0x5ea7c4_0003 << 16
)

// MetricOfferedSessions is the engine's count of new sessions offered,
// which the probe for a cps search's default max load reads.
const MetricOfferedSessions = "offered_sessions"

// TrialSeed returns the seed of trial index of a search: the scenario seed
// mixed with a fixed salt and the trial's index by scenario.DeriveSeed
// (SplitMix64 steps). Every point of a sweep uses the same trial seeds
// (common random numbers, as repetitions do), and a search run twice with
// the same seed asks for the same trials in the same order with the same
// seeds, so a deterministic engine makes it repeat exactly.
func TrialSeed(scenarioSeed uint64, index int) uint64 {
	return scenario.DeriveSeed(scenarioSeed, saltTrial, uint64(index))
}

// LatencySeed returns the seed of the latency run at the k-th fraction.
func LatencySeed(scenarioSeed uint64, k int) uint64 {
	return scenario.DeriveSeed(scenarioSeed, saltLatency, uint64(k))
}

// EngineMeasurer runs search trials as repetitions of one resolved point on
// a runner.Engine: RunOptions.Load and Duration set the trial's load and
// duration, RunOptions.Seed is TrialSeed(scenario seed, trial index).
type EngineMeasurer struct {
	Engine runner.Engine
	Point  *scenario.Resolved
	// Unit is UnitPPS or UnitCPS.
	Unit string
	// Live makes the trial's effective duration its wall-clock time
	// (engine overheads included), as MLRsearch recommends for a real
	// system; in simulated mode it stays the intended duration so the
	// budget is spent the same way on every run.
	Live bool
	// Now reads the wall clock in live mode (nil: time.Now).
	Now func() time.Time
	// Progress, when set, receives the engine's progress of each trial.
	Progress func(trial int, done, total float64)
	// Last holds the repetition of the last trial (histograms included),
	// for callers that want more than counts.
	Last *results.Repetition
}

// Measure runs one trial.
func (m *EngineMeasurer) Measure(ctx context.Context, in TrialInput) (TrialOutput, error) {
	rep, wall, err := m.run(ctx, in.Load, in.Duration, TrialSeed(m.Point.Scenario.Seed, in.Index), in.Index)
	if err != nil {
		return TrialOutput{}, err
	}
	out, err := Counts(rep)
	if err != nil {
		return TrialOutput{}, err
	}
	// A simulated trial that offered far less than asked ran out of
	// traffic (a synthetic source's duration or flow count, a capture
	// without loop): its loss says nothing about the load.
	if want := in.Load * in.Duration.Seconds(); !m.Live && m.Unit == UnitPPS && want >= 100 && float64(out.Offered) < want/2 {
		return TrialOutput{}, fmt.Errorf("the trial offered %d packets where %.0f pps for %v make %.0f: the scenario's sources end before the trial does (raise a synthetic source's duration or flows, or loop the capture)",
			out.Offered, in.Load, in.Duration, want)
	}
	if m.Live {
		out.Effective = max(wall, in.Duration/1000)
		chargeShortfall(&out, rep, in, m.Unit)
	}
	return out, nil
}

// liveShortfall is how far below the intended count a live trial may offer
// (pacing ends a few packets early) before the packets it never sent count
// as lost.
const liveShortfall = 0.01

// chargeShortfall counts the packets a live trial's generator did not send
// as lost. A tester that cannot reach the load must not pass its own limit
// off as the system's: MLRsearch judges a trial against its intended load,
// so a trial that offered 85% of it and lost nothing has lost 15%.
func chargeShortfall(out *TrialOutput, rep *results.Repetition, in TrialInput, unit string) {
	want := in.Load * in.Duration.Seconds()
	off, ok := rep.Metric(MetricOfferedPackets)
	if unit != UnitPPS || !ok || want < 100 || off.Value >= want*(1-liveShortfall) {
		return
	}
	out.Offered += uint64(want - off.Value)
}

// run runs the engine once.
func (m *EngineMeasurer) run(ctx context.Context, load float64, d time.Duration, seed uint64, rep int) (*results.Repetition, time.Duration, error) {
	now := m.Now
	if now == nil {
		now = time.Now
	}
	opt := runner.RunOptions{Rep: rep, Seed: seed, Duration: d, Load: load, LoadUnit: m.Unit}
	if m.Progress != nil {
		opt.Progress = func(done, total float64) { m.Progress(rep, done, total) }
	}
	t0 := now()
	r, err := m.Engine.Run(ctx, m.Point, opt)
	wall := now().Sub(t0)
	if err == nil && r == nil {
		err = errors.New("the engine returned no results")
	}
	if err != nil {
		return nil, 0, err
	}
	m.Last = r
	return r, wall, nil
}

// probeLoad measures the point's own offered load in the measurer's unit:
// one trial of duration d at the scenario's own load (RunOptions.Load 0),
// its offered packets (or sessions) per second. It is not a search trial
// and is not recorded.
func (m *EngineMeasurer) probeLoad(ctx context.Context, d time.Duration) (float64, error) {
	rep, _, err := m.run(ctx, 0, d, scenario.DeriveSeed(m.Point.Scenario.Seed, saltProbe), 0)
	if err != nil {
		return 0, err
	}
	name := MetricOfferedPackets
	if m.Unit == UnitCPS {
		name = MetricOfferedSessions
	}
	v, ok := rep.Metric(name)
	if !ok || !(v.Value > 0) {
		return 0, fmt.Errorf("a trial at the scenario's own load offered no %s (metric %s); give the max load", m.Unit, name)
	}
	return v.Value / d.Seconds(), nil
}

// Counts extracts a trial's counts from an engine repetition, in packets
// whatever the load unit (the unit says what the engine scales; a
// connection workload that drops packets — a SYN at a full queue, a
// segment at a full fifo — fails its sessions through them): offered is
// offered_packets minus the packets session rules dropped (policy: they
// were never expected through, so they are not loss — the draft's
// forwarding ratio counts "frames expected to be forwarded"), received is
// received_packets, or offered minus every other drop when the engine does
// not report it. Drops keeps every cause, rule drops included. An error
// names the metrics the repetition does have.
func Counts(r *results.Repetition) (TrialOutput, error) {
	var out TrialOutput
	off, ok := r.Metric(MetricOfferedPackets)
	if !ok {
		var have []string
		for _, m := range r.Metrics {
			have = append(have, m.Name)
		}
		return out, fmt.Errorf("the engine reported no %q metric, which a search needs (it reported: %s)", MetricOfferedPackets, strings.Join(have, ", "))
	}
	if !(off.Value >= 0) || off.Value > math.MaxInt64 {
		return out, fmt.Errorf("metric %s = %v is not a count", MetricOfferedPackets, off.Value)
	}
	var policy, other uint64
	for _, d := range r.Drops {
		if d.Cause == results.DropRule {
			policy += d.Count
		} else {
			other += d.Count
		}
	}
	offered := uint64(off.Value)
	out.Offered = offered - min(policy, offered)
	out.Drops = slices.Clone(r.Drops)
	if rec, ok := r.Metric(MetricReceivedPackets); ok {
		if !(rec.Value >= 0) || rec.Value > float64(out.Offered) {
			return out, fmt.Errorf("metric %s = %v is not a count within the %d offered packets the rules let through", MetricReceivedPackets, rec.Value, out.Offered)
		}
		out.Received = uint64(rec.Value)
		return out, nil
	}
	out.Received = out.Offered - min(other, out.Offered)
	return out, nil
}
