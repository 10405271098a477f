package scenario

import (
	"fmt"
	"net/netip"
	"time"
)

// Defaults. applyDefaults fills every field whose zero value means "the
// default", so engines and results see effective values, never zeros to
// interpret. It is idempotent and runs again on every sweep point after the
// point's values are applied (a swept value of 0 for a defaulted field means
// the default, as it does in the file). Fields where 0 is a meaningful
// choice are pointers (loop, workers, sw_if_index, costs) and are only
// filled when absent.

// Default values, exported for documentation and for engines.
const (
	DefaultFifoSize    Size   = 64 << 10
	DefaultSynthRate          = 1000.0
	DefaultSegment     Size   = 1460
	DefaultFlowSize    Size   = 4 << 10
	DefaultParetoAlpha        = 1.5
	DefaultGap                = Duration(100 * time.Microsecond)
	DefaultOn                 = Duration(10 * time.Millisecond)
	DefaultOff                = Duration(90 * time.Millisecond)
	DefaultSample             = Duration(10 * time.Millisecond)
	DefaultStartupConf        = "session { enable rt-backend rule-table }\n"
	DefaultNamespace          = "default"
	DefaultClientCount        = 1024
	DefaultServerCount        = 4
	DefaultServerPort  uint16 = 80
	DefaultVethMTU            = 1500
	DefaultFrameSize          = 64
)

var (
	defaultClients   = netip.MustParsePrefix("192.168.0.0/16")
	defaultClients6  = netip.MustParsePrefix("fd00:1::/64")
	defaultServers   = netip.MustParsePrefix("10.0.0.0/24")
	defaultServers6  = netip.MustParsePrefix("fd00::/120")
	defaultRulesNet  = netip.MustParsePrefix("10.0.0.0/8")
	defaultVethAddrA = netip.MustParsePrefix("10.201.0.1/24")
	defaultVethAddrB = netip.MustParsePrefix("10.201.0.2/24")
)

func (s *Scenario) applyDefaults() {
	if s.Mode == "" {
		s.Mode = ModeSim
	}
	if s.Repetitions == 0 && !s.src.has("repetitions") {
		s.Repetitions = 1
	}
	for i := range s.Interfaces {
		if s.Interfaces[i].SwIfIndex == nil {
			v := uint32(i + 1)
			s.Interfaces[i].SwIfIndex = &v
		}
	}
	for i := range s.Apps {
		a := &s.Apps[i]
		if a.Namespace == "" {
			a.Namespace = DefaultNamespace
		}
		if a.Scope == "" {
			a.Scope = ScopeGlobal
		}
		if a.Kind == AppClient && a.Concurrency == 0 {
			a.Concurrency = 1
		}
		if a.RxFifo == 0 {
			a.RxFifo = DefaultFifoSize
		}
		if a.TxFifo == 0 {
			a.TxFifo = DefaultFifoSize
		}
	}
	if g := s.RulesGen; g != nil {
		if g.Shape == "" {
			g.Shape = ShapeACL
		}
		if g.Proto == "" {
			g.Proto = "tcp"
		}
		if g.Scope == "" {
			g.Scope = ScopeGlobal
		}
		if g.Namespace == "" {
			g.Namespace = DefaultNamespace
		}
		if !g.Prefix.IsValid() {
			g.Prefix = defaultRulesNet
		}
	}
	for i := range s.Traffic {
		t := &s.Traffic[i]
		if t.Name == "" {
			t.Name = fmt.Sprintf("%s%d", t.Kind(), i)
		}
		t.Pcap.defaults()
		t.Synth.defaults()
		if v := t.Veth; v != nil {
			if v.MTU == 0 {
				v.MTU = DefaultVethMTU
			}
			if !v.SenderAddr.IsValid() {
				v.SenderAddr = defaultVethAddrA
			}
			if !v.ReceiverAddr.IsValid() {
				v.ReceiverAddr = defaultVethAddrB
			}
			if v.Ring == "" {
				v.Ring = "tpacketv3"
			}
			if v.TX == "" {
				v.TX = "txring"
			}
			if v.Workers == 0 {
				v.Workers = 1
			}
			f := &v.Frames
			if f.Generator == nil && f.Pcap == nil && f.Synth == nil {
				f.Generator = &VethGenerator{}
			}
			if g := f.Generator; g != nil {
				if g.Proto == "" {
					g.Proto = "udp"
				}
				if g.FrameSize == 0 {
					g.FrameSize = DefaultFrameSize
				}
				if g.Flows == 0 {
					g.Flows = 1
				}
			}
			f.Pcap.defaults()
			f.Synth.defaults()
		}
	}
	if s.Sim != nil && s.Sim.Sample == 0 {
		s.Sim.Sample = DefaultSample
	}
	if s.Search != nil {
		s.Search.defaults(s.src.has("search.exceed_ratio"))
	}
}

