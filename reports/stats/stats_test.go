package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Reference values. "scipy" is the example in the documentation of
// scipy.stats.mannwhitneyu (males vs females, method="exact": U = 17,
// p = 0.1111111111111111; method="asymptotic": p = 0.11134688653314041).
// The others were computed independently in Python (fractions.Fraction and
// itertools.combinations enumerating every split for the exact p; the
// textbook tie-corrected normal formula with math.erfc for the asymptotic
// one) — see the comment on each.
var mwuCases = []struct {
	name        string
	x, y        []float64
	u           float64
	exact, asym float64
}{
	{"scipy", []float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12}, 17, 0.1111111111111111, 0.11134688653314041},
	// Python: exact by enumeration of C(10,5) splits with midranks.
	{"ties", []float64{1, 2, 2, 3, 4}, []float64{2, 3, 5, 6, 6}, 4.5, 0.11904761904761904, 0.11049202405566808},
	{"ties2", []float64{3, 3, 3, 5, 5, 7}, []float64{3, 5, 7, 7, 7, 9, 9}, 8, 0.09207459207459208, 0.06425763970681277},
	{"all tied", []float64{1, 1, 1}, []float64{1, 1}, 3, 1, 1},
}

func TestMannWhitneyUExact(t *testing.T) {
	for _, c := range mwuCases {
		r := MannWhitneyU(c.x, c.y)
		if !r.Exact || r.U != c.u || !near(r.P, c.exact, 1e-12) {
			t.Errorf("%s: got %+v, want U=%v exact p=%v", c.name, r, c.u, c.exact)
		}
		// Swapping the samples gives U2 = n1·n2 − U1 and the same p.
		s := MannWhitneyU(c.y, c.x)
		if s.U != float64(len(c.x)*len(c.y))-c.u || !near(s.P, r.P, 1e-12) {
			t.Errorf("%s swapped: got %+v, want U=%v p=%v", c.name, s, float64(len(c.x)*len(c.y))-c.u, r.P)
		}
	}
}

func TestMannWhitneyUNormal(t *testing.T) {
	for _, c := range mwuCases {
		_, ties := doubledRanks(c.x, c.y)
		if p := normalP(c.u, len(c.x), len(c.y), ties); !near(p, c.asym, 1e-12) {
			t.Errorf("%s: asymptotic p = %v, want %v", c.name, p, c.asym)
		}
	}
	// Above ExactLimit the public function switches to the approximation.
	// Python reference (tie-corrected normal with continuity correction):
	// U = 258.5, p = 0.7328117239855578.
	x := []float64{19, 8, 23, 11, 25, 22, 30, 26, 23, 20, 29, 16, 0, 26, 14, 24, 30, 7, 20, 1, 28, 5, 3, 11, 15}
	y := []float64{32, 12, 17, 22, 8, 23, 12, 5, 28, 11, 18, 13, 10, 34, 32, 29, 17, 10, 29, 30, 7, 9}
	r := MannWhitneyU(x, y)
	if r.Exact || r.U != 258.5 || !near(r.P, 0.7328117239855578, 1e-12) {
		t.Errorf("large: got %+v, want U=258.5 p=0.7328117239855578 (normal)", r)
	}
}

func TestMannWhitneyUEdges(t *testing.T) {
	if r := MannWhitneyU(nil, []float64{1}); !math.IsNaN(r.P) {
		t.Errorf("empty sample: p = %v, want NaN", r.P)
	}
	// Complete separation of 5 vs 5: p = 2/C(10,5) = 2/252.
	r := MannWhitneyU([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10})
	if !near(r.P, 2.0/252, 1e-15) || r.U != 0 {
		t.Errorf("separated 5 vs 5: %+v, want U=0 p=%v", r, 2.0/252)
	}
	if got := MinExactP(5, 5); !near(got, 2.0/252, 1e-12) {
		t.Errorf("MinExactP(5,5) = %v, want %v", got, 2.0/252)
	}
}

// TestMannWhitneyUAgainstEnumeration checks the dynamic program against the
// brute-force reference on random small samples with many ties.
func TestMannWhitneyUAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 200; trial++ {
		n1, n2 := 1+rng.IntN(7), 1+rng.IntN(7)
		levels := 1 + rng.IntN(6)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
		}
		for i := range y {
			y[i] = float64(rng.IntN(levels) + rng.IntN(2))
		}
		got := MannWhitneyU(x, y)
		u, p := slowMWU(x, y)
		if got.U != u || !near(got.P, p, 1e-12) {
			t.Fatalf("x=%v y=%v: got %+v, enumeration U=%v p=%v", x, y, got, u, p)
		}
	}
}

