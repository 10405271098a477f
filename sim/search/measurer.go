package search

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
)

// Measurer performs trials (MLRsearch's Measurer): it offers a load for a
// duration and reports what was offered and received. A measurer that
// depends only on its input (the simulator with a seed derived from
// TrialInput.Index) makes the whole search deterministic.
type Measurer interface {
	Measure(ctx context.Context, in TrialInput) (TrialOutput, error)
}

// MeasurerFunc is a function that is a Measurer.
type MeasurerFunc func(ctx context.Context, in TrialInput) (TrialOutput, error)

// Measure calls f.
func (f MeasurerFunc) Measure(ctx context.Context, in TrialInput) (TrialOutput, error) {
	return f(ctx, in)
}

// TrialInput is what the search asks of one trial.
type TrialInput struct {
	// Index numbers the trials of a search from 0 in the order they run;
	// measurers derive per-trial seeds from it.
	Index int
	// Load is the intended load (packets or new sessions per second).
	Load float64
	// Duration is the intended trial duration.
	Duration time.Duration
}

// TrialOutput is what one trial measured.
type TrialOutput struct {
	// Offered counts what the trial offered (packets or sessions);
	// Received what came through. Received ≤ Offered.
	Offered, Received uint64
	// Drops counts what was dropped, by cause (informational: the loss
	// ratio comes from Offered and Received).
	Drops []results.Drop
	// Effective is the Trial Effective Duration, the time the trial cost
	// (counted against the duration sums and the budget); 0 means the
	// intended Duration. Live measurers report the wall time, overheads
	// included; simulated ones leave it 0 so the budget is spent the same
	// way on every run.
	Effective time.Duration
}

// LossRatio returns (Offered − Received) / Offered, 0 when nothing was
// offered.
func (o *TrialOutput) LossRatio() float64 {
	if o.Offered == 0 || o.Received >= o.Offered {
		return 0
	}
	return float64(o.Offered-o.Received) / float64(o.Offered)
}

func (o *TrialOutput) check() error {
	if o.Received > o.Offered {
		return fmt.Errorf("received %d exceeds offered %d", o.Received, o.Offered)
	}
	if o.Effective < 0 {
		return fmt.Errorf("negative effective duration %v", o.Effective)
	}
	return nil
}

// Strategy says why the search chose a trial's load (MLRsearch's
// strategies, in the order the selectors try them).
type Strategy uint8

// The strategies.
const (
	// Initial: the initial phase — max load, then the max receive rate
	// the max-load trial saw (corrected by the first goal's loss ratio),
	// then one goal width beside it.
	Initial Strategy = iota
	// Halve: the previous phase ended between one and two of this phase's
	// widths apart; measure the middle first (it must be measured anyway).
	Halve
	// RefineLo / RefineHi: re-measure the previous phase's lower / upper
	// bound with this phase's (longer) trials.
	RefineLo
	RefineHi
	// ExtendLo / ExtendHi: external search — no lower (upper) bound for
	// this phase yet, step down (up) from the bound there is, the step
	// growing by the expansion coefficient each time it falls short.
	ExtendLo
	ExtendHi
	// Bisect: internal search — split the relevant bounds' interval.
	Bisect
	// Bootstrap: nothing measured classifies for this phase and there are
	// no hints: measure max load.
	Bootstrap
)

var strategyNames = [...]string{"initial", "halve", "refine-lo", "refine-hi", "extend-lo", "extend-hi", "bisect", "bootstrap"}

func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("strategy(%d)", uint8(s))
}
