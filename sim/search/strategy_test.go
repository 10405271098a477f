package search

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestGridWidthArithmetic(t *testing.T) {
	g, err := newGrid(1000, 4e6, 0.005)
	if err != nil {
		t.Fatal(err)
	}
	if g.load(0) != 1000 || g.load(g.top) != 4e6 || g.load(-5) != 1000 || g.load(g.top+5) != 4e6 {
		t.Errorf("limits: %v %v", g.load(0), g.load(g.top))
	}
	// The narrowest width is exactly finalSteps steps, and that many steps
	// are within the width but not by much.
	if n := g.steps(0.005); n != finalSteps {
		t.Errorf("0.5%% is %d steps, want %d", n, finalSteps)
	}
	if w := g.relWidth(finalSteps); !(w <= 0.005 && w > 0.005*(1-1e-4)) {
		t.Errorf("%d steps are a relative width of %v, want just below 0.5%%", finalSteps, w)
	}
	// A width of n steps between any two grid loads is relWidth(n).
	for _, i := range []int{0, 1, 1000, g.top - finalSteps} {
		lo, hi := g.load(i), g.load(i+finalSteps)
		if w := (hi - lo) / hi; math.Abs(w-g.relWidth(finalSteps)) > 1e-12 {
			t.Errorf("(load(%d+%d) − load(%d))/load(%d+%d) = %v, relWidth says %v", i, finalSteps, i, i, finalSteps, w, g.relWidth(finalSteps))
		}
	}
	// 1% is (a little over) twice 0.5% in log terms: 128 steps, rounded
	// down so the width never exceeds 1%.
	if n := g.steps(0.01); n != 128 || g.relWidth(n) > 0.01 {
		t.Errorf("1%% is %d steps (%v)", n, g.relWidth(n))
	}
	// index and floor invert load.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		i := rng.IntN(g.top + 1)
		if got := g.index(g.load(i)); got != i {
			t.Fatalf("index(load(%d)) = %d", i, got)
		}
		if got := g.floor(g.load(i)); got != i {
			t.Fatalf("floor(load(%d)) = %d", i, got)
		}
		if i > 0 && g.floor(g.load(i)*(1-1e-7)) != i-1 {
			t.Fatalf("floor just below load(%d) = %d", i, g.floor(g.load(i)*(1-1e-7)))
		}
	}
	if _, err := newGrid(1e-300, 1e300, 1e-12); err == nil {
		t.Error("an absurd range was accepted")
	}
}

func TestSplit(t *testing.T) {
	// Hand-worked: up to two goals split evenly; wider intervals leave an
	// upper part of goal·2^k, the k maximising upper·lower (ties: larger).
	cases := []struct{ lo, hi, goal, want int }{
		{0, 100, 64, 50},       // 100 ≤ 128: even
		{0, 128, 64, 64},       // exactly two goals
		{10, 75, 64, 42},       // 65: even, rounded down
		{0, 192, 64, 64},       // 64·128 = 128·64: the larger upper part, 128
		{0, 1000, 64, 488},     // 512·488 beats 256·744 and 128·872; 1024 > 1000
		{100, 356, 64, 228},    // 128·128 beats 64·192
		{0, 320, 64, 192},      // 128·192 beats 64·256 and 256·64
		{1000, 1300, 64, 1172}, // 128·172 beats 64·236 and 256·44
	}
	for _, tc := range cases {
		got := split(tc.lo, tc.hi, tc.goal)
		if got != tc.want {
			t.Errorf("split(%d, %d, goal %d) = %d, want %d", tc.lo, tc.hi, tc.goal, got, tc.want)
		}
		if !(got > tc.lo && got < tc.hi) {
			t.Errorf("split(%d, %d) = %d is not inside", tc.lo, tc.hi, got)
		}
	}
}

