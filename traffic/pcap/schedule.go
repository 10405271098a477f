package pcap

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Mode is a replay timing mode, as tcpreplay names them.
type Mode uint8

// Timing modes.
const (
	// Original keeps the capture's inter-packet gaps.
	Original Mode = iota
	// Multiplier divides the capture's gaps by Timing.Multiplier
	// (2 = twice as fast).
	Multiplier
	// PPS spaces packets evenly at Timing.PPS packets per second.
	PPS
	// Mbps spaces packets so their wire bytes flow at Timing.Mbps
	// megabits per second (10^6 bits).
	Mbps
	// TopSpeed makes every packet due at once: as fast as the consumer
	// takes them.
	TopSpeed
)

var modeNames = [...]string{"original", "multiplier", "pps", "mbps", "topspeed"}

// String returns the mode's name.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode-%d", m)
}

// MarshalText implements encoding.TextMarshaler (YAML and JSON use it).
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses a mode name.
func (m *Mode) UnmarshalText(b []byte) error {
	for i, n := range modeNames {
		if string(b) == n {
			*m = Mode(i)
			return nil
		}
	}
	return fmt.Errorf("unknown timing mode %q (want one of %s)", b, strings.Join(modeNames[:], ", "))
}

// Rewrite says which addresses a loop pass rewrites.
type Rewrite uint8

// Address rewriting per loop pass.
const (
	// RewriteNone replays every pass unchanged: the same flows again.
	RewriteNone Rewrite = iota
	// RewriteAll shifts every address (like tcpreplay --unique-ip): both
	// ends of every flow move, so each pass is a new set of flows.
	RewriteAll
	// RewriteClients shifts only each flow's client end (as TRex
	// multiplies clients against fixed servers), so servers keep their
	// addresses and listeners still match. The client end is the one with
	// the larger port; with equal ports or none, the larger address.
	RewriteClients
)

var rewriteNames = [...]string{"none", "all", "clients"}

// String returns the rewrite's name.
func (w Rewrite) String() string {
	if int(w) < len(rewriteNames) {
		return rewriteNames[w]
	}
	return fmt.Sprintf("rewrite-%d", w)
}

// MarshalText implements encoding.TextMarshaler.
func (w Rewrite) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText parses a rewrite name.
func (w *Rewrite) UnmarshalText(b []byte) error {
	for i, n := range rewriteNames {
		if string(b) == n {
			*w = Rewrite(i)
			return nil
		}
	}
	return fmt.Errorf("unknown address rewrite %q (want one of %s)", b, strings.Join(rewriteNames[:], ", "))
}

// DefaultUniqueStride is the default per-pass IPv4 address shift: pass k
// adds k*65536, so 10.0.0.1 becomes 10.1.0.1 in pass 1.
const DefaultUniqueStride = 1 << 16

// Timing is a replay schedule. Its yaml tags let a scenario file hold one:
//
//	timing: {mode: pps, pps: 100000, loop: 4, unique_ip: clients}
type Timing struct {
	Mode       Mode    `yaml:"mode" json:"mode"`
	Multiplier float64 `yaml:"multiplier,omitempty" json:"multiplier,omitempty"` // Multiplier mode
	PPS        float64 `yaml:"pps,omitempty" json:"pps,omitempty"`               // PPS mode
	Mbps       float64 `yaml:"mbps,omitempty" json:"mbps,omitempty"`             // Mbps mode
	// Loop is the number of passes over the source; 0 and 1 both mean one.
	// More than one needs a source that can Rewind.
	Loop int `yaml:"loop,omitempty" json:"loop,omitempty"`
	// UniqueIP says which addresses later passes rewrite (none by default).
	UniqueIP Rewrite `yaml:"unique_ip,omitempty" json:"unique_ip,omitempty"`
	// UniqueStride is the IPv4 shift per pass (default 65536). IPv6
	// addresses shift by the same amount in bits 32-63 of their low half.
	UniqueStride uint32 `yaml:"unique_stride,omitempty" json:"unique_stride,omitempty"`
	// Start is the scheduled time of the first packet, in ns. The
	// simulator's virtual clock starts at 0; the live Pacer maps it to
	// the wall clock, so its value does not matter there.
	Start int64 `yaml:"start,omitempty" json:"start,omitempty"`
}

