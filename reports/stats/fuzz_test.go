package stats

import (
	"math"
	"testing"
)

// samplesFrom turns fuzz bytes into two small samples of few distinct
// values (many ties), split at sep.
func samplesFrom(b []byte, sep uint8) (x, y []float64) {
	for i, c := range b {
		v := float64(c % 7)
		if i%2 == 0 && len(x) < 8 || len(y) >= 8 {
			x = append(x, v)
		} else {
			y = append(y, v+float64(sep%3))
		}
		if len(x) >= 8 && len(y) >= 8 {
			break
		}
	}
	return x, y
}

// FuzzMannWhitneyU checks the exact test against enumeration on arbitrary
// small samples with ties, and that p is always a probability.
func FuzzMannWhitneyU(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(1))
	f.Add([]byte{9, 1, 9, 1, 9, 1, 9, 1, 9}, uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, sep uint8) {
		x, y := samplesFrom(b, sep)
		r := MannWhitneyU(x, y)
		if len(x) == 0 || len(y) == 0 {
			if !math.IsNaN(r.P) {
				t.Fatalf("empty sample: p = %v", r.P)
			}
			return
		}
		if !(r.P > 0 && r.P <= 1) {
			t.Fatalf("x=%v y=%v: p = %v outside (0, 1]", x, y, r.P)
		}
		u, p := slowMWU(x, y)
		if r.U != u || math.Abs(r.P-p) > 1e-12 {
			t.Fatalf("x=%v y=%v: got U=%v p=%v, enumeration U=%v p=%v", x, y, r.U, r.P, u, p)
		}
	})
}

// FuzzPercentChangeCI: the interval is ordered and equals the textbook
// bootstrap's on arbitrary samples with ties and zero medians.
func FuzzPercentChangeCI(f *testing.F) {
	f.Add([]byte{10, 20, 30, 40, 50}, uint8(3))
	f.Add([]byte{0, 0, 1}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, sep uint8) {
		x, y := samplesFrom(b, sep)
		if len(x) == 0 || len(y) == 0 {
			return
		}
		cfg := Bootstrap{Resamples: 2000, Confidence: 0.9, Seed: uint64(sep)}
		ci, err := PercentChangeCI(x, y, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if ci.Lo > ci.Hi {
			t.Fatalf("x=%v y=%v: interval %+v reversed", x, y, ci)
		}
		if want := slowPercentChangeCI(x, y, cfg); ci != want && !(math.IsNaN(ci.Lo) && math.IsNaN(want.Lo)) {
			t.Fatalf("x=%v y=%v: %+v, reference %+v", x, y, ci, want)
		}
	})
}
