package synth

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Duration is a time.Duration that reads and writes as text ("10ms", "1.5s")
// in YAML and JSON.
type Duration time.Duration

// MarshalText writes the duration as time.Duration formats it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a duration such as "250us" or "2s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q: %v", b, err)
	}
	*d = Duration(v)
	return nil
}

// Options describe the traffic a Generator makes. Every zero value means the
// documented default, so an empty Options is valid and a scenario YAML only
// names what it changes:
//
//	seed: 7
//	flows: 5000
//	arrival: {process: poisson, rate: 20000}
//	flow_size: {dist: pareto, mean: 20000, shape: 1.3}
//	clients: {count: 5000, zipf: 1.1}
//	loss: 0.01
type Options struct {
	// Seed selects the random stream: the same Options give the same
	// packets, byte for byte.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Flows is how many flows to start. With Duration also set, flows stop
	// starting at whichever limit comes first. Default (both zero): 1000.
	Flows int `yaml:"flows,omitempty" json:"flows,omitempty"`
	// Duration stops starting flows this long after the first (flows
	// already started run to their end).
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	// MaxPackets stops the generator after this many packets, mid-flow if
	// need be (0: no limit).
	MaxPackets int64 `yaml:"max_packets,omitempty" json:"max_packets,omitempty"`
	// StartNs is the timestamp of the first packet, in ns since the Unix
	// epoch. Default 1700000000e9 (2023-11-14T22:13:20Z).
	StartNs int64 `yaml:"start_ns,omitempty" json:"start_ns,omitempty"`

	// UDPFraction of flows are UDP; the rest TCP. Default 0 (all TCP).
	UDPFraction float64 `yaml:"udp_fraction,omitempty" json:"udp_fraction,omitempty"`
	// IPv6Fraction of flows are IPv6; the rest IPv4. Default 0.
	IPv6Fraction float64 `yaml:"ipv6_fraction,omitempty" json:"ipv6_fraction,omitempty"`

	// Arrival is when flows start.
	Arrival Arrival `yaml:"arrival,omitempty" json:"arrival,omitempty"`
	// Size is how many payload bytes each flow's client sends.
	Size SizeDist `yaml:"flow_size,omitempty" json:"flow_size,omitempty"`
	// ResponseRatio: the server answers with this many bytes per client
	// byte once the request is in (0: no response; 1: an echo).
	ResponseRatio float64 `yaml:"response_ratio,omitempty" json:"response_ratio,omitempty"`

	// MSS is the TCP payload per segment. Default 1460.
	MSS int `yaml:"mss,omitempty" json:"mss,omitempty"`
	// Datagram is the UDP payload per datagram. Default 512.
	Datagram int `yaml:"udp_datagram,omitempty" json:"udp_datagram,omitempty"`
	// RTT is the round-trip time between client and server. Default 1ms.
	RTT Duration `yaml:"rtt,omitempty" json:"rtt,omitempty"`
	// SegmentGap is the time between two segments or datagrams a sender
	// sends back to back. Default 10us (1460 B every 10 us: 1.2 Gbit/s).
	SegmentGap Duration `yaml:"segment_gap,omitempty" json:"segment_gap,omitempty"`
	// RSTFraction of TCP flows end with the client's RST instead of a FIN
	// exchange. Default 0.
	RSTFraction float64 `yaml:"rst_fraction,omitempty" json:"rst_fraction,omitempty"`
	// Loss is the probability that a client data segment or datagram is
	// lost before the capture point; TCP retransmits it one RTT plus three
	// segment gaps later. Default 0.
	Loss float64 `yaml:"loss,omitempty" json:"loss,omitempty"`
	// Reorder is the probability that a client data segment or datagram
	// arrives two segment gaps late, after its successor. Default 0.
	Reorder float64 `yaml:"reorder,omitempty" json:"reorder,omitempty"`

	// Clients and Servers are the address pools flows are drawn from.
	Clients Pool `yaml:"clients,omitempty" json:"clients,omitempty"`
	Servers Pool `yaml:"servers,omitempty" json:"servers,omitempty"`

	// SYNFlood and PortScan add attack traffic for rules studies.
	SYNFlood Flood `yaml:"syn_flood,omitempty" json:"syn_flood,omitempty"`
	PortScan Scan  `yaml:"port_scan,omitempty" json:"port_scan,omitempty"`
}

