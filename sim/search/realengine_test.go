package search

import (
	"context"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/sim"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// capacityScenario is a simulated system whose capacity is known in closed
// form: one worker, every operation free except the dispatch of a packet,
// which costs 40 µs, so the worker serves μ = 25 000 packets/s; one UDP
// datagram per flow at constant arrivals, so packets arrive evenly; a
// worker queue of Q = 16 entries.
//
// A trial of T seconds at λ ≤ μ cannot lose: every packet finds the worker
// free. Above μ the worker never idles and serves at most μT + 1 packets by
// T; the packets accepted but not served are at most the Q waiting in the
// queue plus the batch in service, which the worker took from the queue
// (so at most Q more). A trial offering N = λT > μT + 2Q + 1 packets must
// therefore drop one: the trial's true NDR lies in [μ, μ + (2Q + 2)/T],
// 0.27% wide for T = 0.5 s — inside the 0.5% goal width.
const capacityScenario = `name: capacity
seed: 11
duration: 1s
vpp_limits: false
workers: 1
startup_conf: |
  session {
    enable rt-backend rule-table
    wrk-mq-length 16
    v4-session-table-buckets 65536
    v4-session-table-memory 32m
  }
interfaces:
  - name: eth0
    ip4: [10.0.0.1/24]
apps:
  - {name: sink, kind: sink, listen: ["udp://0.0.0.0:53"]}
traffic:
  - synth:
      duration: 1h
      arrival: {process: constant, rate: 25000}
      udp_fraction: 1
      flow_size: {dist: fixed, mean: 100}
      udp_datagram: 100
      clients: {prefix4: 192.168.0.0/16, count: 65000}
      servers: {prefix4: 10.0.0.0/24, count: 1, ports: [53]}
sim:
  costs: {dispatch_ns: 40000, decode_ns: 0, lookup_ns: 0, linear_lookup_ns: 0, rule_lookup_ns: 0,
    listener_lookup_ns: 0, insert_ns: 0, split_ns: 0, delete_ns: 0, accept_ns: 0, connect_ns: 0,
    close_ns: 0, enqueue_ns: 0, enqueue_ns_per_byte: 0, dequeue_ns: 0, dequeue_ns_per_byte: 0,
    event_ns: 0, app_ns: 0}
`

// TestNDROfSimulatedCapacity runs the search on the real simulator with
// capacityScenario and checks that NDR is found within the goal width of
// the true value: its upper bound is above μ (nothing at or below μ loses),
// its lower bound at most μ + (2Q + 2)/T, and the bounds are within the
// width.
func TestNDROfSimulatedCapacity(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the simulator for tens of thousands of packets per trial (the engine's own tests cover its races)")
	}
	s, err := scenario.Parse("capacity.yaml", []byte(capacityScenario), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const mu, queue, trial = 25000.0, 16, 500 * time.Millisecond
	set := SettingsFrom(s.SearchSettings())
	set.LossRatios = []float64{0}
	set.Trial, set.DurationSum = trial, 3*trial
	set.MaxLoad = 4 * mu
	set.LatencyFractions = nil
	doc, err := RunScenario(context.Background(), sim.NewEngine(), s, set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := doc.Points[0].Search.Goals[0]
	hi := mu + float64(2*queue+2)/trial.Seconds()
	t.Logf("NDR [%.6g, %.6g] pps after %d trials; the true NDR is in [%g, %g]", g.LowerBound, g.UpperBound, len(doc.Points[0].Search.Trials), mu, hi)
	if !(g.UpperBound > mu) {
		t.Errorf("upper bound %v is not above the capacity %v: a load the worker can serve lost packets", g.UpperBound, mu)
	}
	if !(g.LowerBound <= hi) {
		t.Errorf("lower bound %v is above %v: the queue cannot have absorbed that", g.LowerBound, hi)
	}
	if w := (g.UpperBound - g.LowerBound) / g.UpperBound; w > set.GoalWidth {
		t.Errorf("width %v exceeds the goal width %v", w, set.GoalWidth)
	}
	for _, tr := range doc.Points[0].Search.Trials {
		for _, d := range tr.Drops {
			if d.Cause != "queue_full" {
				t.Errorf("trial at %v dropped %d for %s: the scenario must only lose at the queue", tr.Load, d.Count, d.Cause)
			}
		}
	}
}

// TestQueueSweepPDRRisesRealEngine is TestQueueSweepPDRRises on the
// simulator: the built-in queue-sweep scenario, scaled down to three of its
// queue lengths with --set, searched point by point; PDR rises with the
// worker queue length under on/off bursts.
func TestQueueSweepPDRRisesRealEngine(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the simulator for minutes of virtual time (the engine's own tests cover its races)")
	}
	s := loadBuiltin(t, "queue-sweep", scenario.Override{Key: "sweep.axes[0].values", Value: "[64, 512, 4096]"})
	set := quickSettings(t, s, time.Second)
	doc, err := RunScenario(context.Background(), sim.NewEngine(), s, set, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkPDRRises(t, doc)
}
