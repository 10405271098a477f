package scenario

import (
	"net/netip"

	"github.com/sessionlab/sessionlab/traffic/pcap"
	"github.com/sessionlab/sessionlab/traffic/synth"
)

// Scenario is one scenario file: what to configure, which traffic to offer,
// what to sweep and which plots to draw. The field comments are the
// reference documentation: the JSON Schema (scenarios/schema.json) and the
// field table of docs/scenarios.md are generated from them.
type Scenario struct {
	// Name identifies the scenario in results; two results documents compare
	// only when their names are equal. Letters, digits, '-', '_' and '.'.
	Name string `yaml:"name"`
	// Description is a one-paragraph summary shown by `scenarios list` and in
	// reports.
	Description string `yaml:"description"`
	// Mode is how the scenario runs: "sim" (discrete events on a virtual
	// clock, deterministic for a seed; the default) or "live" (real
	// goroutines on the wall clock).
	Mode Mode `yaml:"mode"`
	// Seed is the base seed of every random choice (traffic generators, rule
	// generation, the simulator). Repetition r of every point runs with a seed
	// derived from it (see docs/scenarios.md, "Seeds").
	Seed uint64 `yaml:"seed"`
	// Duration is how long each repetition offers traffic (a Go duration,
	// "10s", "500ms"), warm-up excluded. At most one of duration and packets;
	// with neither, a repetition ends when every traffic source ends.
	Duration Duration `yaml:"duration"`
	// Packets ends each repetition after this many packets (warm-up
	// excluded) instead of after a duration.
	Packets uint64 `yaml:"packets"`
	// Warmup runs traffic for this long before measuring starts; nothing
	// seen during the warm-up is counted.
	Warmup Duration `yaml:"warmup"`
	// Repetitions is how many times each point runs (default 1); the
	// spread between repetitions gives the confidence intervals.
	Repetitions int `yaml:"repetitions"`
	// StartupConf is VPP startup.conf text (usually a block scalar, `|`),
	// read exactly as VPP reads it. Its errors point into the scenario file.
	// At most one of startup_conf and startup_conf_file; with neither,
	// sessionlab uses `session { enable rt-backend rule-table }`.
	StartupConf string `yaml:"startup_conf"`
	// StartupConfFile is a startup.conf file, relative to the scenario file.
	StartupConfFile string `yaml:"startup_conf_file"`
	// VPPLimits keeps VPP's limits (default true). false allows worker queue
	// lengths (event-queue-length, wrk-mq-length) below VPP's minimum of 2048
	// so small queues can be studied; results then carry a warning that the
	// configuration is outside VPP's range.
	VPPLimits *bool `yaml:"vpp_limits"`
	// Workers overrides the worker thread count of the startup.conf cpu
	// stanza (0 = the main thread does all the work, as in VPP).
	Workers *int `yaml:"workers"`
	// Interfaces are the model's interfaces: the addresses that are local
	// to the session layer, and the FIB table each belongs to.
	Interfaces []Interface `yaml:"interfaces"`
	// Namespaces are application namespaces (VPP's `app ns add`); the
	// namespace "default" (secret 0, fib 0) always exists.
	Namespaces []Namespace `yaml:"namespaces"`
	// Apps are the application models attached to the session layer.
	Apps []App `yaml:"apps"`
	// Rules are session rules as VPP CLI lines (`session rule add ...`),
	// applied in order before traffic starts.
	Rules []string `yaml:"rules"`
	// RulesGen generates many rules from a seed (added after rules), so a
	// scenario can hold 100k rules without listing them.
	RulesGen *RulesGen `yaml:"rules_gen"`
	// Traffic lists the traffic sources; each item holds exactly one of
	// pcap, synth and veth.
	Traffic []Source `yaml:"traffic"`
	// Sim configures the simulated clock's cost model (ignored in live mode).
	Sim *SimModel `yaml:"sim"`
	// Sweep is the parameter grid: every combination of axis values is a
	// point, run repetitions times.
	Sweep *Sweep `yaml:"sweep"`
	// Plots are the plots the report draws.
	Plots []Plot `yaml:"plots"`
	// Search holds the defaults of `sessionlab search` (NDR/PDR) for this
	// scenario; command-line flags override them.
	Search *SearchDefaults `yaml:"search"`

	// src is where the scenario came from: text, name, positions of every
	// field. Shared (read-only) by every point cloned from this scenario.
	src *source
	// axes are the expanded sweep axes (set by validation).
	axes []axis
	// sessionSets are the --set overrides of startup.conf parameters.
	sessionSets []Override
}

