package search

import (
	"math"
	"strings"
	"testing"
	"time"
)

// FuzzParseRatio: any text either parses to a ratio in [0, 1] or is an
// error that quotes it; what FormatRatio writes parses back to (nearly)
// the same ratio.
func FuzzParseRatio(f *testing.F) {
	for _, s := range []string{"0", "0.005", "0.5%", " 50 % ", "1", "100%", "1.5", "-0", "-1%", "nan", "inf", "0x1p-3", "1_0", "", "%", "5e-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseRatio(s)
		if err != nil {
			if !strings.Contains(err.Error(), "ratio") {
				t.Fatalf("%q: error %q does not say what is wrong", s, err)
			}
			return
		}
		if !(v >= 0 && v <= 1) {
			t.Fatalf("%q parsed to %v, outside [0, 1]", s, v)
		}
		back, err := ParseRatio(FormatRatio(v))
		if err != nil || math.Abs(back-v) > 1e-15 {
			t.Fatalf("%q → %v → %q → %v, %v", s, v, FormatRatio(v), back, err)
		}
	})
}

// FuzzParseRatioList: a list parses item by item; an error names the
// item's position.
func FuzzParseRatioList(f *testing.F) {
	for _, s := range []string{"0,0.005", "0,0.5%", "0", "0,,1", ",", "0, 1%, 2%", "a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vs, err := ParseRatioList(s)
		if err != nil {
			if strings.TrimSpace(s) != "" && !strings.Contains(err.Error(), "item ") {
				t.Fatalf("%q: error %q names no item", s, err)
			}
			return
		}
		if len(vs) != strings.Count(s, ",")+1 {
			t.Fatalf("%q gave %d ratios", s, len(vs))
		}
	})
}

// FuzzClassify: the classification never panics, agrees with the
// step-by-step reference, and more low-loss full-length time never turns a
// lower bound into anything else.
func FuzzClassify(f *testing.F) {
	f.Add(int64(59e9), int64(0), int64(0), int64(1e9), int64(120e9), 0.5)
	f.Add(int64(0), int64(60e9), int64(60e9), int64(60e9), int64(60e9), 0.2)
	f.Add(int64(11e9), int64(11e9), int64(0), int64(0), int64(21e9), 0.5)
	f.Fuzz(func(t *testing.T, fl, fh, sl, sh, sum int64, exceed float64) {
		clamp := func(x int64) time.Duration { return time.Duration(min(max(x, 0), int64(1e15))) }
		s := Sums{FullLow: clamp(fl), FullHigh: clamp(fh), ShortLow: clamp(sl), ShortHigh: clamp(sh)}
		d := max(clamp(sum), 1)
		if !(exceed >= 0 && exceed < 1) {
			return
		}
		c := Classify(s, d, exceed)
		trials := []trialRec{
			{intended: time.Second, effective: s.FullLow}, {intended: time.Second, effective: s.FullHigh, loss: 1},
			{intended: 0, effective: s.ShortLow}, {intended: 0, effective: s.ShortHigh, loss: 1},
		}
		if ref := slowClassify(trials, time.Second, d, 0, exceed); ref != c {
			t.Fatalf("%+v sum %v exceed %v: %v, reference %v", s, d, exceed, c, ref)
		}
		if c == LowerBound {
			s.FullLow += time.Second
			if c2 := Classify(s, d, exceed); c2 != LowerBound {
				t.Fatalf("%+v: one more good second made a lower bound %v", s, c2)
			}
		}
	})
}
