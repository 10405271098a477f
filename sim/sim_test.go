package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// smallTables shrinks the tables a test does not study. Under the race
// detector every table arena is an ordinary Go allocation that is zeroed
// when it is made (512 MiB for VPP's default port table), which would
// dominate the tests' time.
var smallTables = []string{
	"session.local-endpoints-table-memory=16m",
	"session.v4-halfopen-table-memory=4m",
	"session.v6-session-table-memory=4m",
	"session.v6-halfopen-table-memory=4m",
}

// load loads a built-in scenario with --set style overrides (and
// smallTables).
func load(t testing.TB, name string, sets ...string) *scenario.Scenario {
	t.Helper()
	var os []scenario.Override
	for _, s := range append(slices.Clone(smallTables), sets...) {
		o, err := scenario.ParseOverride(s)
		if err != nil {
			t.Fatal(err)
		}
		os = append(os, o)
	}
	s, err := runner.Load(name, scenario.Options{Sets: os})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs every point of s once on the engine.
func run(t testing.TB, s *scenario.Scenario) *results.Document {
	t.Helper()
	doc, err := runner.Run(context.Background(), NewEngine(), s, runner.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// metric returns the value of a metric of point i's first repetition.
func metric(t testing.TB, d *results.Document, i int, name string) float64 {
	t.Helper()
	for _, m := range d.Points[i].Repetitions[0].Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("point %d has no metric %q", i, name)
	return 0
}

// TestDeterminism runs the default scenario (scaled down) twice: the
// documents must be identical but for the environment and the run's wall
// times, byte for byte — every count, every virtual-time latency, every
// series.
func TestDeterminism(t *testing.T) {
	sets := []string{"repetitions=2", "duration=150ms", "warmup=50ms", "sim.sample=30ms", "sweep.axes[0].values=[2000, 6000]"}
	blank := func(d *results.Document) []byte {
		d.Environment = results.Environment{}
		b, err := json.MarshalIndent(d, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := blank(run(t, load(t, "default", sets...)))
	b := blank(run(t, load(t, "default", sets...)))
	if !bytes.Equal(a, b) {
		al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("runs differ at line %d:\n%s\n%s", i+1, al[i], bl[i])
			}
		}
		t.Fatalf("runs differ in length: %d and %d lines", len(al), len(bl))
	}
	// A different seed gives different traffic (the test could not fail
	// otherwise).
	c := blank(run(t, load(t, "default", append(sets, "seed=99")...)))
	if bytes.Equal(a, c) {
		t.Fatal("seed 1 and seed 99 gave the same results")
	}
}

// TestDefaultScenario checks what the demo's scenario must show: traffic
// from the capture and the generator reaches the apps, the global rule
// drops its clients, the cut-through pair exchanges data, nothing leaks.
func TestDefaultScenario(t *testing.T) {
	d := run(t, load(t, "default", "repetitions=1", "duration=400ms", "warmup=50ms", "sweep.axes[0].values=[2000]"))
	for _, c := range []struct {
		name string
		ok   func(v float64) bool
	}{
		{"offered_packets", func(v float64) bool { return v > 1000 }},
		{"drops_rule", func(v float64) bool { return v > 0 }},
		{"drops_queue_full", func(v float64) bool { return v == 0 }},
		{"sessions_opened", func(v float64) bool { return v > 100 }},
		{"app_bytes", func(v float64) bool { return v > 0 }},
		{"sessions_leaked", func(v float64) bool { return v == 0 }},
		{"packets_per_second", func(v float64) bool { return v > 0 }},
	} {
		if v := metric(t, d, 0, c.name); !c.ok(v) {
			t.Errorf("%s = %v", c.name, v)
		}
	}
	r := d.Points[0].Repetitions[0]
	for _, h := range r.Histograms {
		if h.Count == 0 {
			t.Errorf("histogram %s is empty", h.Name)
		}
	}
	if len(r.Warnings) > 0 {
		t.Errorf("warnings: %q", r.Warnings)
	}
	// The plots the scenario asks for all have data.
	if len(d.Plots) != len(load(t, "default").Plots) {
		t.Errorf("plots %v, want the scenario's %d (warnings %q)", d.Plots, len(load(t, "default").Plots), d.Warnings)
	}
}

// TestBucketSweep: on the built-in bucket sweep, scaled down to some 5000
// concurrent sessions (and its bucket axis scaled with it, so the buckets
// hold between about ten and two sessions each), fewer buckets give more
// splits and more linear-search buckets, in total and per bucket, and
// deeper buckets; too little memory gives table-full drops where enough
// memory gives none.
//
// (Far below that range, with tens of sessions a bucket, the total number
// of splits falls again: fewer buckets that can split. The built-in's axis
// stays in the range where the totals are monotonic; docs/sim.md has the
// numbers.)
func TestBucketSweep(t *testing.T) {
	load := func(sets ...string) *scenario.Scenario {
		return load(t, "bucket-sweep", append([]string{"repetitions=1", "warmup=1500ms", "duration=200ms", "sim.sample=100ms",
			"traffic[0].synth.arrival.rate=3000", "traffic[0].synth.duration=1700ms"}, sets...)...)
	}
	d := run(t, load("sweep.axes[0].values=[512, 1024, 2048]", "sweep.axes[1].values=[32m]"))
	for i := 1; i < len(d.Points); i++ {
		for _, m := range []string{"splits", "splits_per_bucket", "max_bucket_pages", "linear_search_buckets"} {
			if a, b := metric(t, d, i-1, m), metric(t, d, i, m); a < b {
				t.Errorf("%s: %v at %s, %v at %s: fewer buckets gave less", m, a, d.Points[i-1].Params, b, d.Points[i].Params)
			}
		}
		if metric(t, d, i, "drops_table_full") != 0 {
			t.Errorf("table-full drops with 32m of memory at %v", d.Points[i].Params)
		}
	}
	last := len(d.Points) - 1
	for _, m := range []string{"splits", "splits_per_bucket", "linear_search_buckets"} {
		if first, end := metric(t, d, 0, m), metric(t, d, last, m); !(first > end) {
			t.Errorf("%s %v with the fewest buckets, %v with the most", m, first, end)
		}
	}
	// Memory: with the fewest buckets, 256k cannot hold the pages; 32m can.
	d = run(t, load("sweep.axes[0].values=[512]", "sweep.axes[1].values=[256k, 32m]"))
	if small, big := metric(t, d, 0, "drops_table_full"), metric(t, d, 1, "drops_table_full"); !(small > 0 && big == 0) {
		t.Errorf("table-full drops: %v with 256k, %v with 32m", small, big)
	}
}

// TestQueueSweep: under the same bursty load, queue-full drops fall as the
// worker queue grows.
func TestQueueSweep(t *testing.T) {
	d := run(t, load(t, "queue-sweep", "repetitions=1", "duration=250ms", "traffic[0].synth.duration=250ms", "sim.sample=50ms",
		"sweep.axes[0].values=[64, 512, 4096]"))
	var prev float64
	for i := range d.Points {
		v := metric(t, d, i, "drops_queue_full")
		if i > 0 && v > prev {
			t.Errorf("queue-full drops rose from %v to %v at %v", prev, v, d.Points[i].Params)
		}
		prev = v
	}
	if first, last := metric(t, d, 0, "drops_queue_full"), metric(t, d, len(d.Points)-1, "drops_queue_full"); !(first > 0 && first > last) {
		t.Errorf("queue-full drops %v with the shortest queue, %v with the longest", first, last)
	}
	if a, b := metric(t, d, 0, "offered_packets"), metric(t, d, len(d.Points)-1, "offered_packets"); a != b {
		t.Errorf("the load differs between points: %v and %v packets", a, b)
	}
}

// TestCloseStorm: after mass FIN and RST closes, nothing leaks: the leak
// check after the drain is empty (sessions, half-opens, listeners, fifos,
// ports, events) and every session pool is empty.
func TestCloseStorm(t *testing.T) {
	s := load(t, "close-storm", "repetitions=1", "duration=1100ms", "traffic[0].synth.duration=1100ms", "sim.sample=100ms",
		"traffic[0].synth.arrival.rate=60000")
	for i := range s.Points() {
		p, err := s.Resolve(i)
		if err != nil {
			t.Fatal(err)
		}
		m, leaks, rep := runModel(t, p, s.RepetitionSeed(0))
		if !leaks.Empty() {
			t.Errorf("%v: leaks %+v", p, leaks)
		}
		for th, n := range m.l.SessionsPerThread() {
			if n != 0 {
				t.Errorf("%v: thread %d still holds %d sessions", p, th, n)
			}
		}
		if m.shim.Live() != 0 || m.apps.Open() != 0 {
			t.Errorf("%v: %d transport connections, %d application sessions left", p, m.shim.Live(), m.apps.Open())
		}
		closed := 0.0
		for _, mt := range rep.Metrics {
			switch mt.Name {
			case "sessions_leaked":
				if mt.Value != 0 {
					t.Errorf("%v: sessions_leaked %v", p, mt.Value)
				}
			case "closes_by_peer", "closes_by_reset":
				closed += mt.Value
			}
		}
		if closed < 1000 {
			t.Errorf("%v: only %v closes: the storm did not happen", p, closed)
		}
		m.release()
	}
}

// runModel runs one simulated repetition of p and returns the model (not
// released), the leak check and the results.
func runModel(t testing.TB, p *scenario.Resolved, seed uint64) (*model, session.Leaks, *results.Repetition) {
	t.Helper()
	cm, _, err := costModel(p.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	m, err := newModel(p, seed, cm, false, true)
	if err != nil {
		t.Fatal(err)
	}
	s := p.Scenario
	win := window{warm: int64(s.Warmup), end: int64(s.Warmup) + int64(s.Duration), sample: int64(scenario.DefaultSample)}
	if s.Sim != nil {
		win.sample = int64(s.Sim.Sample)
	}
	m.setSampling(win)
	feeds, err := m.feeds(seed, loadPlan{factor: 1})
	if err != nil {
		t.Fatal(err)
	}
	span, err := m.simulate(context.Background(), feeds, win)
	if err != nil {
		t.Fatal(err)
	}
	leaks := m.drain()
	return m, leaks, m.repetition(span, leaks, nil)
}

// TestCutThrough: the cut-through pair moves every byte the client
// writes through the shared fifos and closes cleanly.
func TestCutThrough(t *testing.T) {
	d := run(t, load(t, "cut-through", "repetitions=1", "duration=100ms", "apps[1].sessions=100", "sweep.axes[0].values=[4k, 64k]", "sweep.axes[1].values=[4k, 64k]"))
	for i := range d.Points {
		if got := metric(t, d, i, "app_bytes"); got != 100*256<<10 {
			t.Errorf("%v: the server read %v bytes, want %d", d.Points[i].Params, got, 100*256<<10)
		}
		if got := metric(t, d, i, "sessions_leaked"); got != 0 {
			t.Errorf("%v: %v sessions leaked", d.Points[i].Params, got)
		}
	}
	// Smaller fifos: the bytes wait less in them.
	if a, b := metric(t, d, 0, "fifo_latency_p50"), metric(t, d, 1, "fifo_latency_p50"); !(a < b) {
		t.Errorf("fifo latency %v with 4k fifos, %v with 64k", a, b)
	}
}

// TestRulesScale: generated rules drop part of the traffic; more rules
// (of the same address space) drop more.
func TestRulesScale(t *testing.T) {
	d := run(t, load(t, "rules-scale", "repetitions=1", "warmup=0s", "duration=200ms", "traffic[0].synth.duration=200ms", "sweep.axes[0].values=[1000, 10000]"))
	a, b := metric(t, d, 0, "drops_rule"), metric(t, d, 1, "drops_rule")
	if !(a > 0 && b >= a) {
		t.Errorf("rule drops %v with 1000 rules, %v with 10000", a, b)
	}
}

// TestLoad: RunOptions.Load scales the offered load, and the repetition
// reports offered and received packets so a search can compute the loss.
func TestLoad(t *testing.T) {
	s := load(t, "queue-sweep", "repetitions=1", "sweep.axes[0].values=[4096]", "traffic[0].synth.arrival.process=poisson", "sim.sample=50ms")
	p, err := s.Resolve(0)
	if err != nil {
		t.Fatal(err)
	}
	get := func(r *results.Repetition, name string) float64 {
		for _, m := range r.Metrics {
			if m.Name == name {
				return m.Value
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}
	e := NewEngine()
	var reps []*results.Repetition
	for _, load := range []float64{5000, 20000} {
		r, err := e.Run(context.Background(), p, runner.RunOptions{Seed: 1, Duration: 150 * time.Millisecond, Load: load, LoadUnit: "cps"})
		if err != nil {
			t.Fatal(err)
		}
		if r.DurationNS != int64(150*time.Millisecond) {
			t.Errorf("duration %d, want 150ms", r.DurationNS)
		}
		off, rec := get(r, "offered_packets"), get(r, "received_packets")
		if rec+get(r, "dropped_packets") != off {
			t.Errorf("load %v: offered %v != received %v + dropped %v", load, off, rec, get(r, "dropped_packets"))
		}
		reps = append(reps, r)
	}
	a, b := get(reps[0], "offered_sessions"), get(reps[1], "offered_sessions")
	if ratio := b / a; ratio < 3 || ratio > 5 {
		t.Errorf("offered sessions %v at 5000 cps and %v at 20000 cps: ratio %.2f, want about 4", a, b, ratio)
	}
	// pps: offered packets follow the load.
	r, err := e.Run(context.Background(), p, runner.RunOptions{Seed: 1, Duration: 150 * time.Millisecond, Load: 50000, LoadUnit: "pps"})
	if err != nil {
		t.Fatal(err)
	}
	if pps := get(r, "offered_packets_per_second"); pps < 40000 || pps > 60000 {
		t.Errorf("offered %v pps for a load of 50000 pps", pps)
	}
}

// TestLive runs a small scenario on the wall clock with two workers: the
// pipeline moves packets, the results are valid, and under -race the
// locking is proven.
func TestLive(t *testing.T) {
	s := load(t, "default", "mode=live", "repetitions=1", "duration=300ms", "warmup=50ms", "sweep.axes[0].values=[2000]")
	d := run(t, s)
	if d.Scenario.Mode != results.ModeLive {
		t.Fatalf("mode %s", d.Scenario.Mode)
	}
	if v := metric(t, d, 0, "received_packets"); v < 100 {
		t.Errorf("received %v packets live", v)
	}
	if v := metric(t, d, 0, "sessions_leaked"); v != 0 {
		t.Errorf("%v sessions leaked", v)
	}
	for _, m := range d.Points[0].Repetitions[0].Metrics {
		if m.Name == "packets_per_second" && m.Kind != results.KindMeasurement {
			t.Errorf("live rate %s is a %s", m.Name, m.Kind)
		}
	}
}

// TestCompareRunner runs repetition 1 of a scenario the way compare --run
// does: one repetition per point, with the seed of repetition 1.
func TestCompareRunner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	src := `name: c
duration: 50ms
repetitions: 3
interfaces: [{name: eth0, ip4: [10.0.0.1/24]}]
apps: [{name: web, kind: echo, listen: ["tcp://0.0.0.0:80"]}]
traffic: [{synth: {duration: 50ms, arrival: {rate: 2000}, servers: {prefix4: 10.0.0.0/24, count: 1}}}]
sweep: {axes: [{param: session.wrk-mq-length, values: [2048, 4096]}]}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(path, scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := CompareRunner(NewEngine())(context.Background(), path, 1)
	if err == nil {
		err = d.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Points) != s.Points() {
		t.Fatalf("%d points, want %d", len(d.Points), s.Points())
	}
	for _, p := range d.Points {
		if len(p.Repetitions) != 1 || p.Repetitions[0].Seed != s.RepetitionSeed(1) {
			t.Fatalf("point %d: repetitions %d, seed %d (want 1 and %d)", p.Index, len(p.Repetitions), p.Repetitions[0].Seed, s.RepetitionSeed(1))
		}
		if metric(t, d, 0, "offered_packets") == 0 {
			t.Fatal("no traffic")
		}
	}
}

// TestErrors: configuration problems the layer finds at run time come
// back as warnings or errors naming the field.
func TestErrors(t *testing.T) {
	dir := t.TempDir()
	src := `name: e
duration: 10ms
interfaces: [{name: eth0, ip4: [10.0.0.1/24]}]
namespaces: [{id: blue, secret: 5, interface: eth0}]
apps:
  - {name: web, kind: sink, namespace: blue, secret: 6, listen: ["tcp://0.0.0.0:80"]}
  - {name: ok, kind: sink, listen: ["tcp://0.0.0.0:81"]}
traffic: [{synth: {flows: 3}}]
`
	s, err := scenario.Parse("e.yaml", []byte(src), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := run(t, s)
	w := strings.Join(d.Points[0].Repetitions[0].Warnings, "\n")
	if !strings.Contains(w, "apps[0] (web)") || !strings.Contains(w, "SECRET") {
		t.Errorf("a wrong namespace secret: warnings %q", w)
	}
	// A capture that is not one.
	if err := os.WriteFile(filepath.Join(dir, "bad.pcap"), []byte("not a capture at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(src, "traffic: [{synth: {flows: 3}}]", "traffic: [{pcap: {file: bad.pcap}}]", 1)
	if err := os.WriteFile(filepath.Join(dir, "e.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = scenario.Load(filepath.Join(dir, "e.yaml"), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Resolve(0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewEngine().Run(context.Background(), p, runner.RunOptions{Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "traffic[0].pcap.file") || !strings.Contains(err.Error(), "magic") {
		t.Errorf("a corrupt capture: %v", err)
	}
}

// parse parses an inline scenario.
func parse(t testing.TB, src string) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse("inline.yaml", []byte(src), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAppModels: a client paced at a rate, through a proxy, to an echo
// server, over both the global path (in-process TCP) and cut-through: every
// session opens on time, every request byte reaches the server and comes
// back, and everything closes.
func TestAppModels(t *testing.T) {
	for _, scope := range []string{"global", "all"} {
		src := `name: apps
duration: 100ms
interfaces: [{name: eth0, ip4: [10.0.0.1/24]}]
apps:
  - {name: server, kind: echo, listen: ["tcp://10.0.0.1:9000"]}
  - {name: proxy, kind: proxy, scope: ` + scope + `, listen: ["tcp://10.0.0.1:8080"], connect: "tcp://10.0.0.1:9000"}
  - {name: client, kind: client, scope: ` + scope + `, connect: "tcp://10.0.0.1:8080", rate: 1000, concurrency: 8, request: 10k}
`
		d := run(t, parse(t, src))
		want := map[string]float64{
			"offered_sessions": 100, // 1000/s for 100 ms
			"sessions_failed":  0,
			"sessions_leaked":  0,
		}
		for name, v := range want {
			if got := metric(t, d, 0, name); got != v {
				t.Errorf("scope %s: %s = %v, want %v", scope, name, got, v)
			}
		}
		// The proxy and the server each read every request (the client
		// closes once its request is taken, so echoes may be cut short):
		// at least 2 × 10 KiB per session, less those still in flight at
		// the end.
		if got := metric(t, d, 0, "app_bytes"); got < 2*10240*95 || got > 4*10240*100 {
			t.Errorf("scope %s: applications read %v bytes, want at least %v", scope, got, 2*10240*95)
		}
		if r := d.Points[0].Repetitions[0]; len(r.Warnings) > 0 {
			t.Errorf("scope %s: warnings %q", scope, r.Warnings)
		}
	}
}

// TestEndConditions: a repetition ends after its duration, after a packet
// count, or when its sources end.
func TestEndConditions(t *testing.T) {
	base := `name: end
interfaces: [{name: eth0, ip4: [10.0.0.1/24]}]
apps: [{name: web, kind: echo, listen: ["tcp://0.0.0.0:80"]}]
traffic: [{synth: {flows: 200, arrival: {process: constant, rate: 1000}, servers: {prefix4: 10.0.0.0/24, count: 1}}}]
`
	// Until the sources end: 200 flows at 1000/s start within 200 ms.
	d := run(t, parse(t, base))
	if got := metric(t, d, 0, "offered_sessions"); got != 200 {
		t.Errorf("until the end of the traffic: %v sessions offered, want 200", got)
	}
	if dur := d.Points[0].Repetitions[0].DurationNS; dur < 199e6 || dur > 1e9 {
		t.Errorf("until the end of the traffic: span %v", time.Duration(dur))
	}
	// A packet count.
	d = run(t, parse(t, base+"packets: 500\n"))
	if got := metric(t, d, 0, "offered_packets"); got != 500 {
		t.Errorf("packets: 500: offered %v", got)
	}
	// A duration shorter than the traffic.
	d = run(t, parse(t, base+"duration: 50ms\n"))
	if got := metric(t, d, 0, "offered_sessions"); got != 50 {
		t.Errorf("duration 50ms at 1000 flows/s: %v sessions offered, want 50", got)
	}
}

// TestLiveClientsOnly: a live run whose only traffic is a client with a
// session count ends when the client is done.
func TestLiveClientsOnly(t *testing.T) {
	d := run(t, parse(t, `name: lc
mode: live
interfaces: [{name: eth0, ip4: [10.0.0.1/24]}]
apps:
  - {name: server, kind: sink, scope: all, listen: ["tcp://0.0.0.0:9000"]}
  - {name: client, kind: client, scope: all, connect: "tcp://10.0.0.1:9000", concurrency: 4, sessions: 50, request: 1k}
`))
	if got := metric(t, d, 0, "app_bytes"); got != 50*1024 {
		t.Errorf("the server read %v bytes, want %v", got, 50*1024)
	}
	if got := metric(t, d, 0, "sessions_leaked"); got != 0 {
		t.Errorf("%v sessions leaked", got)
	}
}
