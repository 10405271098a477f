package veth

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var (
	macA = [6]byte{0x02, 0x73, 0, 0, 0, 0x0a}
	macB = [6]byte{0x02, 0x73, 0, 0, 0, 0x0b}
)

func testFlow(proto uint8) Flow {
	return Flow{SrcMAC: macA, DstMAC: macB, Src: netip.MustParseAddr("10.201.0.3"), Dst: netip.MustParseAddr("10.201.0.2"),
		SrcPort: 40000, DstPort: 5001, Proto: proto}
}

// gopacketFrame serializes the same frame with gopacket, the independent
// oracle: lengths and checksums computed by its serializer.
func gopacketFrame(t *testing.T, f Flow, tcp TCPFields, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr(f.SrcMAC[:]), DstMAC: net.HardwareAddr(f.DstMAC[:]), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, SrcIP: f.Src.AsSlice(), DstIP: f.Dst.AsSlice()}
	var l4 gopacket.SerializableLayer
	if f.Proto == protoUDP {
		ip.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(f.SrcPort), DstPort: layers.UDPPort(f.DstPort)}
		_ = u.SetNetworkLayerForChecksum(ip)
		l4 = u
	} else {
		ip.Protocol = layers.IPProtocolTCP
		w := tcp.Window
		if w == 0 {
			w = 65535
		}
		c := &layers.TCP{SrcPort: layers.TCPPort(f.SrcPort), DstPort: layers.TCPPort(f.DstPort), Seq: tcp.Seq, Ack: tcp.Ack, Window: w,
			FIN: tcp.Flags&TCPFin != 0, SYN: tcp.Flags&TCPSyn != 0, RST: tcp.Flags&TCPRst != 0, PSH: tcp.Flags&TCPPsh != 0, ACK: tcp.Flags&TCPAck != 0}
		_ = c.SetNetworkLayerForChecksum(ip)
		l4 = c
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, l4, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBuildMatchesGopacket(t *testing.T) {
	payload := bytes.Repeat([]byte("sessionlab"), 20)
	for _, tc := range []struct {
		name     string
		proto    uint8
		tcp      TCPFields
		payload  []byte
		frameLen int
	}{
		{"udp", protoUDP, TCPFields{}, payload[:30], 0},
		{"udp odd payload", protoUDP, TCPFields{}, payload[:33], 0},
		{"udp padded to 1500", protoUDP, TCPFields{}, payload[:20], 1500},
		{"tcp data", protoTCP, TCPFields{Seq: 1000, Ack: 77, Flags: TCPPsh | TCPAck}, payload[:99], 0},
		{"tcp syn", protoTCP, TCPFields{Seq: 0xfffffff0, Flags: TCPSyn, Window: 1024}, nil, 0},
		{"tcp rst ack", protoTCP, TCPFields{Ack: 1, Flags: TCPRst | TCPAck}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := testFlow(tc.proto)
			buf := make([]byte, 2048)
			n, err := f.Build(buf, tc.tcp, tc.payload, tc.frameLen)
			if err != nil {
				t.Fatal(err)
			}
			// Padding up to frameLen is L4 payload, so the oracle gets the
			// padded payload; below 60 bytes both pad with a trailer.
			end := ethLen + int(binary.BigEndian.Uint16(buf[ethLen+2:]))
			want := gopacketFrame(t, f, tc.tcp, buf[f.HeaderLen():end])
			if !bytes.Equal(buf[:n], want) {
				t.Fatalf("frame differs from gopacket's:\n got %x\nwant %x", buf[:n], want)
			}
			if !bytes.Equal(buf[f.HeaderLen():f.HeaderLen()+len(tc.payload)], tc.payload) {
				t.Fatal("payload not at the start of the L4 payload")
			}
			if n < MinFrame {
				t.Fatalf("frame of %d bytes below the Ethernet minimum", n)
			}
			checkChecksums(t, buf[:n])
		})
	}
}

func TestBuildErrors(t *testing.T) {
	buf := make([]byte, 100)
	f := testFlow(protoUDP)
	if _, err := f.Build(buf, TCPFields{}, nil, 101); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("oversized frame: %v", err)
	}
	f.Proto = 1
	if _, err := f.Build(buf, TCPFields{}, nil, 0); err == nil || !strings.Contains(err.Error(), "protocol 1") {
		t.Errorf("ICMP flow: %v", err)
	}
	f = testFlow(protoTCP)
	f.Dst = netip.MustParseAddr("::1")
	if _, err := f.Build(buf, TCPFields{}, nil, 0); err == nil || !strings.Contains(err.Error(), "IPv4 only") {
		t.Errorf("IPv6 flow: %v", err)
	}
}

func TestProbeRoundTrip(t *testing.T) {
	var b [ProbeLen + 3]byte
	p := Probe{Seq: 1<<63 + 5, Sent: 1700000000123456789}
	p.Put(b[:])
	got, ok := ParseProbe(b[:])
	if !ok || got != p {
		t.Fatalf("ParseProbe = %+v %v, want %+v", got, ok, p)
	}
	if _, ok := ParseProbe(b[:ProbeLen-1]); ok {
		t.Fatal("short payload parsed")
	}
	b[0] ^= 1
	if _, ok := ParseProbe(b[:]); ok {
		t.Fatal("wrong magic parsed")
	}
}

// TestGolden pins the bytes of a few frames, so any change to the wire
// format (probe layout, header defaults) shows up in review.
func TestGolden(t *testing.T) {
	var out strings.Builder
	emit := func(name string, b []byte) {
		out.WriteString("# " + name + "\n" + hex.Dump(b))
	}
	buf := make([]byte, 2048)
	var pl [ProbeLen]byte
	Probe{Seq: 42, Sent: 1700000000000000000}.Put(pl[:])
	u := testFlow(protoUDP)
	n, _ := u.Build(buf, TCPFields{}, pl[:], 64)
	emit("udp 64 with probe seq 42", buf[:n])
	c := testFlow(protoTCP)
	n, _ = c.Build(buf, TCPFields{Seq: 42, Flags: TCPSyn}, nil, 0)
	syn := append([]byte(nil), buf[:n]...)
	emit("tcp syn seq 42", syn)
	r := NewReplier(macB, netip.MustParseAddr("10.201.0.2"))
	n = r.Respond(syn, buf)
	emit("replier: rst|ack to the syn", buf[:n])
	golden.Check(t, "testdata/frames.golden", out.String(), *update)
}

// checkChecksums verifies the IPv4 header and L4 checksums of a frame with
// the slow reference.
func checkChecksums(t *testing.T, b []byte) {
	t.Helper()
	ip := b[ethLen : ethLen+ipv4Len]
	if refChecksum(ip) != 0 {
		t.Fatalf("IPv4 header checksum wrong: %x", ip)
	}
	total := int(binary.BigEndian.Uint16(ip[2:]))
	l4 := b[ethLen+ipv4Len : ethLen+total]
	if ip[9] == protoUDP && binary.BigEndian.Uint16(l4[6:]) == 0 {
		return
	}
	pseudo := append(append([]byte{}, ip[12:20]...), 0, ip[9], byte(len(l4)>>8), byte(len(l4)))
	if refChecksum(append(pseudo, l4...)) != 0 {
		t.Fatalf("L4 checksum wrong in %x", b)
	}
}