// Mode is how a scenario runs.
type Mode string

// The modes.
const (
	// ModeSim: discrete events on a virtual clock; the same seed gives the
	// same counts.
	ModeSim Mode = "sim"
	// ModeLive: real goroutines and the wall clock; real throughput and
	// latency, noisy.
	ModeLive Mode = "live"
)

func (Mode) enumValues() []string { return []string{string(ModeSim), string(ModeLive)} }

// Interface is an interface of the model.
type Interface struct {
	// Name identifies the interface (namespaces refer to it), e.g. "eth0".
	Name string `yaml:"name"`
	// SwIfIndex is VPP's interface index (default: its position in the list
	// plus one; 0 is VPP's local0).
	SwIfIndex *uint32 `yaml:"sw_if_index"`
	// IP4 lists the interface's IPv4 addresses with prefix length,
	// e.g. ["10.0.0.1/24"]. Packets to these addresses are local.
	IP4 []netip.Prefix `yaml:"ip4"`
	// IP6 lists the interface's IPv6 addresses with prefix length.
	IP6 []netip.Prefix `yaml:"ip6"`
	// FIB is the FIB table id of both address families (default 0).
	FIB uint32 `yaml:"fib"`
}

// Namespace is an application namespace.
type Namespace struct {
	// ID is the namespace id apps attach with.
	ID string `yaml:"id"`
	// Secret is the namespace secret an app must present (u64).
	Secret uint64 `yaml:"secret"`
	// Interface names the interface whose FIB tables the namespace uses
	// (VPP's `if`); it overrides ip4_fib and ip6_fib.
	Interface string `yaml:"interface"`
	// IP4FIB is the IPv4 FIB table id (without interface).
	IP4FIB *uint32 `yaml:"ip4_fib"`
	// IP6FIB is the IPv6 FIB table id (without interface).
	IP6FIB *uint32 `yaml:"ip6_fib"`
}

// App is an application model.
type App struct {
	// Name identifies the app (unique).
	Name string `yaml:"name"`
	// Kind is the app's behaviour: "echo" (listens, writes back what it
	// reads), "sink" (listens, drains), "client" (connects to connect at
	// rate, keeping at most concurrency sessions open) or "proxy" (listens,
	// and opens one upstream session to connect per accepted session).
	Kind AppKind `yaml:"kind"`
	// Namespace is the namespace id the app attaches in (default
	// "default").
	Namespace string `yaml:"namespace"`
	// Secret is the secret the app presents; a wrong one makes the attach
	// fail as in VPP (the run records the error).
	Secret uint64 `yaml:"secret"`
	// Scope is where the app's sessions are visible: "global" (the default,
	// as VPP), "local" (cut-through only) or "all".
	Scope Scope `yaml:"scope"`
	// Listen lists the endpoints the app listens on (echo, sink, proxy),
	// as URIs "tcp://0.0.0.0:80", "udp://[::]:53".
	Listen []Endpoint `yaml:"listen"`
	// Connect is the endpoint a client (or a proxy's upstream side)
	// connects to.
	Connect *Endpoint `yaml:"connect"`
	// Rate is how many sessions per second a client opens (0 = as fast as
	// concurrency allows).
	Rate float64 `yaml:"rate"`
	// Concurrency bounds the sessions a client keeps open (default 1).
	Concurrency int `yaml:"concurrency"`
	// Sessions is how many sessions a client opens in total (0 = until the
	// repetition ends).
	Sessions uint64 `yaml:"sessions"`
	// Request is how many bytes a client writes on each session before it
	// closes it (0 = close right after connecting).
	Request Size `yaml:"request"`
	// RxFifo is the size of each session's receive fifo (default 64k).
	RxFifo Size `yaml:"rx_fifo"`
	// TxFifo is the size of each session's transmit fifo (default 64k).
	TxFifo Size `yaml:"tx_fifo"`
}

// AppKind is an application model.
type AppKind string

// The application models.
const (
	AppEcho   AppKind = "echo"
	AppSink   AppKind = "sink"
	AppClient AppKind = "client"
	AppProxy  AppKind = "proxy"
)

func (AppKind) enumValues() []string {
	return []string{string(AppEcho), string(AppSink), string(AppClient), string(AppProxy)}
}

