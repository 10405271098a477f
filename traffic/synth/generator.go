// Package synth generates synthetic traffic: seeded, reproducible TCP and
// UDP flows, SYN floods and port scans, as decoded packets (a
// packet.Source, like a capture file) or written to pcap/pcapng.
//
// The generator is a small discrete-event model of hosts talking through a
// capture point at the server's NIC. Flows arrive by a constant, Poisson or
// on/off process; each picks a client and a server (and a service port)
// from pools with Zipf popularity, a size from a fixed, exponential or
// Pareto distribution, and a family from the IPv4/IPv6 mix. A TCP flow is
// the three-way handshake, the client's data in MSS segments (the server
// acknowledging every second one, at once when out of order), an optional
// response, and a FIN exchange or an RST. Client data can be lost before the
// capture point (TCP retransmits it) or arrive reordered, so the server side
// sees what a real receiver sees: holes, out-of-order segments, duplicate
// ACKs. Sequence and acknowledgement numbers are always consistent with what
// has been captured so far.
//
// All randomness comes from one PCG stream seeded by Options.Seed, and the
// event queue breaks ties by insertion order, so the same Options give the
// same packets byte for byte. Frames are valid Ethernet with correct IPv4,
// TCP and UDP checksums. Nothing is allocated per packet once the flow table
// has grown to the number of concurrent flows.
package synth

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// serverDelay is how long the server takes to answer: the gap between a
// packet arriving at the capture point and the server's reply leaving it.
const serverDelay = 5000 // ns

type eventKind uint8

const (
	evArrival eventKind = iota // start a flow, schedule the next arrival
	evFlood                    // send one flood SYN, schedule the next
	evScan                     // probe one port, schedule the next
	evSend                     // the client sends a data segment or datagram
	evCapture                  // a packet passes the capture point
)

// role says what a captured packet is: it fixes the packet's direction,
// flags and numbers, and what the flow does next.
type role uint8

const (
	roleSYN role = iota
	roleSYNACK
	roleHandshakeACK
	roleData
	roleServerACK
	roleResp
	roleClientACK
	roleFIN
	roleRST
	roleFINACK
	roleLastACK
	roleUDP
	roleUDPResp
	roleFloodSYN
	roleFloodSYNACK
	roleScanSYN
	roleScanSYNACK
	roleScanRST
	roleScanRSTACK
)

// clientToServer reports the direction of each role.
var clientToServer = [roleScanRSTACK + 1]bool{
	roleSYN: true, roleHandshakeACK: true, roleData: true, roleClientACK: true, roleFIN: true, roleRST: true,
	roleLastACK: true, roleUDP: true, roleFloodSYN: true, roleScanSYN: true, roleScanRST: true,
}

// event is one entry of the generator's queue, ordered by time and then by
// insertion (seq), which makes the order of equal times deterministic.
type event struct {
	t    int64
	seq  uint64
	off  int64 // data offset, or the acknowledged offset for ACK roles
	flow int32
	n    int32 // payload bytes
	kind eventKind
	role role
}

func (a *event) before(b *event) bool { return a.t < b.t || a.t == b.t && a.seq < b.seq }

type flowKind uint8

const (
	flowTCP flowKind = iota
	flowUDP
	flowFlood
	flowScan
)

type span struct{ start, end int64 }

// flow is one conversation's state. Slots are reused, so their ooo slices
// keep their capacity.
type flow struct {
	kind       flowKind
	v6         bool
	rst        bool
	open       bool // scan: the probed port is open
	reqDone    bool
	finPending bool
	cli, srv   packet.Addr
	cport      uint16
	sport      uint16
	issC, issS uint32
	req, resp  int64
	rcvNxt     int64  // client bytes the server has in order
	ooo        []span // client bytes the server has out of order
	unacked    int
	ipID       [2]uint16
	pending    int32 // queued events; the slot is freed when it drops to 0
}

