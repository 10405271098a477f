package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sessionlab/sessionlab/traffic/packet"
	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// `sessionlab pcap info|gen|replay`: describe, generate and pace capture
// files. The work is in traffic/pcap (Summarize, Replay) and traffic/synth;
// this file maps flags onto them and prints. --json outputs are documented
// in docs/traffic.md.

func init() {
	pcapCmd := &cobra.Command{
		Use:   "pcap",
		Short: "Describe, generate and replay pcap/pcapng captures",
	}
	pcapCmd.AddCommand(pcapInfoCmd(), pcapGenCmd(), pcapReplayCmd())
	rootCmd.AddCommand(pcapCmd)
}

func writePcapJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func pcapInfoCmd() *cobra.Command {
	var asJSON bool
	var top int
	c := &cobra.Command{
		Use:   "info FILE",
		Short: "Summarise a capture: packets, flows, protocols, duration, rates, top talkers",
		Long: `info reads a pcap or pcapng file (gzip-compressed or not) and prints what it holds:
packets and bytes, the time span and average rates, IPv4/IPv6/non-IP counts,
transport protocols, TCP control segments, flows (5-tuples, both directions
together), the top talkers and flows by bytes, and how many records were bad.

Bad records are skipped and counted rather than refused; a file whose header
is unreadable exits 1.`,
		Example: `  sessionlab pcap info benchdata/pcaps/mixed.pcap
  sessionlab pcap info --json capture.pcapng.gz | jq .flows`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := pcap.Open(args[0], pcap.Options{SkipBad: true})
			if err != nil {
				return withExitCode(1, err)
			}
			defer r.Close()
			s, err := pcap.Summarize(r, top)
			if err != nil {
				return withExitCode(1, fmt.Errorf("%s: %w", args[0], err))
			}
			s.File = args[0]
			if asJSON {
				return writePcapJSON(cmd.OutOrStdout(), s)
			}
			printSummary(cmd.OutOrStdout(), &s)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON (fields documented in docs/traffic.md)")
	c.Flags().IntVar(&top, "top", 10, "how many top talkers and flows to list")
	return c
}

// printBad prints the counts of what --skip-bad (or info) skipped, and
// where the first skipped problem was.
func printBad(w io.Writer, b pcap.BadCounts) {
	fmt.Fprintf(w, "bad:        %d records, %d undecodable packets, %d resyncs (%d bytes skipped)\n",
		b.Records, b.Packets, b.Resyncs, b.SkippedBytes)
	if b.First != "" {
		fmt.Fprintf(w, "first bad:  %s\n", b.First)
	}
}

func printSummary(w io.Writer, s *pcap.Summary) {
	comp := ""
	if s.Compressed {
		comp = ", gzip"
	}
	fmt.Fprintf(w, "file:       %s (%s%s, link %s, snaplen %d)\n", s.File, s.Format, comp, strings.Join(s.LinkTypes, "/"), s.Snaplen)
	fmt.Fprintf(w, "packets:    %d (%d bytes captured, %d on the wire)\n", s.Packets, s.Bytes, s.WireBytes)
	if s.Packets > 0 {
		fmt.Fprintf(w, "time:       %s to %s (%.6f s)\n",
			time.Unix(0, s.FirstNs).UTC().Format(time.RFC3339Nano), time.Unix(0, s.LastNs).UTC().Format(time.RFC3339Nano), s.DurationSeconds)
	}
	fmt.Fprintf(w, "rates:      %.1f packets/s, %.3f Mbit/s\n", s.AvgPPS, s.AvgMbps)
	fmt.Fprintf(w, "families:   IPv4 %d, IPv6 %d, non-IP %d\n", s.IPv4, s.IPv6, s.NonIP)
	fmt.Fprintf(w, "protocols:  TCP %d, UDP %d, ICMP %d, other %d (fragments %d, truncated %d)\n",
		s.Protocols.TCP, s.Protocols.UDP, s.Protocols.ICMP, s.Protocols.Other, s.Fragments, s.Truncated)
	fmt.Fprintf(w, "tcp:        SYN %d, SYN-ACK %d, FIN %d, RST %d\n", s.TCP.SYN, s.TCP.SYNACK, s.TCP.FIN, s.TCP.RST)
	fmt.Fprintf(w, "flows:      %d (TCP %d, UDP %d, other %d)\n", s.Flows.Total, s.Flows.TCP, s.Flows.UDP, s.Flows.Other)
	printBad(w, s.Bad)
	if len(s.Talkers) > 0 {
		fmt.Fprintln(w, "top talkers (bytes sent):")
		for _, t := range s.Talkers {
			fmt.Fprintf(w, "  %-40s %10d bytes %8d packets\n", t.Addr, t.Bytes, t.Packets)
		}
	}
	if len(s.TopFlows) > 0 {
		fmt.Fprintln(w, "top flows (bytes both ways):")
		for _, f := range s.TopFlows {
			fmt.Fprintf(w, "  %-60s %10d bytes %8d packets\n", f.Flow, f.Bytes, f.Packets)
		}
	}
}

// genFlags are the `pcap gen` flags; each one that is set overrides the
// same field of --config.
type genFlags struct {
	config, out, format string
	asJSON              bool
	o                   synth.Options
	ports, scanPorts    string
	floodPrefix         string
	scanner             string
	c4, c6, s4, s6      string
}

func pcapGenCmd() *cobra.Command {
	var g genFlags
	c := &cobra.Command{
		Use:   "gen -o FILE [flags]",
		Short: "Generate a synthetic capture (seeded: the same flags give the same bytes)",
		Long: `gen writes synthetic traffic from traffic/synth to a pcap or pcapng file: TCP flows
(handshake, data with correct sequence numbers, optional response, FIN or RST),
UDP flows, SYN floods and port scans, with loss and reordering before the
capture point, Zipf-popular address pools and an IPv4/IPv6 mix.

--config reads the options from YAML (the synth.Options fields, as a scenario
file writes them); flags given on the command line override it. The format
follows --format, else the file name (.pcapng means pcapng); a name ending in
.gz is gzip-compressed. Defaults are listed in docs/traffic.md.`,
		Example: `  sessionlab pcap gen --seed 1 --flows 1000 -o flows.pcap
  sessionlab pcap gen --flows 200 --size-dist pareto --size 20000 --loss 0.01 --ipv6 0.5 -o mix.pcapng
  sessionlab pcap gen --config synth.yaml --syn-flood-rate 50000 -o attack.pcap`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGen(cmd, &g)
		},
	}
	f := c.Flags()
	f.StringVarP(&g.out, "out", "o", "", "output file (required)")
	f.StringVar(&g.format, "format", "", "pcap or pcapng (default: from the file name, else pcap)")
	f.StringVar(&g.config, "config", "", "YAML file of generator options (flags override it)")
	f.BoolVar(&g.asJSON, "json", false, "print the generator's counts as JSON")
	o := &g.o
	f.Uint64Var(&o.Seed, "seed", 0, "random seed")
	f.IntVar(&o.Flows, "flows", 0, "flows to start (default 1000 unless --duration is set)")
	durationVar(f, &o.Duration, "duration", "stop starting flows after this long")
	f.Int64Var(&o.MaxPackets, "max-packets", 0, "stop after this many packets")
	f.Int64Var(&o.StartNs, "start-ns", 0, "timestamp of the first packet, ns since the epoch (default 1700000000e9)")
	f.Float64Var(&o.UDPFraction, "udp", 0, "fraction of flows that are UDP")
	f.Float64Var(&o.IPv6Fraction, "ipv6", 0, "fraction of flows that are IPv6")
	f.StringVar(&o.Arrival.Process, "arrival", "", "arrival process: poisson, constant or onoff (default poisson)")
	f.Float64Var(&o.Arrival.Rate, "rate", 0, "flow arrivals per second (default 1000)")
	durationVar(f, &o.Arrival.On, "on", "onoff: mean on period (default 10ms)")
	durationVar(f, &o.Arrival.Off, "off", "onoff: mean off period (default 10ms)")
	f.StringVar(&o.Size.Dist, "size-dist", "", "flow size distribution: fixed, exponential, pareto or none (default fixed)")
	f.Float64Var(&o.Size.Mean, "size", 0, "mean client bytes per flow (default 10000)")
	f.Float64Var(&o.Size.Shape, "pareto-shape", 0, "Pareto shape, > 1 (default 1.5)")
	f.Float64Var(&o.Size.Max, "size-max", 0, "largest flow (default 1000 x --size)")
	f.Float64Var(&o.ResponseRatio, "response-ratio", 0, "server bytes per client byte (1: echo)")
	f.IntVar(&o.MSS, "mss", 0, "TCP payload per segment (default 1460)")
	f.IntVar(&o.Datagram, "datagram", 0, "UDP payload per datagram (default 512)")
	durationVar(f, &o.RTT, "rtt", "client-server round-trip time (default 1ms)")
	durationVar(f, &o.SegmentGap, "segment-gap", "time between back-to-back segments (default 10us)")
	f.Float64Var(&o.RSTFraction, "rst", 0, "fraction of TCP flows closed by RST")
	f.Float64Var(&o.Loss, "loss", 0, "probability a client segment is lost before the capture point")
	f.Float64Var(&o.Reorder, "reorder", 0, "probability a client segment arrives after its successor")
	f.IntVar(&o.Clients.Count, "clients", 0, "client hosts (default 1000)")
	f.Float64Var(&o.Clients.Zipf, "client-zipf", 0, "client popularity exponent (0: uniform)")
	f.StringVar(&g.c4, "client-prefix4", "", "client IPv4 prefix (default 10.0.0.0/16)")
	f.StringVar(&g.c6, "client-prefix6", "", "client IPv6 prefix (default fd00:0:0:1::/64)")
	f.IntVar(&o.Servers.Count, "servers", 0, "server hosts (default 10)")
	f.Float64Var(&o.Servers.Zipf, "server-zipf", 0, "server popularity exponent")
	f.StringVar(&g.s4, "server-prefix4", "", "server IPv4 prefix (default 10.1.0.0/16)")
	f.StringVar(&g.s6, "server-prefix6", "", "server IPv6 prefix (default fd00:0:0:2::/64)")
	f.StringVar(&g.ports, "ports", "", "server ports, comma-separated (default 80)")
	f.Float64Var(&o.Servers.PortZipf, "port-zipf", 0, "port popularity exponent")
	f.Float64Var(&o.SYNFlood.Rate, "syn-flood-rate", 0, "SYN flood: SYNs per second (0: none)")
	f.IntVar(&o.SYNFlood.Sources, "syn-flood-sources", 0, "SYN flood: spoofed sources (default 65536)")
	f.StringVar(&g.floodPrefix, "syn-flood-prefix", "", "SYN flood: source prefix (default 198.18.0.0/15)")
	f.BoolVar(&o.SYNFlood.IPv6, "syn-flood-ipv6", false, "SYN flood over IPv6")
	f.BoolVar(&o.SYNFlood.Respond, "syn-flood-respond", false, "the server answers flood SYNs")
	durationVar(f, &o.SYNFlood.Start, "syn-flood-start", "SYN flood: start time")
	durationVar(f, &o.SYNFlood.Duration, "syn-flood-duration", "SYN flood: length (default: while flows start)")
	f.Float64Var(&o.PortScan.Rate, "scan-rate", 0, "port scan: probes per second (0: none)")
	f.StringVar(&g.scanPorts, "scan-ports", "", "port scan: range FIRST-LAST (default 1-1024)")
	f.StringVar(&g.scanner, "scanner", "", "port scan: scanner address (default 203.0.113.66)")
	f.BoolVar(&o.PortScan.IPv6, "scan-ipv6", false, "port scan over IPv6")
	durationVar(f, &o.PortScan.Start, "scan-start", "port scan: start time")
	_ = c.MarkFlagRequired("out")
	return c
}