// Scope is an app's scope (VPP's USE_GLOBAL_SCOPE / USE_LOCAL_SCOPE).
type Scope string

// The scopes.
const (
	ScopeGlobal Scope = "global"
	ScopeLocal  Scope = "local"
	ScopeAll    Scope = "all"
)

func (Scope) enumValues() []string {
	return []string{string(ScopeGlobal), string(ScopeLocal), string(ScopeAll)}
}

// RulesGen generates session rules from a seed.
type RulesGen struct {
	// Count is how many rules to generate (at most 1000000).
	Count int `yaml:"count"`
	// Seed seeds the generator (default: the scenario seed).
	Seed *uint64 `yaml:"seed"`
	// Shape is the rule set's shape: "acl" (remote prefixes of /8 to /32,
	// mostly any port, drop and allow mixed, like an access list) or "fw"
	// (exact remote hosts and service ports allowed, then drops of whole
	// prefixes, like a firewall's allow list).
	Shape RulesShape `yaml:"shape"`
	// Proto is "tcp" (default), "udp" or "both".
	Proto string `yaml:"proto"`
	// Scope is the rules' scope: "global" (default), "local" or "all".
	Scope Scope `yaml:"scope"`
	// Namespace is the namespace the rules go into (default "default").
	Namespace string `yaml:"namespace"`
	// Prefix bounds the generated remote addresses (default 10.0.0.0/8;
	// IPv6 prefixes give IPv6 rules).
	Prefix netip.Prefix `yaml:"prefix"`
}

// RulesShape is the shape of generated rules.
type RulesShape string

// The rule set shapes.
const (
	ShapeACL RulesShape = "acl"
	ShapeFW  RulesShape = "fw"
)

func (RulesShape) enumValues() []string { return []string{string(ShapeACL), string(ShapeFW)} }

// Source is one traffic source: exactly one of pcap, synth and veth.
type Source struct {
	// Name labels the source in results (default "pcap0", "synth1", ...:
	// the kind and the position).
	Name string `yaml:"name"`
	// Pcap replays a capture file.
	Pcap *PcapSource `yaml:"pcap"`
	// Synth generates TCP and UDP flows (traffic/synth's options; its
	// seed is replaced by one derived from the repetition's seed and the
	// source's position, mixed with the seed given here).
	Synth *synth.Options `yaml:"synth"`
	// Veth sends frames through a veth pair between two network namespaces
	// and receives them with AF_PACKET (live mode, root only).
	Veth *VethSource `yaml:"veth"`
}

// PcapSource replays a pcap or pcapng file (gzip-compressed too), with
// tcpreplay's timing modes.
type PcapSource struct {
	// File is the capture, relative to the scenario file (built-in
	// scenarios read their captures from the binary).
	File string `yaml:"file"`
	// Timing is how packets are paced, how many passes are played and how
	// later passes rewrite addresses (traffic/pcap's schedule: mode
	// original, multiplier, pps, mbps or topspeed with its value, loop,
	// unique_ip). Default: original timing, one pass.
	Timing pcap.Timing `yaml:"timing"`
	// SkipBad skips (and counts) corrupt packets instead of failing.
	SkipBad bool `yaml:"skip_bad"`
	// LocalPrefixes says which addresses are local (the session layer's
	// side of a flow); default: the interfaces' addresses, else inferred
	// from listeners.
	LocalPrefixes []netip.Prefix `yaml:"local_prefixes"`
}

// VethSource sends frames from network namespace A through a veth pair to
// namespace B, where sessionlab receives them with AF_PACKET. Everything is
// created with the project's prefix and removed at the end.
type VethSource struct {
	// Topology names a persistent topology made by `sessionlab veth up
	// NAME` (1-8 of [a-z0-9]); empty creates a fresh one for the run.
	Topology string `yaml:"topology"`
	// MTU of both veth ends (default 1500).
	MTU int `yaml:"mtu"`
	// SenderAddr is end A's address (default 10.201.0.1/24).
	SenderAddr netip.Prefix `yaml:"sender_addr"`
	// ReceiverAddr is sessionlab's address at end B (default
	// 10.201.0.2/24).
	ReceiverAddr netip.Prefix `yaml:"receiver_addr"`
	// Rate is the frame rate in frames per second (0 = as fast as the
	// path allows).
	Rate float64 `yaml:"rate"`
	// Frames is what the sender plays.
	Frames VethFrames `yaml:"frames"`
	// Ring is the receive path: "tpacketv3" (default), "tpacketv2" or
	// "recvfrom".
	Ring string `yaml:"ring"`
	// TX is the transmit path: "txring" (default), "sendmmsg" or "sendto".
	TX string `yaml:"tx"`
	// Workers is the number of receive workers (PACKET_FANOUT_HASH;
	// default 1).
	Workers int `yaml:"workers"`
	// Reply makes sessionlab answer (ACK, echo, RST for a filtered
	// connect) so the sender measures round-trip latency.
	Reply bool `yaml:"reply"`
}

