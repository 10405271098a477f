package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// cliEngine is a deterministic stand-in for the simulator; with block set
// it waits for cancellation on points >= 1 (after telling started).
type cliEngine struct {
	block   bool
	started chan struct{}
}

func (e *cliEngine) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	if e.block && p.Index >= 1 {
		select {
		case e.started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	v := float64(opt.Seed%97) + float64(p.Index)
	return &results.Repetition{DurationNS: int64(time.Second), Metrics: []results.Metric{
		{Name: "packets_per_second", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Value: v},
	}}, nil
}

const cliScenario = `name: cli
seed: 3
duration: 1s
repetitions: 2
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
  - synth: {arrival: {rate: 100}}
sweep:
  axes:
    - param: session.wrk-mq-length
      values: [2048, 4096, 8192]
plots:
  - {kind: metric, metric: packets_per_second, x: session.wrk-mq-length}
`

func TestRunSweepMerge(t *testing.T) {
	useEngine(t, &cliEngine{})
	sc := writeScenario(t, cliScenario)
	dir := t.TempDir()
	full := filepath.Join(dir, "full.json")
	out, stderr, code := runCLI(t, context.Background(), "run", sc, "-o", full, "--set", "seed=3", "--repetitions", "2")
	if code != 0 || !strings.Contains(out, "(3 points, 6 repetitions; complete)") {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, stderr)
	}
	if n := strings.Count(stderr, " done in "); n != 6 {
		t.Errorf("%d progress lines, want 6:\n%s", n, stderr)
	}
	d, err := results.Load(full)
	if err != nil {
		t.Fatal(err)
	}
	if d.Incomplete || len(d.Points) != 3 || len(d.Plots) != 1 {
		t.Errorf("document: incomplete %v, %d points, %d plots", d.Incomplete, len(d.Points), len(d.Plots))
	}
	var shards []string
	for i := range 2 {
		p := filepath.Join(dir, "shard"+string(rune('0'+i))+".json")
		out, stderr, code := runCLI(t, context.Background(), "sweep", sc, "-o", p, "--shard", string(rune('0'+i))+"/2", "--jobs", "2")
		if code != 0 || !strings.Contains(out, "incomplete") {
			t.Fatalf("sweep shard %d: exit %d\n%s\n%s", i, code, out, stderr)
		}
		shards = append(shards, p)
	}
	merged := filepath.Join(dir, "merged.json")
	out, stderr, code = runCLI(t, context.Background(), append([]string{"merge", "-o", merged}, shards...)...)
	if code != 0 || !strings.Contains(out, "(2 documents, 3 points; complete)") {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, stderr)
	}
	m, err := results.Load(merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != 3 || m.Points[2].Repetitions[1].Metrics[0].Value != d.Points[2].Repetitions[1].Metrics[0].Value {
		t.Error("merged shards differ from the full run")
	}
	// Shards of different runs do not merge.
	other := filepath.Join(dir, "other.json")
	if _, _, code := runCLI(t, context.Background(), "sweep", sc, "-o", other, "--shard", "1/2", "--set", "seed=4"); code != 0 {
		t.Fatal("sweep with another seed failed")
	}
	_, stderr, code = runCLI(t, context.Background(), "merge", "-o", merged, shards[0], other)
	if code != 1 || !strings.Contains(stderr, "seed differs (3 vs 4)") {
		t.Errorf("mismatched merge: exit %d: %s", code, stderr)
	}
	_, stderr, code = runCLI(t, context.Background(), "merge", shards[0])
	if code != 1 || !strings.Contains(stderr, "-o OUT is required") {
		t.Errorf("merge without -o: exit %d: %s", code, stderr)
	}
}

// TestRunInterrupted: cancelling the run (what Ctrl-C does) writes what
// finished, marked incomplete, and exits 130.
func TestRunInterrupted(t *testing.T) {
	e := &cliEngine{block: true, started: make(chan struct{}, 1)}
	useEngine(t, e)
	sc := writeScenario(t, cliScenario)
	p := filepath.Join(t.TempDir(), "r.json")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-e.started; cancel() }()
	out, stderr, code := runCLI(t, ctx, "run", sc, "-o", p)
	if code != 130 || !strings.Contains(out, "incomplete: 1 of 3 points finished") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	d, err := results.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Incomplete || len(d.FinishedPoints) != 1 || d.FinishedPoints[0] != 0 {
		t.Errorf("incomplete %v finished %v", d.Incomplete, d.FinishedPoints)
	}
}

