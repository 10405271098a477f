package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/core/rules"
	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/internal/apps"
	"github.com/sessionlab/sessionlab/sim/internal/cost"
	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/sim/internal/shim"
	"github.com/sessionlab/sessionlab/sim/scenario"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// model is one repetition's session layer with everything attached to it:
// the transport shim, the application models, the recorder and the cost
// ledger. Both clocks drive the same model: its methods are the steps
// (a batch of packets, a timer, a telemetry sample, the final drain), and
// the clock only decides when each step runs and what "now" is.
//
// A model is not safe for concurrent use; live mode holds a lock around
// every step.
type model struct {
	p    *scenario.Resolved
	s    *scenario.Scenario
	cfg  *config.File
	l    *session.Layer
	shim *shim.Shim
	apps *apps.Set
	rec  *metrics.Recorder
	sess *metrics.Sessions
	led  *cost.Ledger
	cost cost.Model

	workers int // worker queues (at least 1)
	threads int // layer threads

	// The clock: simulated time is stepStart plus the ledger's charge so
	// far; live, it is the wall clock read once at the start of each step
	// (as VPP reads its clock once per dispatch), so a step's operations
	// share one timestamp and a packet costs no clock reads beyond its
	// arrival's.
	live       bool
	stepStart  int64
	roundStart int64 // live: the wall clock when the current settle round began
	wall       func() int64

	ifaces []ifaceAddr
	// fib0 says every interface is in fib 0: every packet's fib is 0
	// without a search.
	fib0     bool
	warnings []string

	// statsStart and statsEnd are the layer's counters when measuring
	// started and ended; tablesEnd the session tables' totals at the end.
	statsStart, statsEnd session.Stats
	tablesEnd            tableTotals
	// Structure cost bookkeeping (splits per insert).
	lastSplits, lastAdds uint64
	maxDepth             int
	// samples counts telemetry samples; the tables are read every
	// tableEvery-th.
	samples, tableEvery int
}

// ifaceAddr is one configured interface address: packets to it arrive in
// fib.
type ifaceAddr struct {
	prefix netip.Prefix
	fib    uint32
}

// workerThread maps a worker queue to its layer thread: thread 0 (main)
// without workers, else 1 + worker.
func (m *model) workerThread(w int) uint32 {
	if m.threads == 1 {
		return 0
	}
	return uint32(1 + w)
}

// now is the model's current time.
func (m *model) now() int64 {
	if m.live {
		return m.stepStart
	}
	return m.stepStart + m.led.NS()
}

// readClock is the clock of an application's read: live, the wall clock
// as the settle round that runs the applications began (a fifo residence
// shorter than a step is still timed, at one clock read per round);
// simulated, now.
func (m *model) readClock() int64 {
	if m.live {
		return m.roundStart
	}
	return m.now()
}

// liveStep starts a live step: now is the wall clock's.
func (m *model) liveStep() {
	if m.live {
		m.stepStart = m.wall()
	}
}

