package veth

import (
	"fmt"
	"math/bits"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency summarises one latency distribution.
type Latency struct {
	Count                    int64
	Min, Mean, P50, P90, P99 time.Duration
	P999, Max                time.Duration
}

// String formats the summary on one line.
func (l Latency) String() string {
	if l.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d min=%v p50=%v p90=%v p99=%v p99.9=%v max=%v", l.Count, l.Min, l.P50, l.P90, l.P99, l.P999, l.Max)
}

// Histogram range: 100 ns resolution is far below what the path can show,
// and 60 s covers any drain. Three significant digits keep ~50 KiB per
// histogram and put every recorded value within 0.1 % of its true value.
const (
	histMin = 1
	histMax = int64(60 * time.Second)
	histSig = 3
)

// latencyHist records durations in nanoseconds without allocating.
type latencyHist struct{ h *hdrhistogram.Histogram }

func newLatencyHist() latencyHist { return latencyHist{hdrhistogram.New(histMin, histMax, histSig)} }

// record adds one sample, clamping into the histogram's range so that a
// clock step can neither make RecordValue fail (and allocate an error) nor
// silently drop the sample.
func (l latencyHist) record(ns int64) {
	if ns < histMin {
		ns = histMin
	} else if ns > histMax {
		ns = histMax
	}
	_ = l.h.RecordValue(ns)
}

func (l latencyHist) merge(o latencyHist) { l.h.Merge(o.h) }

func (l latencyHist) summary() Latency {
	h := l.h
	if h.TotalCount() == 0 {
		return Latency{}
	}
	d := func(v int64) time.Duration { return time.Duration(v) }
	return Latency{
		Count: h.TotalCount(),
		Min:   d(h.Min()),
		Mean:  d(int64(h.Mean())),
		P50:   d(h.ValueAtQuantile(50)),
		P90:   d(h.ValueAtQuantile(90)),
		P99:   d(h.ValueAtQuantile(99)),
		P999:  d(h.ValueAtQuantile(99.9)),
		Max:   d(h.Max()),
	}
}

// seqSet records which probe sequence numbers arrived, to prove a run
// complete: every number in [0, n) seen exactly once. It is a bitmap shared
// by all receive workers, updated with atomic OR so duplicates are caught
// even when two workers see copies of one frame.
type seqSet struct {
	words      []atomic.Uint64
	n          uint64
	dups       atomic.Uint64
	outOfRange atomic.Uint64
}

func newSeqSet(n uint64) *seqSet {
	return &seqSet{words: make([]atomic.Uint64, (n+63)/64), n: n}
}

// add marks seq seen.
func (s *seqSet) add(seq uint64) {
	if seq >= s.n {
		s.outOfRange.Add(1)
		return
	}
	bit := uint64(1) << (seq % 64)
	if s.words[seq/64].Or(bit)&bit != 0 {
		s.dups.Add(1)
	}
}

// count returns how many distinct sequence numbers were seen.
func (s *seqSet) count() uint64 {
	var c uint64
	for i := range s.words {
		c += uint64(bits.OnesCount64(s.words[i].Load()))
	}
	return c
}

// firstMissing returns up to max sequence numbers in [0, n) not seen.
func (s *seqSet) firstMissing(max int) []uint64 {
	var out []uint64
	for seq := uint64(0); seq < s.n && len(out) < max; seq++ {
		if s.words[seq/64].Load()&(1<<(seq%64)) == 0 {
			out = append(out, seq)
		}
	}
	return out
}