func TestRunErrors(t *testing.T) {
	useEngine(t, &cliEngine{})
	sc := writeScenario(t, cliScenario)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "nope"}, "nope: no such file, and no built-in scenario of that name"},
		{[]string{"run", sc, "--set", "traffic[0].synth.arrival.rat=1"}, `unknown field "rat" in traffic[0].synth.arrival (did you mean "rate"?)`},
		{[]string{"run", sc, "--mode", "fast"}, `--mode "fast": want sim or live`},
		{[]string{"sweep", sc, "--shard", "2/2"}, "index \"2\" must be a number from 0 to 1"},
		{[]string{"run", sc, "--cpuprofile", "a", "--trace", "b"}, "one of --cpuprofile, --memprofile and --trace"},
		{[]string{"run", "builtin:veth-live", "--mode", "sim"}, "veth sources run in live mode only"},
	} {
		_, stderr, code := runCLI(t, context.Background(), c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
	engineFor = nil
	_, stderr, code := runCLI(t, context.Background(), "run", sc, "-o", filepath.Join(t.TempDir(), "x.json"))
	if code != 1 || !strings.Contains(stderr, "no engine") {
		t.Errorf("without an engine: exit %d %s", code, stderr)
	}
}

func TestRunProfile(t *testing.T) {
	useEngine(t, &cliEngine{})
	sc := writeScenario(t, cliScenario)
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.prof")
	if _, stderr, code := runCLI(t, context.Background(), "run", sc, "-o", filepath.Join(dir, "r.json"), "--cpuprofile", prof); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("profile: %v", err)
	}
}

func TestScenariosCommands(t *testing.T) {
	out, stderr, code := runCLI(t, context.Background(), "scenarios", "validate")
	if code != 0 || strings.Count(out, ": ok (") != 7 {
		t.Fatalf("validate built-ins: exit %d\n%s\n%s", code, out, stderr)
	}
	bad := writeScenario(t, "name: x\ndescripton: y\n")
	_, stderr, code = runCLI(t, context.Background(), "scenarios", "validate", bad, "default")
	if code != 1 || !strings.Contains(stderr, `cli.yaml:2:1: unknown field "descripton" (did you mean "description"?)`) || !strings.Contains(stderr, "1 of 2 scenarios are invalid") {
		t.Errorf("validate bad: exit %d: %s", code, stderr)
	}
	out, _, code = runCLI(t, context.Background(), "scenarios", "list")
	if code != 0 || !strings.Contains(out, "bucket-sweep") || !strings.Contains(out, "veth-live     live  2") {
		t.Errorf("list: %s", out)
	}
	out, _, code = runCLI(t, context.Background(), "scenarios", "show", "default")
	if code != 0 || !strings.HasPrefix(out, "# The tour of sessionlab") {
		t.Errorf("show: %.80s", out)
	}
	out, _, code = runCLI(t, context.Background(), "scenarios", "show", "--points", "cut-through")
	if code != 0 || !strings.Contains(out, "point 4 (apps[0].rx_fifo=1m, apps[1].tx_fifo=1m)") {
		t.Errorf("show --points: %s", out)
	}
	out, _, code = runCLI(t, context.Background(), "scenarios", "schema")
	if code != 0 || !strings.Contains(out, `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
		t.Errorf("schema: %.200s", out)
	}
}

// TestRunSIGINT sends the process a real SIGINT while a repetition is
// running: the run stops, writes what finished and exits 130.
func TestRunSIGINT(t *testing.T) {
	e := &cliEngine{block: true, started: make(chan struct{}, 1)}
	useEngine(t, e)
	sc := writeScenario(t, cliScenario)
	p := filepath.Join(t.TempDir(), "r.json")
	go func() {
		<-e.started // the engine runs: runScenario's signal handler is installed
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
	}()
	out, stderr, code := runCLI(t, context.Background(), "run", sc, "-o", p)
	if code != 130 || !strings.Contains(out, "incomplete") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if d, err := results.Load(p); err != nil || !d.Incomplete {
		t.Fatalf("document after SIGINT: %v", err)
	}
}
