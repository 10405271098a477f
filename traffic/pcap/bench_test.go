package pcap_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
)

// benchPackets is the size of the read benchmarks' capture files.
const benchPackets = 1 << 20

var (
	benchOnce  sync.Once
	benchDir   string
	benchFiles = map[pcap.Format]string{}
	benchErr   error
)

// benchFile returns a 1M-packet capture of the packettest mix in the given
// format, written once per process into a temporary directory (removed by
// TestMain).
func benchFile(b *testing.B, f pcap.Format) string {
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "sessionlab-pcap-bench-")
		if benchErr != nil {
			return
		}
		frames := pt.Mix(4096, 9)
		for _, format := range []pcap.Format{pcap.FormatPcap, pcap.FormatPcapng} {
			path := filepath.Join(benchDir, "mix."+format.String())
			w, err := pcap.Create(path, pcap.WriterOptions{Format: format})
			if err != nil {
				benchErr = err
				return
			}
			ts := int64(1_700_000_000e9)
			for i := range benchPackets {
				ts += 1000
				if err := w.WriteFrame(ts, 0, frames[i&4095]); err != nil {
					benchErr = err
					return
				}
			}
			if benchErr = w.Close(); benchErr != nil {
				return
			}
			benchFiles[format] = path
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchFiles[f]
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// BenchmarkReadDecode reads and decodes a 1M-packet file, one op per packet:
// sessionlab's Reader.Next against gopacket's pcapgo readers feeding a
// DecodingLayerParser. The file is reopened when it runs out.
func BenchmarkReadDecode(b *testing.B) {
	for _, format := range []pcap.Format{pcap.FormatPcap, pcap.FormatPcapng} {
		b.Run("format="+format.String(), func(b *testing.B) {
			path := benchFile(b, format)
			b.Run("impl=sessionlab", func(b *testing.B) {
				var r *pcap.Reader
				var p packet.Packet
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if r == nil {
						var err error
						if r, err = pcap.Open(path, pcap.Options{}); err != nil {
							b.Fatal(err)
						}
					}
					if err := r.Next(&p); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						r.Close()
						r = nil
						i--
					}
				}
				b.StopTimer()
				if r != nil {
					r.Close()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			})
			b.Run("impl=pcapgo-dlp", func(b *testing.B) {
				d := newDLP()
				var p packet.Packet
				var f *os.File
				var read func() ([]byte, gopacket.CaptureInfo, error)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if f == nil {
						var err error
						if f, err = os.Open(path); err != nil {
							b.Fatal(err)
						}
						br := bufio.NewReaderSize(f, 1<<20)
						if format == pcap.FormatPcap {
							pr, err := pcapgo.NewReader(br)
							if err != nil {
								b.Fatal(err)
							}
							read = pr.ZeroCopyReadPacketData
						} else {
							nr, err := pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
							if err != nil {
								b.Fatal(err)
							}
							read = nr.ZeroCopyReadPacketData
						}
					}
					data, ci, err := read()
					if err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						f.Close()
						f = nil
						i--
						continue
					}
					d.decode(data, &p)
					p.Timestamp = ci.Timestamp.UnixNano()
					p.WireLen = uint32(ci.Length)
				}
				b.StopTimer()
				if f != nil {
					f.Close()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
			})
		})
	}
}

// dlp decodes with gopacket's DecodingLayerParser into a packet.Packet: the
// fastest gopacket path, doing the same work as packet.Decode.
type dlp struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	payload gopacket.Payload
	parser  *gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

func newDLP() *dlp {
	d := &dlp{decoded: make([]gopacket.LayerType, 0, 8)}
	d.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &d.eth, &d.dot1q, &d.ip4, &d.ip6, &d.tcp, &d.udp, &d.payload)
	d.parser.IgnoreUnsupported = true
	return d
}

func (d *dlp) decode(data []byte, p *packet.Packet) {
	*p = packet.Packet{Data: data}
	_ = d.parser.DecodeLayers(data, &d.decoded)
	for _, t := range d.decoded {
		switch t {
		case layers.LayerTypeIPv4:
			p.Family, p.Proto = 4, uint8(d.ip4.Protocol)
			p.Src = packet.AddrFrom4([4]byte(d.ip4.SrcIP))
			p.Dst = packet.AddrFrom4([4]byte(d.ip4.DstIP))
		case layers.LayerTypeIPv6:
			p.Family, p.Proto = 6, uint8(d.ip6.NextHeader)
			p.Src = packet.AddrFrom16([16]byte(d.ip6.SrcIP))
			p.Dst = packet.AddrFrom16([16]byte(d.ip6.DstIP))
		case layers.LayerTypeTCP:
			p.SrcPort, p.DstPort, p.Seq, p.Ack, p.Window = uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort), d.tcp.Seq, d.tcp.Ack, d.tcp.Window
			p.Payload = d.tcp.Payload
		case layers.LayerTypeUDP:
			p.SrcPort, p.DstPort = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
			p.Payload = d.udp.Payload
		}
	}
}
