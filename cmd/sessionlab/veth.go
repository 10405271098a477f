//go:build linux

package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/traffic/veth"
)

// `sessionlab veth`: real veth pairs in network namespaces, driven through
// AF_PACKET. The topology, sockets and measurements live in traffic/veth;
// this file parses flags, installs the Ctrl-C handler that makes sure an
// interrupted run still removes what it created, and prints.

func init() {
	cmd := &cobra.Command{
		Use:   "veth",
		Short: "Build veth topologies in network namespaces and drive traffic through AF_PACKET",
		Long: `veth manages sessionlab's live test topology: two network namespaces joined by
a veth pair. End A is the traffic side (a kernel address, the senders); end B is
sessionlab's side, read through an AF_PACKET ring, as VPP's af_packet host
interface is. Every namespace and link name starts with the prefix (default
"sl-"); "veth down" removes exactly those and nothing else.

Needs CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_NET_RAW (root).`,
	}
	cmd.AddCommand(vethUpCmd(), vethDownCmd(), vethStatusCmd(), vethRunCmd())
	rootCmd.AddCommand(cmd)
}

func vethUpCmd() *cobra.Command {
	var (
		prefix, addrA, addrB string
		mtu                  int
		kernelB              bool
	)
	c := &cobra.Command{
		Use:   "up [NAME]",
		Short: "Create a persistent topology NAME (default \"lab\")",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "lab"
			if len(args) == 1 {
				name = args[0]
			}
			cfg := veth.Config{Prefix: prefix, Name: name, MTU: mtu, KernelAddrB: kernelB}
			var err error
			if cfg.AddrA, err = parseOptPrefix("--addr-a", addrA); err != nil {
				return err
			}
			if cfg.AddrB, err = parseOptPrefix("--addr-b", addrB); err != nil {
				return err
			}
			t, err := veth.New(cfg)
			if err != nil {
				return err
			}
			defer t.Close()
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "topology %s%s is up (MTU %d)\n", t.Prefix, t.Name, t.MTU)
			printEnd(out, "A", t.End(veth.A), "kernel address")
			what := "sessionlab's address (not configured in the kernel; sessionlab answers ARP for it)"
			if kernelB {
				what = "kernel address"
			}
			printEnd(out, "B", t.End(veth.B), what)
			fmt.Fprintf(out, "\ndrive it:  sessionlab veth run --topology %s\nremove it: sessionlab veth down", name)
			if prefix != veth.DefaultPrefix {
				fmt.Fprintf(out, " --prefix %s", prefix)
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	c.Flags().StringVar(&prefix, "prefix", veth.DefaultPrefix, "name prefix of namespaces and links")
	c.Flags().IntVar(&mtu, "mtu", 1500, "MTU of both veth ends")
	c.Flags().StringVar(&addrA, "addr-a", "", "end A's kernel address (default 10.201.0.1/24)")
	c.Flags().StringVar(&addrB, "addr-b", "", "end B's (sessionlab's) address (default 10.201.0.2/24)")
	c.Flags().BoolVar(&kernelB, "kernel-addr-b", false, "also configure end B's address in namespace B's kernel")
	return c
}

func printEnd(w io.Writer, side string, e veth.Endpoint, what string) {
	fmt.Fprintf(w, "  end %s: netns %-12s link %-12s mac %s  %v = %s\n", side, e.Namespace, e.Link, e.MAC, e.Addr, what)
}

func parseOptPrefix(flag, s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, withExitCode(2, fmt.Errorf("%s %q: want an IPv4 prefix like 10.201.0.1/24", flag, s))
	}
	return p, nil
}

func vethDownCmd() *cobra.Command {
	var prefix string
	c := &cobra.Command{
		Use:   "down",
		Short: "Remove every namespace and veth link whose name starts with the prefix, and nothing else",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			removed, err := veth.Cleanup(prefix)
			out := cmd.OutOrStdout()
			for _, r := range removed {
				fmt.Fprintf(out, "removed %s %s\n", r.Kind, r.Name)
			}
			if err != nil {
				return err
			}
			if len(removed) == 0 {
				fmt.Fprintf(out, "nothing named %s* to remove\n", prefix)
			}
			return nil
		},
	}
	c.Flags().StringVar(&prefix, "prefix", veth.DefaultPrefix, "name prefix of namespaces and links")
	return c
}

func vethStatusCmd() *cobra.Command {
	var prefix string
	c := &cobra.Command{
		Use:   "status",
		Short: "List the namespaces and links whose names start with the prefix",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rs, err := veth.List(prefix)
			out := cmd.OutOrStdout()
			for _, r := range rs {
				switch {
				case r.Kind == "netns":
					fmt.Fprintf(out, "netns %s %s\n", r.Name, r.Detail)
				case r.Namespace != "":
					fmt.Fprintf(out, "  link %s: %s\n", r.Name, r.Detail)
				default:
					fmt.Fprintf(out, "link %s (in this namespace): %s\n", r.Name, r.Detail)
				}
			}
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				fmt.Fprintf(out, "no namespaces or links named %s*\n", prefix)
			}
			return nil
		},
	}
	c.Flags().StringVar(&prefix, "prefix", veth.DefaultPrefix, "name prefix of namespaces and links")
	return c
}

