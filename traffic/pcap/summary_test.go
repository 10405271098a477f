package pcap_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

var update = flag.Bool("update", false, "rewrite golden files")

func synthCapture(t *testing.T, opt synth.Options, format pcap.Format) ([]byte, synth.Stats) {
	t.Helper()
	g, err := synth.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w, err := pcap.NewWriter(&b, pcap.WriterOptions{Format: format})
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(w, g); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), g.Stats()
}

func TestSummaryGolden(t *testing.T) {
	opt := synth.Options{Seed: 11, Flows: 60, UDPFraction: 0.3, IPv6Fraction: 0.3, RSTFraction: 0.25,
		Size: synth.SizeDist{Mean: 3000}, Servers: synth.Pool{Count: 3, Ports: []uint16{80, 53}},
		PortScan: synth.Scan{Rate: 100000, FirstPort: 1, LastPort: 10}}
	file, st := synthCapture(t, opt, pcap.FormatPcapng)
	r, err := pcap.NewReader(bytes.NewReader(file), pcap.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := pcap.Summarize(r, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Cross-checks against the generator's own counts.
	if s.Packets != st.Packets || s.WireBytes != st.Bytes || s.FirstNs != st.FirstNs || s.LastNs != st.LastNs {
		t.Errorf("summary %d packets %d bytes [%d, %d]; generator %+v", s.Packets, s.WireBytes, s.FirstNs, s.LastNs, st)
	}
	if s.Flows.TCP != st.TCPFlows+st.ScanProbes || s.Flows.UDP != st.UDPFlows || s.TCP.SYN != st.TCPFlows+st.ScanProbes {
		t.Errorf("flows %+v tcp %+v; generator %+v", s.Flows, s.TCP, st)
	}
	if s.TCP.RST != st.RSTCloses+10 { // every probe of a closed port is answered RST
		t.Errorf("RSTs %d, want %d", s.TCP.RST, st.RSTCloses+10)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	golden.Check(t, filepath.Join("testdata", "summary.golden.json"), got, *update)
}

func TestSummaryCountsBadRecords(t *testing.T) {
	c := corruptCases(t)[2] // pcap bad length: one record resynchronised
	r, err := pcap.NewReader(bytes.NewReader(c.file), pcap.Options{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := pcap.Summarize(r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Packets != 5 || s.Bad.Records != 1 || s.Bad.Resyncs != 1 || s.Bad.SkippedBytes == 0 {
		t.Errorf("summary %+v", s)
	}
}
