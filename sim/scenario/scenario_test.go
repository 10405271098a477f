package scenario

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

const base = `name: t
seed: 9
duration: 1s
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
  - pcap: {file: x.pcap}
`

var files = fstest.MapFS{"x.pcap": {Data: []byte("capture")}}

func mustParse(t *testing.T, src string, sets ...string) *Scenario {
	t.Helper()
	var os []Override
	for _, s := range sets {
		o, err := ParseOverride(s)
		if err != nil {
			t.Fatal(err)
		}
		os = append(os, o)
	}
	s, err := Parse("t.yaml", []byte(src), Options{Files: files, Sets: os})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, base)
	if s.Mode != ModeSim || s.Repetitions != 1 || !s.VPPLimitsOn() {
		t.Errorf("mode %q reps %d limits %v", s.Mode, s.Repetitions, s.VPPLimitsOn())
	}
	a := s.Apps[0]
	if a.Namespace != "default" || a.Scope != ScopeGlobal || a.RxFifo != 64<<10 || a.TxFifo != 64<<10 {
		t.Errorf("app defaults: %+v", a)
	}
	// Synthetic sources take traffic/synth's defaults.
	y := s.Traffic[0].Synth
	if y.Arrival.Process != "poisson" || y.Arrival.Rate != 100 || y.Size.Mean != synth.DefaultSize || y.MSS != 1460 ||
		!slices.Equal(y.Servers.Ports, []uint16{80}) || y.Clients.Count != synth.DefaultClients || y.Flows != synth.DefaultFlows {
		t.Errorf("synth defaults: %+v", y)
	}
	p := s.Traffic[1].Pcap
	if p.Timing.Mode != pcap.Original || p.Timing.Loop != 0 {
		t.Errorf("pcap defaults: %+v", p)
	}
	if s.Traffic[0].Name != "synth0" || s.Traffic[1].Name != "pcap1" {
		t.Errorf("source names %q %q", s.Traffic[0].Name, s.Traffic[1].Name)
	}
	if *s.Interfaces[0].SwIfIndex != 1 {
		t.Errorf("sw_if_index %d", *s.Interfaces[0].SwIfIndex)
	}
	if s.Points() != 1 || len(s.SweepAxes()) != 0 {
		t.Errorf("points %d axes %d", s.Points(), len(s.SweepAxes()))
	}
	d := s.SearchSettings()
	if d.GoalWidth != 0.005 || len(d.LossRatios) != 2 || d.Trial.D() != time.Second || d.DurationSum.D() != 21*time.Second || d.ExceedRatio != 0.5 {
		t.Errorf("search defaults %+v", d)
	}
}

