// Command gencapture writes scenarios/data/default.pcap, the small capture
// the built-in `default` scenario replays. It is deterministic: the same
// program writes the same bytes, so the embedded file can be regenerated
// and checked (go generate ./scenarios; git diff shows no change).
//
// The capture is one second of web-like traffic towards 10.0.0.1 (the
// default scenario's eth0): 200 TCP flows to port 80 (handshake, one to
// three request and response segments, FIN closes both ways, one in ten
// reset instead) and 60 UDP flows of one to four datagrams to port 80,
// from clients in 192.168.1.0/24. It is built here, not by traffic/synth,
// because the scenarios package must not depend on the generator's output
// format evolving: this file is a fixed test vector.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type pkt struct {
	t    time.Duration
	seq  int // tie-break: generation order
	data []byte
}

func main() {
	out := flag.String("o", "data/default.pcap", "output file")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gencapture:", err)
		os.Exit(1)
	}
}

var (
	serverMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	clientMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	server    = net.IPv4(10, 0, 0, 1).To4()
)

func run(out string) error {
	rng := rand.New(rand.NewPCG(1, 2))
	var pkts []pkt
	n := 0
	emit := func(t time.Duration, ls ...gopacket.SerializableLayer) {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			panic(err)
		}
		pkts = append(pkts, pkt{t: t, seq: n, data: append([]byte(nil), buf.Bytes()...)})
		n++
	}
	payload := func(k int) gopacket.Payload {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte('a' + i%26)
		}
		return b
	}
	for f := range 200 {
		client := net.IPv4(192, 168, 1, byte(1+rng.IntN(254))).To4()
		cport := layers.TCPPort(32768 + f)
		t := time.Duration(rng.Int64N(int64(900 * time.Millisecond)))
		gap := func() time.Duration { return time.Duration(100+rng.IntN(900)) * time.Microsecond }
		cseq, sseq := rng.Uint32(), rng.Uint32()
		seg := func(fromClient bool, flags string, data int) {
			eth := &layers.Ethernet{SrcMAC: clientMAC, DstMAC: serverMAC, EthernetType: layers.EthernetTypeIPv4}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: client, DstIP: server}
			tcp := &layers.TCP{SrcPort: cport, DstPort: 80, Window: 65535, Seq: cseq, Ack: sseq}
			if !fromClient {
				eth.SrcMAC, eth.DstMAC = serverMAC, clientMAC
				ip.SrcIP, ip.DstIP = server, client
				tcp.SrcPort, tcp.DstPort = 80, cport
				tcp.Seq, tcp.Ack = sseq, cseq
			}
			for _, c := range flags {
				switch c {
				case 'S':
					tcp.SYN = true
				case 'A':
					tcp.ACK = true
				case 'F':
					tcp.FIN = true
				case 'R':
					tcp.RST = true
				case 'P':
					tcp.PSH = true
				}
			}
			if tcp.SYN && !tcp.ACK {
				tcp.Ack = 0
			}
			_ = tcp.SetNetworkLayerForChecksum(ip)
			adv := uint32(data)
			if tcp.SYN || tcp.FIN {
				adv++
			}
			if fromClient {
				cseq += adv
			} else {
				sseq += adv
			}
			emit(t, eth, ip, tcp, payload(data))
			t += gap()
		}
		seg(true, "S", 0)
		seg(false, "SA", 0)
		seg(true, "A", 0)
		for range 1 + rng.IntN(3) {
			seg(true, "PA", 40+rng.IntN(200))
			seg(false, "PA", 100+rng.IntN(600))
		}
		if rng.IntN(10) == 0 {
			seg(true, "RA", 0)
			continue
		}
		seg(true, "FA", 0)
		seg(false, "FA", 0)
		seg(true, "A", 0)
	}
	for f := range 60 {
		client := net.IPv4(192, 168, 1, byte(1+rng.IntN(254))).To4()
		cport := layers.UDPPort(20000 + f)
		t := time.Duration(rng.Int64N(int64(950 * time.Millisecond)))
		for range 1 + rng.IntN(4) {
			eth := &layers.Ethernet{SrcMAC: clientMAC, DstMAC: serverMAC, EthernetType: layers.EthernetTypeIPv4}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: client, DstIP: server}
			udp := &layers.UDP{SrcPort: cport, DstPort: 80}
			_ = udp.SetNetworkLayerForChecksum(ip)
			emit(t, eth, ip, udp, payload(40+rng.IntN(200)))
			t += time.Duration(200+rng.IntN(2000)) * time.Microsecond
		}
	}
	slices.SortFunc(pkts, func(a, b pkt) int { return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.seq, b.seq)) })
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		f.Close()
		return err
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: base.Add(p.t), CaptureLength: len(p.data), Length: len(p.data)}
		if err := w.WritePacket(ci, p.data); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
