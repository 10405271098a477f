// Package metrics is the simulator's recorder: counters of what happened to
// every packet and session, latency histograms with HDR precision, the
// per-session bookkeeping that times session setup and fifo residence, and
// the telemetry time series sampled during a run.
//
// Data flows in from the engine, the transport shim and the application
// models while a repetition runs (Count, Drop, the Hist Record methods,
// Sessions' Enqueued/Dequeued, Sample) and out once at the end, as
// results values (Histogram, Series). Nothing here allocates on the
// recording paths: counters are array slots, histograms are
// HdrHistogram's fixed bucket arrays, and the per-session table is indexed
// by the session handle's thread and pool index.
//
// The recorder is not safe for concurrent use, except for the drops the
// live dispatchers count with DropAtomic: the engine serialises everything
// else (one goroutine in simulated mode, the layer's lock live).
package metrics

import (
	"fmt"
	"math"
	"sort"
	"sync/atomic"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/reports/results"
)

// Cause is why a packet (or a connection attempt) was dropped.
type Cause uint8

// The drop causes.
const (
	// QueueFull: the worker's event queue was full.
	QueueFull Cause = iota
	// FifoFull: the session's rx fifo could not take the payload.
	FifoFull
	// TableFull: a session-table insert found its arena full.
	TableFull
	// RuleDrop: a session rule dropped the packet (the lookup answered
	// FILTERED).
	RuleDrop
	// PoolExhausted: the thread's fixed session pool was full.
	PoolExhausted
	// NoListener: a connection attempt found no listener (a real stack
	// would answer with RST or ICMP).
	NoListener
	// NoSession: data for a connection the layer does not know.
	NoSession
	// WrongThread: the established session belongs to another worker.
	WrongThread
	// Refused: the application's worker was congested, or an accept
	// failed for another reason (fifo segments full).
	Refused
	// NumCauses is the number of causes.
	NumCauses
)

var causeNames = [NumCauses]string{
	results.DropQueueFull, results.DropFifoFull, results.DropTableFull, results.DropRule,
	results.DropPoolExhausted, "no_listener", "no_session", "wrong_thread", "refused",
}

var causeMetrics = [NumCauses]string{
	"drops_queue_full", "drops_fifo_full", "drops_table_full", "drops_rule",
	"drops_pool_exhausted", "drops_no_listener", "drops_no_session", "drops_wrong_thread", "drops_refused",
}

// String returns the cause as results record it ("queue_full").
func (c Cause) String() string {
	if c < NumCauses {
		return causeNames[c]
	}
	return fmt.Sprintf("cause%d", uint8(c))
}

// Metric returns the name of the cause's metric ("drops_queue_full").
func (c Cause) Metric() string {
	if c < NumCauses {
		return causeMetrics[c]
	}
	return "drops_" + c.String()
}

// Counter is one of the recorder's counters.
type Counter uint8

// The counters. Packets are inbound packets only: what the sources offer
// towards the session layer's side.
const (
	// Offered: inbound packets the sources offered.
	Offered Counter = iota
	// OfferedBytes: their wire bytes.
	OfferedBytes
	// Received: offered packets the layer processed without a drop.
	Received
	// ReceivedBytes: their wire bytes.
	ReceivedBytes
	// Outbound: packets from the local side in a capture, which the modelled
	// stack would send itself; they are not offered (see docs/sim.md).
	Outbound
	// Stray: packets processed without effect (an ACK or FIN of a
	// connection already closed, a retransmitted SYN, a non-IP frame).
	Stray
	// Nonflow: packets that are neither TCP nor UDP (dropped at input).
	Nonflow
	// OfferedSessions: new sessions offered: connection attempts (a SYN,
	// the first datagram of a UDP flow) and client connects.
	OfferedSessions
	// SessionsFailed: offered sessions that did not open.
	SessionsFailed
	// AppBytes: bytes applications read from their rx fifos.
	AppBytes
	// TxBytes: bytes the transport took from tx fifos (sent).
	TxBytes
	// DupBytes: payload bytes the shim discarded as already received.
	DupBytes
	// NumCounters is the number of counters.
	NumCounters
)

// Recorder collects one repetition's measurements.
type Recorder struct {
	// On enables the latency histograms and the per-session timing (the
	// counters always count). The benchmarks switch it off to measure the
	// recorder's overhead.
	On bool

	counts [NumCounters]uint64
	drops  [NumCauses]uint64
	// live dispatchers count queue-full drops concurrently.
	atomicDrops [NumCauses]atomic.Uint64

	// Packet is the per-packet latency (queueing + service), Setup the
	// session setup latency, Fifo the time bytes wait in an rx fifo.
	Packet, Setup, Fifo *Hist

	// measuring is set once the warm-up is over: session and fifo samples
	// count from then on (packets carry their own flag).
	measuring bool

	series    []*series
	seriesIdx map[seriesKey]int
}