// Validate reports the first thing wrong with t.
func (t Timing) Validate() error {
	bad := func(field string, v float64) error {
		return fmt.Errorf("timing: %s mode needs %s > 0, have %v", t.Mode, field, v)
	}
	switch t.Mode {
	case Original, TopSpeed:
	case Multiplier:
		if !(t.Multiplier > 0) || math.IsInf(t.Multiplier, 0) {
			return bad("multiplier", t.Multiplier)
		}
	case PPS:
		if !(t.PPS > 0) || math.IsInf(t.PPS, 0) {
			return bad("pps", t.PPS)
		}
	case Mbps:
		if !(t.Mbps > 0) || math.IsInf(t.Mbps, 0) {
			return bad("mbps", t.Mbps)
		}
	default:
		return fmt.Errorf("timing: unknown mode %d", t.Mode)
	}
	if t.Loop < 0 {
		return fmt.Errorf("timing: loop must be >= 0, have %d", t.Loop)
	}
	if t.UniqueIP > RewriteClients {
		return fmt.Errorf("timing: unknown unique_ip %d", t.UniqueIP)
	}
	return nil
}

// Describe returns the schedule in tcpreplay's words, e.g. "pps 100000, loop 4".
func (t Timing) Describe() string {
	var s string
	switch t.Mode {
	case Multiplier:
		s = fmt.Sprintf("multiplier %g", t.Multiplier)
	case PPS:
		s = fmt.Sprintf("pps %g", t.PPS)
	case Mbps:
		s = fmt.Sprintf("mbps %g", t.Mbps)
	default:
		s = t.Mode.String()
	}
	if t.Loop > 1 {
		s += fmt.Sprintf(", loop %d", t.Loop)
		if t.UniqueIP != RewriteNone {
			s += ", unique-ip " + t.UniqueIP.String()
		}
	}
	return s
}

// Rewinder is a source that can start over: what looping needs. Reader
// (on a seekable file) and the synthetic generator implement it.
type Rewinder interface {
	Rewind() error
}

// Scheduler is a packet.Source that yields another source's packets with
// Timestamp replaced by the time each is due under a Timing. It does no
// waiting: a simulator reads the timestamps as virtual time, a live replay
// hands them to a Pacer. Scheduled timestamps never decrease, even when the
// capture's own do (a capture out of order is replayed in file order).
type Scheduler struct {
	src    packet.Source
	t      Timing
	passes int
	pass   int

	n        uint64  // packets yielded, all passes
	bits     float64 // wire bits yielded, all passes
	first    int64   // capture time of the first packet of pass 0
	passBase int64   // scheduled offset of the current pass (original/multiplier)
	inPass   uint64  // packets in the current pass
	lastCap  int64   // capture time of the last packet of this pass
	last     int64   // last scheduled time
	started  bool
	stride   uint32
}

// NewScheduler schedules src under t.
func NewScheduler(src packet.Source, t Timing) (*Scheduler, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	passes := max(t.Loop, 1)
	if passes > 1 {
		if _, ok := src.(Rewinder); !ok {
			return nil, fmt.Errorf("timing: loop %d needs a source that can rewind (%T cannot)", t.Loop, src)
		}
	}
	stride := t.UniqueStride
	if stride == 0 {
		stride = DefaultUniqueStride
	}
	return &Scheduler{src: src, t: t, passes: passes, stride: stride}, nil
}

// Pass returns the index of the pass being read (0 for the first).
func (s *Scheduler) Pass() int { return s.pass }

