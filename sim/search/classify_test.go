package search

import (
	"math"
	"testing"
	"time"
)

// draftGoal is one of the four goals of draft-ietf-bmwg-mlrsearch's example
// search (appendix "Example Search").
type draftGoal struct {
	name              string
	final, sum        time.Duration
	loss, exceed      float64
	wantCT            float64 // conditional throughput at the end, -1: not a lower bound
	wantClassAtPoints [6]Class
	// optimistic and pessimistic exceed ratios in percent at each point,
	// as the draft's tables print them (three decimals).
	opt, pess [6]float64
}

var (
	s1  = time.Second
	s60 = time.Minute
)

var draftGoals = []draftGoal{
	{"RFC2544", s60, s60, 0, 0, -1,
		[6]Class{Undecided, UpperBound, UpperBound, UpperBound, UpperBound, UpperBound},
		[6]float64{0, 1.667, 100, 100, 100, 66.667}, [6]float64{100, 100, 100, 100, 100, 66.667}},
	{"TST009", s60, 2 * s60, 0, 0.5, 1e6,
		[6]Class{Undecided, Undecided, Undecided, Undecided, Undecided, LowerBound},
		[6]float64{0, 0, 0.833, 0, 50, 50}, [6]float64{100, 100, 100, 100, 100, 50}},
	{"1s final", s1, 2 * s60, 0.005, 0.5, 1e6,
		[6]Class{Undecided, Undecided, Undecided, LowerBound, LowerBound, LowerBound},
		[6]float64{0, 0.833, 50, 50, 33.333, 25}, [6]float64{50.833, 50.833, 50.833, 50, 33.333, 25}},
	// The draft's tables call this load a Lower Bound at points 5 and 6,
	// but the exceed ratios they print there (42.857% and 27.273%) are
	// above the goal's 20%, and its own pseudocode (appendix A, and CSIT's
	// TargetStat.estimates) then says Upper Bound: the table row is an
	// erratum, the code is what sessionlab follows. The ratios are checked
	// as printed.
	{"20% exceed", s60, s60, 0.005, 0.2, 999e3,
		[6]Class{Undecided, Undecided, UpperBound, UpperBound, UpperBound, UpperBound},
		[6]float64{0, 0, 75.417, 75, 42.857, 27.273}, [6]float64{100, 100, 100, 100, 42.857, 27.273}},
}

// draftPoints are the trials added at each of the draft's six points in
// time: count × (duration, loss ratio).
var draftPoints = [6][]struct {
	n    int
	d    time.Duration
	loss float64
}{
	{{59, s1, 0}},     // first short good
	{{1, s1, 0.01}},   // first short bad
	{{59, s1, 0.01}},  // last short bad
	{{1, s1, 0}},      // last short good
	{{1, s60, 0.001}}, // first long bad
	{{1, s60, 0}},     // first long good
}

// TestClassifyDraftExample replays the draft's example search: at each of
// its six points in time, every goal's classification and its optimistic
// and pessimistic exceed ratios must be those of the draft's tables
// (trials of 1 s and 60 s mixed, so this covers the exceed ratio over
// mixed trial durations).
func TestClassifyDraftExample(t *testing.T) {
	var trials []trialRec
	for p, add := range draftPoints {
		for _, a := range add {
			for range a.n {
				trials = append(trials, trialRec{intended: a.d, effective: a.d, loss: a.loss})
			}
		}
		for _, g := range draftGoals {
			tg := target{lossRatio: g.loss, exceedRatio: g.exceed, trial: g.final, sum: g.sum}
			ls := loadStat{trials: trials}
			s := ls.sums(&tg)
			if got := Classify(s, g.sum, g.exceed); got != g.wantClassAtPoints[p] {
				t.Errorf("point %d, goal %s: %v, the draft says %v (sums %+v)", p+1, g.name, got, g.wantClassAtPoints[p], s)
			}
			opt, pess := ExceedEstimates(s, g.sum, g.exceed)
			if math.Abs(opt*100-g.opt[p]) > 0.0006 || math.Abs(pess*100-g.pess[p]) > 0.0006 {
				t.Errorf("point %d, goal %s: exceed ratios %.3f%% and %.3f%%, the draft says %.3f%% and %.3f%%",
					p+1, g.name, opt*100, pess*100, g.opt[p], g.pess[p])
			}
		}
	}
	// Conditional throughput at the end (load 1 Mfps).
	for _, g := range draftGoals {
		if g.wantCT < 0 {
			continue
		}
		var full []LossTime
		for _, r := range trials {
			if r.intended >= g.final {
				full = append(full, LossTime{LossRatio: r.loss, Effective: r.effective})
			}
		}
		if got := ConditionalThroughput(1e6, full, g.sum, g.exceed); math.Abs(got-g.wantCT) > 1e-6 {
			t.Errorf("goal %s: conditional throughput %v, the draft says %v", g.name, got, g.wantCT)
		}
	}
}

