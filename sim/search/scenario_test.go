package search

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// quickSettings are the scenario's search settings made quick for a test:
// trials of the given duration, three of them to decide a load, a 1% width,
// 3 latency fractions.
func quickSettings(t *testing.T, s *scenario.Scenario, trial time.Duration) Settings {
	t.Helper()
	set := SettingsFrom(s.SearchSettings())
	set.Trial, set.DurationSum, set.GoalWidth = trial, 3*trial, 0.01
	set.LatencyFractions = []float64{0.1, 0.5, 0.9}
	if err := set.Check(); err != nil {
		t.Fatal(err)
	}
	return set
}

func loadBuiltin(t *testing.T, name string, sets ...scenario.Override) *scenario.Scenario {
	t.Helper()
	s, err := runner.Load("builtin:"+name, scenario.Options{Sets: sets})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestQueueSweepPDRRises searches every point of the built-in queue-sweep
// scenario (worker queue length 64 … 4096 under on/off bursts) and checks
// that PDR rises with the queue length: a longer queue absorbs longer
// bursts. The engine is the bursty fake (TestQueueSweepPDRRisesRealEngine
// runs the simulator once it is in the build).
func TestQueueSweepPDRRises(t *testing.T) {
	s := loadBuiltin(t, "queue-sweep")
	// 2 s trials see about 50 bursts each: enough for the PDR of one
	// queue length not to hinge on a few unlucky ones.
	set := quickSettings(t, s, 2*time.Second)
	doc, err := RunScenario(context.Background(), &burstEngine{service: 20e-6}, s, set, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkPDRRises(t, doc)
}

// checkPDRRises asserts PDR never falls by more than its goal width from
// one queue length to the next and ends clearly higher than it starts.
func checkPDRRises(t *testing.T, doc *results.Document) {
	t.Helper()
	if len(doc.Points) < 3 {
		t.Fatalf("%d points", len(doc.Points))
	}
	var pdr []float64
	for _, pt := range doc.Points {
		g := pt.Search.Goals[LatencyGoalIndex(pt.Search)]
		pdr = append(pdr, g.LowerBound)
		t.Logf("%s: %s [%.6g, %.6g] %s, %d trials, %d latency runs", pt.Label(), g.Name, g.LowerBound, g.UpperBound, pt.Search.LoadUnit, len(pt.Search.Trials), len(pt.Search.Latency))
		if len(pt.Search.Latency) != 3 {
			t.Errorf("%s: %d latency runs, want 3", pt.Label(), len(pt.Search.Latency))
		}
	}
	for i := 1; i < len(pdr); i++ {
		if pdr[i] < pdr[i-1]*(1-0.02) {
			t.Errorf("PDR falls from %.6g to %.6g between points %d and %d", pdr[i-1], pdr[i], i-1, i)
		}
	}
	if !(pdr[len(pdr)-1] > pdr[0]*1.1) {
		t.Errorf("PDR at the longest queue %.6g is not clearly above the shortest queue's %.6g", pdr[len(pdr)-1], pdr[0])
	}
}

// LatencyGoalIndex is LatencyGoal for a results search.
func LatencyGoalIndex(s *results.Search) int {
	for i, g := range s.Goals {
		if g.Name == "PDR" {
			return i
		}
	}
	return len(s.Goals) - 1
}

// TestScenarioDeterministic: the same seed gives the same document (trial
// sequence, bounds, latency) apart from the environment; another seed
// gives another trial sequence.
func TestScenarioDeterministic(t *testing.T) {
	run := func(seed string) *results.Document {
		s := loadBuiltin(t, "queue-sweep", scenario.Override{Key: "seed", Value: seed})
		set := quickSettings(t, s, 100*time.Millisecond)
		doc, err := RunScenario(context.Background(), &burstEngine{service: 20e-6}, s, set, Options{Jobs: 3})
		if err != nil {
			t.Fatal(err)
		}
		doc.Environment = results.Environment{}
		return doc
	}
	a, b := run("7"), run("7")
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.Marshal(a.Points)
		jb, _ := json.Marshal(b.Points)
		t.Fatalf("two runs with seed 7 differ:\n%s\n%s", ja, jb)
	}
	c := run("8")
	if reflect.DeepEqual(a.Points[0].Search.Trials, c.Points[0].Search.Trials) {
		t.Errorf("seeds 7 and 8 gave the same trials")
	}
}

// TestScenarioInterrupted: a cancelled context gives a valid, incomplete
// document and an error wrapping ErrInterrupted.
func TestScenarioInterrupted(t *testing.T) {
	s := loadBuiltin(t, "queue-sweep")
	set := quickSettings(t, s, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	eng := &cancelAfter{Engine: &burstEngine{service: 20e-6}, n: 40, cancel: cancel}
	doc, err := RunScenario(ctx, eng, s, set, Options{Jobs: 1})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	if doc == nil || !doc.Incomplete || len(doc.Points) == len(doc.Sweep.Axes[0].Values) {
		t.Fatalf("document %+v: want an incomplete one", doc)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
}

// cancelAfter cancels the run after n engine calls.
type cancelAfter struct {
	runner.Engine
	n      int
	cancel func()
}

func (c *cancelAfter) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	c.n--
	if c.n == 0 {
		c.cancel()
	}
	return c.Engine.Run(ctx, p, opt)
}

// probeEngine offers 5000 packets/s at the scenario's own load and carries
// 12000 packets/s: every packet beyond that is dropped.
type probeEngine struct{}

func (probeEngine) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	load := opt.Load
	if load == 0 {
		load = 5000
	}
	offered := math.Floor(load * opt.Duration.Seconds())
	return countsRep(opt.Duration, offered, math.Min(offered, 12000*opt.Duration.Seconds())), nil
}

// countsRep is a repetition with the two counts a search reads.
func countsRep(d time.Duration, offered, received float64) *results.Repetition {
	return &results.Repetition{DurationNS: int64(d), Metrics: []results.Metric{
		{Name: MetricOfferedPackets, Unit: "packets", Direction: results.NoDirection, Kind: results.KindCount, Value: offered},
		{Name: MetricReceivedPackets, Unit: "packets", Direction: results.HigherIsBetter, Kind: results.KindCount, Value: received},
	}}
}

// TestDefaultMaxLoadProbe: the built-in default scenario replays a capture
// with its original timing, whose packet rate is unknown before the run;
// the default max load then comes from one trial at the scenario's own
// load (4 × 5000 pps here), and the search runs below it.
func TestDefaultMaxLoadProbe(t *testing.T) {
	s := loadBuiltin(t, "default", scenario.Override{Key: "sweep.axes[0].values", Value: "[2000]"})
	if _, err := OfferedLoad(s, UnitPPS); err == nil {
		t.Fatal("the default scenario's packet rate is known before the run; this test needs one that is not")
	}
	set := quickSettings(t, s, 100*time.Millisecond)
	set.LoadUnit, set.LatencyFractions = UnitPPS, nil
	doc, err := RunScenario(context.Background(), probeEngine{}, s, set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sr := doc.Points[0].Search
	if sr.Trials[0].Load != 20000 {
		t.Errorf("first trial at %v pps, want the probed max load 20000", sr.Trials[0].Load)
	}
	if g := sr.Goals[0]; !(g.LowerBound <= 12000 && 12000 < g.UpperBound) {
		t.Errorf("NDR %+v does not bracket the capacity 12000", g)
	}
}

// shortEngine is a live tester that sends only 60% of the intended load and
// loses nothing of what it sends.
type shortEngine struct{}

func (shortEngine) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	sent := math.Floor(0.6 * opt.Load * opt.Duration.Seconds())
	return countsRep(opt.Duration, sent, sent), nil
}

// In live mode the packets a tester did not send count as lost: a
// generator that reaches 60% of the load must not make a lossless trial
// (and so an NDR lower bound) at that load. Simulated trials keep the rule
// that a source running dry is an error.
func TestLiveShortfallCountsAsLoss(t *testing.T) {
	s := loadBuiltin(t, "default", scenario.Override{Key: "sweep.axes[0].values", Value: "[2000]"})
	pt, err := s.Resolve(0)
	if err != nil {
		t.Fatal(err)
	}
	m := &EngineMeasurer{Engine: shortEngine{}, Point: pt, Unit: UnitPPS, Live: true}
	out, err := m.Measure(context.Background(), TrialInput{Load: 10000, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if out.Offered != 10000 || out.Received != 6000 || out.LossRatio() != 0.4 {
		t.Errorf("live short trial: offered %d, received %d, loss %v; want 10000, 6000, 0.4", out.Offered, out.Received, out.LossRatio())
	}
	// The same tester at a load it reaches within 1% is not charged.
	m.Engine = probeEngine{}
	out, err = m.Measure(context.Background(), TrialInput{Load: 10000, Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if out.Offered != 10000 || out.LossRatio() != 0 {
		t.Errorf("live full trial: offered %d, loss %v; want 10000, 0", out.Offered, out.LossRatio())
	}
}
