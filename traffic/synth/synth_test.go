package synth_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/sessionlab/sessionlab/traffic/packet"
	pt "github.com/sessionlab/sessionlab/traffic/packet/packettest"
	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// all returns every packet of opt (copied).
func all(t testing.TB, opt synth.Options) ([]packet.Packet, synth.Stats) {
	t.Helper()
	g, err := synth.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	var out []packet.Packet
	for {
		var p packet.Packet
		err := g.Next(&p)
		if err == io.EOF {
			return out, g.Stats()
		}
		if err != nil {
			t.Fatal(err)
		}
		data := bytes.Clone(p.Data)
		if err := packet.Decode(data, packet.LinkEthernet, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
}

// digest hashes every packet's timestamp and bytes.
func digest(t testing.TB, src packet.Source) [32]byte {
	t.Helper()
	h := sha256.New()
	var p packet.Packet
	var ts [8]byte
	for {
		err := src.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		binary.LittleEndian.PutUint64(ts[:], uint64(p.Timestamp))
		h.Write(ts[:])
		h.Write(p.Data)
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}

var mixed = synth.Options{
	Seed: 42, Flows: 400, UDPFraction: 0.3, IPv6Fraction: 0.3, RSTFraction: 0.2, Loss: 0.02, Reorder: 0.02,
	Size:          synth.SizeDist{Dist: "exponential", Mean: 4000},
	Arrival:       synth.Arrival{Process: "onoff", Rate: 50000},
	Clients:       synth.Pool{Count: 200, Zipf: 1.1},
	Servers:       synth.Pool{Count: 5, Zipf: 0.8, Ports: []uint16{80, 443, 53}},
	SYNFlood:      synth.Flood{Rate: 20000, Respond: true},
	PortScan:      synth.Scan{Rate: 50000, FirstPort: 1, LastPort: 200},
	ResponseRatio: 0.5,
}

func TestSameSeedSamePackets(t *testing.T) {
	g1, _ := synth.New(mixed)
	g2, _ := synth.New(mixed)
	d1, d2 := digest(t, g1), digest(t, g2)
	if d1 != d2 {
		t.Fatal("two runs with the same seed differ")
	}
	if err := g1.Rewind(); err != nil {
		t.Fatal(err)
	}
	if digest(t, g1) != d1 {
		t.Fatal("a rewound generator differs from its first run")
	}
	other := mixed
	other.Seed++
	g3, _ := synth.New(other)
	if digest(t, g3) == d1 {
		t.Fatal("a different seed gives the same packets")
	}
}

func TestFramesAreValid(t *testing.T) {
	pkts, st := all(t, mixed)
	if st.Packets != uint64(len(pkts)) || st.Packets == 0 {
		t.Fatalf("stats %+v for %d packets", st, len(pkts))
	}
	for i := range pkts {
		if !pt.ChecksumsOK(pkts[i].Data) {
			t.Fatalf("packet %d (%v): bad checksums", i, pkts[i].Tuple())
		}
	}
	if st.TCPFlows+st.UDPFlows != 400 || st.FloodSYNs == 0 || st.ScanProbes != 200 {
		t.Errorf("stats %+v", st)
	}
}

func TestWriteFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	opt := synth.Options{Seed: 9, Flows: 50, UDPFraction: 0.5, IPv6Fraction: 0.5}
	g, _ := synth.New(opt)
	want := digest(t, g)
	for _, name := range []string{"a.pcap", "a.pcapng", "a.pcap.gz"} {
		format := pcap.FormatPcap
		if strings.Contains(name, "pcapng") {
			format = pcap.FormatPcapng
		}
		path := filepath.Join(dir, name)
		st, err := synth.WriteFile(path, format, opt)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcap.Open(path, pcap.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := digest(t, r); got != want {
			t.Errorf("%s: packets read back differ from the generator's", name)
		}
		if r.Stats().Packets != st.Packets {
			t.Errorf("%s: read %d packets, wrote %d", name, r.Stats().Packets, st.Packets)
		}
		r.Close()
	}
}

func TestArrivalProcesses(t *testing.T) {
	synStarts := func(opt synth.Options) []int64 {
		pkts, _ := all(t, opt)
		var ts []int64
		for i := range pkts {
			if pkts[i].TCPFlags == packet.TCPSyn {
				ts = append(ts, pkts[i].Timestamp)
			}
		}
		return ts
	}
	gaps := func(ts []int64) []float64 {
		var g []float64
		for i := 1; i < len(ts); i++ {
			g = append(g, float64(ts[i]-ts[i-1]))
		}
		return g
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	base := synth.Options{Seed: 5, Flows: 4000, Size: synth.SizeDist{Dist: "none"}}

	c := base
	c.Arrival = synth.Arrival{Process: "constant", Rate: 2000}
	for i, g := range gaps(synStarts(c)) {
		if g != 500_000 {
			t.Fatalf("constant: gap %d is %v ns, want 500000", i, g)
		}
	}

	p := base
	p.Arrival = synth.Arrival{Process: "poisson", Rate: 2000}
	pg := gaps(synStarts(p))
	if m := mean(pg); math.Abs(m-500_000)/500_000 > 0.05 {
		t.Errorf("poisson: mean gap %v ns, want 500000 within 5%%", m)
	}
	// Exponential gaps: the coefficient of variation is 1.
	v := 0.0
	m := mean(pg)
	for _, x := range pg {
		v += (x - m) * (x - m)
	}
	if cv := math.Sqrt(v/float64(len(pg))) / m; cv < 0.9 || cv > 1.1 {
		t.Errorf("poisson: coefficient of variation %v, want about 1", cv)
	}

	o := base
	o.Flows = 10000
	o.Arrival = synth.Arrival{Process: "onoff", Rate: 100_000, On: synth.Duration(200 * time.Microsecond), Off: synth.Duration(800 * time.Microsecond)}
	og := gaps(synStarts(o))
	// A 20% duty cycle: the long-run rate is a fifth of the on rate (the
	// exponential periods make the estimate noisy: 500 cycles give about
	// 5%), and about one gap per cycle spans an off period.
	rate := 1e9 / mean(og)
	long := 0
	for _, g := range og {
		if g > 200_000 {
			long++
		}
	}
	t.Logf("onoff: rate %.0f, long gaps %d", rate, long)
	if rate < 17_000 || rate > 23_000 || long < 250 || long > 700 {
		t.Errorf("onoff: long-run rate %.0f/s (want about 20000), %d gaps over 200us (want about 400)", rate, long)
	}
}

func TestFlowSizes(t *testing.T) {
	sizes := func(opt synth.Options) []float64 {
		pkts, _ := all(t, opt)
		total := map[packet.FiveTuple]float64{}
		for i := range pkts {
			if pkts[i].DstPort == 80 {
				total[pkts[i].Tuple()] += float64(len(pkts[i].Payload))
			}
		}
		var out []float64
		for _, v := range total {
			out = append(out, v)
		}
		sort.Float64s(out)
		return out
	}
	base := synth.Options{Seed: 6, Flows: 3000, Arrival: synth.Arrival{Rate: 1e6}}
	f := base
	f.Size = synth.SizeDist{Mean: 3333}
	for _, s := range sizes(f) {
		if s != 3333 {
			t.Fatalf("fixed size: flow of %v bytes", s)
		}
	}
	e := base
	e.Size = synth.SizeDist{Dist: "exponential", Mean: 5000}
	es := sizes(e)
	if med := es[len(es)/2]; math.Abs(med-5000*math.Ln2)/(5000*math.Ln2) > 0.08 {
		t.Errorf("exponential: median %v, want %v within 8%%", med, 5000*math.Ln2)
	}
	p := base
	p.Size = synth.SizeDist{Dist: "pareto", Mean: 9000, Shape: 1.5}
	ps := sizes(p)
	xm := 9000 * 0.5 / 1.5
	if ps[0] < math.Floor(xm) {
		t.Errorf("pareto: smallest flow %v below the scale %v", ps[0], xm)
	}
	if med, want := ps[len(ps)/2], xm*math.Pow(2, 1/1.5); math.Abs(med-want)/want > 0.08 {
		t.Errorf("pareto: median %v, want %v within 8%%", med, want)
	}
	if ps[len(ps)-1] > 1000*9000 {
		t.Errorf("pareto: flow of %v bytes beyond the cap", ps[len(ps)-1])
	}
}

func TestPopularityAndMix(t *testing.T) {
	opt := synth.Options{Seed: 7, Flows: 5000, Size: synth.SizeDist{Dist: "none"}, UDPFraction: 0.25, IPv6Fraction: 0.4,
		Clients: synth.Pool{Count: 100, Zipf: 1}, Servers: synth.Pool{Count: 4, Ports: []uint16{80, 443}}, Arrival: synth.Arrival{Rate: 1e6}}
	g, _ := synth.New(opt)
	var p packet.Packet
	clients := map[uint64]int{} // host index: the same in both prefixes
	v6, udp := 0, 0
	for g.Next(&p) == nil {
		first := (p.IsTCP() && p.TCPFlags == packet.TCPSyn) || (p.IsUDP() && p.DstPort < 1024)
		if !first {
			continue
		}
		clients[p.Src.Lo&0xffff]++
		if p.Family == 6 {
			v6++
		}
		if p.IsUDP() {
			udp++
		}
	}
	st := g.Stats()
	if got := float64(st.UDPFlows) / 5000; math.Abs(got-0.25) > 0.03 {
		t.Errorf("UDP share %v, want 0.25", got)
	}
	if got := float64(v6) / 5000; math.Abs(got-0.4) > 0.03 {
		t.Errorf("IPv6 share %v, want 0.4", got)
	}
	// Zipf s=1 over 100 hosts: host i carries 1/((i+1) H(100)) of the
	// flows, 19.3% for the first and 9.6% for the second.
	if share := float64(clients[1]) / 5000; share < 0.17 || share > 0.22 {
		t.Errorf("most popular client has %.3f of flows, want 0.193", share)
	}
	if share := float64(clients[2]) / 5000; share < 0.08 || share > 0.115 {
		t.Errorf("second client has %.3f of flows, want 0.096", share)
	}
}

func TestSYNFloodAndPortScan(t *testing.T) {
	opt := synth.Options{Seed: 8, Flows: 1, Size: synth.SizeDist{Dist: "none"},
		Servers:  synth.Pool{Ports: []uint16{22, 80}},
		SYNFlood: synth.Flood{Rate: 100_000, Duration: synth.Duration(10 * time.Millisecond), Sources: 50},
		PortScan: synth.Scan{Rate: 100_000, FirstPort: 20, LastPort: 90},
	}
	pkts, st := all(t, opt)
	if st.FloodSYNs != 1000 || st.ScanProbes != 71 {
		t.Errorf("stats %+v: want 1000 flood SYNs and 71 probes", st)
	}
	sources := map[packet.Addr]bool{}
	flood := netip.MustParsePrefix("198.18.0.0/15")
	scanner := packet.MustParseAddr("203.0.113.66")
	synAcks, rstAcks, scannerRSTs := 0, 0, 0
	for i := range pkts {
		p := &pkts[i]
		if flood.Contains(p.Src.Netip()) {
			sources[p.Src] = true
			if p.TCPFlags != packet.TCPSyn {
				t.Errorf("flood packet %v is %v", p.Tuple(), p.TCPFlags)
			}
		}
		if flood.Contains(p.Dst.Netip()) {
			t.Errorf("flood answered without Respond: %v", p.Tuple())
		}
		if p.Dst == scanner {
			switch p.TCPFlags {
			case packet.TCPSyn | packet.TCPAck:
				synAcks++
				if p.SrcPort != 22 && p.SrcPort != 80 {
					t.Errorf("closed port %d answered SYN-ACK", p.SrcPort)
				}
			case packet.TCPRst | packet.TCPAck:
				rstAcks++
			}
		}
		if p.Src == scanner && p.TCPFlags == packet.TCPRst {
			scannerRSTs++
		}
	}
	if len(sources) > 50 || len(sources) < 40 {
		t.Errorf("%d spoofed sources, want up to 50", len(sources))
	}
	if synAcks != 2 || scannerRSTs != 2 || rstAcks != 69 {
		t.Errorf("scan: %d SYN-ACKs, %d scanner RSTs, %d RST-ACKs; want 2, 2, 69", synAcks, scannerRSTs, rstAcks)
	}
}

func TestMaxPackets(t *testing.T) {
	pkts, _ := all(t, synth.Options{Flows: 100, MaxPackets: 77})
	if len(pkts) != 77 {
		t.Errorf("%d packets, want 77", len(pkts))
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		opt  synth.Options
		want string
	}{
		{synth.Options{UDPFraction: 1.5}, "synth: udp_fraction must be in [0, 1], have 1.5"},
		{synth.Options{Loss: 0.7, Reorder: 0.6}, "synth: loss + reorder must be <= 1, have 1.3"},
		{synth.Options{Arrival: synth.Arrival{Process: "burst"}}, `synth: arrival.process: unknown process "burst" (want poisson, constant or onoff)`},
		{synth.Options{Size: synth.SizeDist{Dist: "gauss"}}, `synth: flow_size.dist: unknown distribution "gauss" (want fixed, exponential, pareto or none)`},
		{synth.Options{Size: synth.SizeDist{Dist: "pareto", Shape: 0.9}}, "synth: flow_size.shape must be > 1 for a Pareto size with a finite mean, have 0.9"},
		{synth.Options{MSS: 10000}, "synth: mss must be in [1, 9000], have 10000"},
		{synth.Options{Clients: synth.Pool{Count: 70000}}, "synth: clients.count 70000 does not fit in 10.0.0.0/16 (65534 hosts)"},
		{synth.Options{Servers: synth.Pool{Prefix4: netip.MustParsePrefix("fd00::/64")}}, "synth: servers.prefix4 fd00::/64 is not an IPv4 prefix"},
		{synth.Options{Servers: synth.Pool{Ports: []uint16{0}}}, "synth: servers.ports: port 0 is not a service port"},
		{synth.Options{PortScan: synth.Scan{Rate: 1, FirstPort: 9, LastPort: 3}}, "synth: port_scan: first_port 9 and last_port 3 must satisfy 1 <= first <= last"},
		{synth.Options{SYNFlood: synth.Flood{Rate: 1, IPv6: true, Prefix: netip.MustParsePrefix("10.0.0.0/8")}}, "synth: syn_flood.prefix 10.0.0.0/8 does not match syn_flood.ipv6 true"},
	} {
		err := c.opt.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v:\n got %v\nwant %s", c.opt, err, c.want)
		}
		if _, err := synth.New(c.opt); err == nil {
			t.Errorf("New accepted %+v", c.opt)
		}
	}
	// All problems are reported at once.
	err := synth.Options{UDPFraction: 2, IPv6Fraction: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "udp_fraction") || !strings.Contains(err.Error(), "ipv6_fraction") {
		t.Errorf("want both problems, got %v", err)
	}
	if err := (synth.Options{}).Validate(); err != nil {
		t.Errorf("zero Options: %v", err)
	}
}

func TestOptionsFromYAML(t *testing.T) {
	src := `
seed: 7
flows: 5000
duration: 2s
arrival: {process: onoff, rate: 20000, on: 5ms, off: 20ms}
flow_size: {dist: pareto, mean: 20000, shape: 1.3}
clients: {count: 5000, zipf: 1.1, prefix4: 172.16.0.0/16}
servers: {ports: [80, 443], port_zipf: 0.5}
loss: 0.01
rtt: 250us
syn_flood: {rate: 1000, respond: true}
`
	var opt synth.Options
	if err := yaml.Unmarshal([]byte(src), &opt); err != nil {
		t.Fatal(err)
	}
	want := synth.Options{
		Seed: 7, Flows: 5000, Duration: synth.Duration(2 * time.Second),
		Arrival:  synth.Arrival{Process: "onoff", Rate: 20000, On: synth.Duration(5 * time.Millisecond), Off: synth.Duration(20 * time.Millisecond)},
		Size:     synth.SizeDist{Dist: "pareto", Mean: 20000, Shape: 1.3},
		Clients:  synth.Pool{Count: 5000, Zipf: 1.1, Prefix4: netip.MustParsePrefix("172.16.0.0/16")},
		Servers:  synth.Pool{Ports: []uint16{80, 443}, PortZipf: 0.5},
		Loss:     0.01,
		RTT:      synth.Duration(250 * time.Microsecond),
		SYNFlood: synth.Flood{Rate: 1000, Respond: true},
	}
	if opt.Seed != want.Seed || opt.Flows != want.Flows || opt.Duration != want.Duration || opt.Arrival != want.Arrival ||
		opt.Size != want.Size || opt.Clients.Count != 5000 || opt.Clients.Prefix4 != want.Clients.Prefix4 ||
		len(opt.Servers.Ports) != 2 || opt.Loss != 0.01 || opt.RTT != want.RTT || opt.SYNFlood != want.SYNFlood {
		t.Errorf("decoded %+v\nwant    %+v", opt, want)
	}
	if err := opt.Validate(); err != nil {
		t.Error(err)
	}
	if err := yaml.Unmarshal([]byte("rtt: soon\n"), &opt); err == nil || !strings.Contains(err.Error(), `bad duration "soon"`) {
		t.Errorf("bad duration: %v", err)
	}
}

func TestGeneratorDoesNotAllocatePerPacket(t *testing.T) {
	g, err := synth.New(synth.Options{Flows: 1 << 30, Loss: 0.05, Reorder: 0.05, UDPFraction: 0.2, IPv6Fraction: 0.2, ResponseRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	var p packet.Packet
	for range 200_000 { // grow the flow table and queue to steady state
		if err := g.Next(&p); err != nil {
			t.Fatal(err)
		}
	}
	if n := testing.AllocsPerRun(5000, func() {
		if err := g.Next(&p); err != nil {
			t.Fatal(err)
		}
	}); n > 0.01 {
		t.Errorf("%v allocations per packet", n)
	}
}
