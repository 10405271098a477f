package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

const sweepYAML = `name: fake
seed: 11
duration: 1s
repetitions: 3
startup_conf: |
  session {
    enable rt-backend rule-table
  }
interfaces:
  - name: eth0
    ip4: [10.0.0.1/24]
apps:
  - name: web
    kind: echo
    listen: ["tcp://0.0.0.0:80"]
traffic:
  - synth: {arrival: {rate: 100}}
sweep:
  axes:
    - param: session.v4-session-table-buckets
      values: [64, 1024, 16384]
    - param: traffic[0].synth.arrival.rate
      values: [100, 200]
plots:
  - {kind: metric, metric: packets_per_second, x: session.v4-session-table-buckets, series: "traffic[0].synth.arrival.rate"}
  - {kind: cdf, metric: packet}
  - {kind: timeseries, metric: nothing_like_this}
`

func load(t *testing.T, src string, sets ...string) *scenario.Scenario {
	t.Helper()
	var os []scenario.Override
	for _, s := range sets {
		o, err := scenario.ParseOverride(s)
		if err != nil {
			t.Fatal(err)
		}
		os = append(os, o)
	}
	s, err := scenario.Parse("fake.yaml", []byte(src), scenario.Options{Files: fstest.MapFS{}, Sets: os})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeEngine returns results that depend only on the point's values and
// the seed, as a simulated engine's do.
type fakeEngine struct {
	// block makes Run wait for cancellation on points with index >= block
	// (when block > 0).
	block   int
	started chan int
	// failAt makes point failAt fail (when >= 0).
	failAt    int
	calls     atomic.Int64
	active    atomic.Int64
	maxActive atomic.Int64
	sleep     time.Duration
	seenSeeds sync.Map
}

func newFake() *fakeEngine { return &fakeEngine{failAt: -1, started: make(chan int, 1000)} }

func (f *fakeEngine) Run(ctx context.Context, p *scenario.Resolved, opt RunOptions) (*results.Repetition, error) {
	f.calls.Add(1)
	n := f.active.Add(1)
	defer f.active.Add(-1)
	for {
		m := f.maxActive.Load()
		if n <= m || f.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	f.seenSeeds.Store(fmt.Sprintf("%d/%d", p.Index, opt.Rep), opt.Seed)
	f.started <- p.Index
	if f.block > 0 && p.Index >= f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if p.Index == f.failAt {
		return nil, errors.New("engine exploded")
	}
	if f.sleep > 0 {
		time.Sleep(f.sleep)
	}
	if opt.Progress != nil {
		opt.Progress(1, 2)
	}
	buckets := float64(p.Config.Session.V4SessionTableBuckets.Value)
	rate := p.Scenario.Traffic[0].Synth.Arrival.Rate
	v := float64(opt.Seed%1000) + buckets/64 + rate
	return &results.Repetition{
		Index: 99, Seed: 1, // the runner overwrites both
		DurationNS: int64(time.Second),
		Metrics: []results.Metric{
			{Name: "packets_per_second", Unit: "pps", Direction: results.HigherIsBetter, Kind: results.KindMeasurement, Value: v},
			{Name: "splits", Unit: "splits", Direction: results.NoDirection, Kind: results.KindCount, Value: float64(int(1e6/buckets) + opt.Rep)},
		},
		Histograms: []results.Histogram{{Name: "packet", Unit: "ns", Count: 10, Min: 1, Max: v, Mean: v / 2, P50: v / 2, P90: v / 2, P99: v / 2, P999: v / 2,
			CDF: []results.CDFPoint{{Value: 1, Fraction: 0.5}, {Value: v, Fraction: 1}}}},
		Drops: []results.Drop{{Cause: results.DropQueueFull, Count: uint64(rate)}},
	}, nil
}

var fixedNow = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func TestRunDocument(t *testing.T) {
	s := load(t, sweepYAML)
	eng := newFake()
	var out bytes.Buffer
	doc, err := Run(context.Background(), eng, s, Options{Now: fixedNow, Progress: Lines(&out)})
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	if doc.Incomplete || len(doc.Points) != 6 || eng.calls.Load() != 18 {
		t.Fatalf("incomplete %v, %d points, %d engine calls", doc.Incomplete, len(doc.Points), eng.calls.Load())
	}
	for i, p := range doc.Points {
		if p.Index != i || len(p.Repetitions) != 3 {
			t.Errorf("point %d: index %d, %d repetitions", i, p.Index, len(p.Repetitions))
		}
		for r, rep := range p.Repetitions {
			if rep.Index != r || rep.Seed != s.RepetitionSeed(r) {
				t.Errorf("point %d rep %d: index %d seed %d", i, r, rep.Index, rep.Seed)
			}
		}
	}
	// Points share repetition seeds (common random numbers).
	a, _ := eng.seenSeeds.Load("0/1")
	b, _ := eng.seenSeeds.Load("5/1")
	if a != b || a != s.RepetitionSeed(1) {
		t.Errorf("seeds of repetition 1: point 0 %v, point 5 %v", a, b)
	}
	if doc.Scenario.Name != "fake" || doc.Scenario.Source != "fake.yaml" || doc.Scenario.YAML != sweepYAML || doc.Scenario.Repetitions != 3 {
		t.Errorf("scenario %+v", doc.Scenario)
	}
	if !strings.Contains(doc.Config.SessionStanza, "enable rt-backend rule-table") || doc.Config.Workers != 1 {
		t.Errorf("config %+v", doc.Config)
	}
	if len(doc.Sweep.Axes) != 2 || doc.Sweep.Axes[0].Name != "session.v4-session-table-buckets" {
		t.Errorf("sweep %+v", doc.Sweep)
	}
	if len(doc.Plots) != 2 || !slices.ContainsFunc(doc.Warnings, func(w string) bool { return strings.Contains(w, "nothing_like_this") }) {
		t.Errorf("plots %+v warnings %q", doc.Plots, doc.Warnings)
	}
	if lines := strings.Count(out.String(), " done in "); lines != 18 {
		t.Errorf("%d progress lines, want 18:\n%s", lines, out.String())
	}
	if !strings.Contains(out.String(), "[18/18] point 6/6 (session.v4-session-table-buckets=16384, traffic[0].synth.arrival.rate=200) repetition 3/3 done in") {
		t.Errorf("progress output:\n%s", out.String())
	}
	// A document that survives Save and Load.
	path := filepath.Join(t.TempDir(), "r.json")
	if err := results.Save(path, doc); err != nil {
		t.Fatal(err)
	}
	if _, err := results.Load(path); err != nil {
		t.Fatal(err)
	}
}

// canonical is a document's JSON with the environment (machine and
// timestamps) cleared: what must not vary between runs with a seed.
func canonical(t *testing.T, d *results.Document) []byte {
	t.Helper()
	c := *d
	c.Environment = results.Environment{}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDeterministic: the same seed gives the same document (environment
// and timestamps aside) however many jobs run it and however they
// interleave.
func TestDeterministic(t *testing.T) {
	s := load(t, sweepYAML)
	var docs [][]byte
	for _, jobs := range []int{1, 4, 1, 3} {
		eng := newFake()
		doc, err := Run(context.Background(), eng, s, Options{Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, canonical(t, doc))
	}
	for i := 1; i < len(docs); i++ {
		if !bytes.Equal(docs[0], docs[i]) {
			t.Fatalf("run %d differs from run 0", i)
		}
	}
	// Another seed gives another document (the test can fail).
	doc, err := Run(context.Background(), newFake(), load(t, sweepYAML, "seed=12"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(canonical(t, doc), docs[0]) {
		t.Error("a different seed gave the same document")
	}
}

func TestShardsAndMerge(t *testing.T) {
	s := load(t, sweepYAML)
	full, err := Run(context.Background(), newFake(), s, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 4, 7} {
		var ins []Input
		seen := map[int]int{}
		for i := range n {
			doc, err := Run(context.Background(), newFake(), s, Options{Shard: Shard{Index: i, Count: n}, Now: fixedNow})
			if err != nil {
				t.Fatalf("shard %d/%d: %v", i, n, err)
			}
			if n > 1 && !doc.Incomplete {
				t.Errorf("shard %d/%d is not marked incomplete", i, n)
			}
			for _, p := range doc.Points {
				seen[p.Index]++
				if p.Index%n != i {
					t.Errorf("shard %d/%d ran point %d", i, n, p.Index)
				}
			}
			ins = append(ins, Input{Name: fmt.Sprintf("shard%d.json", i), Doc: doc})
		}
		for p := range s.Points() {
			if seen[p] != 1 {
				t.Errorf("n=%d: point %d ran %d times", n, p, seen[p])
			}
		}
		slices.Reverse(ins) // order of the inputs does not matter
		m, err := Merge(ins)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !bytes.Equal(canonical(t, m), canonical(t, full)) {
			t.Errorf("n=%d: merged shards differ from the unsharded run", n)
		}
	}
}

func TestMergeErrors(t *testing.T) {
	s := load(t, sweepYAML)
	run := func(s *scenario.Scenario, sh Shard) *results.Document {
		d, err := Run(context.Background(), newFake(), s, Options{Shard: sh, Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := run(s, Shard{0, 2})
	for _, c := range []struct {
		name string
		b    *results.Document
		want string
	}{
		{"seed", run(load(t, sweepYAML, "seed=5"), Shard{1, 2}), "seed differs (11 vs 5)"},
		{"sweep", run(load(t, sweepYAML, "sweep.axes[1].values=[100, 300]"), Shard{1, 2}), "sweep differs ([session.v4-session-table-buckets=[64 1024 16384], traffic[0].synth.arrival.rate=[100 200]] vs [session.v4-session-table-buckets=[64 1024 16384], traffic[0].synth.arrival.rate=[100 300]])"},
		{"overlap", run(s, Shard{0, 2}), "point 0 is in both a.json and b.json"},
		{"stanza", run(load(t, sweepYAML, "session.wrk-mq-length=4096"), Shard{1, 2}), "session stanza differs"},
	} {
		_, err := Merge([]Input{{"a.json", a}, {"b.json", c.b}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	// A shard missing leaves the merge incomplete, listing what finished.
	m, err := Merge([]Input{{"a.json", a}})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Incomplete || !slices.Equal(m.FinishedPoints, []int{0, 2, 4}) {
		t.Errorf("partial merge: incomplete %v finished %v", m.Incomplete, m.FinishedPoints)
	}
	if _, err := Merge(nil); err == nil {
		t.Error("Merge(nil) succeeded")
	}
}

// TestInterrupt cancels a run while repetitions are blocked in the
// engine: the document holds the points that finished, is marked
// incomplete, validates, and the error is ErrInterrupted.
func TestInterrupt(t *testing.T) {
	s := load(t, sweepYAML)
	eng := newFake()
	eng.block = 2
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for idx := range eng.started {
			if idx >= 2 {
				cancel()
				return
			}
		}
	}()
	doc, err := Run(ctx, eng, s, Options{Now: fixedNow})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	if doc == nil || !doc.Incomplete || !slices.Equal(doc.FinishedPoints, []int{0, 1}) || len(doc.Points) != 2 {
		t.Fatalf("document after interrupt: %+v", doc)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEngineError(t *testing.T) {
	eng := newFake()
	eng.failAt = 3
	doc, err := Run(context.Background(), eng, load(t, sweepYAML), Options{Now: fixedNow})
	if err == nil || !strings.Contains(err.Error(), "point 3 (session.v4-session-table-buckets=1024, traffic[0].synth.arrival.rate=200), repetition 0: engine exploded") {
		t.Fatalf("error %v", err)
	}
	if errors.Is(err, ErrInterrupted) || doc == nil || !doc.Incomplete || !slices.Equal(doc.FinishedPoints, []int{0, 1, 2}) {
		t.Fatalf("document after an engine error: %v %+v", err, doc)
	}
}

type badEngine struct{}

func (badEngine) Run(context.Context, *scenario.Resolved, RunOptions) (*results.Repetition, error) {
	return &results.Repetition{Metrics: []results.Metric{{Name: "x", Unit: "", Kind: "count", Direction: "none"}}}, nil
}

func TestInvalidEngineResults(t *testing.T) {
	_, err := Run(context.Background(), badEngine{}, load(t, sweepYAML), Options{})
	if err == nil || !strings.Contains(err.Error(), "the engine returned invalid results") || !strings.Contains(err.Error(), "metrics[0].unit: must not be empty") {
		t.Fatalf("error %v", err)
	}
}

func TestLiveRunsOneAtATime(t *testing.T) {
	s := load(t, sweepYAML, "mode=live")
	eng := newFake()
	eng.sleep = time.Millisecond
	if _, err := Run(context.Background(), eng, s, Options{Jobs: 4}); err != nil {
		t.Fatal(err)
	}
	if m := eng.maxActive.Load(); m != 1 {
		t.Errorf("live mode ran %d repetitions at once", m)
	}
	eng = newFake()
	eng.sleep = 5 * time.Millisecond
	if _, err := Run(context.Background(), eng, load(t, sweepYAML), Options{Jobs: 3}); err != nil {
		t.Fatal(err)
	}
	if m := eng.maxActive.Load(); m < 2 || m > 3 {
		t.Logf("sim mode with 3 jobs ran at most %d repetitions at once (the machine may be busy)", m)
	}
	if m := eng.maxActive.Load(); m > 3 {
		t.Errorf("sim mode with 3 jobs ran %d repetitions at once", m)
	}
}

func TestParseShard(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == JobIndexEnv {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct {
		in, env string
		want    Shard
		err     string
	}{
		{"", "", Shard{}, ""},
		{"0/1", "", Shard{0, 1}, ""},
		{"3/4", "", Shard{3, 4}, ""},
		{"auto/8", "5", Shard{5, 8}, ""},
		{"4/4", "", Shard{}, "from 0 to 3"},
		{"auto/4", "", Shard{}, "JOB_COMPLETION_INDEX is not set"},
		{"auto/4", "9", Shard{}, "JOB_COMPLETION_INDEX=9"},
		{"1", "", Shard{}, "want i/n"},
		{"a/b", "", Shard{}, "want i/n"},
		{"-1/3", "", Shard{}, "from 0 to 2"},
	} {
		got, err := ParseShard(c.in, env(c.env))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseShard(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestLoad(t *testing.T) {
	for _, arg := range []string{"default", "builtin:default"} {
		s, err := Load(arg, scenario.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "default" || s.SourceName() != "builtin:default" {
			t.Errorf("%s: name %q source %q", arg, s.Name, s.SourceName())
		}
		if _, err := s.ReadFile("data/default.pcap"); err != nil {
			t.Errorf("%s: embedded capture: %v", arg, err)
		}
	}
	if _, err := Load("no-such-thing", scenario.Options{}); err == nil || !strings.Contains(err.Error(), "built-ins: bucket-sweep") {
		t.Errorf("unknown scenario: %v", err)
	}
	if _, err := Load("builtin:nope", scenario.Options{}); err == nil {
		t.Error("builtin:nope loaded")
	}
}
