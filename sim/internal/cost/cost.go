// Package cost is the simulated clock's service-time model: what each
// operation of the session layer, the transport shim and the application
// models costs a worker, in virtual time.
//
// Data flows one way. A Model (built-in, calibrated on this machine, or
// overridden per operation by a scenario's sim.costs block) gives every Op
// a cost in picoseconds. The engine hands a Ledger to the code that drives
// the session layer; every operation it performs is charged to the Ledger
// (Charge, ChargeBytes), and the worker's step then lasts exactly the
// Ledger's total. Queueing, drops and latency follow from those totals and
// the arrival times.
//
// Costs are integer picoseconds rather than float nanoseconds so that a
// step's total is the same on every machine and with every compiler: an
// integer sum does not depend on evaluation order or on fused multiply-adds
// (per-byte costs such as 0.06 ns/B are 60 ps/B, exact).
package cost

import (
	"fmt"
	"math"
	"strings"

	"github.com/sessionlab/sessionlab/sim/scenario"
)

// Op is one kind of operation a worker performs.
type Op uint8

// The operations. The per-byte and per-key entries are charged once per
// byte or key; the others once per operation.
const (
	// Dispatch: flow hash and hand-off of a packet to a worker queue.
	Dispatch Op = iota
	// Decode: decoding a packet to its 5-tuple.
	Decode
	// Lookup: one session-table lookup (established or half-open).
	Lookup
	// LinearKey: one key compared in a linear-search bucket.
	LinearKey
	// RuleLookup: one session-rules lookup.
	RuleLookup
	// ListenerLookup: one listener lookup.
	ListenerLookup
	// Insert: adding a session to a table.
	Insert
	// SplitKey: one key moved by a bucket split.
	SplitKey
	// Delete: removing a session from a table.
	Delete
	// Accept: creating a session for an accepted connection.
	Accept
	// Connect: an application's connect.
	Connect
	// Close: one close state-machine step (a transport notification or a
	// control event of the close path).
	Close
	// Enqueue and EnqueueByte: a fifo enqueue, fixed part and per byte.
	Enqueue
	EnqueueByte
	// Dequeue and DequeueByte: a fifo dequeue, fixed part and per byte.
	Dequeue
	DequeueByte
	// Event: delivering one event (a control event or an application
	// message).
	Event
	// App: an application model handling one event.
	App
	// NumOps is the number of operations.
	NumOps
)

var opNames = [NumOps]string{
	"dispatch", "decode", "lookup", "linear_lookup", "rule_lookup", "listener_lookup",
	"insert", "split", "delete", "accept", "connect", "close",
	"enqueue", "enqueue_per_byte", "dequeue", "dequeue_per_byte", "event", "app",
}

// String returns the operation's name as the scenario's cost keys spell it
// without the _ns suffix ("lookup", "enqueue_per_byte").
func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return fmt.Sprintf("op%d", uint8(o))
}

// Source says where a Model's numbers come from.
type Source uint8

// Model sources.
const (
	// Builtin: the fixed table below, identical on every machine.
	Builtin Source = iota
	// Calibrated: timed on this machine at start (see Calibrate).
	Calibrated
)

// Model is a cost per operation, in picoseconds.
type Model struct {
	PS [NumOps]int64
	// Source says where the unset entries came from; Overridden lists
	// the entries a scenario set explicitly.
	Source     Source
	Overridden []Op
}

// builtinNS are the built-in costs in nanoseconds. They are of the order of
// what this repository's core measures on a 2020s x86 core (the bench
// targets of core/bihash, core/rules, core/fifo, core/session) and of VPP's
// own per-packet figures for its session and TCP nodes; exact values matter
// less than that they are fixed, so a seed gives the same counts on every
// machine.
var builtinNS = [NumOps]float64{
	Dispatch:       15,
	Decode:         25,
	Lookup:         35,
	LinearKey:      4,
	RuleLookup:     50,
	ListenerLookup: 30,
	Insert:         120,
	SplitKey:       15,
	Delete:         90,
	Accept:         450,
	Connect:        600,
	Close:          120,
	Enqueue:        35,
	EnqueueByte:    0.06,
	Dequeue:        35,
	DequeueByte:    0.06,
	Event:          40,
	App:            100,
}

// BuiltinModel returns the built-in costs.
func BuiltinModel() Model {
	var m Model
	for i, ns := range builtinNS {
		m.PS[i] = toPS(ns)
	}
	return m
}

func toPS(ns float64) int64 { return int64(math.Round(ns * 1000)) }

// NS returns op's cost in nanoseconds.
func (m *Model) NS(op Op) float64 { return float64(m.PS[op]) / 1000 }

