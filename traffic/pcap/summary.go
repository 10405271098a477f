package pcap

import (
	"cmp"
	"errors"
	"io"
	"slices"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// Summary describes a capture file: what `sessionlab pcap info` prints. The
// JSON field names are a public contract, documented in docs/traffic.md.
type Summary struct {
	File       string   `json:"file,omitempty"`
	Format     string   `json:"format"`
	Compressed bool     `json:"compressed"`
	LinkTypes  []string `json:"link_types"`
	Snaplen    uint32   `json:"snaplen"`

	Packets         uint64  `json:"packets"`
	Bytes           uint64  `json:"bytes"`      // captured bytes
	WireBytes       uint64  `json:"wire_bytes"` // bytes on the wire
	FirstNs         int64   `json:"first_ns"`
	LastNs          int64   `json:"last_ns"`
	DurationSeconds float64 `json:"duration_seconds"`
	AvgPPS          float64 `json:"avg_pps"`
	AvgMbps         float64 `json:"avg_mbps"` // wire bits

	IPv4      uint64          `json:"ipv4"`
	IPv6      uint64          `json:"ipv6"`
	NonIP     uint64          `json:"non_ip"`
	Protocols ProtocolCounts  `json:"protocols"`
	Fragments uint64          `json:"fragments"`
	Truncated uint64          `json:"truncated"`
	TCP       TCPCounts       `json:"tcp"`
	Flows     FlowCounts      `json:"flows"`
	Talkers   []TalkerSummary `json:"top_talkers"`
	TopFlows  []FlowSummary   `json:"top_flows"`
	Bad       BadCounts       `json:"bad"`
}

// ProtocolCounts count IP packets by transport protocol.
type ProtocolCounts struct {
	TCP   uint64 `json:"tcp"`
	UDP   uint64 `json:"udp"`
	ICMP  uint64 `json:"icmp"` // ICMP and ICMPv6
	Other uint64 `json:"other"`
}

// TCPCounts count TCP control segments.
type TCPCounts struct {
	SYN    uint64 `json:"syn"`     // SYN without ACK: connection attempts
	SYNACK uint64 `json:"syn_ack"` // SYN with ACK
	FIN    uint64 `json:"fin"`
	RST    uint64 `json:"rst"`
}

// FlowCounts count flows: distinct 5-tuples, both directions together.
type FlowCounts struct {
	Total uint64 `json:"total"`
	TCP   uint64 `json:"tcp"`
	UDP   uint64 `json:"udp"`
	Other uint64 `json:"other"`
}

// TalkerSummary is a source address and what it sent.
type TalkerSummary struct {
	Addr    string `json:"addr"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"` // wire bytes sent
}

// FlowSummary is a flow (named by its first packet's direction) and what it
// carried both ways.
type FlowSummary struct {
	Flow    string `json:"flow"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// BadCounts are the reader's recovery counts (see Options.SkipBad).
type BadCounts struct {
	Records      uint64 `json:"records"`
	Packets      uint64 `json:"packets"`
	Resyncs      uint64 `json:"resyncs"`
	SkippedBytes uint64 `json:"skipped_bytes"`
	// First is where the first skipped problem was ("pcap: packet N at
	// offset O: reason"); empty when nothing was skipped.
	First string `json:"first,omitempty"`
}

// BadCountsOf returns r's counts of what SkipBad skipped, and where the first
// skipped problem was.
func BadCountsOf(r *Reader) BadCounts {
	st := r.Stats()
	b := BadCounts{Records: st.BadRecords, Packets: st.BadPackets, Resyncs: st.Resyncs, SkippedBytes: st.Skipped}
	if e := r.FirstBad(); e != nil {
		b.First = e.Error()
	}
	return b
}

type tally struct {
	packets, bytes uint64
	first          packet.FiveTuple // the direction seen first
}

// Summarize reads r to the end and describes what it held, with the top
// talkers and flows by bytes (top of each; 0 means 10). r should be opened
// with SkipBad so a damaged file is summarised rather than refused; without
// it the first bad record ends the summary with an error.
func Summarize(r *Reader, top int) (Summary, error) {
	if top <= 0 {
		top = 10
	}
	s := Summary{Format: r.Format().String(), Compressed: r.Compressed(), Snaplen: r.Snaplen()}
	links := map[packet.LinkType]bool{}
	talkers := map[packet.Addr]*tally{}
	flows := map[packet.FiveTuple]*tally{}
	var p packet.Packet
	var err error
	for {
		if err = r.Next(&p); err != nil {
			var de *packet.DecodeError
			if errors.As(err, &de) {
				continue // counted by the reader only with SkipBad; go on
			}
			break
		}
		if !links[p.Link] {
			links[p.Link] = true
			s.LinkTypes = append(s.LinkTypes, p.Link.String())
		}
		if s.Packets == 0 || p.Timestamp < s.FirstNs {
			s.FirstNs = p.Timestamp
		}
		s.LastNs = max(s.LastNs, p.Timestamp)
		s.Packets++
		s.Bytes += uint64(p.CapLen)
		s.WireBytes += uint64(p.WireLen)
		switch p.Family {
		case 4:
			s.IPv4++
		case 6:
			s.IPv6++
		default:
			s.NonIP++
			continue
		}
		switch p.Proto {
		case packet.ProtoTCP:
			s.Protocols.TCP++
		case packet.ProtoUDP:
			s.Protocols.UDP++
		case packet.ProtoICMP, packet.ProtoICMPv6:
			s.Protocols.ICMP++
		default:
			s.Protocols.Other++
		}
		if p.IsFragment() {
			s.Fragments++
		}
		if p.Truncated() {
			s.Truncated++
		}
		if p.IsTCP() {
			f := p.TCPFlags
			switch {
			case f.Has(packet.TCPSyn | packet.TCPAck):
				s.TCP.SYNACK++
			case f.Has(packet.TCPSyn):
				s.TCP.SYN++
			}
			if f.Has(packet.TCPFin) {
				s.TCP.FIN++
			}
			if f.Has(packet.TCPRst) {
				s.TCP.RST++
			}
		}
		t := talkers[p.Src]
		if t == nil {
			t = &tally{}
			talkers[p.Src] = t
		}
		t.packets++
		t.bytes += uint64(p.WireLen)
		tu := p.Tuple()
		key := canonical(tu)
		fl := flows[key]
		if fl == nil {
			fl = &tally{first: tu}
			flows[key] = fl
			s.Flows.Total++
			switch {
			case p.IsTCP():
				s.Flows.TCP++
			case p.IsUDP():
				s.Flows.UDP++
			default:
				s.Flows.Other++
			}
		}
		fl.packets++
		fl.bytes += uint64(p.WireLen)
	}
	if err == io.EOF {
		err = nil
	}
	if s.LinkTypes == nil {
		s.LinkTypes = []string{r.LinkType().String()}
	}
	if s.Packets > 0 {
		s.DurationSeconds = float64(s.LastNs-s.FirstNs) / 1e9
		if s.DurationSeconds > 0 {
			s.AvgPPS = float64(s.Packets-1) / s.DurationSeconds
			s.AvgMbps = float64(s.WireBytes) * 8 / s.DurationSeconds / 1e6
		}
	}
	s.Talkers = make([]TalkerSummary, 0, min(top, len(talkers)))
	for _, a := range topN(talkers, top, func(a, b packet.Addr) int {
		if a.Less(b) {
			return -1
		}
		return 1
	}) {
		t := talkers[a]
		s.Talkers = append(s.Talkers, TalkerSummary{Addr: a.String(), Packets: t.packets, Bytes: t.bytes})
	}
	s.TopFlows = make([]FlowSummary, 0, min(top, len(flows)))
	for _, k := range topN(flows, top, compareTuples) {
		f := flows[k]
		s.TopFlows = append(s.TopFlows, FlowSummary{Flow: f.first.String(), Packets: f.packets, Bytes: f.bytes})
	}
	s.Bad = BadCountsOf(r)
	return s, err
}

// topN returns the n keys with the most bytes (then packets), ties broken by
// key order so the output is deterministic.
func topN[K comparable](m map[K]*tally, n int, keyCmp func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b K) int {
		ta, tb := m[a], m[b]
		if c := cmp.Compare(tb.bytes, ta.bytes); c != 0 {
			return c
		}
		if c := cmp.Compare(tb.packets, ta.packets); c != 0 {
			return c
		}
		return keyCmp(a, b)
	})
	return keys[:min(n, len(keys))]
}

// canonical orders a tuple's endpoints so both directions share a key.
func canonical(t packet.FiveTuple) packet.FiveTuple {
	r := t.Reverse()
	if compareTuples(r, t) < 0 {
		return r
	}
	return t
}

func compareTuples(a, b packet.FiveTuple) int {
	switch {
	case a.Src != b.Src:
		if a.Src.Less(b.Src) {
			return -1
		}
		return 1
	case a.Dst != b.Dst:
		if a.Dst.Less(b.Dst) {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.SrcPort, b.SrcPort); c != 0 {
		return c
	}
	if c := cmp.Compare(a.DstPort, b.DstPort); c != 0 {
		return c
	}
	return cmp.Compare(a.Proto, b.Proto)
}
