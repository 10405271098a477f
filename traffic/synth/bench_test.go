package synth_test

import (
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

var benchMixes = []struct {
	name string
	opt  synth.Options
}{
	{"tcp-bulk", synth.Options{Flows: 1 << 30, Size: synth.SizeDist{Mean: 1 << 20}, Arrival: synth.Arrival{Rate: 100}}},
	{"tcp-short", synth.Options{Flows: 1 << 30, Size: synth.SizeDist{Mean: 2000}, Arrival: synth.Arrival{Rate: 200_000}, RSTFraction: 0.2}},
	{"mixed", synth.Options{Flows: 1 << 30, Size: synth.SizeDist{Dist: "pareto", Mean: 20000}, Arrival: synth.Arrival{Rate: 50_000},
		UDPFraction: 0.2, IPv6Fraction: 0.3, Loss: 0.01, Reorder: 0.01, ResponseRatio: 1, SYNFlood: synth.Flood{Rate: 10000}}},
}

// BenchmarkGenerate measures generator throughput: every op is one packet,
// from the event queue through frame building and checksums to the decoded
// Packet. The peer serializes the same packets' headers and payloads with
// gopacket (checksums and lengths fixed): frame building only, without the
// flow model, for scale.
func BenchmarkGenerate(b *testing.B) {
	for _, m := range benchMixes {
		b.Run("mix="+m.name, func(b *testing.B) {
			b.Run("impl=sessionlab", func(b *testing.B) {
				g, err := synth.New(m.opt)
				if err != nil {
					b.Fatal(err)
				}
				var p packet.Packet
				b.ReportAllocs()
				for b.Loop() {
					if err := g.Next(&p); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			})
			b.Run("impl=gopacket-serialize", func(b *testing.B) {
				g, _ := synth.New(m.opt)
				pkts := make([]packet.Packet, 4096)
				frames := make([][]byte, len(pkts))
				for i := range pkts {
					_ = g.Next(&pkts[i])
					frames[i] = append([]byte(nil), pkts[i].Data...)
					_ = packet.Decode(frames[i], packet.LinkEthernet, &pkts[i])
				}
				buf := gopacket.NewSerializeBuffer()
				opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
				eth := layers.Ethernet{SrcMAC: synth.RouterMAC[:], DstMAC: synth.ServerMAC[:]}
				var ip4 layers.IPv4
				var ip6 layers.IPv6
				var tcp layers.TCP
				var udp layers.UDP
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					p := &pkts[i&4095]
					var net gopacket.SerializableLayer
					var nl gopacket.NetworkLayer
					if p.Family == 4 {
						eth.EthernetType = layers.EthernetTypeIPv4
						s, d := p.Src.As4(), p.Dst.As4()
						ip4 = layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocol(p.Proto), Flags: layers.IPv4DontFragment,
							SrcIP: s[:], DstIP: d[:]}
						net, nl = &ip4, &ip4
					} else {
						eth.EthernetType = layers.EthernetTypeIPv6
						s, d := p.Src.As16(), p.Dst.As16()
						ip6 = layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocol(p.Proto), SrcIP: s[:], DstIP: d[:]}
						net, nl = &ip6, &ip6
					}
					var l4 gopacket.SerializableLayer
					if p.IsTCP() {
						f := p.TCPFlags
						tcp = layers.TCP{SrcPort: layers.TCPPort(p.SrcPort), DstPort: layers.TCPPort(p.DstPort), Seq: p.Seq, Ack: p.Ack,
							SYN: f.Has(packet.TCPSyn), ACK: f.Has(packet.TCPAck), FIN: f.Has(packet.TCPFin), RST: f.Has(packet.TCPRst),
							PSH: f.Has(packet.TCPPsh), Window: p.Window}
						_ = tcp.SetNetworkLayerForChecksum(nl)
						l4 = &tcp
					} else {
						udp = layers.UDP{SrcPort: layers.UDPPort(p.SrcPort), DstPort: layers.UDPPort(p.DstPort)}
						_ = udp.SetNetworkLayerForChecksum(nl)
						l4 = &udp
					}
					if err := gopacket.SerializeLayers(buf, opts, &eth, net, l4, gopacket.Payload(p.Payload)); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			})
		})
	}
}