// newModel builds the session layer of point p for a repetition with the
// given seed: interfaces, namespaces, applications (attached and
// listening), session rules. Problems VPP would report at run time (a
// wrong namespace secret, a rule VPP refuses) become warnings, as in VPP
// the rest of the configuration still works.
func newModel(p *scenario.Resolved, seed uint64, cm cost.Model, live bool, recorderOn bool) (*model, error) {
	s := p.Scenario
	f := p.Config
	if !f.Session.Enabled() {
		return nil, s.Errorf("startup_conf", "the session layer is not enabled: add `enable` (or `enable rt-backend rule-table`) to the session stanza")
	}
	var eng session.Engine
	switch f.Session.Engine.Value {
	case config.EngineRuleTable:
		eng = session.EngineRuleTable
	case config.EngineSDL:
		eng = session.EngineSDL
	default:
		eng = session.Engine(f.Session.Engine.Value)
	}
	scfg, _ := session.FromConfig(f.Session, f.Workers) // the engine is eng, chosen above
	l, err := session.New(session.Options{Config: scfg, Rand: rand.NewPCG(scenario.DeriveSeed(seed, 0x706f727473), 0x5e55)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.SourceName(), err)
	}
	m := &model{p: p, s: s, cfg: f, l: l, cost: cm, live: live, tableEvery: 1}
	ok := false
	defer func() {
		if !ok {
			_ = l.Release()
		}
	}()
	if err := l.Enable(eng); err != nil {
		return nil, fmt.Errorf("%s: enabling the session layer: %w", s.SourceName(), err)
	}
	m.threads = l.NumThreads()
	m.workers = max(f.Workers, 1)
	m.rec = metrics.New(recorderOn)
	m.sess = metrics.NewSessions(m.threads)
	if live {
		m.led = cost.NewLedger(nil)
	} else {
		m.led = cost.NewLedger(&m.cost)
	}
	if err := m.interfaces(); err != nil {
		return nil, err
	}
	if err := m.namespaces(); err != nil {
		return nil, err
	}
	rules := p.Rules()
	m.shim = shim.New(shim.Config{
		Layer: l, Ledger: m.led, Rec: m.rec, Sessions: m.sess, Now: m.now,
		ThreadOf: m.threadOfConn, IsLocal: m.isLocalAddr, Rules: len(rules) > 0,
	})
	if err := m.shim.Register(); err != nil {
		return nil, err
	}
	m.apps = apps.NewSet(apps.Env{Layer: l, Ledger: m.led, Rec: m.rec, Sessions: m.sess, Now: m.now, ReadClock: m.readClock, AfterRead: m.shim.AfterRead})
	for i := range s.Apps {
		a := &s.Apps[i]
		if _, err := m.apps.Attach(a); err != nil {
			m.warnings = append(m.warnings, fmt.Sprintf("apps[%d] (%s): %v; the app does not run", i, a.Name, err))
		}
	}
	m.applyRules(rules)
	ok = true
	return m, nil
}

// interfaces creates the scenario's interfaces with their sw_if_index,
// table and addresses.
func (m *model) interfaces() error {
	s, l := m.s, m.l
	type want struct {
		i  int
		sw uint32
	}
	var ws []want
	for i, it := range s.Interfaces {
		ws = append(ws, want{i, *it.SwIfIndex})
	}
	slices.SortStableFunc(ws, func(a, b want) int { return int(a.sw) - int(b.sw) })
	pad := 0
	for _, w := range ws {
		it := &s.Interfaces[w.i]
		path := fmt.Sprintf("interfaces[%d]", w.i)
		// Interfaces below the wanted index (VPP's local0, gaps) are
		// created and deleted, so the index is the one the scenario gave.
		for len(l.Interfaces()) < int(w.sw) {
			pad++
			if _, err := l.AddInterface(fmt.Sprintf("unused%d", pad)); err != nil {
				return s.Errorf(path, "%v", err)
			}
		}
		sw, err := l.AddInterface(it.Name)
		if err != nil {
			return s.Errorf(path, "%v", err)
		}
		if sw != w.sw {
			return s.Errorf(path+".sw_if_index", "sw_if_index %d is taken", w.sw)
		}
		if it.FIB != 0 {
			for _, ip6 := range []bool{false, true} {
				if err := l.AddIPTable(ip6, it.FIB); err != nil {
					return s.Errorf(path+".fib", "%v", err)
				}
				if err := l.SetInterfaceTable(sw, ip6, it.FIB); err != nil {
					return s.Errorf(path+".fib", "%v", err)
				}
			}
		}
		for _, pfx := range slices.Concat(it.IP4, it.IP6) {
			if err := l.AddInterfaceAddress(sw, pfx); err != nil {
				return s.Errorf(path, "%v", err)
			}
			ip6 := !pfx.Addr().Is4()
			fi, _ := l.FibIndex(ip6, it.FIB)
			// The first interface of a table and family carries its
			// default route, so connects to remote peers resolve.
			if !slices.ContainsFunc(m.ifaces, func(x ifaceAddr) bool { return x.fib == fi && x.prefix.Addr().Is4() == !ip6 }) {
				def := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
				if ip6 {
					def = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
				}
				if err := l.AddRoute(ip6, it.FIB, def, sw); err != nil {
					return s.Errorf(path, "%v", err)
				}
			}
			m.ifaces = append(m.ifaces, ifaceAddr{prefix: pfx, fib: fi})
		}
	}
	m.fib0 = !slices.ContainsFunc(m.ifaces, func(it ifaceAddr) bool { return it.fib != 0 })
	// Delete the padding interfaces (their indices stay used, as in VPP).
	for _, info := range l.Interfaces() {
		if strings.HasPrefix(info.Name, "unused") && !slices.ContainsFunc(s.Interfaces, func(it scenario.Interface) bool { return it.Name == info.Name }) {
			_ = l.DelInterface(info.SwIfIndex)
		}
	}
	return nil
}