func vethRunCmd() *cobra.Command {
	var (
		prefix, topo, proto, ring, tx, flags string
		count                                uint64
		rate                                 float64
		size, flows, workers, rxCPU          int
		reply, realtime                      bool
		drain                                time.Duration
	)
	c := &cobra.Command{
		Use:   "run",
		Short: "Send generated traffic from end A to end B and report what arrived and how late",
		Long: `run plays the built-in generator (UDP or TCP frames carrying a sequence number and
a send timestamp) out of end A at --rate and receives it at end B through the
chosen path. It reports frames sent and received, missing and duplicate
sequence numbers, the kernel's PACKET_STATISTICS, one-way latency (kernel
receive timestamp - send timestamp) and delivery latency (read by sessionlab -
send timestamp). With --reply end B answers (UDP echo, TCP data echo, RST to a
SYN) and end A reports round-trip times.

Without --topology a fresh topology is built and removed afterwards, also when
the run is interrupted with Ctrl-C. Exit status 1 when frames were lost.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rk, err := veth.ParseRing(ring)
			if err != nil {
				return withExitCode(2, err)
			}
			tk, err := veth.ParseTx(tx)
			if err != nil {
				return withExitCode(2, err)
			}
			var tcpFlags uint8
			switch flags {
			case "data":
			case "syn":
				tcpFlags = veth.TCPSyn
			default:
				return withExitCode(2, fmt.Errorf("--tcp %q: want data or syn", flags))
			}
			if err := veth.CheckPrivileges(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var t *veth.Topology
			if topo != "" {
				t, err = veth.Open(prefix, topo)
			} else {
				t, err = veth.New(veth.Config{Prefix: prefix})
			}
			if err != nil {
				return err
			}
			defer t.Close() // removes an unnamed topology, also after Ctrl-C
			if rxCPU >= 0 {
				if err := t.SteerReceive(veth.B, rxCPU); err != nil {
					return withExitCode(2, err)
				}
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "topology %s%s: %s -> %s\n", t.Prefix, t.Name, t.End(veth.A).Link, t.End(veth.B).Link)
			rep, err := veth.Run(ctx, t, veth.RunConfig{
				Gen:      veth.GenConfig{Proto: proto, TCPFlags: tcpFlags, FrameSize: size, Flows: flows},
				Sender:   veth.SenderConfig{TX: tk, Rate: rate, Count: count},
				Receiver: veth.ReceiverConfig{Ring: rk, Workers: workers, Realtime: realtime},
				Reply:    reply,
				Drain:    drain,
			})
			if err != nil {
				return err
			}
			printReport(out, &rep)
			if ctx.Err() != nil {
				fmt.Fprintln(out, "interrupted")
				return withExitCode(130, nil)
			}
			if err := rep.Err(); err != nil {
				return withExitCode(1, err)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&prefix, "prefix", veth.DefaultPrefix, "name prefix of namespaces and links")
	f.StringVar(&topo, "topology", "", "use the persistent topology NAME (from `veth up`) instead of a fresh one")
	f.Uint64Var(&count, "count", 100_000, "frames to send")
	f.Float64Var(&rate, "rate", 50_000, "frames per second (0 = as fast as possible)")
	f.IntVar(&size, "size", 0, "frame size in bytes (0: the smallest that carries a probe, 64 for UDP, 74 for TCP)")
	f.StringVar(&proto, "proto", "udp", "udp or tcp")
	f.StringVar(&flags, "tcp", "data", "TCP segments: data (PSH|ACK) or syn (connection attempts)")
	f.IntVar(&flows, "flows", 1, "distinct flows (source ports)")
	f.IntVar(&workers, "workers", 1, "receive workers (a PACKET_FANOUT_HASH group when > 1)")
	f.StringVar(&ring, "ring", "auto", "receive path: auto, tpacketv3, tpacketv2 or recvfrom")
	f.StringVar(&tx, "tx", "txring", "transmit path: txring, sendmmsg or sendto")
	f.BoolVar(&reply, "reply", false, "answer at end B and time round trips at end A")
	f.BoolVar(&realtime, "realtime", false, "run receive workers under SCHED_FIFO (needs CAP_SYS_NICE): latency of the path, not of the scheduler")
	f.DurationVar(&drain, "drain", time.Second, "how long to wait for the last frames")
	f.IntVar(&rxCPU, "rx-cpu", -1, "run end B's kernel receive processing on this CPU (RPS), as a NIC interrupt would; -1: the sending CPU, the veth default")
	return c
}

func printReport(w io.Writer, r *veth.Report) {
	fmt.Fprintf(w, "sent      %d frames in %v (%.0f frames/s) via %v, %d send retries\n",
		r.TX.Sent, r.TX.End.Sub(r.TX.Start).Round(time.Millisecond), r.TX.Rate, r.TX.TX, r.TX.Retries)
	fmt.Fprintf(w, "received  %d via %v (%d workers), %d lost, %d duplicate, %d reordered, %d other frames\n",
		r.RX.Received, r.RX.Ring, r.RX.Workers, r.Lost, r.RX.Duplicates, r.RX.Reordered, r.RX.Foreign)
	fmt.Fprintf(w, "kernel    packets %d, drops %d, ring freezes %d\n", r.RX.Kernel.Packets, r.RX.Kernel.Drops, r.RX.Kernel.FreezeQueue)
	fmt.Fprintf(w, "one-way   %v\n", r.RX.OneWay)
	fmt.Fprintf(w, "delivery  %v\n", r.RX.Delivery)
	if r.TX.Replies > 0 || r.RX.Replies > 0 {
		fmt.Fprintf(w, "replies   %d sent, %d timed; rtt %v\n", r.RX.Replies, r.TX.Replies, r.TX.RTT)
	}
}
