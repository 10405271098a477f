package veth

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var addrB = netip.MustParseAddr("10.201.0.2")

func build(t *testing.T, f Flow, tcp TCPFields, payload []byte) []byte {
	t.Helper()
	b := make([]byte, 2048)
	n, err := f.Build(b, tcp, payload, 0)
	if err != nil {
		t.Fatal(err)
	}
	return b[:n]
}

func TestReplierUDPEcho(t *testing.T) {
	var pl [ProbeLen]byte
	Probe{Seq: 9, Sent: 123}.Put(pl[:])
	rx := build(t, testFlow(protoUDP), TCPFields{}, pl[:])
	out := make([]byte, 2048)
	n := NewReplier(macB, addrB).Respond(rx, out)
	if n == 0 {
		t.Fatal("no reply")
	}
	want := testFlow(protoUDP)
	want.SrcMAC, want.DstMAC = macB, macA
	want.Src, want.Dst = want.Dst, want.Src
	want.SrcPort, want.DstPort = want.DstPort, want.SrcPort
	if exp := build(t, want, TCPFields{}, pl[:]); string(out[:n]) != string(exp) {
		t.Fatalf("echo:\n got %x\nwant %x", out[:n], exp)
	}
	if p, ok := probeOf(out[:n]); !ok || p.Seq != 9 || p.Sent != 123 {
		t.Fatalf("probe lost in the echo: %+v %v", p, ok)
	}
}

func TestReplierTCP(t *testing.T) {
	r := NewReplier(macB, addrB)
	out := make([]byte, 2048)
	tcpOf := func(b []byte) (seq, ack uint32, flags uint8, payload int) {
		v := parseFrame(b)
		if !v.ok || v.proto != protoTCP {
			t.Fatalf("reply is not TCP: %x", b)
		}
		th := b[v.l4:]
		end := ethLen + int(binary.BigEndian.Uint16(b[ethLen+2:]))
		return binary.BigEndian.Uint32(th[4:]), binary.BigEndian.Uint32(th[8:]), th[13], end - v.payload
	}
	// SYN: RST|ACK acknowledging seq+1 (a filtered connect).
	n := r.Respond(build(t, testFlow(protoTCP), TCPFields{Seq: 0xffffffff, Flags: TCPSyn}, nil), out)
	if seq, ack, fl, pl := tcpOf(out[:n]); fl != TCPRst|TCPAck || ack != 0 || seq != 0 || pl != 0 {
		t.Fatalf("SYN answered with seq %d ack %d flags %#x payload %d", seq, ack, fl, pl)
	}
	// Data: echoed with ACK of seq+len.
	n = r.Respond(build(t, testFlow(protoTCP), TCPFields{Seq: 100, Ack: 7, Flags: TCPAck | TCPPsh}, []byte("hello")), out)
	if seq, ack, fl, pl := tcpOf(out[:n]); fl != TCPAck|TCPPsh || seq != 7 || ack != 105 || pl != 5 {
		t.Fatalf("data answered with seq %d ack %d flags %#x payload %d", seq, ack, fl, pl)
	}
	checkChecksums(t, out[:n])
	// Bare ACK mode.
	r.TCPData = ReplyAck
	n = r.Respond(build(t, testFlow(protoTCP), TCPFields{Seq: 100, Ack: 7, Flags: TCPAck}, []byte("hello")), out)
	if _, ack, fl, pl := tcpOf(out[:n]); fl != TCPAck || ack != 105 || pl != 0 {
		t.Fatalf("ack mode: ack %d flags %#x payload %d", ack, fl, pl)
	}
	// Never answer a RST, nor a bare ACK without data.
	for _, fl := range []uint8{TCPRst, TCPRst | TCPAck, TCPAck} {
		if n := r.Respond(build(t, testFlow(protoTCP), TCPFields{Flags: fl}, nil), out); n != 0 {
			t.Fatalf("flags %#x answered", fl)
		}
	}
	r.TCPSyn = ReplyNone
	if n := r.Respond(build(t, testFlow(protoTCP), TCPFields{Flags: TCPSyn}, nil), out); n != 0 {
		t.Fatal("SYN answered with ReplyNone")
	}
}

