package search

import (
	"slices"
	"time"
)

// trialRec is what the classification needs of one trial.
type trialRec struct {
	intended, effective time.Duration
	loss                float64
}

// loadStat holds every trial measured at one grid index.
type loadStat struct {
	index  int
	trials []trialRec
}

// sums returns the load's trial time split for target t.
func (ls *loadStat) sums(t *target) Sums {
	var s Sums
	for _, r := range ls.trials {
		s.Add(r.intended, r.effective, t.trial, r.loss > t.lossRatio)
	}
	return s
}

// class classifies the load for target t.
func (ls *loadStat) class(t *target) Class {
	return Classify(ls.sums(t), t.sum, t.exceedRatio)
}

// database holds the trials of a search by load. Every goal reads the same
// trials: a trial measured for one goal informs all of them, which is
// where searching for several loss ratios at once saves time.
type database struct {
	loads []*loadStat // by increasing index
}

// at returns the stats of index i, or nil when nothing was measured there.
func (d *database) at(i int) *loadStat {
	k, ok := slices.BinarySearchFunc(d.loads, i, func(ls *loadStat, i int) int { return ls.index - i })
	if !ok {
		return nil
	}
	return d.loads[k]
}

// add records a trial at index i.
func (d *database) add(i int, r trialRec) {
	k, ok := slices.BinarySearchFunc(d.loads, i, func(ls *loadStat, i int) int { return ls.index - i })
	if !ok {
		d.loads = slices.Insert(d.loads, k, &loadStat{index: i})
	}
	d.loads[k].trials = append(d.loads[k].trials, r)
}

// class classifies index i for target t (Undecided when unmeasured).
func (d *database) class(i int, t *target) Class {
	if ls := d.at(i); ls != nil {
		return ls.class(t)
	}
	return Undecided
}

// none marks a missing bound.
const none = -1

// bounds are a target's relevant bounds: hi is the lowest index classified
// as an upper bound, lo the highest index below it classified as a lower
// bound (MLRsearch's Relevant Upper and Lower Bound); none when missing.
// A lower bound above the relevant upper bound is ignored: the system
// failed at a lower load, so its passing there is not evidence of
// throughput (loss inversion).
type bounds struct{ lo, hi int }

// bounds returns target t's relevant bounds now.
func (d *database) bounds(t *target) bounds {
	b := bounds{none, none}
	for _, ls := range d.loads {
		switch ls.class(t) {
		case LowerBound:
			b.lo = ls.index
		case UpperBound:
			b.hi = ls.index
			return b
		}
	}
	return b
}