// namespaces adds the scenario's application namespaces.
func (m *model) namespaces() error {
	s, l := m.s, m.l
	for i, ns := range s.Namespaces {
		path := fmt.Sprintf("namespaces[%d]", i)
		a := session.NamespaceArgs{ID: ns.ID, Secret: ns.Secret, SwIfIndex: session.InvalidIndex, IP4FibID: session.InvalidIndex, IP6FibID: session.InvalidIndex}
		switch {
		case ns.Interface != "":
			sw, ok := l.InterfaceByName(ns.Interface)
			if !ok {
				return s.Errorf(path+".interface", "no interface %q", ns.Interface)
			}
			a.SwIfIndex = sw
		case ns.IP4FIB == nil && ns.IP6FIB == nil:
			a.IP4FibID, a.IP6FibID = 0, 0
		default:
			if ns.IP4FIB != nil {
				a.IP4FibID = *ns.IP4FIB
				if err := l.AddIPTable(false, a.IP4FibID); err != nil {
					return s.Errorf(path+".ip4_fib", "%v", err)
				}
			}
			if ns.IP6FIB != nil {
				a.IP6FibID = *ns.IP6FIB
				if err := l.AddIPTable(true, a.IP6FibID); err != nil {
					return s.Errorf(path+".ip6_fib", "%v", err)
				}
			}
		}
		if _, err := l.AddNamespace(a); err != nil {
			return s.Errorf(path, "%v", err)
		}
	}
	return nil
}

// applyRules adds the point's rules in order. A rule the layer refuses is
// a warning naming it (VPP refuses it the same way and goes on).
func (m *model) applyRules(lines []string) {
	for i, line := range lines {
		path := fmt.Sprintf("rules[%d]", i)
		if i >= len(m.s.Rules) {
			path = fmt.Sprintf("rules_gen (rule %d)", i-len(m.s.Rules))
		}
		cmd, err := rules.ParseCommand(line)
		if err != nil {
			m.warnings = append(m.warnings, fmt.Sprintf("%s: %v; rule not applied", path, err))
			continue
		}
		ns := uint32(0)
		if cmd.AppNS != "" && cmd.AppNS != session.DefaultNamespace {
			idx, ok := m.l.NamespaceIndex(cmd.AppNS)
			if !ok {
				m.warnings = append(m.warnings, fmt.Sprintf("%s: no namespace %q; rule not applied", path, cmd.AppNS))
				continue
			}
			ns = idx
		}
		rl := cmd.Rule
		if cmd.Op == rules.OpDel && !cmd.HasTuple {
			rl.Action = rules.ActionNone // a delete by tag
		}
		if err := m.l.RuleAddDel(session.RuleArgs{Rule: rl, AppNs: ns, FibIndex: session.InvalidIndex, IsAdd: cmd.Op == rules.OpAdd}); err != nil {
			m.warnings = append(m.warnings, fmt.Sprintf("%s: %v", path, err))
		}
	}
}

// fibOf returns the fib index packets to dst arrive in: the fib of the
// interface whose prefix holds dst (fib 0 when none does).
func (m *model) fibOf(dst packet.Addr) uint32 {
	if m.fib0 {
		return 0
	}
	a := dst.Netip()
	for _, it := range m.ifaces {
		if it.prefix.Contains(a) {
			return it.fib
		}
	}
	return 0
}

// isLocalAddr reports whether a is an interface address.
func (m *model) isLocalAddr(a packet.Addr) bool {
	na := a.Netip()
	for _, it := range m.ifaces {
		if it.prefix.Addr() == na {
			return true
		}
	}
	return false
}

