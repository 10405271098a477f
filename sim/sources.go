package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"

	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/sim/internal/shim"
	"github.com/sessionlab/sessionlab/sim/scenario"
	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// direction says what a source's packet is to the session layer.
type direction uint8

const (
	// inbound: towards the local side, offered to the session layer.
	inbound direction = iota
	// outbound: from the local side (a capture's server replies, which
	// the modelled stack would send itself).
	outbound
	// nonflow: neither TCP nor UDP (or a fragment without ports).
	nonflow
)

// stream is a traffic source as the engine reads it: packets in schedule
// order with timestamps in ns from the start of the repetition, each with
// its direction. Packet.Data aliases the stream's buffer until the next
// call.
type stream interface {
	next(p *packet.Packet) (direction, error)
	close() error
}

// feed is one traffic source of a repetition.
type feed struct {
	name string
	st   stream
	// realtime: packets arrive on their own in real time (veth); others
	// are paced on the wall clock in live mode.
	realtime bool
}

// toShim converts an inbound packet for the worker queues.
func (m *model) toShim(p *packet.Packet, t int64) shim.Packet {
	n := len(p.Payload)
	if p.Truncated() && p.HasL4() {
		// The capture cut the payload short: the session layer sees the
		// length the packet had on the wire.
		off := cap(p.Data) - cap(p.Payload)
		n = max(n, int(p.WireLen)-off)
	}
	return shim.Packet{T: t, Src: p.Src, Dst: p.Dst, Seq: p.Seq, Ack: p.Ack, Fib: m.fibOf(p.Dst),
		Len: uint32(max(n, 0)), Wire: p.WireLen, SrcPort: p.SrcPort, DstPort: p.DstPort, Flags: p.TCPFlags, Proto: p.Proto}
}

func flowDirection(p *packet.Packet) (direction, bool) {
	if !p.HasL4() || (p.Proto != packet.ProtoTCP && p.Proto != packet.ProtoUDP) {
		return nonflow, true
	}
	return inbound, false
}

// --- load scaling ---

// loadPlan says how RunOptions.Load scales the sources: every source's
// own offered load (in the unit) is multiplied by factor.
type loadPlan struct {
	unit   string
	factor float64
}

func (lp loadPlan) scaled() bool { return lp.factor > 0 && lp.factor != 1 }

// planLoad computes the factor that makes the scenario's sources offer
// load (in unit) in total, in proportion to their own offered loads.
func (m *model) planLoad(seed uint64, load float64, unit string) (loadPlan, error) {
	if load <= 0 {
		return loadPlan{factor: 1}, nil
	}
	if unit != "pps" && unit != "cps" {
		return loadPlan{}, fmt.Errorf("load unit %q: want pps or cps", unit)
	}
	total := 0.0
	for i := range m.s.Traffic {
		t := &m.s.Traffic[i]
		pps, cps, err := m.nominal(i, t, seed)
		if err != nil {
			return loadPlan{}, err
		}
		if unit == "pps" {
			total += pps
		} else {
			total += cps
		}
	}
	if unit == "cps" {
		for _, a := range m.apps.Apps() {
			if a.IsClient() {
				total += a.Rate()
			}
		}
	}
	if !(total > 0) {
		return loadPlan{}, fmt.Errorf("cannot offer %g %s: the scenario's sources offer no load in that unit to scale", load, unit)
	}
	return loadPlan{unit: unit, factor: load / total}, nil
}

// nominal returns source i's own offered load: inbound packets per second
// and new sessions per second.
func (m *model) nominal(i int, t *scenario.Source, seed uint64) (pps, cps float64, err error) {
	switch {
	case t.Synth != nil:
		o, err := synthOptions(i, t.Synth, seed, 1)
		if err != nil {
			return 0, 0, err
		}
		g, err := synth.New(o)
		if err != nil {
			return 0, 0, fmt.Errorf("traffic[%d]: %w", i, err)
		}
		// The inbound packets per flow, from the first flows of the
		// generator itself.
		st := &synthStream{g: g, start: g.Options().StartNs, srv4: o.Servers.Prefix4.Masked(), srv6: o.Servers.Prefix6.Masked()}
		in := 0
		var p packet.Packet
		for k := 0; k < 100000; k++ {
			d, err := st.next(&p)
			if err != nil {
				break
			}
			if d == inbound {
				in++
			}
		}
		gs := g.Stats()
		flows := gs.TCPFlows + gs.UDPFlows + gs.FloodSYNs + gs.ScanProbes
		if flows == 0 {
			return 0, 0, nil
		}
		cps = synthCPS(o)
		return cps * float64(in) / float64(flows), cps, nil
	case t.Pcap != nil:
		ps, err := m.pcapStream(i, t.Pcap, loadPlan{factor: 1}, true)
		if err != nil {
			return 0, 0, err
		}
		defer ps.close()
		var p packet.Packet
		var in, flows uint64
		first, last := int64(-1), int64(0)
		seen := map[packet.FiveTuple]bool{}
		for {
			d, err := ps.next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				return 0, 0, err
			}
			if first < 0 {
				first = p.Timestamp
			}
			last = p.Timestamp
			if d != inbound {
				continue
			}
			in++
			switch {
			case p.Proto == packet.ProtoTCP && p.TCPFlags&(packet.TCPSyn|packet.TCPAck) == packet.TCPSyn:
				flows++
			case p.Proto == packet.ProtoUDP:
				if k := p.Tuple(); !seen[k] {
					seen[k] = true
					flows++
				}
			}
		}
		dur := float64(last-first) / 1e9
		if dur <= 0 {
			return 0, 0, fmt.Errorf("traffic[%d]: the capture spans no time; its load cannot be scaled (use timing pps)", i)
		}
		return float64(in) / dur, float64(flows) / dur, nil
	}
	return 0, 0, nil
}