// New returns a recorder with empty histograms.
func New(on bool) *Recorder {
	return &Recorder{On: on, Packet: NewHist(), Setup: NewHist(), Fifo: NewHist(), seriesIdx: map[seriesKey]int{}}
}

// Measuring reports whether the warm-up is over.
func (r *Recorder) Measuring() bool { return r.measuring }

// StartMeasuring ends the warm-up.
func (r *Recorder) StartMeasuring() { r.measuring = true }

// Count adds n to counter c.
func (r *Recorder) Count(c Counter, n uint64) { r.counts[c] += n }

// Get returns counter c.
func (r *Recorder) Get(c Counter) uint64 { return r.counts[c] }

// Drop counts one dropped packet.
func (r *Recorder) Drop(c Cause) { r.drops[c]++ }

// DropAtomic counts a drop from another goroutine (live dispatchers).
func (r *Recorder) DropAtomic(c Cause) { r.atomicDrops[c].Add(1) }

// Drops returns the drops of cause c.
func (r *Recorder) Drops(c Cause) uint64 { return r.drops[c] + r.atomicDrops[c].Load() }

// TotalDrops returns the drops of every cause.
func (r *Recorder) TotalDrops() uint64 {
	var n uint64
	for c := range NumCauses {
		n += r.Drops(c)
	}
	return n
}

// DropList returns the non-zero drops as results record them.
func (r *Recorder) DropList() []results.Drop {
	var out []results.Drop
	for c := range NumCauses {
		if n := r.Drops(c); n > 0 {
			out = append(out, results.Drop{Cause: c.String(), Count: n})
		}
	}
	return out
}

// Hist is a latency histogram: HdrHistogram buckets at 3 significant
// digits for the percentiles, and the exact count, minimum, maximum and sum.
type Hist struct {
	h        *hdrhistogram.Histogram
	n        uint64
	min, max int64
	sum      float64
}

// HighestNS is the largest latency a histogram tracks (an hour); larger
// values are clamped to it.
const HighestNS = 3600 * 1e9

// NewHist returns an empty histogram (1 ns to an hour, 3 significant
// digits).
func NewHist() *Hist {
	return &Hist{h: hdrhistogram.New(1, HighestNS, 3)}
}

// Record adds one sample in nanoseconds (negative values count as 0).
func (h *Hist) Record(ns int64) {
	ns = min(max(ns, 0), HighestNS)
	if h.n == 0 || ns < h.min {
		h.min = ns
	}
	if ns > h.max {
		h.max = ns
	}
	h.n++
	h.sum += float64(ns)
	_ = h.h.RecordValue(ns)
}

// Count returns the number of samples.
func (h *Hist) Count() uint64 { return h.n }

// Quantile returns the value at quantile q (0..1), within the exact
// minimum and maximum.
func (h *Hist) Quantile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	v := h.h.ValueAtQuantile(q * 100)
	return float64(min(max(v, h.min), h.max))
}

// cdfQuantiles are where the CDF is sampled: evenly in the body, denser in
// the tail that latency studies care about.
var cdfQuantiles = func() []float64 {
	var qs []float64
	for i := 0; i <= 90; i++ {
		qs = append(qs, float64(i)/100)
	}
	return append(qs, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999)
}()

// Result summarises the histogram for the results document.
func (h *Hist) Result(name string) results.Histogram {
	out := results.Histogram{Name: name, Unit: "ns", Count: h.n}
	if h.n == 0 {
		return out
	}
	out.Min, out.Max = float64(h.min), float64(h.max)
	out.Mean = min(max(h.sum/float64(h.n), out.Min), out.Max)
	out.P50, out.P90, out.P99, out.P999 = h.Quantile(0.5), h.Quantile(0.9), h.Quantile(0.99), h.Quantile(0.999)
	last := -1.0
	for _, q := range cdfQuantiles {
		v := h.Quantile(q)
		if v < last {
			v = last
		}
		if v == last && len(out.CDF) > 0 {
			out.CDF[len(out.CDF)-1].Fraction = q
			continue
		}
		out.CDF = append(out.CDF, results.CDFPoint{Value: v, Fraction: q})
		last = v
	}
	if out.CDF[len(out.CDF)-1].Value == out.Max {
		out.CDF[len(out.CDF)-1].Fraction = 1
	} else {
		out.CDF = append(out.CDF, results.CDFPoint{Value: out.Max, Fraction: 1})
	}
	return out
}

// Histograms returns the three histograms for the results.
func (r *Recorder) Histograms() []results.Histogram {
	return []results.Histogram{r.Packet.Result("packet"), r.Setup.Result("session_setup"), r.Fifo.Result("fifo")}
}

// --- time series ---

type seriesKey struct {
	name, label, value string
}

type series struct {
	key  seriesKey
	unit string
	pts  []results.SeriesPoint
	// nonzero says whether any sample was non-zero (all-zero per-state
	// counts are left out of the results).
	nonzero bool
}