// workerOf picks a packet's worker: the symmetric flow hash, so both
// directions of a flow land on the same worker.
func (m *model) workerOf(p *shim.Packet) int {
	if m.workers == 1 {
		return 0
	}
	t := packet.FiveTuple{Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort, Proto: p.Proto}
	return int(t.SymmetricHash() % uint64(m.workers))
}

// threadOfConn is workerOf for a connection the layer opened.
func (m *model) threadOfConn(c session.Connection) uint32 {
	proto := packet.ProtoTCP
	if c.Proto == session.ProtoUDP {
		proto = packet.ProtoUDP
	}
	p := shim.Packet{Src: packet.AddrFromNetip(c.Remote.Addr()), Dst: packet.AddrFromNetip(c.Local.Addr()),
		SrcPort: c.Remote.Port(), DstPort: c.Local.Port(), Proto: proto}
	return m.workerThread(m.workerOf(&p))
}

// maxSettleRounds bounds one settle; a model still busy after that many
// rounds has a bug (an event loop), which is reported.
const maxSettleRounds = 1 << 16

// settle runs the layer until nothing moves: every thread's control
// events and application event delivery, the shim's deferred actions, the
// application models. Costs go to the current step.
func (m *model) settle() {
	for range maxSettleRounds {
		n := 0
		if m.live && m.rec.On {
			m.roundStart = m.wall()
		}
		for th := range m.threads {
			k := m.l.Poll(uint32(th), m.now())
			if k > 0 {
				m.led.Charge(cost.Event, k)
				n += k
			}
		}
		n += m.shim.Flush()
		n += m.apps.Run()
		if n == 0 {
			return
		}
	}
	m.warnings = append(m.warnings, fmt.Sprintf("the session layer was still busy after %d rounds of polls (an event loop?)", maxSettleRounds))
}

// batch processes packets ps (all of worker w) as one step and reports,
// for each, the time its processing ended (simulated mode: the step's
// start plus the costs so far; live: not used).
func (m *model) batch(w int, ps []shim.Packet, done []int64) {
	th := m.workerThread(w)
	for i := range ps {
		p := &ps[i]
		m.led.Charge(cost.Dispatch, 1)
		m.led.Charge(cost.Decode, 1)
		dropped := m.shim.Input(th, p)
		if p.Measured && !dropped {
			m.rec.Count(metrics.Received, 1)
			m.rec.Count(metrics.ReceivedBytes, uint64(p.Wire))
		}
		if done != nil {
			done[i] = m.now()
		}
	}
	m.settle()
}

// tick runs the clients' connects and the shim's timers due at now.
func (m *model) tick(now int64) {
	for _, a := range m.apps.Apps() {
		if a.IsClient() {
			a.Tick(now)
		}
	}
	m.shim.Expire(now)
	m.settle()
}

// nextTick returns when tick next has work (-1: never).
func (m *model) nextTick() int64 {
	next := m.shim.NextDeadline()
	for _, a := range m.apps.Apps() {
		if d := a.NextDue(); d >= 0 && (next < 0 || d < next) {
			next = d
		}
	}
	return next
}

// startMeasuring ends the warm-up.
func (m *model) startMeasuring() {
	m.rec.StartMeasuring()
	m.statsStart = m.l.Stats()
}

// endMeasuring takes the layer's counters at the end of the window.
func (m *model) endMeasuring() {
	m.statsEnd = m.l.Stats()
	m.tablesEnd = m.tableTotals()
}

// maxTableSamples bounds how often a repetition reads the session
// tables' statistics (a pass over every bucket of every table): the table
// series get at most about this many points, the other series one per
// sample.
const maxTableSamples = 100

// setSampling sets the telemetry interval and, from the window's length,
// how many samples pass between two readings of the tables.
func (m *model) setSampling(win window) {
	m.tableEvery = 1
	if win.end != math.MaxInt64 && win.sample > 0 {
		m.tableEvery = max(1, int(win.end/win.sample)/maxTableSamples)
	}
}