// --- synthetic sources ---

// synthStream is a synthetic source. The generator's servers are the
// local side: a packet to a server address is inbound.
type synthStream struct {
	g     *synth.Generator
	start int64
	srv4  netip.Prefix
	srv6  netip.Prefix
}

func (s *synthStream) next(p *packet.Packet) (direction, error) {
	if err := s.g.Next(p); err != nil {
		return 0, err
	}
	p.Timestamp -= s.start
	if d, ok := flowDirection(p); ok {
		return d, nil
	}
	if s.toServer(p.Dst) {
		return inbound, nil
	}
	return outbound, nil
}

func (s *synthStream) toServer(a packet.Addr) bool {
	if a.Is4() {
		return s.srv4.Contains(a.Netip())
	}
	return s.srv6.Contains(a.Netip())
}

func (s *synthStream) close() error { return nil }

// synthOptions returns source i's generator options for a repetition with
// seed, its offered load multiplied by factor: the flow arrival rate and
// the SYN-flood and port-scan rates. The seed given in the scenario is
// mixed into the repetition's (scenario.DeriveSeed(seed, i, given)), so
// sources differ and repetitions differ.
func synthOptions(i int, y *synth.Options, seed uint64, factor float64) (synth.Options, error) {
	o := y.WithDefaults()
	o.Seed = scenario.DeriveSeed(seed, uint64(i), y.Seed)
	if factor != 1 {
		o.Arrival.Rate *= factor
		o.SYNFlood.Rate *= factor
		o.PortScan.Rate *= factor
	}
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("traffic[%d].synth: %w", i, err)
	}
	return o, nil
}

// synthCPS is a generator's mean rate of new flows (connection attempts
// included).
func synthCPS(o synth.Options) float64 {
	r := o.Arrival.Rate
	if o.Arrival.Process == "onoff" {
		on, off := float64(o.Arrival.On), float64(o.Arrival.Off)
		r *= on / (on + off)
	}
	return r + o.SYNFlood.Rate + o.PortScan.Rate
}

func (m *model) synthStream(i int, y *synth.Options, seed uint64, lp loadPlan) (*synthStream, error) {
	f := 1.0
	if lp.scaled() {
		f = lp.factor
	}
	o, err := synthOptions(i, y, seed, f)
	if err != nil {
		return nil, err
	}
	g, err := synth.New(o)
	if err != nil {
		return nil, fmt.Errorf("traffic[%d].synth: %w", i, err)
	}
	o = g.Options()
	return &synthStream{g: g, start: o.StartNs, srv4: o.Servers.Prefix4.Masked(), srv6: o.Servers.Prefix6.Masked()}, nil
}

// --- captures ---

// pcapStream replays a capture with its timing; which side of each packet
// is local comes from local_prefixes, else the interfaces' addresses, else
// the listeners.
type pcapStream struct {
	m *model
	// lock, when set, is held while the listeners are consulted (live
	// mode: the layer belongs to the workers).
	lock   sync.Locker
	r      *pcap.Reader
	sch    *pcap.Scheduler
	local  []netip.Prefix
	closer io.Closer
}

func (s *pcapStream) next(p *packet.Packet) (direction, error) {
	if err := s.sch.Next(p); err != nil {
		return 0, err
	}
	if d, ok := flowDirection(p); ok {
		return d, nil
	}
	if len(s.local) > 0 {
		dst, src := p.Dst.Netip(), p.Src.Netip()
		for _, pf := range s.local {
			if pf.Contains(dst) {
				return inbound, nil
			}
		}
		for _, pf := range s.local {
			if pf.Contains(src) {
				return outbound, nil
			}
		}
		return inbound, nil
	}
	// Inferred from the listeners: a packet to a listener is inbound, one
	// from a listener's endpoint outbound.
	proto := session.ProtoTCP
	if p.Proto == packet.ProtoUDP {
		proto = session.ProtoUDP
	}
	if s.lock != nil {
		s.lock.Lock()
		defer s.lock.Unlock()
	}
	l := s.m.l
	if l.LookupListener(s.m.fibOf(p.Dst), proto, p.Dst.Netip(), p.DstPort, true) != session.InvalidHandle {
		return inbound, nil
	}
	if l.LookupListener(s.m.fibOf(p.Src), proto, p.Src.Netip(), p.SrcPort, true) != session.InvalidHandle {
		return outbound, nil
	}
	return inbound, nil
}