// Apply returns m with the costs a scenario's sim.costs block sets
// replacing the model's (each given value wins; negative values are
// rejected by scenario validation and clamped to 0 here).
func (m Model) Apply(c scenario.Costs) Model {
	set := func(op Op, v *float64) {
		if v == nil {
			return
		}
		m.PS[op] = max(toPS(*v), 0)
		m.Overridden = append(m.Overridden, op)
	}
	set(Dispatch, c.DispatchNS)
	set(Decode, c.DecodeNS)
	set(Lookup, c.LookupNS)
	set(LinearKey, c.LinearLookupNS)
	set(RuleLookup, c.RuleLookupNS)
	set(ListenerLookup, c.ListenerLookupNS)
	set(Insert, c.InsertNS)
	set(SplitKey, c.SplitNS)
	set(Delete, c.DeleteNS)
	set(Accept, c.AcceptNS)
	set(Connect, c.ConnectNS)
	set(Close, c.CloseNS)
	set(Enqueue, c.EnqueueNS)
	set(EnqueueByte, c.EnqueueNSPerByte)
	set(Dequeue, c.DequeueNS)
	set(DequeueByte, c.DequeueNSPerByte)
	set(Event, c.EventNS)
	set(App, c.AppNS)
	return m
}

// Describe is one line for the results: where the costs come from and the
// main ones.
func (m *Model) Describe() string {
	var b strings.Builder
	switch m.Source {
	case Calibrated:
		b.WriteString("sim cost model calibrated on this machine (results depend on it)")
	default:
		b.WriteString("sim cost model: built-in costs")
	}
	if len(m.Overridden) > 0 {
		b.WriteString(", overridden by the scenario for")
		for _, op := range m.Overridden {
			b.WriteByte(' ')
			b.WriteString(op.String())
		}
	}
	fmt.Fprintf(&b, "; lookup %.1f ns, rule lookup %.1f ns, accept %.1f ns, enqueue %.1f ns + %.3f ns/B, event %.1f ns",
		m.NS(Lookup), m.NS(RuleLookup), m.NS(Accept), m.NS(Enqueue), m.NS(EnqueueByte), m.NS(Event))
	return b.String()
}

// Ledger accumulates the cost of one worker step. The zero Ledger with a
// nil model charges nothing (live mode, where time is the wall clock's).
type Ledger struct {
	m  *Model
	ps int64
	// extraLookupPS and extraInsertPS are the lagged structural costs
	// (linear-search buckets, splits) the engine sets from the tables'
	// statistics at each telemetry sample.
	extraLookupPS, extraInsertPS int64
}

// NewLedger returns a ledger charging m's costs (nil: charges nothing).
func NewLedger(m *Model) *Ledger { return &Ledger{m: m} }

// Charge adds n operations op.
func (l *Ledger) Charge(op Op, n int) {
	if l.m != nil {
		l.ps += l.m.PS[op] * int64(n)
	}
}

// ChargeBytes adds a fifo operation on n bytes: the fixed cost of op and n
// times its per-byte cost (op is Enqueue or Dequeue).
func (l *Ledger) ChargeBytes(op Op, n int) {
	if l.m != nil {
		l.ps += l.m.PS[op] + l.m.PS[op+1]*int64(n)
	}
}

// ChargeLookup adds one table lookup and its expected linear-search
// surcharge.
func (l *Ledger) ChargeLookup(n int) {
	if l.m != nil {
		l.ps += (l.m.PS[Lookup] + l.extraLookupPS) * int64(n)
	}
}

// ChargeInsert adds one table insert and its expected split surcharge.
func (l *Ledger) ChargeInsert() {
	if l.m != nil {
		l.ps += l.m.PS[Insert] + l.extraInsertPS
	}
}

// SetStructure sets the expected extra cost per lookup (keys compared in
// linear-search buckets) and per insert (keys moved by splits), from the
// tables' current shape: linearKeys expected extra key comparisons per
// lookup, splitKeys expected keys moved per insert.
func (l *Ledger) SetStructure(linearKeys, splitKeys float64) {
	if l.m == nil {
		return
	}
	l.extraLookupPS = int64(math.Round(linearKeys * float64(l.m.PS[LinearKey])))
	l.extraInsertPS = int64(math.Round(splitKeys * float64(l.m.PS[SplitKey])))
}

// Reset starts a new step.
func (l *Ledger) Reset() { l.ps = 0 }

// NS returns the step's cost so far in whole nanoseconds (rounded up, so
// that any charged work takes time).
func (l *Ledger) NS() int64 { return (l.ps + 999) / 1000 }

// Active reports whether the ledger charges anything.
func (l *Ledger) Active() bool { return l.m != nil }
