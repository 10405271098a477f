package compare_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// pair builds base and head documents of one unswept scenario with a
// throughput (higher is better) and a latency (lower is better) metric,
// reps repetitions each, relative noise `noise`, and head's values scaled
// by thrScale and latScale. Head uses another noise seed, as a second run
// on a real machine would.
func pair(reps int, noise, thrScale, latScale float64) (base, head *results.Document) {
	spec := func(noiseSeed uint64, ts, ls float64) resultstest.Spec {
		s := resultstest.Single("shift",
			resultstest.Metric{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter,
				Kind: results.KindMeasurement, Base: 1e6, Noise: noise, Scale: ts},
			resultstest.Metric{Name: "latency", Unit: "ns", Direction: results.LowerIsBetter,
				Kind: results.KindMeasurement, Base: 5000, Noise: noise, Scale: ls},
			resultstest.Metric{Name: "sessions", Unit: "sessions", Direction: results.NoDirection,
				Kind: results.KindCount, Base: 10000},
		)
		s.Repetitions = reps
		s.NoiseSeed = noiseSeed
		return s
	}
	return resultstest.Build(spec(1, 1, 1)), resultstest.Build(spec(2, thrScale, latScale))
}

func row(t *testing.T, r *compare.Report, metric string) compare.Row {
	t.Helper()
	for _, x := range r.Rows {
		if x.Metric == metric {
			return x
		}
	}
	t.Fatalf("no row for %s", metric)
	return compare.Row{}
}

// TestKnownShifts: 10 repetitions a side, 1% noise. A shift of 0% or 2%
// (below the 5% threshold) is "~"; 10% and 50% are better or worse by
// direction. 2% with 1% noise IS statistically significant, so the
// threshold, not a lack of power, makes it "~" — checked by lowering the
// threshold to 1%.
func TestKnownShifts(t *testing.T) {
	cases := []struct {
		shift     float64 // relative change of both metrics' values
		threshold float64
		thr, lat  compare.Verdict
		exit      int
	}{
		{0, 5, compare.Same, compare.Same, 0},
		{0.02, 5, compare.Same, compare.Same, 0},
		{0.02, 1, compare.Better, compare.Worse, 1},
		{0.10, 5, compare.Better, compare.Worse, 1},
		{-0.10, 5, compare.Worse, compare.Better, 1},
		{0.50, 5, compare.Better, compare.Worse, 1},
		{-0.50, 5, compare.Worse, compare.Better, 1},
	}
	for _, c := range cases {
		base, head := pair(10, 0.01, 1+c.shift, 1+c.shift)
		opt := compare.DefaultOptions()
		opt.Threshold = c.threshold
		r, err := compare.Compare(base, head, opt)
		if err != nil {
			t.Fatal(err)
		}
		thr, lat := row(t, r, "throughput"), row(t, r, "latency")
		if thr.Verdict != c.thr || lat.Verdict != c.lat || r.ExitCode() != c.exit {
			t.Errorf("shift %+.0f%% threshold %v%%: throughput %s (p=%.4f, %+.2f%%), latency %s (p=%.4f), exit %d; want %s, %s, exit %d",
				100*c.shift, c.threshold, thr.Verdict, thr.PAdj, thr.ChangePct, lat.Verdict, lat.PAdj, r.ExitCode(), c.thr, c.lat, c.exit)
		}
		if c.shift != 0 {
			want := 100 * c.shift
			if !thr.CI.Contains(want) && math.Abs(thr.ChangePct-want) > 1.5 {
				t.Errorf("shift %+.0f%%: change %.2f%% CI %+v far from the true shift", 100*c.shift, thr.ChangePct, thr.CI)
			}
		}
		// Counts are simulated and seeded alike: always equal.
		if s := row(t, r, "sessions"); s.Verdict != compare.Same || !math.IsNaN(s.P) {
			t.Errorf("sessions count: %+v, want an exact ~", s)
		}
	}
}

