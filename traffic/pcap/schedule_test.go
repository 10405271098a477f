package pcap_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// sliceSource replays frames with given capture timestamps; it can rewind.
// Each Next hands out a fresh copy of the frame, as a reader's buffer would
// be refilled.
type sliceSource struct {
	frames [][]byte
	ts     []int64
	i      int
	buf    []byte
}

func (s *sliceSource) Next(p *packet.Packet) error {
	if s.i >= len(s.frames) {
		return io.EOF
	}
	s.buf = append(s.buf[:0], s.frames[s.i]...)
	p.Timestamp, p.WireLen = s.ts[s.i], 0
	s.i++
	return packet.Decode(s.buf, packet.LinkEthernet, p)
}

func (s *sliceSource) Rewind() error { s.i = 0; return nil }

func newSource(n int, ts ...int64) *sliceSource {
	frames := pt.Mix(n, 21)
	if len(ts) == 0 {
		for i := range n {
			ts = append(ts, 1_700_000_000e9+int64(i)*1000)
		}
	}
	return &sliceSource{frames: frames, ts: ts}
}

// schedule returns the due times (and wire lengths) of every packet s yields.
func schedule(t *testing.T, src packet.Source, tm pcap.Timing) (due []int64, wire []uint32) {
	t.Helper()
	s, err := pcap.NewScheduler(src, tm)
	if err != nil {
		t.Fatal(err)
	}
	var p packet.Packet
	for {
		err := s.Next(&p)
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		due = append(due, p.Timestamp)
		wire = append(wire, p.WireLen)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScheduleModes(t *testing.T) {
	base := int64(1_700_000_000e9)
	capTS := []int64{base, base + 10_000, base + 15_000, base + 15_000, base + 100_000}
	cases := []struct {
		name string
		tm   pcap.Timing
		want []int64
	}{
		{"original", pcap.Timing{Mode: pcap.Original}, []int64{0, 10_000, 15_000, 15_000, 100_000}},
		{"original from start", pcap.Timing{Mode: pcap.Original, Start: 5}, []int64{5, 10_005, 15_005, 15_005, 100_005}},
		{"multiplier 2", pcap.Timing{Mode: pcap.Multiplier, Multiplier: 2}, []int64{0, 5_000, 7_500, 7_500, 50_000}},
		{"multiplier 0.5", pcap.Timing{Mode: pcap.Multiplier, Multiplier: 0.5}, []int64{0, 20_000, 30_000, 30_000, 200_000}},
		{"pps 1000", pcap.Timing{Mode: pcap.PPS, PPS: 1000}, []int64{0, 1e6, 2e6, 3e6, 4e6}},
		{"topspeed", pcap.Timing{Mode: pcap.TopSpeed, Start: 7}, []int64{7, 7, 7, 7, 7}},
		{"original, loop 2 (second pass one mean gap after the first)", pcap.Timing{Mode: pcap.Original, Loop: 2},
			[]int64{0, 10_000, 15_000, 15_000, 100_000, 125_000, 135_000, 140_000, 140_000, 225_000}},
		{"pps 1000, loop 2 (spacing continues)", pcap.Timing{Mode: pcap.PPS, PPS: 1000, Loop: 2},
			[]int64{0, 1e6, 2e6, 3e6, 4e6, 5e6, 6e6, 7e6, 8e6, 9e6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := schedule(t, newSource(5, capTS...), c.tm)
			if !equalInts(got, c.want) {
				t.Errorf("due = %v\nwant  %v", got, c.want)
			}
		})
	}
}

func TestScheduleMbps(t *testing.T) {
	src := newSource(50)
	due, wire := schedule(t, src, pcap.Timing{Mode: pcap.Mbps, Mbps: 8})
	var bits int64
	for i := range due {
		// 8 Mbit/s = 1 bit per 125 ns.
		if want := bits * 125; due[i] != want {
			t.Fatalf("packet %d due %d, want %d", i, due[i], want)
		}
		bits += int64(wire[i]) * 8
	}
}

func TestScheduleNeverGoesBack(t *testing.T) {
	base := int64(1e18)
	got, _ := schedule(t, newSource(4, base, base+50, base+30, base+60), pcap.Timing{})
	if want := []int64{0, 50, 50, 60}; !equalInts(got, want) {
		t.Errorf("due = %v, want %v", got, want)
	}
}

func TestScheduleLoopOfOneInstant(t *testing.T) {
	got, _ := schedule(t, newSource(2, 5, 5), pcap.Timing{Loop: 3})
	if want := []int64{0, 0, 1e6, 1e6, 2e6, 2e6}; !equalInts(got, want) {
		t.Errorf("due = %v, want %v", got, want)
	}
}

func TestScheduleEmptySource(t *testing.T) {
	s, err := pcap.NewScheduler(&sliceSource{}, pcap.Timing{Loop: 5})
	if err != nil {
		t.Fatal(err)
	}
	var p packet.Packet
	if err := s.Next(&p); err != io.EOF {
		t.Errorf("empty source: %v", err)
	}
}

// TestUniqueIPRewriting loops a two-way conversation three times. Every pass
// must be a new set of flows, the same in both directions, with ports kept
// and checksums right; "clients" must leave the servers alone.
func TestUniqueIPRewriting(t *testing.T) {
	c4, s4 := packet.MustParseAddr("10.0.0.1"), packet.MustParseAddr("10.9.0.2")
	c6, s6 := packet.MustParseAddr("fd00::1"), packet.MustParseAddr("fd00::2")
	mk := func(src, dst packet.Addr, sport, dport uint16) []byte {
		var ip []byte
		seg := pt.TCP{SrcPort: sport, DstPort: dport, Flags: packet.TCPAck}.Build(pt.Payload(20))
		if src.Is4() {
			ip = pt.IPv4{Src: src.Netip(), Dst: dst.Netip(), Proto: 6}.Build(seg)
			return pt.Finish(pt.Ethernet(0x0800, ip), packet.LinkEthernet)
		}
		ip = pt.IPv6{Src: src.Netip(), Dst: dst.Netip(), PayloadLength: -1}.Build(6, seg)
		return pt.Finish(pt.Ethernet(0x86dd, ip), packet.LinkEthernet)
	}
	frames := [][]byte{mk(c4, s4, 40000, 80), mk(s4, c4, 80, 40000), mk(c6, s6, 50000, 443), mk(s6, c6, 443, 50000)}
	for _, mode := range []pcap.Rewrite{pcap.RewriteAll, pcap.RewriteClients} {
		src := &sliceSource{frames: frames, ts: []int64{0, 1, 2, 3}}
		s, err := pcap.NewScheduler(src, pcap.Timing{Loop: 3, UniqueIP: mode})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[packet.FiveTuple]int{}
		for i := 0; i < 12; i++ {
			var p packet.Packet
			if err := s.Next(&p); err != nil {
				t.Fatal(err)
			}
			pass := i / 4
			orig := packet.Packet{}
			_ = packet.Decode(frames[i%4], packet.LinkEthernet, &orig)
			if p.SrcPort != orig.SrcPort || p.DstPort != orig.DstPort {
				t.Errorf("%v pass %d: ports changed", mode, pass)
			}
			shifted := func(a packet.Addr) packet.Addr {
				if a.Is4() {
					return packet.AddrFromV4(a.V4() + uint32(pass)*65536)
				}
				a.Lo += uint64(pass) * 65536 << 32
				return a
			}
			wantSrc, wantDst := shifted(orig.Src), shifted(orig.Dst)
			if mode == pcap.RewriteClients { // the server (port 80/443) end stays
				if orig.SrcPort < orig.DstPort {
					wantSrc = orig.Src
				} else {
					wantDst = orig.Dst
				}
			}
			if p.Src != wantSrc || p.Dst != wantDst {
				t.Errorf("%v pass %d packet %d: %v -> %v, want %v -> %v", mode, pass, i%4, p.Src, p.Dst, wantSrc, wantDst)
			}
			var q packet.Packet
			if err := packet.Decode(p.Data, packet.LinkEthernet, &q); err != nil || q.Src != p.Src || q.Dst != p.Dst {
				t.Errorf("%v pass %d: frame bytes not rewritten (%v -> %v)", mode, pass, q.Src, q.Dst)
			}
			if !pt.ChecksumsOK(p.Data) {
				t.Errorf("%v pass %d packet %d: bad checksums after rewriting", mode, pass, i%4)
			}
			// One flow per direction pair per pass: key on the client->server tuple.
			tu := p.Tuple()
			if p.SrcPort < p.DstPort {
				tu = tu.Reverse()
			}
			seen[tu]++
		}
		if len(seen) != 6 {
			t.Errorf("%v: %d distinct flows over 3 passes of 2 flows, want 6", mode, len(seen))
		}
		for tu, n := range seen {
			if n != 2 {
				t.Errorf("%v: flow %v seen %d times, want both directions once", mode, tu, n)
			}
		}
	}
}

func TestTimingValidate(t *testing.T) {
	for _, c := range []struct {
		tm   pcap.Timing
		want string
	}{
		{pcap.Timing{Mode: pcap.Multiplier}, "timing: multiplier mode needs multiplier > 0, have 0"},
		{pcap.Timing{Mode: pcap.PPS, PPS: -1}, "timing: pps mode needs pps > 0, have -1"},
		{pcap.Timing{Mode: pcap.Mbps}, "timing: mbps mode needs mbps > 0, have 0"},
		{pcap.Timing{Loop: -2}, "timing: loop must be >= 0, have -2"},
		{pcap.Timing{Mode: 9}, "timing: unknown mode 9"},
	} {
		if err := c.tm.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.tm, err, c.want)
		}
	}
	if _, err := pcap.NewScheduler(struct{ packet.Source }{newSource(1)}, pcap.Timing{Loop: 2}); err == nil ||
		!strings.Contains(err.Error(), "needs a source that can rewind") {
		t.Errorf("loop over a source that cannot rewind: %v", err)
	}
}

func TestTimingYAML(t *testing.T) {
	var doc struct {
		Timing pcap.Timing `yaml:"timing"`
	}
	if err := yaml.Unmarshal([]byte("timing: {mode: pps, pps: 100000, loop: 3, unique_ip: clients}\n"), &doc); err != nil {
		t.Fatal(err)
	}
	want := pcap.Timing{Mode: pcap.PPS, PPS: 100000, Loop: 3, UniqueIP: pcap.RewriteClients}
	if doc.Timing != want {
		t.Errorf("decoded %+v, want %+v", doc.Timing, want)
	}
	if got := doc.Timing.Describe(); got != "pps 100000, loop 3, unique-ip clients" {
		t.Errorf("Describe() = %q", got)
	}
	err := yaml.Unmarshal([]byte("timing: {mode: warp}\n"), &doc)
	if err == nil || !strings.Contains(err.Error(), `unknown timing mode "warp"`) {
		t.Errorf("bad mode: %v", err)
	}
	out, err := yaml.Marshal(want)
	if err != nil || !bytes.Contains(out, []byte("mode: pps")) || !bytes.Contains(out, []byte("unique_ip: clients")) {
		t.Errorf("marshal: %v\n%s", err, out)
	}
}

var errStop = errors.New("stop")