// Timing returns the schedule.
func (s *Scheduler) Timing() Timing { return s.t }

// Next yields the next packet with its scheduled Timestamp.
func (s *Scheduler) Next(p *packet.Packet) error {
	err := s.src.Next(p)
	for err == io.EOF && s.pass+1 < s.passes {
		if s.inPass == 0 {
			return io.EOF // an empty source stays empty
		}
		s.endPass()
		if err = s.src.(Rewinder).Rewind(); err != nil {
			return fmt.Errorf("timing: rewinding for pass %d: %w", s.pass+1, err)
		}
		s.pass++
		err = s.src.Next(p)
	}
	if err != nil {
		return err
	}
	capTS := p.Timestamp
	if !s.started {
		s.started, s.first = true, capTS
	}
	if s.inPass == 0 && s.pass > 0 && s.t.Mode <= Multiplier {
		// Line the new pass up with the first: its first packet is due one
		// mean gap after the previous pass's last.
		s.first = capTS
	}
	var due int64
	switch s.t.Mode {
	case Original:
		due = s.t.Start + s.passBase + (capTS - s.first)
	case Multiplier:
		due = s.t.Start + s.passBase + int64(float64(capTS-s.first)/s.t.Multiplier)
	case PPS:
		due = s.t.Start + int64(float64(s.n)*1e9/s.t.PPS)
	case Mbps:
		due = s.t.Start + int64(s.bits*1e3/s.t.Mbps)
	case TopSpeed:
		due = s.t.Start
	}
	if s.n > 0 && due < s.last {
		due = s.last
	}
	s.last = due
	s.n++
	s.bits += float64(p.WireLen) * 8
	s.inPass++
	s.lastCap = capTS
	p.Timestamp = due
	if s.pass > 0 && s.t.UniqueIP != RewriteNone && p.Family != 0 {
		s.rewrite(p)
	}
	return nil
}

// endPass works out where the next pass starts in original/multiplier
// timing: the capture's span plus one mean gap, so the boundary between
// passes looks like any other gap.
func (s *Scheduler) endPass() {
	span := s.lastCap - s.first
	gap := int64(1e6) // a pass of one packet, or of one instant: 1 ms apart
	if span > 0 && s.inPass > 1 {
		gap = span / int64(s.inPass-1)
	}
	d := span + gap
	if s.t.Mode == Multiplier {
		d = int64(float64(d) / s.t.Multiplier)
	}
	s.passBase += max(d, 1)
	s.inPass = 0
}

// shift moves a by pass k's offset.
func (s *Scheduler) shift(a packet.Addr) packet.Addr {
	d := uint64(s.pass) * uint64(s.stride)
	if a.Is4() {
		return packet.AddrFromV4(a.V4() + uint32(d))
	}
	a.Lo += d << 32
	return a
}

// rewrite shifts p's addresses for the current pass, in the decoded record
// and in the frame (checksums adjusted incrementally).
func (s *Scheduler) rewrite(p *packet.Packet) {
	src, dst := p.Src, p.Dst
	switch s.t.UniqueIP {
	case RewriteAll:
		src, dst = s.shift(src), s.shift(dst)
	case RewriteClients:
		if clientIsSrc(p) {
			src = s.shift(src)
		} else {
			dst = s.shift(dst)
		}
	}
	if !packet.SetAddrs(p, src, dst) {
		p.Src, p.Dst = src, dst
	}
}

// clientIsSrc picks a flow's client end statelessly, the same way for both
// directions: the end with the larger port (ephemeral ports sit above
// service ports), or with equal ports the larger address.
func clientIsSrc(p *packet.Packet) bool {
	if p.SrcPort != p.DstPort {
		return p.SrcPort > p.DstPort
	}
	return p.Dst.Less(p.Src)
}

// errNoPackets is returned by Replay for a source without packets.
var errNoPackets = errors.New("pcap: replay: the source has no packets")