func TestTargets(t *testing.T) {
	g := Goal{Name: "NDR", ExceedRatio: 0.5, Width: 0.005, FinalTrial: time.Second, DurationSum: 21 * time.Second, Intermediate: -1}.withDefaults()
	ts := targets(0, g, 64)
	// Coarsest first: 0.1 s (the initial trial), then 21·(0.1/21)^(1/2)
	// = √2.1 s ≈ 1.449 s (to the millisecond) with 1 s trials, then the
	// final 21 s.
	want := []target{
		{phase: 2, exceedRatio: 0.5, width: 256, trial: 100 * time.Millisecond, sum: 100 * time.Millisecond},
		{phase: 1, exceedRatio: 0.5, width: 128, trial: time.Second, sum: 1449 * time.Millisecond},
		{phase: 0, exceedRatio: 0.5, width: 64, trial: time.Second, sum: 21 * time.Second},
	}
	if len(ts) != len(want) {
		t.Fatalf("%d targets", len(ts))
	}
	for i := range want {
		got := ts[i]
		if got != want[i] {
			t.Errorf("target %d: %+v, want %+v", i, ts[i], want[i])
		}
	}
}

// strat builds a selector on a final-phase target of 64 steps whose loads
// are decided by one 1 s trial, with a grid of 10000 steps.
func strat(lo, hi int) (*selector, *database, *target) {
	tg := target{lossRatio: 0, exceedRatio: 0.5, width: 64, trial: time.Second, sum: time.Second}
	sel := &selector{ts: []target{tg}, initLo: none, initHi: none, pend: none}
	sel.setHints(lo, hi, 2, 10000)
	return sel, &database{}, &sel.ts[0]
}

func pass(db *database, i int) { db.add(i, trialRec{time.Second, time.Second, 0}) }
func fail(db *database, i int) { db.add(i, trialRec{time.Second, time.Second, 0.1}) }

