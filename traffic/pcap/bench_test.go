package pcap_test

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
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
				d := pt.NewDLP()
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
					d.Decode(data, &p)
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