func TestSweepGrid(t *testing.T) {
	src := base + `sweep:
  axes:
    - param: session.v4-session-table-buckets
      values: [1024, 4096]
    - param: traffic[0].synth.arrival.rate
      range: {from: 1000, to: 3000, step: 1000}
      zip: z
    - param: apps[0].rx_fifo
      values: [4k, 8k, 16k]
      zip: z
    - param: session.v4-session-table-memory
      range: {from: 16m, to: 64m, factor: 2}
`
	s := mustParse(t, src)
	if s.Points() != 2*3*3 {
		t.Fatalf("Points = %d, want 18", s.Points())
	}
	axes := s.SweepAxes()
	if got := axes[3].Values; len(got) != 3 || got[0].Text != "16m" || got[2].Text != "64m" || got[1].Num != 32<<20 {
		t.Errorf("factor range values %+v", got)
	}
	if got := axes[1].Values; got[0].Text != "1000" || !got[2].Numeric || got[2].Num != 3000 {
		t.Errorf("step range values %+v", got)
	}
	if axes[2].Values[0].Num != 4096 {
		t.Errorf("size value %+v", axes[2].Values[0])
	}
	sw := results.Sweep{Axes: axes}
	ref := slowGrid(sw)
	for i := range s.Points() {
		r, err := s.Resolve(i)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Params, sw.ParamsAt(i)) {
			t.Errorf("point %d params %v, results.Sweep says %v", i, r.Params, sw.ParamsAt(i))
		}
		for a, v := range ref[i] {
			if !r.Params[a].Value.Equal(axes[a].Values[v]) {
				t.Errorf("point %d axis %d = %v, reference grid says %v", i, a, r.Params[a].Value, axes[a].Values[v])
			}
		}
		// The values reach the scenario copy and the configuration.
		sess := r.Config.Session
		if got := sess.V4SessionTableBuckets.Value; float64(got) != r.Params[0].Value.Num {
			t.Errorf("point %d buckets %d, param %v", i, got, r.Params[0].Value)
		}
		if got := r.Scenario.Traffic[0].Synth.Arrival.Rate; got != r.Params[1].Value.Num {
			t.Errorf("point %d rate %v, param %v", i, got, r.Params[1].Value)
		}
		if got := r.Scenario.Apps[0].RxFifo; float64(got) != r.Params[2].Value.Num {
			t.Errorf("point %d rx_fifo %v, param %v", i, got, r.Params[2].Value)
		}
		if got := sess.V4SessionTableMemory.Value; float64(got) != r.Params[3].Value.Num {
			t.Errorf("point %d memory %d, param %v", i, got, r.Params[3].Value)
		}
	}
	// Zipped axes advance together; the last group varies fastest.
	r1, _ := s.Resolve(1)
	r3, _ := s.Resolve(3)
	if r1.Params[3].Value.Text != "32m" || r1.Params[1].Value.Text != "1000" || r3.Params[1].Value.Text != "2000" || r3.Params[2].Value.Text != "8k" {
		t.Errorf("grid order: point 1 %v, point 3 %v", r1.Params, r3.Params)
	}
	// Points are independent copies.
	r0, _ := s.Resolve(0)
	r0.Scenario.Traffic[0].Synth.Arrival.Rate = -1
	if s.Traffic[0].Synth.Arrival.Rate == -1 || r1.Scenario.Traffic[0].Synth.Arrival.Rate == -1 {
		t.Error("a point shares memory with the scenario")
	}
	if _, err := s.Resolve(18); err == nil {
		t.Error("Resolve(18) of 18 points succeeded")
	}
}

func TestRangeExpand(t *testing.T) {
	for _, c := range []struct {
		r    Range
		want []string
		err  string
	}{
		{Range{From: Number{Value: 0.1}, To: Number{Value: 0.5}, Step: Number{Value: 0.1}}, []string{"0.1", "0.2", "0.30000000000000004", "0.4", "0.5"}, ""},
		{Range{From: Number{Value: 1}, To: Number{Value: 1000}, Factor: 10}, []string{"1", "10", "100", "1000"}, ""},
		{Range{From: Number{Value: 1 << 10, Suffixed: true}, To: Number{Value: 4 << 10, Suffixed: true}, Factor: 2}, []string{"1k", "2k", "4k"}, ""},
		{Range{From: Number{Value: 5}, To: Number{Value: 1}, Step: Number{Value: 1}}, nil, "below from"},
		{Range{From: Number{Value: 0}, To: Number{Value: 8}, Factor: 2}, nil, "from > 0"},
		{Range{From: Number{Value: 1}, To: Number{Value: 8}, Factor: 0.5}, nil, "greater than 1"},
		{Range{From: Number{Value: 0}, To: Number{Value: 1e9}, Step: Number{Value: 1}}, nil, "more than"},
	} {
		vs, err := c.r.expand()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want %q", c.r, err, c.err)
			}
			continue
		}
		var got []string
		for _, v := range vs {
			got = append(got, v.Text)
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, %v; want %v", c.r, got, err, c.want)
		}
	}
}