// TestStrategies walks one selector through hand-worked situations and
// checks each strategy's choice of the next load.
func TestStrategies(t *testing.T) {
	next := func(t *testing.T, sel *selector, db *database, wantKind Strategy, wantLoad int) {
		t.Helper()
		n, ok := sel.nominate(db, 10000, 2)
		if !ok || n.kind != wantKind || n.load != wantLoad {
			t.Fatalf("nominated %v %d (%v), want %v %d", n.kind, n.load, ok, wantKind, wantLoad)
		}
	}
	t.Run("halve", func(t *testing.T) {
		// Hints 100 steps apart (1 to 2 widths): measure the middle.
		sel, db, _ := strat(1000, 1100)
		next(t, sel, db, Halve, 1050)
		// The middle passed: the upper hint needs refining.
		pass(db, 1050)
		next(t, sel, db, RefineHi, 1100)
		// It failed: bounds 1050..1100 are within 64 steps: done.
		fail(db, 1100)
		if n, ok := sel.nominate(db, 10000, 2); ok {
			t.Fatalf("nominated %v %d after the goal was reached", n.kind, n.load)
		}
	})
	t.Run("refine then extend up", func(t *testing.T) {
		// Hints 300 steps apart: refine the lower, then the upper.
		sel, db, _ := strat(1000, 1300)
		if sel.ext != 600 {
			t.Fatalf("initial external step %d, want max(64, 300)·2 = 600", sel.ext)
		}
		next(t, sel, db, RefineLo, 1000)
		pass(db, 1000)
		next(t, sel, db, RefineHi, 1300)
		pass(db, 1300)
		// No upper bound: step up 600 from the lower bound.
		next(t, sel, db, ExtendHi, 1900)
		pass(db, 1900)
		// The step fell short: it doubles.
		next(t, sel, db, ExtendHi, 3100)
		fail(db, 3100)
		// Bounds 1900..3100 (1200 steps): the upper part of the split is
		// 512 steps (512·688 beats 256·944 and 1024·176).
		next(t, sel, db, Bisect, 2588)
		if sel.ext != 1024 {
			t.Errorf("external step after the bisection: %d, want max(min(688, 512), 64)·2 = 1024", sel.ext)
		}
		fail(db, 2588)
		// 1900..2588 (688): upper part 256 (256·432 beats 512·176).
		next(t, sel, db, Bisect, 2332)
	})
	t.Run("extend down", func(t *testing.T) {
		sel, db, _ := strat(5000, none)
		next(t, sel, db, RefineLo, 5000)
		fail(db, 5000)
		// Hints give no width: the step is the goal width times 2.
		next(t, sel, db, ExtendLo, 5000-128)
		fail(db, 5000-128)
		next(t, sel, db, ExtendLo, 5000-128-256)
		pass(db, 5000-128-256)
		// 4616..4872: 256 steps (four goals): upper part 128 → 4744.
		next(t, sel, db, Bisect, 4744)
	})
	t.Run("keep going until classified", func(t *testing.T) {
		sel, db, tg := strat(1000, 1300)
		tg.sum = 3 * time.Second // a pass needs 2 trials, a fail 2
		next(t, sel, db, RefineLo, 1000)
		pass(db, 1000)
		next(t, sel, db, RefineLo, 1000)
		pass(db, 1000)
		next(t, sel, db, RefineHi, 1300)
	})
	t.Run("limits", func(t *testing.T) {
		// Max load passes: done with no upper bound.
		sel, db, _ := strat(9000, 10000)
		pass(db, 9000)
		pass(db, 10000)
		if n, ok := sel.nominate(db, 10000, 2); ok {
			t.Fatalf("nominated %v %d above a max load that passed", n.kind, n.load)
		}
		// Min load fails: done with no lower bound.
		sel, db, _ = strat(0, 100)
		fail(db, 0)
		if n, ok := sel.nominate(db, 10000, 2); ok {
			t.Fatalf("nominated %v %d below a min load that failed", n.kind, n.load)
		}
		// External search clamps to the limits.
		sel, db, _ = strat(9900, none)
		pass(db, 9900)
		next(t, sel, db, ExtendHi, 10000)
	})
	t.Run("bootstrap", func(t *testing.T) {
		sel, db, _ := strat(none, none)
		next(t, sel, db, Bootstrap, 10000)
	})
	t.Run("phases", func(t *testing.T) {
		// A coarse phase decided by one 100 ms trial, then the final one
		// (two passing 1 s trials decide): the coarse bounds become the
		// final phase's hints, 128 steps apart → halve.
		coarse := target{exceedRatio: 0.5, width: 128, trial: 100 * time.Millisecond, sum: 100 * time.Millisecond, phase: 1}
		final := target{exceedRatio: 0.5, width: 64, trial: time.Second, sum: 3 * time.Second}
		sel := &selector{ts: []target{coarse, final}, pend: none}
		sel.setHints(1000, 1128, 2, 10000)
		db := &database{}
		db.add(1000, trialRec{100 * time.Millisecond, 100 * time.Millisecond, 0})
		db.add(1128, trialRec{100 * time.Millisecond, 100 * time.Millisecond, 0.2})
		n, ok := sel.nominate(db, 10000, 2)
		if !ok || sel.cur != 1 || n.kind != Halve || n.load != 1064 || n.dur != time.Second {
			t.Fatalf("nominated %+v in phase %d, want a 1 s halving at 1064 in the final phase", n, sel.cur)
		}
	})
}

func TestNominationOrder(t *testing.T) {
	a := nomination{load: 10, dur: time.Second, sel: 1}
	for _, tc := range []struct {
		b    nomination
		want bool // a before b
	}{
		{nomination{load: 11, dur: time.Second}, true},
		{nomination{load: 9, dur: time.Second}, false},
		{nomination{load: 10, dur: 2 * time.Second}, false},
		{nomination{load: 10, dur: time.Second / 2}, true},
		{nomination{load: 10, dur: time.Second, sel: 0}, false},
		{nomination{load: 10, dur: time.Second, sel: 2}, true},
	} {
		if got := a.before(tc.b); got != tc.want {
			t.Errorf("%+v before %+v = %v", a, tc.b, got)
		}
	}
}