func arpRequest(target netip.Addr) []byte {
	b := make([]byte, MinFrame)
	for i := 0; i < 6; i++ {
		b[i] = 0xff
	}
	copy(b[6:12], macA[:])
	binary.BigEndian.PutUint16(b[12:], etherTypeARP)
	a := b[ethLen:]
	binary.BigEndian.PutUint16(a[0:], 1)
	binary.BigEndian.PutUint16(a[2:], etherTypeIPv4)
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1)
	copy(a[8:14], macA[:])
	copy(a[14:18], []byte{10, 201, 0, 1})
	t4 := target.As4()
	copy(a[24:28], t4[:])
	return b
}

func TestReplierARP(t *testing.T) {
	r := NewReplier(macB, addrB)
	out := make([]byte, 2048)
	n := r.Respond(arpRequest(addrB), out)
	if n != MinFrame {
		t.Fatalf("ARP reply of %d bytes", n)
	}
	o := out[:n]
	a := o[ethLen:]
	if [6]byte(o[0:6]) != macA || [6]byte(o[6:12]) != macB || binary.BigEndian.Uint16(a[6:]) != 2 ||
		[6]byte(a[8:14]) != macB || netip.AddrFrom4([4]byte(a[14:18])) != addrB ||
		[6]byte(a[18:24]) != macA || netip.AddrFrom4([4]byte(a[24:28])) != netip.MustParseAddr("10.201.0.1") {
		t.Fatalf("ARP reply %x", o)
	}
	if n := r.Respond(arpRequest(netip.MustParseAddr("10.201.0.9")), out); n != 0 {
		t.Fatal("answered ARP for someone else's address")
	}
	r.ARP = false
	if n := r.Respond(arpRequest(addrB), out); n != 0 {
		t.Fatal("answered ARP with ARP off")
	}
}

func TestReplierIgnoresOther(t *testing.T) {
	r := NewReplier(macB, addrB)
	out := make([]byte, 2048)
	udp := build(t, testFlow(protoUDP), TCPFields{}, []byte("x"))
	frag := append([]byte(nil), udp...)
	frag[ethLen+6] |= 0x20 // MF
	ipv6 := append([]byte(nil), udp...)
	binary.BigEndian.PutUint16(ipv6[12:], 0x86dd)
	for name, f := range map[string][]byte{"fragment": frag, "ipv6": ipv6, "short": udp[:20], "empty": nil} {
		if n := r.Respond(f, out); n != 0 {
			t.Errorf("%s answered", name)
		}
	}
	if n := r.Respond(udp, make([]byte, 10)); n != 0 {
		t.Error("reply written into a too-small buffer")
	}
}