// Kind returns "pcap", "synth" or "veth" (or "source" when none is set).
func (t *Source) Kind() string {
	switch {
	case t.Pcap != nil:
		return "pcap"
	case t.Synth != nil:
		return "synth"
	case t.Veth != nil:
		return "veth"
	}
	return "source"
}

func (p *PcapSource) defaults() {
	if p == nil {
		return
	}
	if p.Timing.Mode == "" {
		p.Timing.Mode = TimingOriginal
	}
	if p.Loop == nil {
		one := 1
		p.Loop = &one
	}
}

func (y *SynthSource) defaults() {
	if y == nil {
		return
	}
	if y.Rate == 0 {
		y.Rate = DefaultSynthRate
	}
	if y.Arrivals == "" {
		y.Arrivals = ArrivalsPoisson
	}
	if y.Arrivals == ArrivalsOnOff {
		if y.On == 0 {
			y.On = DefaultOn
		}
		if y.Off == 0 {
			y.Off = DefaultOff
		}
	}
	if y.Size.Dist == "" {
		y.Size.Dist = DistFixed
	}
	if y.Size.Mean == 0 {
		y.Size.Mean = DefaultFlowSize
	}
	if y.Size.Dist == DistPareto && y.Size.Alpha == 0 {
		y.Size.Alpha = DefaultParetoAlpha
	}
	if y.Segment == 0 {
		y.Segment = DefaultSegment
	}
	if y.Gap == 0 {
		y.Gap = DefaultGap
	}
	c := &y.Clients
	if !c.Prefix.IsValid() {
		c.Prefix = defaultClients
	}
	if !c.Prefix6.IsValid() {
		c.Prefix6 = defaultClients6
	}
	if c.Count == 0 {
		c.Count = DefaultClientCount
	}
	v := &y.Servers
	if !v.Prefix.IsValid() {
		v.Prefix = defaultServers
	}
	if !v.Prefix6.IsValid() {
		v.Prefix6 = defaultServers6
	}
	if v.Count == 0 {
		v.Count = DefaultServerCount
	}
	if len(v.Ports) == 0 {
		v.Ports = []uint16{DefaultServerPort}
	}
}

// DefaultSearch returns the search defaults (FD.io CSIT's MLRsearch
// settings).
func DefaultSearch() SearchDefaults {
	var d SearchDefaults
	d.defaults(false)
	return d
}

// defaults fills unset search parameters; exceedSet says the file wrote
// exceed_ratio (0 is a legitimate choice there: RFC 2544's strict rule).
func (d *SearchDefaults) defaults(exceedSet bool) {
	if d.GoalWidth == 0 {
		d.GoalWidth = 0.005
	}
	if d.LossRatios == nil {
		d.LossRatios = []Ratio{0, 0.005}
	}
	if d.Trial == 0 {
		d.Trial = Duration(time.Second)
	}
	if d.DurationSum == 0 {
		d.DurationSum = Duration(21 * time.Second)
	}
	if d.ExceedRatio == 0 && !exceedSet {
		d.ExceedRatio = 0.5
	}
	if d.LoadUnit == "" {
		d.LoadUnit = "pps"
	}
	if d.MinLoad == 0 {
		d.MinLoad = 1000
	}
	if d.LatencyFractions == nil {
		d.LatencyFractions = []Ratio{0.1, 0.5, 0.9}
	}
	if d.Timeout == 0 {
		d.Timeout = Duration(10 * time.Minute)
	}
}

// SearchSettings returns the scenario's search block with defaults filled
// in (the defaults alone when the scenario has none).
func (s *Scenario) SearchSettings() SearchDefaults {
	if s.Search == nil {
		return DefaultSearch()
	}
	return *s.Search
}
