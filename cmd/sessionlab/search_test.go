package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
	"github.com/sessionlab/sessionlab/sim/search"
)

// capacityEngine is a deterministic stand-in for the simulator in search
// tests: the point carries wrk-mq-length/2 + 1000 sessions per second and
// drops (queue_full) whatever is offered beyond that.
type capacityEngine struct{}

func (capacityEngine) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	capacity := float64(p.Config.Session.WrkMqLength.Value)/2 + 1000
	offered := math.Ceil(opt.Load * opt.Duration.Seconds())
	received := math.Min(offered, math.Ceil(capacity*opt.Duration.Seconds()))
	rep := &results.Repetition{DurationNS: int64(opt.Duration), Metrics: []results.Metric{
		{Name: search.MetricOfferedPackets, Unit: "packets", Direction: results.NoDirection, Kind: results.KindCount, Value: offered},
		{Name: search.MetricReceivedPackets, Unit: "packets", Direction: results.HigherIsBetter, Kind: results.KindCount, Value: received},
	}, Histograms: []results.Histogram{{Name: "session_setup", Unit: "ns", Count: 1, Min: 1000, Max: 1000, Mean: 1000, P50: 1000, P90: 1000, P99: 1000, P999: 1000}}}
	if d := offered - received; d > 0 {
		rep.Drops = []results.Drop{{Cause: results.DropQueueFull, Count: uint64(d)}}
	}
	return rep, nil
}

const searchScenario = `name: cli-search
seed: 5
duration: 1s
startup_conf: |
  session {
    enable rt-backend rule-table
  }
interfaces:
  - name: eth0
    ip4: [10.0.0.1/24]
apps:
  - {name: web, kind: echo, listen: ["tcp://0.0.0.0:80"]}
traffic:
  - synth: {arrival: {rate: 1000}}
sweep:
  axes:
    - param: session.wrk-mq-length
      values: [2048, 4096, 8192]
search:
  load_unit: cps
  goal_width: 2%
`

// TestSearchCommand runs `sessionlab search` on a three-point sweep,
// checks every point's NDR against the engine's capacity, and renders the
// document with `sessionlab report` (which must draw the NDR/PDR curve
// and the trials).
func TestSearchCommand(t *testing.T) {
	useEngine(t, capacityEngine{})
	dir := t.TempDir()
	out := filepath.Join(dir, "search.json")
	stdout, stderr, code := runCLI(t, context.Background(), "search", writeScenario(t, searchScenario), "-o", out,
		"--trial", "1s", "--duration-sum", "3s", "--jobs", "2", "--max-load", "20000", "--latency-fractions", "0.5,0.9")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "NDR (cps)") || !strings.Contains(stderr, "trial 0 (initial):") {
		t.Errorf("no summary or progress:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	d, err := results.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Points) != 3 || d.Incomplete {
		t.Fatalf("%d points, incomplete %v", len(d.Points), d.Incomplete)
	}
	for _, pt := range d.Points {
		capacity := pt.Params[0].Value.Num/2 + 1000
		s := pt.Search
		ndr := s.Goals[0]
		if s.LoadUnit != "cps" || ndr.Name != "NDR" || ndr.Width != 0.02 || !(ndr.LowerBound <= capacity && capacity < ndr.UpperBound) ||
			(ndr.UpperBound-ndr.LowerBound)/ndr.UpperBound > 0.02 {
			t.Errorf("%s: NDR %+v, capacity %v", pt.Label(), ndr, capacity)
		}
		if len(s.Latency) != 2 || s.Latency[1].Fraction != 0.9 || s.Latency[1].Goal != "PDR" {
			t.Errorf("%s: latency %+v", pt.Label(), s.Latency)
		}
	}
	// The report draws the search plots from this document.
	rdir := filepath.Join(dir, "report")
	if stdout, stderr, code := runCLI(t, context.Background(), "report", out, "-o", rdir); code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	pngs, _ := filepath.Glob(filepath.Join(rdir, "*.png"))
	var names []string
	for _, p := range pngs {
		names = append(names, filepath.Base(p))
	}
	joined := strings.Join(names, " ")
	if !strings.Contains(joined, "search") || !strings.Contains(joined, "trials") {
		t.Errorf("report images %v: want the search and trials plots", names)
	}
	html, err := os.ReadFile(filepath.Join(rdir, "index.html"))
	if err != nil || !strings.Contains(string(html), "NDR") {
		t.Errorf("index.html lacks the NDR column (%v)", err)
	}
}

func TestSearchCommandErrors(t *testing.T) {
	useEngine(t, capacityEngine{})
	sc := writeScenario(t, searchScenario)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--goal-width", "2"}, "--goal-width"},
		{[]string{"--loss-ratios", "0,x"}, "item 2"},
		{[]string{"--loss-ratios", "0.01,0"}, "must increase"},
		{[]string{"--exceed-ratio", "1"}, "exceed ratio"},
		{[]string{"--load-unit", "bps"}, "load unit"},
		{[]string{"--trial", "2s", "--duration-sum", "1s"}, "duration sum"},
		{[]string{"--min-load", "5000", "--max-load", "100"}, "max load"},
		{[]string{"--jobs", "0"}, "--jobs"},
	} {
		_, stderr, code := runCLI(t, context.Background(), append([]string{"search", sc, "-o", filepath.Join(t.TempDir(), "x.json")}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q: want an error mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
}
