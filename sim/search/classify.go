package search

import (
	"slices"
	"time"
)

// Class is a load's classification for one goal (or phase) at one moment
// of the search (MLRsearch's Load Classification).
type Class uint8

// The classes of a load.
const (
	// Undecided: the trials so far could still go either way.
	Undecided Class = iota
	// LowerBound: whatever the missing trials bring, the load keeps the
	// goal (too little high-loss time can be added to exceed it).
	LowerBound
	// UpperBound: whatever the missing trials bring, the load fails the
	// goal (too much high-loss time is already there).
	UpperBound
)

func (c Class) String() string {
	switch c {
	case LowerBound:
		return "lower bound"
	case UpperBound:
		return "upper bound"
	}
	return "undecided"
}

// Sums are the trial time at one load split the four ways the
// classification needs, for one goal: full-length or short (trial duration
// at least, or below, the goal's final trial duration) times low-loss or
// high-loss (loss ratio at most, or above, the goal's loss ratio). Each is a
// sum of effective durations.
type Sums struct {
	FullLow, FullHigh, ShortLow, ShortHigh time.Duration
}

// Add counts one trial: its intended duration decides full-length or short
// (the measurer may round what it actually offered), its effective
// duration is what is added.
func (s *Sums) Add(intended, effective, fullLength time.Duration, high bool) {
	switch {
	case intended >= fullLength && high:
		s.FullHigh += effective
	case intended >= fullLength:
		s.FullLow += effective
	case high:
		s.ShortHigh += effective
	default:
		s.ShortLow += effective
	}
}

// Classify decides a load from its trial time (MLRsearch's load
// classification, draft-ietf-bmwg-mlrsearch appendix A).
//
// Short trials count only as far as they are not balanced: each second of
// short low-loss time cancels exceed/(1−exceed) seconds of short high-loss
// time, and only the positive excess counts as (effective) high-loss time.
// So short trials can push a load to an upper bound — a system that loses
// in short trials will not do better in long ones — but never to a lower
// bound, which needs full-length low-loss time.
//
// The whole is the effective time or the duration sum, whichever is
// larger; what is missing to reach it could still be anything. The load
// is an upper bound when even if all the missing time is low-loss, the
// high-loss share exceeds the exceed ratio (optimistic estimate too
// high), and a lower bound when even if all of it is high-loss, the share
// stays within (pessimistic estimate low enough).
func Classify(s Sums, sum time.Duration, exceed float64) Class {
	effHigh, pessHigh, whole := classifySums(s, sum, exceed)
	quantile := whole * exceed
	switch {
	case pessHigh <= quantile:
		return LowerBound
	case effHigh > quantile:
		return UpperBound
	}
	return Undecided
}

// classifySums returns the effective and pessimistic high-loss time and
// the whole, in nanoseconds as float64 (exact for
// any duration below 2^53 ns, about 104 days). The comparisons in Classify
// are the draft's own — high-loss sums against the quantile — not ratios,
// so a load sitting exactly on the exceed ratio (half its time high-loss
// at 50%) is a lower bound, as the draft's example search says.
func classifySums(s Sums, sum time.Duration, exceed float64) (effHigh, pessHigh, whole float64) {
	coef := exceed / (1 - exceed)
	balancing := float64(s.ShortLow) * coef
	excess := max(0, float64(s.ShortHigh)-balancing)
	effHigh = float64(s.FullHigh) + excess
	effFull := float64(s.FullLow) + effHigh
	whole = max(effFull, float64(sum))
	return effHigh, whole - float64(s.FullLow), whole
}

// ExceedEstimates returns the optimistic and pessimistic exceed ratios of
// a load (the draft's example tables list them): the high-loss share of
// the whole if every missing second were low-loss, and if every one were
// high-loss. The load is a lower bound when the pessimistic one is within
// the exceed ratio and an upper bound when the optimistic one is above it.
func ExceedEstimates(s Sums, sum time.Duration, exceed float64) (optimistic, pessimistic float64) {
	effHigh, pessHigh, whole := classifySums(s, sum, exceed)
	return effHigh / whole, pessHigh / whole
}

// ConditionalThroughput returns MLRsearch's conditional throughput at a
// load from its full-length trials (draft-ietf-bmwg-mlrsearch appendix B):
// the load times the forwarding ratio of the trial at the (1 − exceed)
// quantile of full-length trial time, trials ordered by loss ratio. When
// the full-length trials do not fill that quantile of the duration sum,
// the missing time counts as total loss, so the result is 0 — a
// conservative value for a load that is not (yet) a lower bound.
//
// trials must hold every full-length trial at the load: loss ratio and
// effective duration. It is reordered in place.
func ConditionalThroughput(load float64, trials []LossTime, sum time.Duration, exceed float64) float64 {
	slices.SortStableFunc(trials, func(a, b LossTime) int {
		switch {
		case a.LossRatio < b.LossRatio:
			return -1
		case a.LossRatio > b.LossRatio:
			return 1
		}
		return 0
	})
	var full time.Duration
	for _, t := range trials {
		full += t.Effective
	}
	remaining := float64(max(full, sum)) * (1 - exceed)
	quantile, found := 0.0, false
	for _, t := range trials {
		if found && remaining <= 0 {
			break
		}
		quantile, found = t.LossRatio, true
		remaining -= float64(t.Effective)
	}
	if !found || remaining > 0 {
		quantile = 1
	}
	return load * (1 - quantile)
}

// LossTime is one trial's loss ratio and effective duration.
type LossTime struct {
	LossRatio float64
	Effective time.Duration
}
