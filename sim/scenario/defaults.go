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
// choice are pointers (workers, sw_if_index, costs) and are only filled
// when absent. Synthetic sources take traffic/synth's own defaults
// (Options.WithDefaults), so results show every generator parameter.

// Default values, exported for documentation and for engines.
const (
	DefaultFifoSize    Size = 64 << 10
	DefaultSample           = Duration(10 * time.Millisecond)
	DefaultStartupConf      = "session { enable rt-backend rule-table }\n"
	DefaultNamespace        = "default"
	DefaultVethMTU          = 1500
	DefaultFrameSize        = 64
)

var (
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
		if t.Synth != nil {
			*t.Synth = t.Synth.WithDefaults()
		}
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
			if f.Synth != nil {
				*f.Synth = f.Synth.WithDefaults()
			}
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