// durationValue is a pflag.Value over synth.Duration.
type durationValue struct{ d *synth.Duration }

// String is "0" for zero: pflag then treats the flag as having no default
// (the usage text states the real one), instead of printing "(default 0s)".
func (v durationValue) String() string {
	if v.d == nil || *v.d == 0 {
		return "0"
	}
	return time.Duration(*v.d).String()
}
func (v durationValue) Set(s string) error { return v.d.UnmarshalText([]byte(s)) }
func (v durationValue) Type() string       { return "duration" }

func durationVar(f *pflag.FlagSet, d *synth.Duration, name, usage string) {
	f.Var(durationValue{d}, name, usage)
}

// runGen starts from --config (or zero Options) and applies only the flags
// actually given, so a --config value is overridden only explicitly.
func runGen(cmd *cobra.Command, g *genFlags) error {
	flags := g.o // what the flags set (zero where not given)
	opt := synth.Options{}
	if g.config != "" {
		b, err := os.ReadFile(g.config)
		if err != nil {
			return withExitCode(1, err)
		}
		if err := yaml.UnmarshalWithOptions(b, &opt, yaml.Strict()); err != nil {
			return withExitCode(1, fmt.Errorf("%s: %w", g.config, err))
		}
	}
	set := func(name string, apply func()) {
		if cmd.Flags().Changed(name) {
			apply()
		}
	}
	var perr error
	prefix := func(name, s string, dst *synth.Pool, v6 bool) {
		set(name, func() {
			p, err := pcapParsePrefix(name, s)
			if err != nil {
				perr = errors.Join(perr, err)
			}
			if v6 {
				dst.Prefix6 = p
			} else {
				dst.Prefix4 = p
			}
		})
	}
	set("seed", func() { opt.Seed = flags.Seed })
	set("flows", func() { opt.Flows = flags.Flows })
	set("duration", func() { opt.Duration = flags.Duration })
	set("max-packets", func() { opt.MaxPackets = flags.MaxPackets })
	set("start-ns", func() { opt.StartNs = flags.StartNs })
	set("udp", func() { opt.UDPFraction = flags.UDPFraction })
	set("ipv6", func() { opt.IPv6Fraction = flags.IPv6Fraction })
	set("arrival", func() { opt.Arrival.Process = flags.Arrival.Process })
	set("rate", func() { opt.Arrival.Rate = flags.Arrival.Rate })
	set("on", func() { opt.Arrival.On = flags.Arrival.On })
	set("off", func() { opt.Arrival.Off = flags.Arrival.Off })
	set("size-dist", func() { opt.Size.Dist = flags.Size.Dist })
	set("size", func() { opt.Size.Mean = flags.Size.Mean })
	set("pareto-shape", func() { opt.Size.Shape = flags.Size.Shape })
	set("size-max", func() { opt.Size.Max = flags.Size.Max })
	set("response-ratio", func() { opt.ResponseRatio = flags.ResponseRatio })
	set("mss", func() { opt.MSS = flags.MSS })
	set("datagram", func() { opt.Datagram = flags.Datagram })
	set("rtt", func() { opt.RTT = flags.RTT })
	set("segment-gap", func() { opt.SegmentGap = flags.SegmentGap })
	set("rst", func() { opt.RSTFraction = flags.RSTFraction })
	set("loss", func() { opt.Loss = flags.Loss })
	set("reorder", func() { opt.Reorder = flags.Reorder })
	set("clients", func() { opt.Clients.Count = flags.Clients.Count })
	set("client-zipf", func() { opt.Clients.Zipf = flags.Clients.Zipf })
	prefix("client-prefix4", g.c4, &opt.Clients, false)
	prefix("client-prefix6", g.c6, &opt.Clients, true)
	set("servers", func() { opt.Servers.Count = flags.Servers.Count })
	set("server-zipf", func() { opt.Servers.Zipf = flags.Servers.Zipf })
	prefix("server-prefix4", g.s4, &opt.Servers, false)
	prefix("server-prefix6", g.s6, &opt.Servers, true)
	set("ports", func() {
		opt.Servers.Ports = nil
		for _, s := range strings.Split(g.ports, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
			if err != nil {
				perr = errors.Join(perr, fmt.Errorf("--ports: %q is not a port number", s))
				continue
			}
			opt.Servers.Ports = append(opt.Servers.Ports, uint16(n))
		}
	})
	set("port-zipf", func() { opt.Servers.PortZipf = flags.Servers.PortZipf })
	set("syn-flood-rate", func() { opt.SYNFlood.Rate = flags.SYNFlood.Rate })
	set("syn-flood-sources", func() { opt.SYNFlood.Sources = flags.SYNFlood.Sources })
	set("syn-flood-prefix", func() {
		p, err := pcapParsePrefix("syn-flood-prefix", g.floodPrefix)
		perr = errors.Join(perr, err)
		opt.SYNFlood.Prefix = p
	})
	set("syn-flood-ipv6", func() { opt.SYNFlood.IPv6 = flags.SYNFlood.IPv6 })
	set("syn-flood-respond", func() { opt.SYNFlood.Respond = flags.SYNFlood.Respond })
	set("syn-flood-start", func() { opt.SYNFlood.Start = flags.SYNFlood.Start })
	set("syn-flood-duration", func() { opt.SYNFlood.Duration = flags.SYNFlood.Duration })
	set("scan-rate", func() { opt.PortScan.Rate = flags.PortScan.Rate })
	set("scan-ports", func() {
		first, last, ok := strings.Cut(g.scanPorts, "-")
		a, err1 := strconv.ParseUint(first, 10, 16)
		b, err2 := strconv.ParseUint(last, 10, 16)
		if !ok || err1 != nil || err2 != nil {
			perr = errors.Join(perr, fmt.Errorf("--scan-ports: want FIRST-LAST, have %q", g.scanPorts))
		}
		opt.PortScan.FirstPort, opt.PortScan.LastPort = uint16(a), uint16(b)
	})
	set("scanner", func() {
		if err := opt.PortScan.Scanner.UnmarshalText([]byte(g.scanner)); err != nil {
			perr = errors.Join(perr, fmt.Errorf("--scanner: %v", err))
		}
	})
	set("scan-ipv6", func() { opt.PortScan.IPv6 = flags.PortScan.IPv6 })
	set("scan-start", func() { opt.PortScan.Start = flags.PortScan.Start })
	if perr != nil {
		return withExitCode(1, perr)
	}
	if err := opt.Validate(); err != nil {
		return withExitCode(1, err)
	}

	format := pcap.FormatPcap
	switch {
	case g.format != "":
		f, err := pcap.ParseFormat(g.format)
		if err != nil {
			return withExitCode(1, err)
		}
		format = f
	case strings.HasSuffix(strings.TrimSuffix(g.out, ".gz"), ".pcapng"):
		format = pcap.FormatPcapng
	}
	st, err := synth.WriteFile(g.out, format, opt)
	if err != nil {
		return withExitCode(1, err)
	}
	if g.asJSON {
		return writePcapJSON(cmd.OutOrStdout(), st)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d packets, %d bytes, %d TCP and %d UDP flows (%d FIN, %d RST closes), %d lost, %d reordered, %d flood SYNs, %d scan probes\n",
		g.out, st.Packets, st.Bytes, st.TCPFlows, st.UDPFlows, st.FINCloses, st.RSTCloses, st.Lost, st.Reordered, st.FloodSYNs, st.ScanProbes)
	return nil
}