// Stats count what a generator has produced.
type Stats struct {
	Packets       uint64 `json:"packets"`
	Bytes         uint64 `json:"bytes"` // frame bytes
	TCPFlows      uint64 `json:"tcp_flows"`
	UDPFlows      uint64 `json:"udp_flows"`
	FINCloses     uint64 `json:"fin_closes"`
	RSTCloses     uint64 `json:"rst_closes"`
	Lost          uint64 `json:"lost"` // client segments/datagrams lost before the capture point
	Retransmitted uint64 `json:"retransmitted"`
	Reordered     uint64 `json:"reordered"`
	FloodSYNs     uint64 `json:"flood_syns"`
	ScanProbes    uint64 `json:"scan_probes"`
	FirstNs       int64  `json:"first_ns"`
	LastNs        int64  `json:"last_ns"`
}

// Generator produces the traffic an Options describes. It is a
// packet.Source and can Rewind; it is not safe for concurrent use.
type Generator struct {
	opt Options
	rng *rand.Rand

	events []event
	seq    uint64
	flows  []flow
	free   []int32

	clients, servers hostPool
	ports            sampler
	cports           []uint16
	flowsStarted     int
	arrivalsDone     bool
	onUntil          int64
	floodEnd         int64
	scanPort         int
	floodBase        packet.Addr
	scanCport        uint16

	gap, rtt   int64
	buf        []byte
	pattern    []byte
	patternSum []uint64
	stats      Stats
}

// New validates opt, applies its defaults and returns a Generator at the
// start of the traffic.
func New(opt Options) (*Generator, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.WithDefaults()
	g := &Generator{opt: opt}
	g.clients = newHostPool(opt.Clients)
	g.servers = newHostPool(opt.Servers)
	g.ports = newSampler(len(opt.Servers.Ports), opt.Servers.PortZipf)
	g.gap, g.rtt = int64(opt.SegmentGap), int64(opt.RTT)
	maxPayload := max(opt.MSS, opt.Datagram)
	g.buf = make([]byte, 14+40+28+maxPayload)
	// Payload bytes are a fixed pattern, so the checksum of any payload
	// prefix can be read from a table instead of summed per packet.
	g.pattern = make([]byte, maxPayload)
	g.patternSum = make([]uint64, maxPayload+1)
	for i := range g.pattern {
		g.pattern[i] = byte('a' + i%26)
		if i%2 == 0 {
			g.patternSum[i+1] = g.patternSum[i] + uint64(g.pattern[i])<<8
		} else {
			g.patternSum[i+1] = g.patternSum[i] + uint64(g.pattern[i])
		}
	}
	g.reset()
	return g, nil
}

// Options returns the options in use, defaults applied.
func (g *Generator) Options() Options { return g.opt }

// Stats returns what has been generated so far.
func (g *Generator) Stats() Stats { return g.stats }

// LinkType is the link type of the generated frames: Ethernet.
func (g *Generator) LinkType() packet.LinkType { return packet.LinkEthernet }

// Rewind restarts the traffic from the beginning: the same packets again.
func (g *Generator) Rewind() error {
	g.reset()
	return nil
}

func (g *Generator) reset() {
	o := g.opt
	g.rng = rand.New(rand.NewPCG(o.Seed, 0x73796e7468)) // "synth"
	g.events = g.events[:0]
	g.seq = 0
	g.flows = g.flows[:0]
	g.free = g.free[:0]
	g.flowsStarted = 0
	g.arrivalsDone = false
	g.stats = Stats{}
	g.cports = make([]uint16, o.Clients.Count)
	for i := range g.cports {
		g.cports[i] = uint16(32768 + (i*7919)%28232)
	}
	g.onUntil = int64(o.Arrival.On)
	g.push(event{t: 0, flow: -1, kind: evArrival})
	if o.SYNFlood.Rate > 0 {
		g.floodBase = packet.AddrFromNetip(o.SYNFlood.Prefix.Masked().Addr())
		g.floodEnd = math.MaxInt64
		if o.SYNFlood.Duration > 0 {
			g.floodEnd = int64(o.SYNFlood.Start) + int64(o.SYNFlood.Duration)
		}
		g.push(event{t: int64(o.SYNFlood.Start), flow: -1, kind: evFlood})
	}
	if o.PortScan.Rate > 0 {
		g.scanPort = int(o.PortScan.FirstPort)
		g.scanCport = uint16(40000 + g.rng.IntN(20000))
		g.push(event{t: int64(o.PortScan.Start), flow: -1, kind: evScan})
	}
}