// Sample appends (t, v) to the series name{label=value} (label empty: no
// labels).
func (r *Recorder) Sample(t int64, name, label, value, unit string, v float64) {
	k := seriesKey{name, label, value}
	i, ok := r.seriesIdx[k]
	if !ok {
		i = len(r.series)
		r.seriesIdx[k] = i
		r.series = append(r.series, &series{key: k, unit: unit})
	}
	s := r.series[i]
	s.pts = append(s.pts, results.SeriesPoint{TNS: max(t, 0), V: v})
	if v != 0 {
		s.nonzero = true
	}
}

// Series returns the sampled series in a stable order (name, then label
// value), leaving out the per-state session counts of states no session
// was ever in (twelve series of zeros would bury the others).
func (r *Recorder) Series() []results.Series {
	ss := append([]*series(nil), r.series...)
	sort.SliceStable(ss, func(i, j int) bool {
		if ss[i].key.name != ss[j].key.name {
			return ss[i].key.name < ss[j].key.name
		}
		return ss[i].key.value < ss[j].key.value
	})
	var out []results.Series
	for _, s := range ss {
		if s.key.label == "state" && !s.nonzero {
			continue
		}
		rs := results.Series{Name: s.key.name, Unit: s.unit, Points: s.pts}
		if s.key.label != "" {
			rs.Labels = map[string]string{s.key.label: s.key.value}
		}
		out = append(out, rs)
	}
	return out
}

// Max returns the largest sample of series name (over every label), 0 if
// none.
func (r *Recorder) Max(name string) float64 {
	m := 0.0
	for _, s := range r.series {
		if s.key.name != name {
			continue
		}
		for _, p := range s.pts {
			m = math.Max(m, p.V)
		}
	}
	return m
}

// --- per-session bookkeeping ---

// marksPerSession bounds the enqueue marks a session keeps; when they run
// out the newest mark absorbs further enqueues (its time stays, so those
// bytes are timed from the earlier enqueue: an overestimate).
const marksPerSession = 8

type mark struct {
	end uint64 // stream offset just past the enqueued bytes
	t   int64  // when they were enqueued
}

type sessEntry struct {
	setup    int64 // when setup started (the SYN, the connect); -1 none
	enqueued uint64
	dequeued uint64
	head, n  uint8
	marks    [marksPerSession]mark
}

// Sessions is the per-session bookkeeping, indexed by session handle: when
// a session's setup started, and when bytes entered its rx fifo, so that
// the setup and fifo latencies can be recorded when the application sees
// them. Entries are reset where sessions are created (Reset).
type Sessions struct {
	threads [][]sessEntry
}

// NewSessions returns an empty table for nthreads threads.
func NewSessions(nthreads int) *Sessions { return &Sessions{threads: make([][]sessEntry, nthreads)} }

func (s *Sessions) at(h session.Handle) *sessEntry {
	th, i := h.Thread(), int(h.Index())
	if int(th) >= len(s.threads) {
		return nil
	}
	t := s.threads[th]
	if i >= len(t) {
		n := max(2*len(t), i+1, 1024)
		nt := make([]sessEntry, n)
		copy(nt, t)
		s.threads[th] = nt
		t = nt
	}
	return &t[i]
}

// Reset starts the entry of a new session h whose setup began at setup (-1:
// not timed).
func (s *Sessions) Reset(h session.Handle, setup int64) {
	if e := s.at(h); e != nil {
		*e = sessEntry{setup: setup}
	}
}

// TakeSetup returns and clears the setup start of h (-1 when none).
func (s *Sessions) TakeSetup(h session.Handle) int64 {
	e := s.at(h)
	if e == nil {
		return -1
	}
	t := e.setup
	e.setup = -1
	return t
}

// Enqueued records that n bytes entered h's rx fifo at t.
func (s *Sessions) Enqueued(h session.Handle, n int, t int64) {
	e := s.at(h)
	if e == nil || n <= 0 {
		return
	}
	e.enqueued += uint64(n)
	if e.n == marksPerSession {
		last := (int(e.head) + int(e.n) - 1) % marksPerSession
		e.marks[last].end = e.enqueued
		return
	}
	e.marks[(int(e.head)+int(e.n))%marksPerSession] = mark{end: e.enqueued, t: t}
	e.n++
}

// Dequeued records that the application read n bytes of h's rx fifo at t:
// every mark the read completes is a fifo latency sample in hist (when
// non-nil).
func (s *Sessions) Dequeued(h session.Handle, n int, t int64, hist *Hist) {
	e := s.at(h)
	if e == nil || n <= 0 {
		return
	}
	e.dequeued += uint64(n)
	for e.n > 0 && e.marks[e.head].end <= e.dequeued {
		if hist != nil {
			hist.Record(t - e.marks[e.head].t)
		}
		e.head = (e.head + 1) % marksPerSession
		e.n--
	}
}
