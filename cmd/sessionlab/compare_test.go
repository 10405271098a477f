package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/results/resultstest"
)

// runReports runs `sessionlab args...` and returns stdout and the exit
// code main would use. Flags are reset afterwards: cobra keeps flag values
// between Execute calls on the same command tree.
func runReports(t *testing.T, args ...string) (string, int, error) {
	t.Helper()
	defer func() {
		for _, c := range rootCmd.Commands() {
			if c.Name() == "compare" || c.Name() == "report" {
				resetFlags(c)
			}
		}
	}()
	var out bytes.Buffer
	code, err := execute(rootCmd, nil, nil, &out, &out, args...)
	return out.String(), code, err
}

// shifted writes base.json and head.json for a one-point scenario whose
// head throughput is scaled by scale, and returns their paths.
func shifted(t *testing.T, scale float64) (string, string) {
	t.Helper()
	spec := func(noise uint64, s float64) resultstest.Spec {
		sp := resultstest.Single("cli",
			resultstest.Metric{Name: "throughput", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Base: 1e6, Noise: 0.01, Scale: s},
			resultstest.Metric{Name: "sessions", Unit: "sessions", Direction: results.NoDirection, Kind: results.KindCount, Base: 500},
		)
		sp.NoiseSeed = noise
		return sp
	}
	dir := t.TempDir()
	b, h := filepath.Join(dir, "base.json"), filepath.Join(dir, "head.json")
	if err := results.Save(b, resultstest.Build(spec(1, 1))); err != nil {
		t.Fatal(err)
	}
	if err := results.Save(h, resultstest.Build(spec(2, scale))); err != nil {
		t.Fatal(err)
	}
	return b, h
}