// sample records the telemetry at time t; depth returns each worker's
// queue depth. final forces the tables' reading.
func (m *model) sample(t int64, depth func(w int) int, final bool) {
	rec := m.rec
	m.samples++
	for w := range m.workers {
		d := depth(w)
		m.maxDepth = max(m.maxDepth, d)
		rec.Sample(t, "queue_depth", "worker", fmt.Sprint(w), "events", float64(d))
	}
	counts := m.l.TotalStateCounts()
	total := int64(0)
	for st, n := range counts {
		if session.State(st) == session.StateListening {
			continue
		}
		total += n
		rec.Sample(t, "sessions", "state", strings.ToLower(session.State(st).String()), "sessions", float64(n))
	}
	rec.Sample(t, "sessions_total", "", "", "sessions", float64(total))
	// Fifo fill: the transport connections' rx and tx fifos and the
	// cut-through fifos (each counted once), from the shim's and the
	// applications' own lists rather than a walk of every session.
	fill := m.shim.FifoBytes() + m.apps.CTFifoBytes()
	rec.Sample(t, "fifo_fill", "", "", "B", float64(fill))
	if !final && (m.samples-1)%m.tableEvery != 0 {
		return
	}
	var pairs, splits, linear, adds, active, pages uint64
	for _, ti := range m.l.Tables() {
		if ti.Local {
			continue
		}
		for _, h := range ti.Hashes {
			st := h.Stats
			label := fmt.Sprintf("%s fib %d", h.Name, ti.FibIndex)
			rec.Sample(t, "table_occupancy", "table", label, "entries", float64(st.Pairs))
			rec.Sample(t, "table_splits", "table", label, "splits", float64(st.Splits))
			rec.Sample(t, "linear_search_buckets", "table", label, "buckets", float64(st.LinearBuckets))
			rec.Sample(t, "arena_used", "table", label, "B", float64(st.ArenaUsed))
			pairs += st.Pairs
			splits += st.Splits
			linear += st.LinearBuckets
			adds += st.Adds
			active += st.ActiveBuckets
			for i, n := range st.PagesHistogram {
				pages += n << i
			}
		}
	}
	// The lagged structural costs: extra keys compared per lookup in
	// linear-search buckets, keys moved per insert by splits.
	if active > 0 {
		keysPerBucket := float64(pairs) / float64(active)
		linearKeys := float64(linear) / float64(active) * keysPerBucket / 2
		splitKeys := 0.0
		if dAdds := adds - m.lastAdds; dAdds > 0 && splits > m.lastSplits {
			splitKeys = float64(splits-m.lastSplits) * keysPerBucket / float64(dAdds)
		}
		m.led.SetStructure(linearKeys, splitKeys)
	}
	m.lastSplits, m.lastAdds = splits, adds
}

// tableTotals are the global session tables' statistics, summed.
type tableTotals struct {
	splits, linear, tableFull, arena, pairs, buckets uint64
	// maxLog2Pages is the largest bucket's page count (log2), -1 when
	// every bucket is empty.
	maxLog2Pages int
}

func (m *model) tableTotals() tableTotals {
	t := tableTotals{maxLog2Pages: -1}
	for _, ti := range m.l.Tables() {
		if ti.Local {
			continue
		}
		for _, h := range ti.Hashes {
			st := &h.Stats
			t.splits += st.Splits
			t.linear += st.LinearBuckets
			t.tableFull += st.TableFull
			t.arena += st.ArenaUsed
			t.pairs += st.Pairs
			if strings.Contains(h.Name, "session") && st.Adds > 0 {
				// Per-bucket figures are over the session hashes that
				// were used (the ones the sweeps size).
				t.buckets += st.Buckets
			}
			for i, n := range st.PagesHistogram {
				if n > 0 {
					t.maxLog2Pages = max(t.maxLog2Pages, i)
				}
			}
		}
	}
	return t
}

func maxPages(log2 int) uint64 {
	if log2 < 0 {
		return 0
	}
	return 1 << log2
}

// perBucket returns n per session-table bucket.
func (t tableTotals) perBucket(n uint64) float64 {
	if t.buckets == 0 {
		return 0
	}
	return float64(n) / float64(t.buckets)
}