func (s *pcapStream) close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// pcapStream opens traffic[i]'s capture. With once, it is played one pass
// at its own timing (the load estimate).
func (m *model) pcapStream(i int, pc *scenario.PcapSource, lp loadPlan, once bool) (*pcapStream, error) {
	path := fmt.Sprintf("traffic[%d].pcap.file", i)
	f, err := m.s.Open(pc.File)
	if err != nil {
		return nil, m.s.Errorf(path, "%v", err)
	}
	var rd io.Reader = f
	closer := io.Closer(f)
	if _, ok := f.(io.ReadSeeker); !ok {
		b, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, m.s.Errorf(path, "reading %s: %v", pc.File, err)
		}
		rd, closer = bytes.NewReader(b), nil
	}
	r, err := pcap.NewReader(rd, pcap.Options{SkipBad: pc.SkipBad})
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, m.s.Errorf(path, "%s: %v", pc.File, err)
	}
	t := pc.Timing
	t.Start = 0
	if once {
		t.Loop = 1
	} else {
		if lp.scaled() {
			pps, err := m.capturePPS(i, pc)
			if err != nil {
				return nil, err
			}
			t.Mode, t.PPS = pcap.PPS, pps*lp.factor
		}
	}
	sch, err := pcap.NewScheduler(r, t)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, m.s.Errorf(fmt.Sprintf("traffic[%d].pcap.timing", i), "%v", err)
	}
	ps := &pcapStream{m: m, r: r, sch: sch, closer: closer}
	ps.local = pc.LocalPrefixes
	if len(ps.local) == 0 {
		for _, it := range m.ifaces {
			ps.local = append(ps.local, netip.PrefixFrom(it.prefix.Addr(), it.prefix.Addr().BitLen()))
		}
	}
	return ps, nil
}

// capturePPS is a capture's packet rate (all directions) under its own
// timing: what pps mode must multiply to scale it.
func (m *model) capturePPS(i int, pc *scenario.PcapSource) (float64, error) {
	if pc.Timing.Mode == pcap.PPS {
		return pc.Timing.PPS, nil
	}
	if pc.Timing.Mode == pcap.TopSpeed {
		return 0, fmt.Errorf("traffic[%d].pcap: a capture replayed at topspeed has no load to scale; give it a timing", i)
	}
	ps, err := m.pcapStream(i, pc, loadPlan{factor: 1}, true)
	if err != nil {
		return 0, err
	}
	defer ps.close()
	var p packet.Packet
	n := 0
	first, last := int64(-1), int64(0)
	for {
		if _, err := ps.next(&p); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return 0, err
		}
		if first < 0 {
			first = p.Timestamp
		}
		last = p.Timestamp
		n++
	}
	if last <= first {
		return 0, fmt.Errorf("traffic[%d].pcap: the capture spans no time; its load cannot be scaled", i)
	}
	return float64(n) / (float64(last-first) / 1e9), nil
}

// feeds builds the repetition's traffic sources (simulated and live; veth
// sources come from vethFeed, live only).
func (m *model) feeds(seed uint64, lp loadPlan) ([]*feed, error) {
	var out []*feed
	fail := func(err error) ([]*feed, error) {
		for _, f := range out {
			f.st.close()
		}
		return nil, err
	}
	for i := range m.s.Traffic {
		t := &m.s.Traffic[i]
		switch {
		case t.Synth != nil:
			st, err := m.synthStream(i, t.Synth, seed, lp)
			if err != nil {
				return fail(err)
			}
			out = append(out, &feed{name: t.Name, st: st})
		case t.Pcap != nil:
			st, err := m.pcapStream(i, t.Pcap, lp, false)
			if err != nil {
				return fail(err)
			}
			out = append(out, &feed{name: t.Name, st: st})
		case t.Veth != nil:
			if !m.live {
				return fail(m.s.Errorf(fmt.Sprintf("traffic[%d].veth", i), "veth sources run in live mode only"))
			}
			st, err := m.vethStream(i, t.Veth)
			if err != nil {
				return fail(err)
			}
			out = append(out, &feed{name: t.Name, st: st, realtime: true})
		}
	}
	if lp.scaled() && lp.unit == "cps" {
		for _, a := range m.apps.Apps() {
			if a.IsClient() && a.Rate() > 0 {
				a.ScaleRate(a.Rate() * lp.factor)
			}
		}
	}
	return out, nil
}
