package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// burstEngine is a fake runner.Engine standing in for the simulator: the
// first synthetic source's flows (their SYNs) arrive at one worker whose
// event queue holds wrk-mq-length entries and which serves one every
// service seconds. Arrivals follow the source's process at the trial's
// load (mean rate): on/off arrivals are Poisson at rate·(on+off)/on during
// exponentially distributed on periods and silent during off periods, so a
// burst either fits the queue or loses its tail. It reports what the real
// engine reports for a search: offered and received packets, drops by
// cause and a latency histogram, and it is deterministic for a seed.
type burstEngine struct {
	service float64
}

var _ runner.Engine = (*burstEngine)(nil)

func (e *burstEngine) Run(ctx context.Context, p *scenario.Resolved, opt runner.RunOptions) (*results.Repetition, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	y := p.Scenario.Traffic[0].Synth.WithDefaults()
	queue := int(p.Config.Session.WrkMqLength.Value)
	if queue <= 0 {
		return nil, fmt.Errorf("queue length %d", queue)
	}
	d := opt.Duration
	if d == 0 {
		d = p.Scenario.Duration.D()
	}
	mean := opt.Load
	if mean == 0 {
		mean = synthLoad(y, UnitCPS)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	onoff := y.Arrival.Process == "onoff"
	on, off := time.Duration(y.Arrival.On).Seconds(), time.Duration(y.Arrival.Off).Seconds()
	rate := mean
	if onoff {
		rate = mean * (on + off) / on
	}
	T := d.Seconds()
	var (
		ring             = make([]float64, queue)
		head, n          int
		last             float64
		offered, dropped uint64
		delays           []float64
	)
	t, burstEnd := 0.0, 0.0
	if onoff {
		burstEnd = rng.ExpFloat64() * on
	}
	for {
		t += rng.ExpFloat64() / rate
		if onoff && t > burstEnd {
			t = burstEnd + rng.ExpFloat64()*off
			burstEnd = t + rng.ExpFloat64()*on
		}
		if t >= T {
			break
		}
		offered++
		for n > 0 && ring[head] <= t {
			head = (head + 1) % queue
			n--
		}
		if n == queue {
			dropped++
			continue
		}
		dep := max(t, last) + e.service
		ring[(head+n)%queue] = dep
		n++
		last = dep
		if len(delays) < 4096 {
			delays = append(delays, (dep-t)*1e9)
		}
	}
	rep := &results.Repetition{
		DurationNS: int64(d),
		Metrics: []results.Metric{
			{Name: MetricOfferedPackets, Unit: "packets", Direction: results.NoDirection, Kind: results.KindCount, Value: float64(offered)},
			{Name: MetricReceivedPackets, Unit: "packets", Direction: results.HigherIsBetter, Kind: results.KindCount, Value: float64(offered - dropped)},
		},
		Histograms: []results.Histogram{histogram("session_setup", delays)},
	}
	if dropped > 0 {
		rep.Drops = []results.Drop{{Cause: results.DropQueueFull, Count: dropped}}
	}
	return rep, nil
}

// histogram summarises samples (ns) exactly.
func histogram(name string, xs []float64) results.Histogram {
	h := results.Histogram{Name: name, Unit: "ns", Count: uint64(len(xs))}
	if len(xs) == 0 {
		return h
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	q := func(p float64) float64 { return xs[min(int(p*float64(len(xs))), len(xs)-1)] }
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	h.Min, h.Max, h.Mean = xs[0], xs[len(xs)-1], sum/float64(len(xs))
	h.Mean = min(max(h.Mean, h.Min), h.Max)
	h.P50, h.P90, h.P99, h.P999 = q(0.5), q(0.9), q(0.99), q(0.999)
	return h
}