func TestParseRingAndTx(t *testing.T) {
	for _, k := range []RingKind{RingAuto, RingTPacketV3, RingTPacketV2, RingRecvfrom} {
		if got, err := ParseRing(k.String()); err != nil || got != k {
			t.Errorf("ParseRing(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseRing("tpacketv4"); err == nil {
		t.Error("unknown ring accepted")
	}
	for _, tc := range []struct {
		k    RingKind
		rate float64
		want RingKind
	}{{RingAuto, 0, RingTPacketV3}, {RingAuto, 1000, RingTPacketV2}, {RingAuto, AutoRingRate, RingTPacketV2}, {RingAuto, 2e5, RingTPacketV3}, {RingRecvfrom, 1000, RingRecvfrom}} {
		if got := tc.k.resolve(tc.rate); got != tc.want {
			t.Errorf("%v.resolve(%g) = %v, want %v", tc.k, tc.rate, got, tc.want)
		}
	}
	for _, k := range []TxKind{TxRing, TxSendmmsg, TxSendto} {
		if got, err := ParseTx(k.String()); err != nil || got != k {
			t.Errorf("ParseTx(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseTx("xdp"); err == nil {
		t.Error("unknown tx path accepted")
	}
}

func TestPacerDue(t *testing.T) {
	p := NewPacer(1000, 0) // one frame per millisecond
	for _, tc := range []struct {
		el   time.Duration
		want uint64
	}{{0, 1}, {999 * time.Microsecond, 1}, {time.Millisecond, 2}, {10500 * time.Microsecond, 11}} {
		if got := p.Due(tc.el); got != tc.want {
			t.Errorf("Due(%v) = %d, want %d", tc.el, got, tc.want)
		}
	}
	if got := NewPacer(0, 0).Wait(1 << 40); got != 256 {
		t.Errorf("unpaced Wait = %d, want MaxBurst", got)
	}
	slow := NewPacer(1.0/3600, 0) // one frame an hour
	slow.Stop = func() bool { return true }
	if got := slow.Wait(1); got != 0 {
		t.Errorf("stopped Wait = %d, want 0", got)
	}
}

func TestSeqSet(t *testing.T) {
	s := newSeqSet(130)
	for _, q := range []uint64{0, 63, 64, 129, 64, 200} {
		s.add(q)
	}
	if c := s.count(); c != 4 {
		t.Fatalf("count %d, want 4", c)
	}
	if s.dups.Load() != 1 || s.outOfRange.Load() != 1 {
		t.Fatalf("dups %d outOfRange %d", s.dups.Load(), s.outOfRange.Load())
	}
	if m := s.firstMissing(3); len(m) != 3 || m[0] != 1 || m[1] != 2 || m[2] != 3 {
		t.Fatalf("firstMissing = %v", m)
	}
}

func TestLatencySummary(t *testing.T) {
	h := newLatencyHist()
	if h.summary() != (Latency{}) || h.summary().String() != "no samples" {
		t.Fatal("empty histogram has a summary")
	}
	for i := int64(1); i <= 1000; i++ {
		h.record(i * 1000)
	}
	h.record(-5)          // clock step: clamped, counted
	h.record(histMax * 2) // beyond range: clamped, counted
	s := h.summary()
	if s.Count != 1002 || s.Min != 1 || s.Max < time.Duration(histMax)-time.Second {
		t.Fatalf("summary %+v", s)
	}
	if s.P50 < 499*time.Microsecond || s.P50 > 502*time.Microsecond {
		t.Fatalf("p50 %v, want ~500µs", s.P50)
	}
}

func TestMissingCaps(t *testing.T) {
	if err := missingCaps(1<<capNetAdmin | 1<<capNetRaw | 1<<capSysAdmin); err != nil {
		t.Fatalf("all present: %v", err)
	}
	err := missingCaps(1 << capNetRaw)
	var pe *PrivilegeError
	if !errors.As(err, &pe) || len(pe.Missing) != 2 || pe.Missing[0] != "CAP_SYS_ADMIN" || pe.Missing[1] != "CAP_NET_ADMIN" {
		t.Fatalf("missing = %v", err)
	}
	if !strings.Contains(err.Error(), "CAP_NET_ADMIN (create veth links") {
		t.Fatalf("message does not say what the capability is for: %v", err)
	}
	for in, want := range map[string]uint64{"Name:\tx\nCapEff:\t000001fffeffffff\n": 0x1fffeffffff, "CapEff:\t0000000000000000\n": 0} {
		if got, err := parseCapEff(bufio.NewScanner(strings.NewReader(in))); err != nil || got != want {
			t.Errorf("parseCapEff(%q) = %x, %v", in, got, err)
		}
	}
	if _, err := parseCapEff(bufio.NewScanner(strings.NewReader("CapEff:\tzz\n"))); err == nil {
		t.Error("bad CapEff accepted")
	}
	if _, err := parseCapEff(bufio.NewScanner(strings.NewReader("Name:\tx\n"))); err == nil {
		t.Error("missing CapEff accepted")
	}
}

// TestPerFrameAllocs proves the per-frame work outside the kernel calls
// allocates nothing: generating and stamping a frame, parsing it, recording
// its latency and sequence number, and building a reply.
func TestPerFrameAllocs(t *testing.T) {
	f := testFlow(protoUDP)
	g, err := NewGenerator(GenConfig{FrameSize: 64, Flows: 4, SrcMAC: f.SrcMAC, DstMAC: f.DstMAC, Src: f.Src, Dst: f.Dst})
	if err != nil {
		t.Fatal(err)
	}
	gt, err := NewGenerator(GenConfig{Proto: "tcp", FrameSize: 74, SrcMAC: f.SrcMAC, DstMAC: f.DstMAC, Src: f.Src, Dst: f.Dst})
	if err != nil {
		t.Fatal(err)
	}
	r := NewReplier(macB, addrB)
	h := newLatencyHist()
	s := newSeqSet(1 << 20)
	out := make([]byte, 2048)
	var seq uint64
	allocs := testing.AllocsPerRun(1000, func() {
		for _, gen := range []*Generator{g, gt} {
			fr, _ := gen.NextFrame()
			Stamp(fr, Probe{Seq: seq, Sent: time.Now().UnixNano()})
			p, _ := probeOf(fr)
			h.record(time.Now().UnixNano() - p.Sent)
			s.add(p.Seq)
			r.Respond(fr, out)
			seq++
		}
	})
	if allocs != 0 {
		t.Fatalf("per-frame work allocates %.1f times", allocs)
	}
}