// VethFrames is the frame source of a veth sender: exactly one of
// generator, pcap and synth.
type VethFrames struct {
	// Generator is the built-in frame generator.
	Generator *VethGenerator `yaml:"generator"`
	// Pcap plays a capture out of end A.
	Pcap *PcapSource `yaml:"pcap"`
	// Synth plays generated flows out of end A.
	Synth *synth.Options `yaml:"synth"`
}

// VethGenerator configures the built-in frame generator.
type VethGenerator struct {
	// Proto is "udp" (default) or "tcp".
	Proto string `yaml:"proto"`
	// SYN makes TCP frames connection attempts (SYN) instead of data.
	SYN bool `yaml:"syn"`
	// FrameSize is the frame length in bytes without FCS (default 64).
	FrameSize int `yaml:"frame_size"`
	// Flows is the number of distinct flows (default 1).
	Flows int `yaml:"flows"`
	// Count is the number of frames (0 = until the repetition ends).
	Count uint64 `yaml:"count"`
}

// SimModel configures the simulated clock.
type SimModel struct {
	// Calibrate measures the cost of each operation on this machine before
	// the run, for every cost not given in costs. Calibrated results depend
	// on the machine; the built-in costs (the default) keep results
	// identical everywhere for a seed.
	Calibrate bool `yaml:"calibrate"`
	// Costs are explicit service times per operation in nanoseconds;
	// each one given replaces the built-in (or calibrated) value.
	Costs Costs `yaml:"costs"`
	// Sample is the telemetry sampling interval in virtual time (default
	// 10ms).
	Sample Duration `yaml:"sample"`
}

// Costs are service times of the simulated workers in nanoseconds. An
// unset cost takes the built-in (or calibrated) value.
type Costs struct {
	// DispatchNS: flow hash and hand-off of a packet to a worker queue.
	DispatchNS *float64 `yaml:"dispatch_ns"`
	// DecodeNS: decoding one packet to its 5-tuple.
	DecodeNS *float64 `yaml:"decode_ns"`
	// LookupNS: one session table lookup (established or half-open).
	LookupNS *float64 `yaml:"lookup_ns"`
	// LinearLookupNS: extra cost per key compared in a linear-search
	// bucket.
	LinearLookupNS *float64 `yaml:"linear_lookup_ns"`
	// RuleLookupNS: one session rules lookup.
	RuleLookupNS *float64 `yaml:"rule_lookup_ns"`
	// ListenerLookupNS: one listener lookup.
	ListenerLookupNS *float64 `yaml:"listener_lookup_ns"`
	// InsertNS: adding a session to a table.
	InsertNS *float64 `yaml:"insert_ns"`
	// SplitNS: extra cost of a bucket split, per key moved.
	SplitNS *float64 `yaml:"split_ns"`
	// DeleteNS: removing a session from a table.
	DeleteNS *float64 `yaml:"delete_ns"`
	// AcceptNS: creating a session for an accepted connection (pool,
	// fifos, accept notification).
	AcceptNS *float64 `yaml:"accept_ns"`
	// ConnectNS: an app's connect (half-open, port allocation).
	ConnectNS *float64 `yaml:"connect_ns"`
	// CloseNS: one close state machine step.
	CloseNS *float64 `yaml:"close_ns"`
	// EnqueueNS: a fifo enqueue, fixed part.
	EnqueueNS *float64 `yaml:"enqueue_ns"`
	// EnqueueNSPerByte: a fifo enqueue, per byte.
	EnqueueNSPerByte *float64 `yaml:"enqueue_ns_per_byte"`
	// DequeueNS: a fifo dequeue, fixed part.
	DequeueNS *float64 `yaml:"dequeue_ns"`
	// DequeueNSPerByte: a fifo dequeue, per byte.
	DequeueNSPerByte *float64 `yaml:"dequeue_ns_per_byte"`
	// EventNS: delivering one event through an app's message queue.
	EventNS *float64 `yaml:"event_ns"`
	// AppNS: an app model handling one event.
	AppNS *float64 `yaml:"app_ns"`
}