func TestHolm(t *testing.T) {
	// R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") = 0.03 0.06 0.06 0.02
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if !near(got[i], want[i], 1e-15) {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	// NaNs are not tests; capped at 1.
	got = Holm([]float64{0.5, math.NaN(), 0.4})
	// m = 2: 0.4·2 = 0.8; 0.5·1 = 0.5, raised to the running maximum 0.8.
	if got[0] != 0.8 || !math.IsNaN(got[1]) || got[2] != 0.8 {
		t.Errorf("Holm with NaN = %v, want [0.8 NaN 0.8]", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 100; trial++ {
		ps := make([]float64, 1+rng.IntN(12))
		for i := range ps {
			ps[i] = rng.Float64() * rng.Float64()
		}
		got, want := Holm(ps), slowHolm(ps)
		for i := range ps {
			if !near(got[i], want[i], 1e-15) {
				t.Fatalf("Holm(%v) = %v, reference %v", ps, got, want)
			}
		}
	}
}

func TestMedianAndChange(t *testing.T) {
	if m := Median([]float64{5, 1, 3}); m != 3 {
		t.Errorf("Median odd = %v", m)
	}
	xs := []float64{4, 1, 3, 2}
	if m := Median(xs); m != 2.5 {
		t.Errorf("Median even = %v", m)
	}
	if xs[0] != 4 {
		t.Errorf("Median modified its input: %v", xs)
	}
	if !math.IsNaN(Median(nil)) {
		t.Errorf("Median(nil) is not NaN")
	}
	for _, c := range []struct{ b, h, want float64 }{
		{100, 110, 10}, {100, 90, -10}, {-100, -90, 10}, {0, 0, 0}, {0, 1, math.Inf(1)}, {0, -1, math.Inf(-1)}, {math.Copysign(0, -1), 1, math.Inf(1)}, {math.Copysign(0, -1), 0, 0},
	} {
		if got := PercentChange(c.b, c.h); got != c.want {
			t.Errorf("PercentChange(%v, %v) = %v, want %v", c.b, c.h, got, c.want)
		}
	}
}

// TestBootstrapAgainstReference: the counting resampler gives bit-identical
// intervals to the textbook bootstrap (copy, montanaflynn Median) fed the
// same random draws.
func TestBootstrapAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	cfg := Bootstrap{Resamples: 2000, Confidence: 0.9, Seed: 77}
	for _, n := range [][2]int{{1, 1}, {2, 3}, {5, 5}, {10, 7}, {30, 30}} {
		base, head := make([]float64, n[0]), make([]float64, n[1])
		for i := range base {
			base[i] = 100 + float64(rng.IntN(20)) // ties on purpose
		}
		for i := range head {
			head[i] = 105 + 10*rng.NormFloat64()
		}
		got, err := PercentChangeCI(base, head, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if want := slowPercentChangeCI(base, head, cfg); got != want {
			t.Errorf("n=%v: PercentChangeCI = %+v, reference %+v", n, got, want)
		}
		gm, _ := MedianCI(head, cfg)
		if want := slowMedianCI(head, cfg); gm != want {
			t.Errorf("n=%v: MedianCI = %+v, reference %+v", n, gm, want)
		}
	}
}

// TestBootstrapCoverage: over 200 samples with a known +10% shift of the
// median and 2% noise, the 95% interval contains the true change in close
// to 95% of cases (the percentile bootstrap of a median under-covers a
// little at n = 15; far below 85% would be a broken interval) and 0 in
// almost none; with no shift it contains 0 as often. A fixed seed gives the
// same interval twice.
func TestBootstrapCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sample := func(n int, mu float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = mu * (1 + 0.02*rng.NormFloat64())
		}
		return xs
	}
	const trials = 200
	cfg := Bootstrap{Resamples: 2000, Confidence: 0.95, Seed: 1}
	var cover10, cover0Shifted, cover0 int
	for i := 0; i < trials; i++ {
		cfg.Seed = uint64(i)
		ci, err := PercentChangeCI(sample(15, 1000), sample(15, 1100), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if ci.Contains(10) {
			cover10++
		}
		if ci.Contains(0) {
			cover0Shifted++
		}
		if ci0, _ := PercentChangeCI(sample(15, 1000), sample(15, 1000), cfg); ci0.Contains(0) {
			cover0++
		}
	}
	if f := float64(cover10) / trials; f < 0.85 {
		t.Errorf("+10%% shift: true change covered in %.0f%% of trials, want about 95%%", 100*f)
	}
	if cover0Shifted > 0 {
		t.Errorf("+10%% shift: 0 inside the interval in %d of %d trials", cover0Shifted, trials)
	}
	if f := float64(cover0) / trials; f < 0.85 {
		t.Errorf("no shift: 0 covered in %.0f%% of trials, want about 95%%", 100*f)
	}
	t.Logf("coverage: shifted %d/%d, null %d/%d", cover10, trials, cover0, trials)
	base := sample(15, 1000)
	a1, _ := PercentChangeCI(base, base, DefaultBootstrap)
	a2, _ := PercentChangeCI(base, base, DefaultBootstrap)
	if a1 != a2 {
		t.Errorf("same seed, different intervals: %+v %+v", a1, a2)
	}
}

func TestBootstrapErrors(t *testing.T) {
	if _, err := PercentChangeCI([]float64{1}, []float64{1}, Bootstrap{Resamples: 1999, Confidence: 0.95}); err == nil {
		t.Error("1999 resamples accepted")
	}
	if _, err := PercentChangeCI([]float64{1}, []float64{1}, Bootstrap{Resamples: 2000, Confidence: 1}); err == nil {
		t.Error("confidence 1 accepted")
	}
	if _, err := PercentChangeCI(nil, []float64{1}, DefaultBootstrap); err == nil {
		t.Error("empty base accepted")
	}
	if _, err := MedianCI(nil, DefaultBootstrap); err == nil {
		t.Error("empty sample accepted")
	}
}

// TestBootstrapAllocs: the resampling loop allocates nothing — the number
// of allocations does not grow with the number of resamples.
func TestBootstrapAllocs(t *testing.T) {
	base := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	head := []float64{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	allocs := func(b int) float64 {
		cfg := Bootstrap{Resamples: b, Confidence: 0.95, Seed: 1}
		return testing.AllocsPerRun(5, func() { _, _ = PercentChangeCI(base, head, cfg) })
	}
	a, b := allocs(2000), allocs(8000)
	if a != b || a > 8 {
		t.Errorf("allocations: %v at 2000 resamples, %v at 8000 (want equal and small)", a, b)
	}
}