func pcapParsePrefix(flag, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("--%s: %v", flag, err)
	}
	return p, nil
}

func pcapReplayCmd() *cobra.Command {
	var (
		pps, mbps, mult float64
		topspeed        bool
		loop            int
		unique          string
		skipBad, asJSON bool
	)
	c := &cobra.Command{
		Use:   "replay FILE (--pps N | --mbps N | --multiplier X | --topspeed) [--loop N]",
		Short: "Pace a capture on the wall clock and report requested against achieved rate",
		Long: `replay reads FILE, schedules every packet with tcpreplay's timing modes and waits for
each on the wall clock (sleeping when far, spinning near the deadline), decoding
and counting it instead of sending it anywhere. It prints the requested and the
achieved packet and bit rates. Without a mode flag the capture's own timing is
kept. --loop N replays the file N times; --unique-ip all|clients shifts the
addresses of every later pass so flows multiply (all: every address, as
tcpreplay --unique-ip; clients: only each flow's client end).

Interrupting (Ctrl-C) stops early and still reports.`,
		Example: `  sessionlab pcap replay --pps 100000 benchdata/pcaps/mixed.pcap
  sessionlab pcap replay --multiplier 10 --loop 5 --unique-ip all --json capture.pcap`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := pcap.Timing{Mode: pcap.Original, Loop: loop}
			modes := 0
			if cmd.Flags().Changed("pps") {
				t.Mode, t.PPS = pcap.PPS, pps
				modes++
			}
			if cmd.Flags().Changed("mbps") {
				t.Mode, t.Mbps = pcap.Mbps, mbps
				modes++
			}
			if cmd.Flags().Changed("multiplier") {
				t.Mode, t.Multiplier = pcap.Multiplier, mult
				modes++
			}
			if topspeed {
				t.Mode = pcap.TopSpeed
				modes++
			}
			if modes > 1 {
				return withExitCode(1, errors.New("give at most one of --pps, --mbps, --multiplier, --topspeed"))
			}
			if err := t.UniqueIP.UnmarshalText([]byte(unique)); err != nil {
				return withExitCode(1, fmt.Errorf("--unique-ip: %v", err))
			}
			if err := t.Validate(); err != nil {
				return withExitCode(1, err)
			}
			r, err := pcap.Open(args[0], pcap.Options{SkipBad: skipBad})
			if err != nil {
				return withExitCode(1, err)
			}
			defer r.Close()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			var tcp, udp, other uint64
			rep, err := pcap.Replay(ctx, r, t, nil, func(p *packet.Packet) error {
				switch {
				case p.IsTCP():
					tcp++
				case p.IsUDP():
					udp++
				default:
					other++
				}
				return nil
			})
			if errors.Is(err, context.Canceled) {
				err = nil
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if jerr := writePcapJSON(out, struct {
					File string `json:"file"`
					pcap.Report
					TCP   uint64         `json:"tcp_packets"`
					UDP   uint64         `json:"udp_packets"`
					Other uint64         `json:"other_packets"`
					Bad   pcap.BadCounts `json:"bad"`
				}{args[0], rep, tcp, udp, other, pcap.BadCountsOf(r)}); jerr != nil {
					return jerr
				}
			} else {
				fmt.Fprintf(out, "replayed %s: %s, %d packets (%d TCP, %d UDP, %d other), %d bytes, %d pass(es)\n",
					args[0], rep.Timing, rep.Packets, tcp, udp, other, rep.Bytes, rep.Passes)
				fmt.Fprintf(out, "requested: %12.1f packets/s %12.3f Mbit/s over %.6f s\n", rep.RequestedPPS, rep.RequestedMbps, rep.ScheduledSec)
				fmt.Fprintf(out, "achieved:  %12.1f packets/s %12.3f Mbit/s over %.6f s (%+.2f%%)\n", rep.AchievedPPS, rep.AchievedMbps, rep.ElapsedSec, 100*rep.RateError)
				fmt.Fprintf(out, "late:      %d packets more than %v behind, worst %.3f ms\n", rep.Late, pcap.LateThreshold, rep.MaxLagSec*1e3)
				if skipBad {
					printBad(out, pcap.BadCountsOf(r))
				}
			}
			if err != nil {
				return withExitCode(1, fmt.Errorf("%s: %w", args[0], err))
			}
			return nil
		},
	}
	f := c.Flags()
	f.Float64Var(&pps, "pps", 0, "replay at N packets per second")
	f.Float64Var(&mbps, "mbps", 0, "replay at N megabits per second (wire bytes)")
	f.Float64Var(&mult, "multiplier", 0, "replay X times faster than captured")
	f.BoolVar(&topspeed, "topspeed", false, "replay as fast as possible")
	f.IntVar(&loop, "loop", 0, "replay the file N times")
	f.StringVar(&unique, "unique-ip", "none", "address rewriting per loop pass: none, all or clients")
	f.BoolVar(&skipBad, "skip-bad", false, "skip and count bad records and undecodable packets instead of stopping")
	f.BoolVar(&asJSON, "json", false, "print JSON (fields documented in docs/traffic.md)")
	return c
}