// Arrival is a flow arrival process.
type Arrival struct {
	// Process is "poisson" (default: exponential gaps), "constant" (even
	// gaps) or "onoff" (Poisson during on periods, nothing during off
	// periods; both periods exponentially distributed).
	Process string `yaml:"process,omitempty" json:"process,omitempty"`
	// Rate is flows per second (during on periods). Default 1000.
	Rate float64 `yaml:"rate,omitempty" json:"rate,omitempty"`
	// On and Off are the mean on and off periods. Default 10ms each.
	On  Duration `yaml:"on,omitempty" json:"on,omitempty"`
	Off Duration `yaml:"off,omitempty" json:"off,omitempty"`
}

// SizeDist is a flow size distribution, in payload bytes.
type SizeDist struct {
	// Dist is "fixed" (default), "exponential", "pareto", or "none"
	// (handshake and close only: for connection-rate studies).
	Dist string `yaml:"dist,omitempty" json:"dist,omitempty"`
	// Mean is the mean size in bytes. Default 10000.
	Mean float64 `yaml:"mean,omitempty" json:"mean,omitempty"`
	// Shape is the Pareto shape alpha (> 1 for a finite mean). Default 1.5.
	Shape float64 `yaml:"shape,omitempty" json:"shape,omitempty"`
	// Max caps a drawn size. Default 1000 times Mean.
	Max float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// Pool is a set of hosts: Count addresses from the start of each prefix
// (skipping the network address), picked with Zipf popularity.
type Pool struct {
	Prefix4 netip.Prefix `yaml:"prefix4,omitempty" json:"prefix4,omitempty"`
	Prefix6 netip.Prefix `yaml:"prefix6,omitempty" json:"prefix6,omitempty"`
	// Count is the number of hosts. Default 1000 clients, 10 servers.
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// Zipf is the popularity exponent s: host i (from 0) is picked with
	// weight 1/(i+1)^s. 0 (default) is uniform; 1 is classic Zipf.
	Zipf float64 `yaml:"zipf,omitempty" json:"zipf,omitempty"`
	// Ports are the servers' service ports (ignored for clients, which use
	// ephemeral ports 32768-60999). Default [80].
	Ports []uint16 `yaml:"ports,omitempty" json:"ports,omitempty"`
	// PortZipf is the popularity exponent over Ports. Default 0.
	PortZipf float64 `yaml:"port_zipf,omitempty" json:"port_zipf,omitempty"`
}

// Flood is a SYN flood against the most popular server's first port: SYNs
// from spoofed sources that never complete the handshake.
type Flood struct {
	// Rate is SYNs per second; 0 (default) means no flood.
	Rate float64 `yaml:"rate,omitempty" json:"rate,omitempty"`
	// Sources is how many spoofed source addresses (uniformly picked from
	// Prefix). Default 65536.
	Sources int `yaml:"sources,omitempty" json:"sources,omitempty"`
	// Prefix holds the spoofed sources. Default 198.18.0.0/15 (IPv4) or
	// 2001:db8:f::/48 (IPv6).
	Prefix netip.Prefix `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	// IPv6 floods the server's IPv6 address.
	IPv6 bool `yaml:"ipv6,omitempty" json:"ipv6,omitempty"`
	// Respond makes the server answer each SYN with a SYN-ACK.
	Respond bool `yaml:"respond,omitempty" json:"respond,omitempty"`
	// Start and Duration bound the flood in time; zero Duration lasts as
	// long as flows keep starting.
	Start    Duration `yaml:"start,omitempty" json:"start,omitempty"`
	Duration Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
}

// Scan is a SYN (half-open) port scan of the most popular server: a SYN to
// each port in turn; open ports (the server pool's Ports) answer SYN-ACK and
// get the scanner's RST, closed ones answer RST-ACK.
type Scan struct {
	// Rate is probes per second; 0 (default) means no scan.
	Rate float64 `yaml:"rate,omitempty" json:"rate,omitempty"`
	// FirstPort and LastPort bound the scanned range. Default 1-1024.
	FirstPort uint16 `yaml:"first_port,omitempty" json:"first_port,omitempty"`
	LastPort  uint16 `yaml:"last_port,omitempty" json:"last_port,omitempty"`
	// Scanner is the scanning host. Default 203.0.113.66 (IPv4) or
	// 2001:db8:bad::66 (IPv6).
	Scanner netip.Addr `yaml:"scanner,omitempty" json:"scanner,omitempty"`
	// IPv6 scans the server's IPv6 address.
	IPv6 bool `yaml:"ipv6,omitempty" json:"ipv6,omitempty"`
	// Start delays the scan; it ends after the last port.
	Start Duration `yaml:"start,omitempty" json:"start,omitempty"`
}

// Defaults applied by WithDefaults.
const (
	DefaultFlows        = 1000
	DefaultStartNs      = 1_700_000_000 * int64(time.Second)
	DefaultRate         = 1000.0
	DefaultSize         = 10000.0
	DefaultParetoShape  = 1.5
	DefaultMSS          = 1460
	DefaultDatagram     = 512
	DefaultRTT          = Duration(time.Millisecond)
	DefaultSegmentGap   = Duration(10 * time.Microsecond)
	DefaultOnOff        = Duration(10 * time.Millisecond)
	DefaultClients      = 1000
	DefaultServers      = 10
	DefaultFloodSources = 65536
)

// Default prefixes.
var (
	DefaultClientPrefix4 = netip.MustParsePrefix("10.0.0.0/16")
	DefaultClientPrefix6 = netip.MustParsePrefix("fd00:0:0:1::/64")
	DefaultServerPrefix4 = netip.MustParsePrefix("10.1.0.0/16")
	DefaultServerPrefix6 = netip.MustParsePrefix("fd00:0:0:2::/64")
	DefaultFloodPrefix4  = netip.MustParsePrefix("198.18.0.0/15")
	DefaultFloodPrefix6  = netip.MustParsePrefix("2001:db8:f::/48")
	DefaultScanner4      = netip.MustParseAddr("203.0.113.66")
	DefaultScanner6      = netip.MustParseAddr("2001:db8:bad::66")
)

// WithDefaults returns o with every zero value replaced by its default.
func (o Options) WithDefaults() Options {
	if o.Flows == 0 && o.Duration == 0 {
		o.Flows = DefaultFlows
	}
	if o.StartNs == 0 {
		o.StartNs = DefaultStartNs
	}
	if o.Arrival.Process == "" {
		o.Arrival.Process = "poisson"
	}
	if o.Arrival.Rate == 0 {
		o.Arrival.Rate = DefaultRate
	}
	if o.Arrival.On == 0 {
		o.Arrival.On = DefaultOnOff
	}
	if o.Arrival.Off == 0 {
		o.Arrival.Off = DefaultOnOff
	}
	if o.Size.Dist == "" {
		o.Size.Dist = "fixed"
	}
	if o.Size.Mean == 0 && o.Size.Dist != "none" {
		o.Size.Mean = DefaultSize
	}
	if o.Size.Shape == 0 {
		o.Size.Shape = DefaultParetoShape
	}
	if o.Size.Max == 0 {
		o.Size.Max = 1000 * o.Size.Mean
	}
	if o.MSS == 0 {
		o.MSS = DefaultMSS
	}
	if o.Datagram == 0 {
		o.Datagram = DefaultDatagram
	}
	if o.RTT == 0 {
		o.RTT = DefaultRTT
	}
	if o.SegmentGap == 0 {
		o.SegmentGap = DefaultSegmentGap
	}
	o.Clients = o.Clients.withDefaults(DefaultClientPrefix4, DefaultClientPrefix6, DefaultClients, false)
	o.Servers = o.Servers.withDefaults(DefaultServerPrefix4, DefaultServerPrefix6, DefaultServers, true)
	if o.SYNFlood.Sources == 0 {
		o.SYNFlood.Sources = DefaultFloodSources
	}
	if !o.SYNFlood.Prefix.IsValid() {
		o.SYNFlood.Prefix = DefaultFloodPrefix4
		if o.SYNFlood.IPv6 {
			o.SYNFlood.Prefix = DefaultFloodPrefix6
		}
	}
	if o.PortScan.FirstPort == 0 && o.PortScan.LastPort == 0 {
		o.PortScan.FirstPort, o.PortScan.LastPort = 1, 1024
	}
	if !o.PortScan.Scanner.IsValid() {
		o.PortScan.Scanner = DefaultScanner4
		if o.PortScan.IPv6 {
			o.PortScan.Scanner = DefaultScanner6
		}
	}
	return o
}

func (p Pool) withDefaults(p4, p6 netip.Prefix, count int, server bool) Pool {
	if !p.Prefix4.IsValid() {
		p.Prefix4 = p4
	}
	if !p.Prefix6.IsValid() {
		p.Prefix6 = p6
	}
	if p.Count == 0 {
		p.Count = count
	}
	if server && len(p.Ports) == 0 {
		p.Ports = []uint16{80}
	}
	return p
}

// maxZipfHosts bounds a pool with Zipf popularity (its table of cumulative
// weights is 8 bytes per host).
const maxZipfHosts = 1 << 22

// Validate reports everything wrong with o (after defaults), each problem
// naming its YAML field.
func (o Options) Validate() error {
	o = o.WithDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("synth: "+format, args...)) }
	fraction := func(name string, v float64) {
		if !(v >= 0 && v <= 1) {
			bad("%s must be in [0, 1], have %v", name, v)
		}
	}
	positive := func(name string, v float64) {
		if !(v > 0) || math.IsInf(v, 0) {
			bad("%s must be > 0, have %v", name, v)
		}
	}
	if o.Flows < 0 {
		bad("flows must be >= 0, have %d", o.Flows)
	}
	if o.Duration < 0 {
		bad("duration must be >= 0, have %v", time.Duration(o.Duration))
	}
	if o.MaxPackets < 0 {
		bad("max_packets must be >= 0, have %d", o.MaxPackets)
	}
	if o.StartNs < 0 {
		bad("start_ns must be >= 0, have %d", o.StartNs)
	}
	fraction("udp_fraction", o.UDPFraction)
	fraction("ipv6_fraction", o.IPv6Fraction)
	fraction("rst_fraction", o.RSTFraction)
	fraction("loss", o.Loss)
	fraction("reorder", o.Reorder)
	if o.Loss+o.Reorder > 1 {
		bad("loss + reorder must be <= 1, have %.4g", o.Loss+o.Reorder)
	}
	switch o.Arrival.Process {
	case "poisson", "constant", "onoff":
	default:
		bad("arrival.process: unknown process %q (want poisson, constant or onoff)", o.Arrival.Process)
	}
	positive("arrival.rate", o.Arrival.Rate)
	if o.Arrival.On <= 0 || o.Arrival.Off <= 0 {
		bad("arrival.on and arrival.off must be > 0, have %v and %v", time.Duration(o.Arrival.On), time.Duration(o.Arrival.Off))
	}
	switch o.Size.Dist {
	case "none":
	case "fixed", "exponential", "pareto":
		positive("flow_size.mean", o.Size.Mean)
		if o.Size.Max < o.Size.Mean {
			bad("flow_size.max (%v) must be >= flow_size.mean (%v)", o.Size.Max, o.Size.Mean)
		}
		if o.Size.Dist == "pareto" && !(o.Size.Shape > 1) {
			bad("flow_size.shape must be > 1 for a Pareto size with a finite mean, have %v", o.Size.Shape)
		}
		if o.Size.Max > 1<<40 {
			bad("flow_size.max %v is beyond 1 TiB", o.Size.Max)
		}
	default:
		bad("flow_size.dist: unknown distribution %q (want fixed, exponential, pareto or none)", o.Size.Dist)
	}
	if !(o.ResponseRatio >= 0) || o.ResponseRatio > 1000 {
		bad("response_ratio must be in [0, 1000], have %v", o.ResponseRatio)
	}
	if o.MSS < 1 || o.MSS > 9000 {
		bad("mss must be in [1, 9000], have %d", o.MSS)
	}
	if o.Datagram < 1 || o.Datagram > 9000 {
		bad("udp_datagram must be in [1, 9000], have %d", o.Datagram)
	}
	if o.RTT < 0 || o.SegmentGap < 0 {
		bad("rtt and segment_gap must be >= 0, have %v and %v", time.Duration(o.RTT), time.Duration(o.SegmentGap))
	}
	errs = append(errs, o.Clients.validate("clients")...)
	errs = append(errs, o.Servers.validate("servers")...)
	for _, p := range o.Servers.Ports {
		if p == 0 {
			bad("servers.ports: port 0 is not a service port")
		}
	}
	if o.SYNFlood.Rate < 0 || math.IsInf(o.SYNFlood.Rate, 0) || math.IsNaN(o.SYNFlood.Rate) {
		bad("syn_flood.rate must be >= 0, have %v", o.SYNFlood.Rate)
	}
	if o.SYNFlood.Rate > 0 {
		if o.SYNFlood.Prefix.Addr().Is6() != o.SYNFlood.IPv6 {
			bad("syn_flood.prefix %v does not match syn_flood.ipv6 %v", o.SYNFlood.Prefix, o.SYNFlood.IPv6)
		}
		if hosts := prefixHosts(o.SYNFlood.Prefix); o.SYNFlood.Sources < 1 || uint64(o.SYNFlood.Sources) > hosts {
			bad("syn_flood.sources must be in [1, %d] for %v, have %d", hosts, o.SYNFlood.Prefix, o.SYNFlood.Sources)
		}
	}
	if o.PortScan.Rate < 0 || math.IsInf(o.PortScan.Rate, 0) || math.IsNaN(o.PortScan.Rate) {
		bad("port_scan.rate must be >= 0, have %v", o.PortScan.Rate)
	}
	if o.PortScan.Rate > 0 {
		if o.PortScan.FirstPort == 0 || o.PortScan.FirstPort > o.PortScan.LastPort {
			bad("port_scan: first_port %d and last_port %d must satisfy 1 <= first <= last", o.PortScan.FirstPort, o.PortScan.LastPort)
		}
		if o.PortScan.Scanner.Is6() != o.PortScan.IPv6 {
			bad("port_scan.scanner %v does not match port_scan.ipv6 %v", o.PortScan.Scanner, o.PortScan.IPv6)
		}
	}
	return errors.Join(errs...)
}

func (p Pool) validate(name string) []error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("synth: "+name+"."+format, args...))
	}
	if !p.Prefix4.Addr().Is4() {
		bad("prefix4 %v is not an IPv4 prefix", p.Prefix4)
	}
	if !p.Prefix6.Addr().Is6() || p.Prefix6.Addr().Is4In6() {
		bad("prefix6 %v is not an IPv6 prefix", p.Prefix6)
	}
	if p.Count < 1 {
		bad("count must be >= 1, have %d", p.Count)
	}
	for _, pr := range []netip.Prefix{p.Prefix4, p.Prefix6} {
		if h := prefixHosts(pr); p.Count > 0 && uint64(p.Count) > h {
			bad("count %d does not fit in %v (%d hosts)", p.Count, pr, h)
		}
	}
	if !(p.Zipf >= 0) || p.Zipf > 10 {
		bad("zipf must be in [0, 10], have %v", p.Zipf)
	}
	if p.Zipf > 0 && p.Count > maxZipfHosts {
		bad("count %d is too large for zipf popularity (at most %d)", p.Count, maxZipfHosts)
	}
	if !(p.PortZipf >= 0) || p.PortZipf > 10 {
		bad("port_zipf must be in [0, 10], have %v", p.PortZipf)
	}
	return errs
}

// prefixHosts returns the usable host count of a prefix (saturating), not
// counting the network address and, for IPv4, the broadcast address.
func prefixHosts(p netip.Prefix) uint64 {
	if !p.IsValid() {
		return 0
	}
	free := p.Addr().BitLen() - p.Bits()
	if free >= 63 {
		return 1 << 62
	}
	n := uint64(1) << free
	if p.Addr().Is4() {
		if n <= 2 {
			return 0
		}
		return n - 2
	}
	return n - 1
}