func TestOverrides(t *testing.T) {
	s := mustParse(t, base,
		"traffic[0].synth.arrival.rate=5000",
		"traffic.0.synth.arrival.process=onoff",
		"traffic[0].synth.segment_gap=20us",
		"apps[0].listen=[\"tcp://0.0.0.0:8080\", \"udp://[::]:53\"]",
		"sim={calibrate: true}",
		"workers=3",
		"session.wrk-mq-length=8192",
		"repetitions=4",
	)
	if y := s.Traffic[0].Synth; y.Arrival.Rate != 5000 || y.Arrival.Process != "onoff" || y.Arrival.On != synth.DefaultOnOff || time.Duration(y.SegmentGap) != 20*time.Microsecond {
		t.Errorf("synth after --set: %+v", y)
	}
	if got := s.Apps[0].Listen; len(got) != 2 || got[1].String() != "udp://[::]:53" {
		t.Errorf("listen after --set: %v", got)
	}
	if s.Sim == nil || !s.Sim.Calibrate || s.Sim.Sample != DefaultSample || *s.Workers != 3 || s.Repetitions != 4 {
		t.Errorf("sim %+v workers %v reps %d", s.Sim, s.Workers, s.Repetitions)
	}
	f, _, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	if f.Session.WrkMqLength.Value != 8192 || f.Workers != 3 {
		t.Errorf("config: mq %d workers %d", f.Session.WrkMqLength.Value, f.Workers)
	}
	if got := s.Overrides(); len(got) != 1 || got[0].Key != "wrk-mq-length" {
		t.Errorf("Overrides = %v", got)
	}

	for _, c := range []struct{ set, want string }{
		{"traffic[0].synth.arrival.rate=fast", `--set: traffic[0].synth.arrival.rate: want a number, not the string "fast"`},
		{"traffic[5].synth.flows=1", "--set: traffic has 2 items; index 5 is out of range"},
		{"traffic[0].synth.flow=1", `--set: unknown field "flow" in traffic[0].synth (did you mean "flows"?)`},
		{"traffic[0].synth.rtt=1", `--set: traffic[0].synth.rtt: want a duration such as "10ms", not the integer 1`},
		{"session.wrk-mq-lenght=1", `--set: session.wrk-mq-lenght: unknown startup.conf session keyword "wrk-mq-lenght" (did you mean "wrk-mq-length"?)`},
		{"apps[0].listen=[1", "--set: apps[0].listen: YAML syntax: sequence end token ']' not found"},
		{"duration=", "--set: duration: empty value"},
		{"repetitions=0", "t.yaml: repetitions: repetitions is 0, want 1 to 10000"},
	} {
		o, _ := ParseOverride(c.set)
		_, err := Parse("t.yaml", []byte(base), Options{Files: files, Sets: []Override{o}})
		if err == nil || err.Error() != c.want {
			t.Errorf("--set %s: error\n%v\nwant\n%s", c.set, err, c.want)
		}
	}
	if _, err := ParseOverride("novalue"); err == nil {
		t.Error("ParseOverride accepted a value without =")
	}
}

func TestSmallQueues(t *testing.T) {
	src := strings.Replace(base, "name: t\n", "name: t\nvpp_limits: false\n", 1) + `sweep:
  axes:
    - param: session.wrk-mq-length
      values: [64, 4096]
`
	s := mustParse(t, src)
	r, err := s.Resolve(0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Config.Session.WrkMqLength.Value != 64 || r.Config.Session.WorkerMQLength() != 64 {
		t.Errorf("queue length %d, want 64 with vpp_limits false", r.Config.Session.WrkMqLength.Value)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "vpp_limits") }) {
		t.Errorf("no vpp_limits warning in %q", r.Warnings)
	}
	// With VPP's limits the small value is ignored, with VPP's warning.
	s = mustParse(t, strings.Replace(src, "vpp_limits: false", "vpp_limits: true", 1))
	r, _ = s.Resolve(0)
	if r.Config.Session.WrkMqLength.Value != config.DefaultWrkMqLength {
		t.Errorf("queue length %d with VPP limits, want the default", r.Config.Session.WrkMqLength.Value)
	}
}

func TestConfigWarningPositions(t *testing.T) {
	src := strings.Replace(base, "    enable rt-backend rule-table\n", "    enable rt-backend rule-table\n    event-queue-length 4096\n", 1)
	s := mustParse(t, src)
	_, warns, err := s.Config()
	if err != nil {
		t.Fatal(err)
	}
	// Line 7 of the scenario, column 5: where the keyword is in the file.
	if len(warns) == 0 || !strings.HasPrefix(warns[0], "t.yaml:7:5: deprecated: event-queue-length") {
		t.Errorf("warnings %q", warns)
	}
}