// TestNoisyShiftNotSignificant: a 10% shift drowned in 40% noise with 5
// repetitions is not confirmed: "~", exit 0 — the threshold alone does not
// make a verdict.
func TestNoisyShiftNotSignificant(t *testing.T) {
	base, head := pair(5, 0.40, 1.1, 1.1)
	r, err := compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if thr := row(t, r, "throughput"); thr.Verdict != compare.Same || !(thr.PAdj >= 0.05) {
		t.Errorf("noisy throughput: %s p=%v, want ~ and p ≥ 0.05", thr.Verdict, thr.PAdj)
	}
	if r.ExitCode() != 0 {
		t.Errorf("exit %d, want 0", r.ExitCode())
	}
}

func TestIdentical(t *testing.T) {
	d := resultstest.Build(resultstest.Default())
	r, err := compare.Compare(d, d, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range r.Rows {
		if x.Verdict != compare.Same {
			t.Errorf("%s at %s: %s, want ~", x.Metric, x.Label(), x.Verdict)
		}
		if x.Kind == results.KindMeasurement && (x.ChangePct != 0 || !(x.PAdj == 1)) {
			t.Errorf("%s at %s: change %v p %v, want 0 and 1", x.Metric, x.Label(), x.ChangePct, x.PAdj)
		}
	}
	if r.ExitCode() != 0 || len(r.Rows) != 12*5 {
		t.Errorf("exit %d with %d rows, want 0 and 60", r.ExitCode(), len(r.Rows))
	}
}

// TestNullSweepNoFalseAlarm: two runs of a 12-point sweep that differ only
// by noise never fail (the Holm correction holds the family-wise error).
func TestNullSweepNoFalseAlarm(t *testing.T) {
	s := resultstest.Default()
	s.Repetitions = 10
	base := resultstest.Build(s)
	s.NoiseSeed = 99
	head := resultstest.Build(s)
	r, err := compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r.ExitCode() != 0 || r.Count(compare.Same) != len(r.Rows) {
		t.Errorf("noise only: %s", r.Summary())
	}
	if r.Tests != 12*3 {
		t.Errorf("Holm spans %d tests, want 36 (3 measurements × 12 points)", r.Tests)
	}
}

func TestCountMismatch(t *testing.T) {
	base, head := pair(5, 0.01, 1, 1)
	head.Points[0].Repetitions[3].Metrics[2].Value++
	r, err := compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := row(t, r, "sessions")
	if s.Verdict != compare.Mismatch || !strings.Contains(s.Note, "1 of 5") || !strings.Contains(s.Note, "seed 10:") {
		t.Errorf("sessions: %s %q, want a mismatch naming seed 10", s.Verdict, s.Note)
	}
	if r.ExitCode() != 1 {
		t.Errorf("exit %d, want 1", r.ExitCode())
	}
	// In live mode a count is a noisy number like any other: tested, not
	// matched exactly.
	base.Scenario.Mode, head.Scenario.Mode = results.ModeLive, results.ModeLive
	r, err = compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if s := row(t, r, "sessions"); s.Verdict != compare.Same || math.IsNaN(s.P) {
		t.Errorf("live count: %s p=%v, want a tested ~", s.Verdict, s.P)
	}
}

func TestMismatchedDocuments(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(h *results.Document)
		want   string
	}{
		{"scenario", func(h *results.Document) { h.Scenario.Name = "other" }, `different scenarios: base ran "bucket-sweep", head ran "other"`},
		{"mode", func(h *results.Document) { h.Scenario.Mode = results.ModeLive }, "different modes"},
		{"seed", func(h *results.Document) { h.Scenario.Seed = 43 }, "different seeds"},
		{"schema", func(h *results.Document) { h.Schema = "sessionlab.results/v2" }, "schema"},
		{"axis name", func(h *results.Document) { h.Sweep.Axes[1].Name = "session.other" }, `axis 1 is "session.session-table-memory" in base, "session.other" in head`},
		{"axis values", func(h *results.Document) {
			h.Sweep.Axes[0].Values = append([]results.Value(nil), h.Sweep.Axes[0].Values...)
			h.Sweep.Axes[0].Values[3] = results.Num(131072)
		}, "[1024 4096 16384 65536] in base, [1024 4096 16384 131072] in head"},
		{"axes count", func(h *results.Document) { h.Sweep.Axes = h.Sweep.Axes[:1] }, "2 axes"},
		{"points", func(h *results.Document) { h.Points = h.Points[:11] }, "base has 12, head has 11"},
		{"unit", func(h *results.Document) {
			for i := range h.Points {
				for r := range h.Points[i].Repetitions {
					h.Points[i].Repetitions[r].Metrics[0].Unit = "cps"
				}
			}
		}, `metric "throughput" is (pps`},
		{"incomplete", func(h *results.Document) { h.Incomplete = true; h.FinishedPoints = []int{0} }, "interrupted"},
		{"search", func(h *results.Document) { h.Points[2].Search, h.Points[2].Repetitions = &results.Search{}, nil }, "head is an NDR/PDR search document (point 2)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := resultstest.Build(resultstest.Default())
			head := resultstest.Build(resultstest.Default())
			c.break_(head)
			_, err := compare.Compare(base, head, compare.DefaultOptions())
			var me *compare.MismatchError
			if !errors.As(err, &me) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want a MismatchError containing %q", err, c.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	base, head := pair(5, 0.01, 1, 1)
	opt := compare.DefaultOptions()
	opt.Metrics = []string{"latency", "nope"}
	if _, err := compare.Compare(base, head, opt); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown metric: err = %v", err)
	}
	opt.Metrics = []string{"latency"}
	r, err := compare.Compare(base, head, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || r.Rows[0].Metric != "latency" {
		t.Errorf("--metric latency: rows %v", r.Rows)
	}
	for _, bad := range []compare.Options{{Alpha: 1.5}, {Threshold: -1}, {Threshold: math.NaN()}} {
		if _, err := compare.Compare(base, head, bad); err == nil {
			t.Errorf("options %+v accepted", bad)
		}
	}
}

func TestTooFewRepetitionsWarning(t *testing.T) {
	s := resultstest.Default()
	s.Repetitions = 3
	d := resultstest.Build(s)
	r, err := compare.Compare(d, d, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "too few repetitions") {
		t.Errorf("warnings %q, want one about too few repetitions", r.Warnings)
	}
}

func TestMissingMetric(t *testing.T) {
	base, head := pair(5, 0.01, 1, 1)
	for i := range head.Points {
		for r := range head.Points[i].Repetitions {
			head.Points[i].Repetitions[r].Metrics = head.Points[i].Repetitions[r].Metrics[1:]
		}
	}
	r, err := compare.Compare(base, head, compare.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if x := row(t, r, "throughput"); x.Verdict != compare.Missing || r.ExitCode() != 0 {
		t.Errorf("throughput only in base: %s exit %d", x.Verdict, r.ExitCode())
	}
}

// goldenReport: a 12-point sweep where head is 10% slower in throughput at
// every point and one simulated count differs at one point.
func goldenReport(t *testing.T) *compare.Report {
	s := resultstest.Default()
	s.Repetitions = 8
	base := resultstest.Build(s)
	s.NoiseSeed = 5
	s.Metrics[0].Scale = 0.9
	head := resultstest.Build(s)
	head.Points[5].Repetitions[0].Metrics[3].Value += 7
	opt := compare.DefaultOptions()
	opt.BaseName, opt.HeadName = "base.json", "head.json"
	r, err := compare.Compare(base, head, opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFormats(t *testing.T) {
	r := goldenReport(t)
	if got := r.Summary(); got != "FAIL: 12 worse, 1 mismatch, 47 ~" {
		t.Errorf("summary %q", got)
	}
	var txt, mdb, js bytes.Buffer
	if err := r.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteMarkdown(&mdb); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report.txt", txt.Bytes(), *update)
	golden.Check(t, "testdata/report.md", mdb.Bytes(), *update)
	golden.Check(t, "testdata/report.json", js.Bytes(), *update)

	// The JSON contract: parse it as a consumer would.
	var out struct {
		Schema   string         `json:"schema"`
		Result   string         `json:"result"`
		ExitCode int            `json:"exit_code"`
		Counts   map[string]int `json:"counts"`
		Rows     []struct {
			Metric    string      `json:"metric"`
			Verdict   string      `json:"verdict"`
			ChangePct *float64    `json:"change_pct"`
			CIPct     *[2]float64 `json:"ci_pct"`
			PAdj      *float64    `json:"p_adj"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Schema != compare.JSONSchema || out.Result != "fail" || out.ExitCode != 1 || out.Counts["worse"] != 12 || len(out.Rows) != 60 {
		t.Errorf("JSON: schema %q result %q exit %d counts %v rows %d", out.Schema, out.Result, out.ExitCode, out.Counts, len(out.Rows))
	}
	for _, x := range out.Rows {
		if x.Metric == "throughput" && (x.Verdict != "worse" || x.ChangePct == nil || x.CIPct == nil || x.PAdj == nil || *x.ChangePct > -5) {
			t.Errorf("throughput row %+v", x)
		}
		if x.Metric == "splits" && (x.PAdj != nil || x.CIPct != nil) {
			t.Errorf("exact count row has statistics: %+v", x)
		}
	}
	// Markdown must not let a metric name break the table.
	r.Rows[0].Metric = "a|b"
	mdb.Reset()
	_ = r.WriteMarkdown(&mdb)
	if !strings.Contains(mdb.String(), `a\|b`) {
		t.Errorf("markdown does not escape |")
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{0, "0"}, {12, "12"}, {9999, "9999"}, {12345, "12.35k"}, {1.5e6, "1.500M"}, {2.25e9, "2.250G"},
		{0.125, "0.125"}, {3.14159, "3.142"}, {-12345, "-12.35k"}, {math.NaN(), "—"}} {
		if got := compare.FormatValue(c.v); got != c.want {
			t.Errorf("FormatValue(%v) = %q, want %q", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		v    float64
		want string
	}{{10, "+10.0%"}, {-2.345, "-2.3%"}, {0, "0.0%"}, {math.Inf(1), "+∞%"}} {
		if got := compare.FormatChange(c.v); got != c.want {
			t.Errorf("FormatChange(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// Two configurations compared on purpose (compare --run A.yaml B.yaml):
// differing simulated counts are judged by direction and threshold, and the
// scenario names may differ; between two runs of one configuration the same
// difference is a mismatch.
func TestConfigurationsJudgeCounts(t *testing.T) {
	spec := func(name string, dropScale, splitScale float64) *results.Document {
		return resultstest.Build(resultstest.Single(name,
			resultstest.Metric{Name: "drops", Unit: "packets", Direction: results.LowerIsBetter,
				Kind: results.KindCount, Base: 1000, Scale: dropScale},
			resultstest.Metric{Name: "splits", Unit: "splits", Direction: results.NoDirection,
				Kind: results.KindCount, Base: 1000, Scale: splitScale},
			resultstest.Metric{Name: "sessions", Unit: "sessions", Direction: results.HigherIsBetter,
				Kind: results.KindCount, Base: 1000},
		))
	}
	base, head := spec("a", 1, 1), spec("b", 1.5, 0.5)
	opt := compare.DefaultOptions()
	if _, err := compare.Compare(base, head, opt); err == nil {
		t.Fatal("different scenario names compared without Configurations")
	}
	head.Scenario.Name = "a"
	r, err := compare.Compare(base, head, opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Count(compare.Mismatch) != 2 || r.ExitCode() != 1 {
		t.Errorf("same configuration: %d mismatches (exit %d), want 2 (drops, splits)", r.Count(compare.Mismatch), r.ExitCode())
	}
	head.Scenario.Name = "b"
	opt.Configurations = true
	r, err = compare.Compare(base, head, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]compare.Verdict{"drops": compare.Worse, "splits": compare.Changed, "sessions": compare.Same}
	for _, row := range r.Rows {
		if row.Verdict != want[row.Metric] {
			t.Errorf("%s: verdict %s (change %.1f%%), want %s", row.Metric, row.Verdict, row.ChangePct, want[row.Metric])
		}
	}
	if r.ExitCode() != 1 {
		t.Errorf("more drops in B: exit %d, want 1", r.ExitCode())
	}
}