// TestClassifyMixedDurations works examples of short and long trials at
// one load by hand, for a goal with 1 s final trials, a 21 s duration sum
// and exceed ratio 0.5 (CSIT's NDR).
func TestClassifyMixedDurations(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		s    Sums
		want Class
	}{
		// Nothing yet: 21 s missing, could go either way.
		{"empty", Sums{}, Undecided},
		// 10 s good, 11 s missing: pessimistically 11 s high of 21 s > 10.5 s.
		{"10 good", Sums{FullLow: 10 * s1}, Undecided},
		// 11 s good: at most 10 s can be high of 21 s ≤ 10.5 s: lower bound.
		{"11 good", Sums{FullLow: 11 * s1}, LowerBound},
		// 11 s bad: high 11 s > 10.5 s whatever follows: upper bound.
		{"11 bad", Sums{FullHigh: 11 * s1}, UpperBound},
		// 10.5 s bad exactly is not more than half: still undecided.
		{"10.5 bad", Sums{FullHigh: 10*s1 + 500*ms}, Undecided},
		// Short trials never make a lower bound: 30 s of good 100 ms
		// trials leave the whole 21 s of full-length time missing.
		{"short good", Sums{ShortLow: 30 * s1}, Undecided},
		// 20 s of short bad minus 5 s short good (balancing 5 s × 1) is
		// 15 s effective high-loss: more than 10.5 s, upper bound.
		{"short bad", Sums{ShortHigh: 20 * s1, ShortLow: 5 * s1}, UpperBound},
		// 10 s short bad, 10 s short good: balanced to 0 excess.
		{"short balanced", Sums{ShortHigh: 10 * s1, ShortLow: 10 * s1}, Undecided},
		// 6 s short bad excess + 5 s full bad = 11 s: upper bound.
		{"short plus full bad", Sums{ShortHigh: 8 * s1, ShortLow: 2 * s1, FullHigh: 5 * s1}, UpperBound},
		// 11 s full good and 10 s full bad: 21 s, 10 s high ≤ 10.5: lower.
		{"11 good 10 bad", Sums{FullLow: 11 * s1, FullHigh: 10 * s1}, LowerBound},
		// 11 s good, 11 s bad: whole 22 s, 11 s high ≤ 11 s: lower bound
		// (the draft's "not larger than").
		{"11 good 11 bad", Sums{FullLow: 11 * s1, FullHigh: 11 * s1}, LowerBound},
		// 11 s good, 12 s bad: 12 of 23 s > 11.5: upper bound.
		{"11 good 12 bad", Sums{FullLow: 11 * s1, FullHigh: 12 * s1}, UpperBound},
	} {
		if got := Classify(tc.s, 21*s1, 0.5); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Exceed ratio 0 (RFC 2544): one lossy trial, even a short one, is an
	// upper bound; the full duration sum lossless is a lower bound.
	if got := Classify(Sums{ShortHigh: 100 * ms, FullLow: 20 * s1}, 21*s1, 0); got != UpperBound {
		t.Errorf("RFC 2544, one short lossy trial: %v", got)
	}
	if got := Classify(Sums{FullLow: 21 * s1}, 21*s1, 0); got != LowerBound {
		t.Errorf("RFC 2544, 21 s lossless: %v", got)
	}
	if got := Classify(Sums{FullLow: 20 * s1}, 21*s1, 0); got != Undecided {
		t.Errorf("RFC 2544, 20 s lossless: %v", got)
	}
}

func TestSumsAdd(t *testing.T) {
	var s Sums
	s.Add(s1, s1+time.Millisecond, s1, true) // full-length (intended), effective counted
	s.Add(s1, s1, s1, false)                 // full-length low
	s.Add(s1/2, s1/2, s1, true)              // short high
	s.Add(s1/2, 3*s1/4, s1, false)           // short low, effective counted
	s.Add(2*s1, 2*s1, s1, false)             // long counts as full-length
	want := Sums{FullHigh: s1 + time.Millisecond, FullLow: 3 * s1, ShortHigh: s1 / 2, ShortLow: 3 * s1 / 4}
	if s != want {
		t.Errorf("%+v, want %+v", s, want)
	}
}

func TestConditionalThroughputEdges(t *testing.T) {
	// No full-length trial: all missing time counts as loss.
	if got := ConditionalThroughput(100, nil, s1, 0.5); got != 0 {
		t.Errorf("no trials: %v", got)
	}
	// Half the duration sum measured at 1% loss with exceed 0.5: the
	// quantile (0.5 × 2 s = 1 s) is just covered by the 1 s trial.
	if got := ConditionalThroughput(100, []LossTime{{0.01, s1}}, 2*s1, 0.5); math.Abs(got-99) > 1e-9 {
		t.Errorf("one trial covering the quantile: %v", got)
	}
	// Less than the quantile: 0.
	if got := ConditionalThroughput(100, []LossTime{{0, s1}}, 3*s1, 0.5); got != 0 {
		t.Errorf("quantile not covered: %v", got)
	}
	// Order does not matter: the lossless trials come first.
	ts := []LossTime{{0.5, s1}, {0, s1}, {0.02, s1}}
	if got := ConditionalThroughput(100, ts, 3*s1, 0.5); math.Abs(got-98) > 1e-9 {
		t.Errorf("sorted quantile: %v, want 98", got)
	}
}