func TestRulesGen(t *testing.T) {
	g := &RulesGen{Count: 5000, Shape: ShapeACL, Proto: "both", Prefix: defaultRulesNet, Scope: ScopeAll, Namespace: "blue"}
	a, b := g.Lines(1), g.Lines(1)
	if len(a) != 5000 || !slices.Equal(a, b) {
		t.Fatalf("%d lines, deterministic %v", len(a), slices.Equal(a, b))
	}
	if slices.Equal(a, g.Lines(2)) {
		t.Error("another seed gave the same rules")
	}
	seen := map[string]bool{}
	for _, l := range a {
		if _, err := checkRule(l); err != nil {
			t.Fatalf("generated rule %q: %s", l, err.msg)
		}
		match := l[:strings.Index(l, " action")]
		if seen[match] {
			t.Fatalf("duplicate generated match %q", match)
		}
		seen[match] = true
	}
	g.Shape, g.Proto, g.Prefix = ShapeFW, "tcp", netipPrefix("fd00::/16")
	for _, l := range g.Lines(3)[:100] {
		if _, err := checkRule(l); err != nil {
			t.Fatalf("generated rule %q: %s", l, err.msg)
		}
		if !strings.Contains(l, "::/0") {
			t.Fatalf("IPv6 rule %q", l)
		}
	}
}

func TestDeriveSeed(t *testing.T) {
	// Fixed values: seeds are part of the results' reproducibility, so a
	// change here changes every simulated result.
	if got := DeriveSeed(1, 0); got != 0xa4f53d3266ae449e {
		t.Errorf("DeriveSeed(1, 0) = %#x", got)
	}
	if DeriveSeed(1, 0) == DeriveSeed(1, 1) || DeriveSeed(1, 0) == DeriveSeed(2, 0) {
		t.Error("DeriveSeed collides on neighbours")
	}
	s := mustParse(t, base)
	if s.RepetitionSeed(2) != DeriveSeed(9, 2) {
		t.Error("RepetitionSeed does not follow DeriveSeed")
	}
}

func TestErrorPositionsAPI(t *testing.T) {
	s := mustParse(t, base)
	if p := s.PosOf("traffic[0].synth.arrival.rate"); p != (Pos{Line: 16, Col: 29}) {
		t.Errorf("PosOf = %v", p)
	}
	if p := s.PosOf("traffic.0.synth.rtt"); p != (Pos{Line: 16, Col: 12}) {
		t.Errorf("PosOf of an unwritten field = %v, want its parent's", p)
	}
	e := s.Errorf("apps[0].listen", "port %d busy", 80)
	if e.Error() != "t.yaml:14:13: apps[0].listen: port 80 busy" {
		t.Errorf("Errorf = %q", e)
	}
	var l ErrorList
	_, err := Parse("x", []byte("name: 1\nnope: 2\n"), Options{})
	if !errors.As(err, &l) || len(l) != 1 || l[0].Pos != (Pos{Line: 2, Col: 1}) {
		t.Errorf("ErrorList %v", err)
	}
}

func TestFlattenAndText(t *testing.T) {
	s := mustParse(t, base)
	kv := flatten(reflectValue(s), "", "", s.src, nil)
	m := map[string]string{}
	for _, x := range kv {
		m[x.Key] = x.Value
	}
	for k, v := range map[string]string{"traffic.0.synth.arrival.rate": "100", "traffic.1.pcap.file": "x.pcap", "traffic.0.synth.rtt": "1ms", "apps.0.listen.0": "tcp://0.0.0.0:80", "apps.0.rx_fifo": "64k", "interfaces.0.ip4.0": "10.0.0.1/24", "duration": "1s"} {
		if m[k] != v {
			t.Errorf("flatten[%s] = %q, want %q", k, m[k], v)
		}
	}
	if string(s.Text()) != base || s.SourceName() != "t.yaml" {
		t.Error("Text/SourceName")
	}
}