// Sweep is a parameter grid.
type Sweep struct {
	// Axes are the swept parameters. The grid is the cartesian product of
	// the zip groups (an axis without zip is a group of its own), in the
	// order the groups first appear, the last varying fastest.
	Axes []Axis `yaml:"axes"`
}

// Axis is one swept parameter: exactly one of values and range.
type Axis struct {
	// Param is what is swept: a startup.conf parameter
	// "session.<keyword>" (e.g. "session.v4-session-table-buckets",
	// applied with VPP's own parsing) or a scenario field path
	// (e.g. "traffic[0].synth.arrival.rate", "apps[1].rx_fifo", "workers").
	Param string `yaml:"param"`
	// Values are the values in sweep order, written as the parameter is
	// written ("64m", 1024, "100ms").
	Values []Scalar `yaml:"values"`
	// Range generates numeric values.
	Range *Range `yaml:"range"`
	// Zip names a group of axes that advance together (equal value
	// counts).
	Zip string `yaml:"zip"`
	// Unit of the values, for plots ("B", "pps"); durations default to
	// "s".
	Unit string `yaml:"unit"`
}

// Range generates the values from, from+step, ... (or from, from*factor,
// ...) up to and including to.
type Range struct {
	// From is the first value (numbers may carry k, m or g: powers of
	// two).
	From Number `yaml:"from"`
	// To is the last value (inclusive, when the steps reach it exactly).
	To Number `yaml:"to"`
	// Step adds a constant (exactly one of step and factor).
	Step Number `yaml:"step"`
	// Factor multiplies by a constant (> 1).
	Factor float64 `yaml:"factor"`
}

// Plot is a plot the report draws (see docs/results.md for the kinds).
type Plot struct {
	// Kind is "metric", "latency", "cdf", "heatmap", "timeseries", "search"
	// or "trials".
	Kind PlotKind `yaml:"kind"`
	// Metric names the metric (metric, heatmap), histogram (latency, cdf)
	// or time series (timeseries).
	Metric string `yaml:"metric"`
	// X names the sweep axis (its param) on the horizontal axis.
	X string `yaml:"x"`
	// Y names the second sweep axis of a heat map.
	Y string `yaml:"y"`
	// Series names the sweep axis that splits lines.
	Series string `yaml:"series"`
	// Title overrides the generated title.
	Title string `yaml:"title"`
}

// PlotKind is a kind of plot.
type PlotKind string

func (PlotKind) enumValues() []string {
	return []string{"metric", "latency", "cdf", "heatmap", "timeseries", "search", "trials"}
}

// SearchDefaults are the NDR/PDR search's parameters (MLRsearch, as FD.io
// CSIT runs it).
type SearchDefaults struct {
	// GoalWidth is the relative width at which a goal's bounds are close
	// enough (default 0.5%).
	GoalWidth Ratio `yaml:"goal_width"`
	// LossRatios are the goals' loss ratios (default [0, 0.5%]: NDR and
	// PDR).
	LossRatios []Ratio `yaml:"loss_ratios"`
	// Trial is the final trial duration (default 1s).
	Trial Duration `yaml:"trial"`
	// DurationSum is the trial time a load needs before it is decided
	// (default 21s).
	DurationSum Duration `yaml:"duration_sum"`
	// ExceedRatio is the fraction of trial time allowed above the loss
	// ratio (default 50%).
	ExceedRatio Ratio `yaml:"exceed_ratio"`
	// LoadUnit is "pps" (packets per second, the default) or "cps" (new
	// sessions per second).
	LoadUnit string `yaml:"load_unit"`
	// MinLoad is the lowest load tried (default 1000).
	MinLoad float64 `yaml:"min_load"`
	// MaxLoad is the highest load tried (default: the scenario's own
	// offered load times 4).
	MaxLoad float64 `yaml:"max_load"`
	// LatencyFractions are the fractions of PDR at which latency is
	// measured (default [10%, 50%, 90%]).
	LatencyFractions []Ratio `yaml:"latency_fractions"`
	// Timeout ends a search that has not converged (default 10m).
	Timeout Duration `yaml:"timeout"`
}
