package search

import (
	"context"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// slowClassify is the reference load classification: the draft's "Load
// Classification Logic" prose (section on the logic), one named value per
// step, on the trials themselves rather than on pre-aggregated sums.
func slowClassify(trials []trialRec, finalTrial, goalSum time.Duration, lossRatio, exceed float64) Class {
	sec := func(d time.Duration) float64 { return float64(d) }
	var fullHighSum, fullLowSum, shortHighSum, shortLowSum float64
	for _, t := range trials {
		full := t.intended >= finalTrial
		high := t.loss > lossRatio
		switch {
		case full && high:
			fullHighSum += sec(t.effective)
		case full:
			fullLowSum += sec(t.effective)
		case high:
			shortHighSum += sec(t.effective)
		default:
			shortLowSum += sec(t.effective)
		}
	}
	subceedRatio := 1 - exceed
	exceedCoefficient := exceed / subceedRatio
	balancingSum := shortLowSum * exceedCoefficient
	excessSum := shortHighSum - balancingSum
	positiveExcessSum := excessSum
	if positiveExcessSum < 0 {
		positiveExcessSum = 0
	}
	effectiveHighLossSum := fullHighSum + positiveExcessSum
	effectiveFullSum := effectiveHighLossSum + fullLowSum
	effectiveWholeSum := effectiveFullSum
	if sec(goalSum) > effectiveWholeSum {
		effectiveWholeSum = sec(goalSum)
	}
	missingSum := effectiveWholeSum - effectiveFullSum
	pessimisticHighLossSum := effectiveHighLossSum + missingSum
	// The draft compares ratios to the goal exceed ratio; multiplied out
	// by the (positive) whole so that exact ties stay exact.
	optimisticIsLower := effectiveHighLossSum <= effectiveWholeSum*exceed
	pessimisticIsLower := pessimisticHighLossSum <= effectiveWholeSum*exceed
	switch {
	case optimisticIsLower && pessimisticIsLower:
		return LowerBound
	case !optimisticIsLower && !pessimisticIsLower:
		return UpperBound
	}
	return Undecided
}

// TestClassifyAgainstReference checks the aggregated classification
// against the step-by-step reference on random sets of trials: durations
// from a few values around the final trial duration (short, full, long),
// loss ratios around the goal's.
func TestClassifyAgainstReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		final := time.Duration(rapid.SampledFrom([]int64{1e8, 1e9, 6e10}).Draw(t, "final"))
		sum := final * time.Duration(rapid.IntRange(1, 30).Draw(t, "sumTrials"))
		loss := rapid.SampledFrom([]float64{0, 0.001, 0.005, 0.1}).Draw(t, "loss")
		exceed := rapid.SampledFrom([]float64{0, 0.2, 0.5, 0.75}).Draw(t, "exceed")
		n := rapid.IntRange(0, 40).Draw(t, "n")
		var trials []trialRec
		for range n {
			d := final * time.Duration(rapid.IntRange(1, 20).Draw(t, "d")) / 10
			eff := d + time.Duration(rapid.IntRange(0, 1000).Draw(t, "overhead"))*time.Microsecond
			l := rapid.SampledFrom([]float64{0, 0.0005, 0.001, 0.005, 0.006, 0.5}).Draw(t, "l")
			trials = append(trials, trialRec{intended: d, effective: eff, loss: l})
		}
		tg := target{lossRatio: loss, exceedRatio: exceed, trial: final, sum: sum}
		ls := loadStat{trials: trials}
		got := ls.class(&tg)
		want := slowClassify(trials, final, sum, loss, exceed)
		if got != want {
			t.Fatalf("Classify says %v, the reference %v (sums %+v)", got, want, ls.sums(&tg))
		}
	})
}

// slowNDR is the reference throughput search: a plain binary search over
// the same grid (RFC 2544's, without phases, hints or shared trials), each
// load measured with trials of the final duration until the final phase
// classifies it. For a system whose loss grows with the load it returns
// the highest grid index that is a lower bound (or -1).
func slowNDR(m Measurer, g grid, tg target) (lastLower int, spent time.Duration) {
	lo, hi := -1, g.top+1
	db := &database{}
	k := 0
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		for db.class(mid, &tg) == Undecided {
			out, _ := m.Measure(context.Background(), TrialInput{Index: k, Load: g.load(mid), Duration: tg.trial})
			k++
			spent += tg.trial
			db.add(mid, trialRec{intended: tg.trial, effective: tg.trial, loss: out.LossRatio()})
		}
		if db.class(mid, &tg) == LowerBound {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, spent
}

// TestSearchAgainstReference: on random queue systems (service time,
// queue length, trial duration) MLRsearch's bounds are within the goal
// width, its lower bound passes and its upper bound fails each goal; for
// NDR, whose loss-free condition is monotone in the load (docs/search.md),
// they bracket the boundary the reference binary search finds on the same
// grid. (PDR's loss ratio, drops over offered in whole packets, can dip by
// a packet as the load grows, so its boundary need not be unique.)
func TestSearchAgainstReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		service := rapid.Float64Range(5e-6, 50e-6).Draw(t, "service")
		queue := rapid.IntRange(0, 200).Draw(t, "queue")
		trial := time.Duration(rapid.IntRange(1, 5).Draw(t, "trial10ms")) * 10 * time.Millisecond
		q := &queueSystem{service: service, queue: queue}
		cfg := Config{Goals: smallGoals(trial, 3*trial), MinLoad: 1000, MaxLoad: 4 / service}
		res, err := Run(context.Background(), q, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := newSearcher(q, cfg)
		for k, gr := range res.Goals {
			tg := s.sels[k].ts[len(s.sels[k].ts)-1]
			lo, hi := s.g.index(gr.Lower), s.g.index(gr.Upper)
			if !gr.Regular || hi-lo > tg.width {
				t.Fatalf("%s: irregular or too wide: [%d, %d] %+v", gr.Goal.Name, lo, hi, gr)
			}
			if l := q.lossAt(gr.Lower, trial); l > tg.lossRatio {
				t.Fatalf("%s: lower bound %v loses %v", gr.Goal.Name, gr.Lower, l)
			}
			if l := q.lossAt(gr.Upper, trial); l <= tg.lossRatio {
				t.Fatalf("%s: upper bound %v loses only %v", gr.Goal.Name, gr.Upper, l)
			}
			if tg.lossRatio == 0 {
				if ref, _ := slowNDR(q, s.g, tg); !(lo <= ref && ref < hi) {
					t.Fatalf("%s: search bounds [%d, %d], reference boundary %d", gr.Goal.Name, lo, hi, ref)
				}
			}
		}
	})
}