// ---- event queue: a 4-ary heap of values ----
//
// With thousands of flows in flight the queue is the generator's hot spot.
// A 4-ary heap is half as deep as a binary one and a node's children share
// a cache line or two, so a pop touches about half the lines.

func (g *Generator) push(e event) {
	e.seq = g.seq
	g.seq++
	if e.flow >= 0 {
		g.flows[e.flow].pending++
	}
	// Sift up with a hole: parents move down one copy each, and e is
	// written once where it belongs.
	g.events = append(g.events, e)
	h := g.events
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 4
		if !e.before(&h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = e
}

func (g *Generator) pop() event {
	h := g.events
	top := h[0]
	last := len(h) - 1
	x := h[last]
	h = h[:last]
	g.events = h
	if last == 0 {
		return top
	}
	// Sift the last element down from the root with a hole.
	i := 0
	for {
		c := 4*i + 1
		if c >= last {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < last; j++ {
			if h[j].before(&h[m]) {
				m = j
			}
		}
		if !h[m].before(&x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
	return top
}

// at queues a captured packet of flow f.
func (g *Generator) at(t int64, f int32, r role, off int64, n int64) {
	g.push(event{t: t, flow: f, kind: evCapture, role: r, off: off, n: int32(n)})
}

// ---- flows ----

func (g *Generator) newFlow(kind flowKind) int32 {
	var i int32
	if n := len(g.free); n > 0 {
		i = g.free[n-1]
		g.free = g.free[:n-1]
	} else {
		g.flows = append(g.flows, flow{})
		i = int32(len(g.flows) - 1)
	}
	ooo := g.flows[i].ooo[:0]
	g.flows[i] = flow{kind: kind, ooo: ooo}
	g.flows[i].ipID = [2]uint16{uint16(g.rng.Uint32()), uint16(g.rng.Uint32())}
	return i
}

// Next produces the next packet: packet.Source. p.Data aliases the
// generator's frame buffer until the next call.
func (g *Generator) Next(p *packet.Packet) error {
	for {
		if len(g.events) == 0 || (g.opt.MaxPackets > 0 && g.stats.Packets >= uint64(g.opt.MaxPackets)) {
			return io.EOF
		}
		ev := g.pop()
		switch ev.kind {
		case evArrival:
			g.arrive(ev.t)
		case evFlood:
			g.flood(ev.t)
		case evScan:
			g.scan(ev.t)
		case evSend:
			g.send(&ev)
		case evCapture:
			g.emit(&ev, p)
			g.captured(&ev)
		}
		if ev.flow >= 0 {
			f := &g.flows[ev.flow]
			if f.pending--; f.pending == 0 {
				g.free = append(g.free, ev.flow)
			}
		}
		if ev.kind == evCapture {
			return nil
		}
	}
}

func (g *Generator) arrive(t int64) {
	o := &g.opt
	if (o.Flows > 0 && g.flowsStarted >= o.Flows) || (o.Duration > 0 && t >= int64(o.Duration)) {
		g.arrivalsDone = true
		return
	}
	g.startFlow(t)
	g.flowsStarted++
	g.push(event{t: g.nextArrival(t), flow: -1, kind: evArrival})
}

// nextArrival draws the next flow start after t.
func (g *Generator) nextArrival(t int64) int64 {
	a := &g.opt.Arrival
	switch a.Process {
	case "constant":
		return t + max(1, int64(1e9/a.Rate))
	case "poisson":
		return t + max(1, int64(g.rng.ExpFloat64()*1e9/a.Rate))
	}
	// On/off: Poisson arrivals while on; an arrival that would fall past
	// the end of the on period is redrawn after an off period (the
	// exponential gap is memoryless, so this is exact).
	next := t + max(1, int64(g.rng.ExpFloat64()*1e9/a.Rate))
	for next > g.onUntil {
		start := g.onUntil + int64(g.rng.ExpFloat64()*float64(a.Off))
		g.onUntil = start + max(1, int64(g.rng.ExpFloat64()*float64(a.On)))
		next = start + max(1, int64(g.rng.ExpFloat64()*1e9/a.Rate))
	}
	return next
}

// drawSize draws a client request size.
func (g *Generator) drawSize() int64 {
	s := &g.opt.Size
	var v float64
	switch s.Dist {
	case "none":
		return 0
	case "fixed":
		v = s.Mean
	case "exponential":
		v = g.rng.ExpFloat64() * s.Mean
	case "pareto":
		xm := s.Mean * (s.Shape - 1) / s.Shape
		v = xm / math.Pow(1-g.rng.Float64(), 1/s.Shape)
	}
	return max(1, int64(math.Round(min(v, s.Max))))
}

func (g *Generator) startFlow(t int64) {
	o := &g.opt
	v6 := g.rng.Float64() < o.IPv6Fraction
	udp := g.rng.Float64() < o.UDPFraction
	kind := flowTCP
	if udp {
		kind = flowUDP
	}
	fi := g.newFlow(kind)
	f := &g.flows[fi]
	ci := g.clients.pick(g.rng)
	f.v6 = v6
	f.cli = g.clients.addr(ci, v6)
	f.srv = g.servers.addr(g.servers.pick(g.rng), v6)
	f.sport = o.Servers.Ports[g.ports.pick(g.rng)]
	f.cport = g.cports[ci]
	g.cports[ci]++
	if g.cports[ci] >= 61000 {
		g.cports[ci] = 32768
	}
	f.req = g.drawSize()
	f.resp = int64(math.Round(float64(f.req) * o.ResponseRatio))
	if udp {
		g.stats.UDPFlows++
		g.push(event{t: t, flow: fi, kind: evSend})
		return
	}
	g.stats.TCPFlows++
	f.issC, f.issS = g.rng.Uint32(), g.rng.Uint32()
	f.rst = g.rng.Float64() < o.RSTFraction
	g.at(t, fi, roleSYN, 0, 0)
}

// send: the client sends the segment (or datagram) at offset ev.off. Loss
// and reordering happen here, between the client and the capture point.
func (g *Generator) send(ev *event) {
	f := &g.flows[ev.flow]
	unit, r := int64(g.opt.MSS), roleData
	if f.kind == flowUDP {
		unit, r = int64(g.opt.Datagram), roleUDP
	}
	n := min(unit, f.req-ev.off)
	t := ev.t
	switch u := g.rng.Float64(); {
	case u < g.opt.Loss:
		g.stats.Lost++
		if f.kind == flowTCP {
			g.stats.Retransmitted++
			g.at(t+g.rtt+3*g.gap, ev.flow, r, ev.off, n)
		}
	case u < g.opt.Loss+g.opt.Reorder:
		g.stats.Reordered++
		g.at(t+2*g.gap, ev.flow, r, ev.off, n)
	default:
		g.at(t, ev.flow, r, ev.off, n)
	}
	next := ev.off + n
	switch {
	case next < f.req:
		g.push(event{t: t + g.gap, flow: ev.flow, kind: evSend, off: next})
	case f.kind == flowUDP:
		if f.resp > 0 {
			g.at(t+g.gap+serverDelay, ev.flow, roleUDPResp, 0, min(int64(g.opt.Datagram), f.resp))
		}
	case f.resp == 0 && !f.rst:
		// The FIN follows the last segment at once, and may overtake a
		// late one: the server holds it until the data is in.
		g.close(t+g.gap, ev.flow)
	}
}

// close queues the client's FIN or RST.
func (g *Generator) close(t int64, fi int32) {
	if g.flows[fi].rst {
		g.at(t, fi, roleRST, 0, 0)
	} else {
		g.at(t, fi, roleFIN, 0, 0)
	}
}

// captured advances flow state after the packet of ev passed the capture
// point, queueing what follows from it.
func (g *Generator) captured(ev *event) {
	fi := ev.flow
	f := &g.flows[fi]
	t := ev.t
	mss := int64(g.opt.MSS)
	switch ev.role {
	case roleSYN:
		g.at(t+serverDelay, fi, roleSYNACK, 0, 0)
	case roleSYNACK:
		g.at(t+g.rtt, fi, roleHandshakeACK, 0, 0)
		switch {
		case f.req > 0:
			g.push(event{t: t + g.rtt, flow: fi, kind: evSend})
		case f.resp > 0:
			g.at(t+g.rtt+serverDelay, fi, roleResp, 0, min(mss, f.resp))
		default:
			g.close(t+g.rtt+g.gap, fi)
		}
	case roleData:
		g.serverReceives(t, fi, ev.off, int64(ev.n))
	case roleResp:
		end := ev.off + int64(ev.n)
		if end < f.resp {
			g.at(t+g.gap, fi, roleResp, end, min(mss, f.resp-end))
		}
		if (ev.off/mss)%2 == 1 || end == f.resp {
			g.at(t+g.rtt, fi, roleClientACK, end, 0)
		}
		if end == f.resp {
			g.close(t+g.rtt, fi)
		}
	case roleFIN:
		if f.rcvNxt >= f.req {
			g.at(t+serverDelay, fi, roleFINACK, 0, 0)
		} else {
			f.finPending = true
		}
		g.stats.FINCloses++
	case roleRST:
		g.stats.RSTCloses++
	case roleFINACK:
		g.at(t+g.rtt, fi, roleLastACK, 0, 0)
	case roleUDPResp:
		if end := ev.off + int64(ev.n); end < f.resp {
			g.at(t+g.gap, fi, roleUDPResp, end, min(int64(g.opt.Datagram), f.resp-end))
		}
	case roleFloodSYN:
		if g.opt.SYNFlood.Respond {
			g.at(t+serverDelay, fi, roleFloodSYNACK, 0, 0)
		}
	case roleScanSYN:
		if f.open {
			g.at(t+serverDelay, fi, roleScanSYNACK, 0, 0)
		} else {
			g.at(t+serverDelay, fi, roleScanRSTACK, 0, 0)
		}
	case roleScanSYNACK:
		g.at(t+g.rtt, fi, roleScanRST, 0, 0)
	}
}

// serverReceives is the server's TCP receiver: in-order data advances
// rcvNxt (and pulls in buffered out-of-order data), out-of-order data is
// buffered; an ACK goes out for every second segment, at once for anything
// out of order or filling a hole, and for the last byte.
func (g *Generator) serverReceives(t int64, fi int32, off, n int64) {
	f := &g.flows[fi]
	ackNow := false
	switch {
	case off == f.rcvNxt:
		f.rcvNxt += n
		for len(f.ooo) > 0 && f.ooo[0].start <= f.rcvNxt {
			f.rcvNxt = max(f.rcvNxt, f.ooo[0].end)
			f.ooo = f.ooo[:copy(f.ooo, f.ooo[1:])]
			ackNow = true
		}
	case off > f.rcvNxt:
		i := sort.Search(len(f.ooo), func(i int) bool { return f.ooo[i].start >= off })
		f.ooo = append(f.ooo, span{})
		copy(f.ooo[i+1:], f.ooo[i:])
		f.ooo[i] = span{off, off + n}
		ackNow = true
	default:
		ackNow = true // a duplicate
	}
	f.unacked++
	done := f.rcvNxt >= f.req
	if ackNow || f.unacked >= 2 || done {
		g.at(t+serverDelay, fi, roleServerACK, f.rcvNxt, 0)
		f.unacked = 0
	}
	if done && !f.reqDone {
		f.reqDone = true
		switch {
		case f.resp > 0:
			g.at(t+serverDelay, fi, roleResp, 0, min(int64(g.opt.MSS), f.resp))
		case f.rst:
			// An aborting client resets once its request is acknowledged,
			// so nothing of the flow follows the RST.
			g.at(t+serverDelay+g.rtt, fi, roleRST, 0, 0)
		}
		if f.finPending {
			f.finPending = false
			g.at(t+serverDelay, fi, roleFINACK, 0, 0)
		}
	}
}

// floodActive reports whether attack traffic may still start at t.
func (g *Generator) floodActive(t int64) bool {
	if g.opt.SYNFlood.Duration > 0 {
		return t < g.floodEnd
	}
	return !g.arrivalsDone
}

func (g *Generator) flood(t int64) {
	o := &g.opt.SYNFlood
	if !g.floodActive(t) {
		return
	}
	fi := g.newFlow(flowFlood)
	f := &g.flows[fi]
	f.v6 = o.IPv6
	f.cli = nthHost(g.floodBase, g.rng.IntN(o.Sources))
	f.cport = uint16(1024 + g.rng.IntN(64512))
	f.srv = g.servers.addr(0, o.IPv6)
	f.sport = g.opt.Servers.Ports[0]
	f.issC, f.issS = g.rng.Uint32(), g.rng.Uint32()
	g.stats.FloodSYNs++
	g.at(t, fi, roleFloodSYN, 0, 0)
	g.push(event{t: t + max(1, int64(1e9/o.Rate)), flow: -1, kind: evFlood})
}

func (g *Generator) scan(t int64) {
	o := &g.opt.PortScan
	fi := g.newFlow(flowScan)
	f := &g.flows[fi]
	f.v6 = o.IPv6
	f.cli = packet.AddrFromNetip(o.Scanner)
	f.cport = g.scanCport
	f.srv = g.servers.addr(0, o.IPv6)
	f.sport = uint16(g.scanPort)
	for _, p := range g.opt.Servers.Ports {
		f.open = f.open || p == f.sport
	}
	f.issC, f.issS = g.rng.Uint32(), g.rng.Uint32()
	g.stats.ScanProbes++
	g.at(t, fi, roleScanSYN, 0, 0)
	if g.scanPort < int(o.LastPort) {
		g.scanPort++
		g.push(event{t: t + max(1, int64(1e9/o.Rate)), flow: -1, kind: evScan})
	}
}

// ---- address pools ----

// sampler picks an index in [0, n) with weight 1/(i+1)^s: uniformly when
// s is 0, otherwise by binary search in the cumulative weights.
type sampler struct {
	n   int
	cdf []float64
}

func newSampler(n int, s float64) sampler {
	sm := sampler{n: n}
	if s > 0 && n > 1 {
		sm.cdf = make([]float64, n)
		sum := 0.0
		for i := range sm.cdf {
			sum += math.Pow(float64(i+1), -s)
			sm.cdf[i] = sum
		}
	}
	return sm
}

func (s *sampler) pick(r *rand.Rand) int {
	if s.cdf == nil {
		return r.IntN(s.n)
	}
	u := r.Float64() * s.cdf[len(s.cdf)-1]
	return min(sort.SearchFloat64s(s.cdf, u), s.n-1)
}

type hostPool struct {
	base4, base6 packet.Addr
	sampler
}

func newHostPool(p Pool) hostPool {
	return hostPool{
		base4:   packet.AddrFromNetip(p.Prefix4.Masked().Addr()),
		base6:   packet.AddrFromNetip(p.Prefix6.Masked().Addr()),
		sampler: newSampler(p.Count, p.Zipf),
	}
}

// addr returns host i (counting from 0) of the pool.
func (h *hostPool) addr(i int, v6 bool) packet.Addr {
	base := h.base4
	if v6 {
		base = h.base6
	}
	return nthHost(base, i)
}

// nthHost returns host i (counting from 0) of the network whose address is
// base: base plus i+1, skipping the network address itself.
func nthHost(base packet.Addr, i int) packet.Addr {
	if base.Is4() {
		return packet.AddrFromV4(base.V4() + uint32(i) + 1)
	}
	base.Lo += uint64(i) + 1
	return base
}

// String describes the generator's configuration briefly.
func (g *Generator) String() string {
	return fmt.Sprintf("synth seed %d: %d flows, %s arrivals at %g/s", g.opt.Seed, g.opt.Flows, g.opt.Arrival.Process, g.opt.Arrival.Rate)
}