func TestCompareCommand(t *testing.T) {
	b, h := shifted(t, 1)
	out, code, err := runReports(t, "compare", b, b)
	if code != 0 || err != nil || !strings.Contains(out, "PASS: 2 ~") {
		t.Errorf("identical: exit %d, %v\n%s", code, err, out)
	}
	out, code, _ = runReports(t, "compare", b, h)
	if code != 0 || !strings.Contains(out, "PASS") {
		t.Errorf("noise only: exit %d\n%s", code, out)
	}

	b, h = shifted(t, 0.5)
	out, code, _ = runReports(t, "compare", b, h)
	if code != 1 || !strings.Contains(out, "FAIL: 1 worse") || !strings.Contains(out, "-50.") {
		t.Errorf("50%% regression: exit %d, want 1\n%s", code, out)
	}
	// The same regression is invisible with a 60% threshold.
	if _, code, _ = runReports(t, "compare", "--threshold", "60%", b, h); code != 0 {
		t.Errorf("--threshold 60%%: exit %d, want 0", code)
	}
	// ...and ignored when only the count is compared.
	if _, code, _ = runReports(t, "compare", "--metric", "sessions", b, h); code != 0 {
		t.Errorf("--metric sessions: exit %d, want 0", code)
	}

	out, code, _ = runReports(t, "compare", "--format", "json", b, h)
	var js struct {
		Schema   string `json:"schema"`
		ExitCode int    `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(out), &js); err != nil || js.Schema != compare.JSONSchema || js.ExitCode != 1 || code != 1 {
		t.Errorf("--format json: %v %+v exit %d\n%s", err, js, code, out)
	}
	out, code, _ = runReports(t, "compare", "--format", "markdown", b, h)
	if code != 1 || !strings.Contains(out, "### sessionlab compare: cli") || !strings.Contains(out, "| throughput (pps) |") {
		t.Errorf("--format markdown: exit %d\n%s", code, out)
	}

	png := filepath.Join(t.TempDir(), "cmp.png")
	if _, code, _ = runReports(t, "compare", "--plot", png, b, h); code != 1 {
		t.Errorf("--plot: exit %d", code)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 1000 {
		t.Errorf("--plot wrote no image: %v", err)
	}
}

func TestCompareCommandErrors(t *testing.T) {
	b, h := shifted(t, 1)
	dir := t.TempDir()
	other := filepath.Join(dir, "other.json")
	d := resultstest.Build(resultstest.Default())
	if err := results.Save(other, d); err != nil {
		t.Fatal(err)
	}
	v2 := filepath.Join(dir, "v2.json")
	raw, _ := os.ReadFile(b)
	if err := os.WriteFile(v2, bytes.Replace(raw, []byte(results.Schema), []byte("sessionlab.results/v2"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", b}, "want two arguments"},
		{[]string{"compare", b, other}, "different scenarios"},
		{[]string{"compare", b, v2}, "another version"},
		{[]string{"compare", b, filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"compare", "--threshold", "five", b, h}, "--threshold"},
		{[]string{"compare", "--alpha", "2", b, h}, "alpha"},
		{[]string{"compare", "--metric", "nope", b, h}, `"nope"`},
		{[]string{"compare", "--format", "xml", b, h}, "--format"},
		{[]string{"compare", "--resamples", "10", b, h}, "2000"},
		{[]string{"compare", "--no-such-flag", b, h}, "unknown flag"},
		{[]string{"compare", "--run", "a.yaml", "b.yaml"}, "no such file"},
	} {
		out, code, err := runReports(t, c.args...)
		if code != 2 || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: exit %d, err %v, want exit 2 mentioning %q\n%s", c.args, code, err, c.want, out)
		}
	}
}

func TestParseThreshold(t *testing.T) {
	for in, want := range map[string]float64{"5%": 5, "5": 5, " 0.5% ": 0.5, "0": 0} {
		if got, err := parseThreshold(in); err != nil || got != want {
			t.Errorf("parseThreshold(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "-1%", "five", "NaN", "1e9"} {
		if _, err := parseThreshold(in); err == nil {
			t.Errorf("parseThreshold(%q) accepted", in)
		}
	}
}

// TestCompareRun wires a fake runner, as the simulator will, and checks
// that --run interleaves and gates.
func TestCompareRun(t *testing.T) {
	var calls []string
	compareRunner = func(ctx context.Context, path string, rep int) (*results.Document, error) {
		calls = append(calls, filepath.Base(path))
		scale := 1.0
		if strings.HasSuffix(path, "b.yaml") {
			scale = 0.7
		}
		s := resultstest.Single("cli", resultstest.Metric{Name: "throughput", Unit: "pps",
			Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Base: 1e6, Noise: 0.01, Scale: scale})
		s.Repetitions, s.NoiseSeed = 1, uint64(len(calls))
		return resultstest.Build(s), nil
	}
	defer func() { compareRunner = nil }()
	out, code, _ := runReports(t, "compare", "--run", "--reps", "6", "a.yaml", "b.yaml")
	if code != 1 || !strings.Contains(out, "worse") {
		t.Errorf("--run with B 30%% slower: exit %d\n%s", code, out)
	}
	if got := strings.Join(calls, " "); got != "a.yaml b.yaml a.yaml b.yaml a.yaml b.yaml a.yaml b.yaml a.yaml b.yaml a.yaml b.yaml" {
		t.Errorf("calls: %s", got)
	}
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "results.json")
	if err := results.Save(in, resultstest.Build(resultstest.Default())); err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(dir, "out")
	out, code, err := runReports(t, "report", in, "-o", outDir)
	if code != 0 || err != nil || !strings.Contains(out, "index.html") {
		t.Fatalf("report: exit %d, %v\n%s", code, err, out)
	}
	for _, f := range []string{"index.html", "01-metric-throughput.png", "results.csv", "results.bench"} {
		if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
			t.Errorf("report did not write %s: %v", f, err)
		}
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"schema": "something/else"}`), 0o644)
	if _, code, err := runReports(t, "report", bad, "-o", outDir); code != 2 || err == nil || !strings.Contains(err.Error(), "not a sessionlab results document") {
		t.Errorf("bad input: exit %d, %v", code, err)
	}
	if _, code, _ := runReports(t, "report"); code != 2 {
		t.Errorf("no argument: exit %d, want 2", code)
	}
}

// FuzzParseThreshold: any input is a clean error or a finite, non-negative
// percentage.
func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"5%", "0.5", " 10 % ", "-1%", "NaN", "1e400", "%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseThreshold(s)
		if err != nil {
			return
		}
		if !(v >= 0) || v > 1e6 {
			t.Fatalf("parseThreshold(%q) = %v", s, v)
		}
	})
}