// drain ends the run: every transport connection is reset (as if every
// peer went away), the applications close what they hold and detach, and
// the layer runs to quiescence. It returns the leak check.
func (m *model) drain() session.Leaks {
	for _, a := range m.apps.Apps() {
		a.Stop()
	}
	m.settle()
	m.shim.CloseAll()
	m.settle()
	m.apps.CloseAll()
	m.settle()
	m.shim.CloseAll()
	m.settle()
	if err := m.apps.DetachAll(); err != nil {
		m.warnings = append(m.warnings, fmt.Sprintf("detaching the applications: %v", err))
	}
	m.settle()
	m.l.PollAll(m.now(), 64)
	m.shim.Flush()
	return m.l.LeakCheck()
}

// release frees the layer's memory.
func (m *model) release() { _ = m.l.Release() }

// metric builders
func count(name, unit string, dir results.Direction, v float64) results.Metric {
	return results.Metric{Name: name, Unit: unit, Direction: dir, Kind: results.KindCount, Value: v}
}

func measurement(name, unit string, dir results.Direction, v float64) results.Metric {
	return results.Metric{Name: name, Unit: unit, Direction: dir, Kind: results.KindMeasurement, Value: v}
}

// repetition assembles the results of a run whose measured window lasted
// durNS; leaks is the drain's leak check.
func (m *model) repetition(durNS int64, leaks session.Leaks, extra []string) *results.Repetition {
	rec := m.rec
	secs := float64(durNS) / 1e9
	rate := func(n uint64) float64 {
		if secs <= 0 {
			return 0
		}
		return float64(n) / secs
	}
	// Rates from virtual time are exact in simulated mode.
	rateMetric := count
	if m.live {
		rateMetric = measurement
	}
	offered := rec.Get(metrics.Offered)
	drops := rec.TotalDrops()
	received := rec.Get(metrics.Received)
	loss := 0.0
	if offered > 0 {
		loss = float64(offered-min(received, offered)) / float64(offered)
	}
	st0, st1 := m.statsStart, m.statsEnd
	opened := (st1.Accepted + st1.Established) - (st0.Accepted + st0.Established)
	closed := (st1.ClosesApp + st1.ClosesTransport + st1.ClosesReset) - (st0.ClosesApp + st0.ClosesTransport + st0.ClosesReset)
	tt := m.tablesEnd
	leaked := leaks.Sessions + leaks.HalfOpens + leaks.Listeners
	hp, hs, hf := rec.Packet, rec.Setup, rec.Fifo

	ms := []results.Metric{
		count("offered_packets", "packets", results.NoDirection, float64(offered)),
		count("received_packets", "packets", results.HigherIsBetter, float64(received)),
		count("dropped_packets", "packets", results.LowerIsBetter, float64(drops)),
		rateMetric("loss_ratio", "1", results.LowerIsBetter, loss),
	}
	for c := range metrics.NumCauses {
		ms = append(ms, count(c.Metric(), "packets", results.LowerIsBetter, float64(rec.Drops(c))))
	}
	ms = append(ms,
		count("outbound_packets", "packets", results.NoDirection, float64(rec.Get(metrics.Outbound))),
		count("stray_packets", "packets", results.NoDirection, float64(rec.Get(metrics.Stray))),
		count("nonflow_packets", "packets", results.NoDirection, float64(rec.Get(metrics.Nonflow))),
		rateMetric("offered_packets_per_second", "pps", results.NoDirection, rate(offered)),
		rateMetric("packets_per_second", "pps", results.HigherIsBetter, rate(received)),
		rateMetric("packet_bytes_per_second", "B/s", results.HigherIsBetter, rate(rec.Get(metrics.ReceivedBytes))),
		rateMetric("bytes_per_second", "B/s", results.HigherIsBetter, rate(rec.Get(metrics.AppBytes))),
		count("app_bytes", "B", results.HigherIsBetter, float64(rec.Get(metrics.AppBytes))),
		count("tx_bytes", "B", results.NoDirection, float64(rec.Get(metrics.TxBytes))),
		count("offered_sessions", "sessions", results.NoDirection, float64(rec.Get(metrics.OfferedSessions))),
		count("sessions_opened", "sessions", results.HigherIsBetter, float64(opened)),
		count("sessions_closed", "sessions", results.NoDirection, float64(closed)),
		count("sessions_failed", "sessions", results.LowerIsBetter, float64(rec.Get(metrics.SessionsFailed))),
		rateMetric("sessions_opened_per_second", "sessions/s", results.HigherIsBetter, rate(opened)),
		rateMetric("sessions_closed_per_second", "sessions/s", results.HigherIsBetter, rate(closed)),
		count("closes_by_app", "sessions", results.NoDirection, float64(st1.ClosesApp-st0.ClosesApp)),
		count("closes_by_peer", "sessions", results.NoDirection, float64(st1.ClosesTransport-st0.ClosesTransport)),
		count("closes_by_reset", "sessions", results.NoDirection, float64(st1.ClosesReset-st0.ClosesReset)),
		measurement("packet_latency_p50", "ns", results.LowerIsBetter, hp.Quantile(0.5)),
		measurement("packet_latency_p90", "ns", results.LowerIsBetter, hp.Quantile(0.9)),
		measurement("packet_latency_p99", "ns", results.LowerIsBetter, hp.Quantile(0.99)),
		measurement("packet_latency_p999", "ns", results.LowerIsBetter, hp.Quantile(0.999)),
		measurement("packet_latency_max", "ns", results.LowerIsBetter, hp.Quantile(1)),
		measurement("session_setup_p50", "ns", results.LowerIsBetter, hs.Quantile(0.5)),
		measurement("session_setup_p99", "ns", results.LowerIsBetter, hs.Quantile(0.99)),
		measurement("fifo_latency_p50", "ns", results.LowerIsBetter, hf.Quantile(0.5)),
		measurement("fifo_latency_p99", "ns", results.LowerIsBetter, hf.Quantile(0.99)),
		count("splits", "splits", results.LowerIsBetter, float64(tt.splits)),
		count("linear_search_buckets", "buckets", results.LowerIsBetter, float64(tt.linear)),
		count("splits_per_bucket", "splits", results.LowerIsBetter, tt.perBucket(tt.splits)),
		count("linear_search_share", "1", results.LowerIsBetter, tt.perBucket(tt.linear)),
		count("max_bucket_pages", "pages", results.LowerIsBetter, float64(maxPages(tt.maxLog2Pages))),
		count("table_full_inserts", "inserts", results.LowerIsBetter, float64(tt.tableFull)),
		count("table_entries", "entries", results.NoDirection, float64(tt.pairs)),
		count("arena_used", "B", results.LowerIsBetter, float64(tt.arena)),
		count("max_queue_depth", "events", results.LowerIsBetter, float64(m.maxDepth)),
		count("sessions_peak", "sessions", results.NoDirection, rec.Max("sessions_total")),
		count("ctrl_queue_full", "events", results.LowerIsBetter, float64(st1.CtrlQueueFull-st0.CtrlQueueFull)),
		count("app_congestions", "events", results.LowerIsBetter, float64(st1.Congestions-st0.Congestions)),
		count("sessions_leaked", "sessions", results.LowerIsBetter, float64(leaked)),
	)
	r := &results.Repetition{
		DurationNS: durNS,
		Metrics:    ms,
		Histograms: rec.Histograms(),
		Series:     rec.Series(),
		Drops:      rec.DropList(),
	}
	r.Warnings = append(r.Warnings, m.warnings...)
	r.Warnings = append(r.Warnings, extra...)
	if !leaks.Empty() {
		r.Warnings = append(r.Warnings, fmt.Sprintf("leak check after the drain: %d sessions, %d half-opens, %d listeners, %d fifos, %d local endpoints, %d control events, %d application events still allocated (handles %v)",
			leaks.Sessions, leaks.HalfOpens, leaks.Listeners, leaks.Fifos, leaks.LocalEndpoints, leaks.CtrlEvents, leaks.AppEvents, leaks.Handles))
	}
	if n := m.shim.Live(); n > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("leak check after the drain: the transport shim still holds %d connections", n))
	}
	return r
}
