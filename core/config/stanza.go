package config

import (
	"fmt"
	"strings"
)

// Stanza renders the effective session stanza as VPP startup.conf text: every
// parameter that was set or differs from VPP's default, under its current
// (non-deprecated) keyword, in VPP's keyword order. The engine is always
// written explicitly (`enable rt-backend rule-table`), so VPP reads the text
// the way sessionlab does. Parsing the result yields the same values (with
// the same Options: a queue length under 2048 needs AllowSmallQueues).
func (s *Session) Stanza() string {
	var b strings.Builder
	b.WriteString("session {\n")
	line := func(format string, a ...any) {
		b.WriteString("  ")
		fmt.Fprintf(&b, format, a...)
		b.WriteByte('\n')
	}
	// Counts are written as the signed 32-bit numbers VPP's %d reads, so an
	// unsigned count above 2^31 (a configured negative) round-trips.
	if st := s.WrkMqLength; st.Set || st.Value != DefaultWrkMqLength {
		line("wrk-mq-length %d", int32(st.Value))
	}
	if st := s.WrkMqsSegmentSize; st.Set || st.Value != 0 {
		line("wrk-mqs-segment-size %s", FormatSize(st.Value))
	}
	if st := s.PreallocatedSessions; st.Set || st.Value != 0 {
		line("preallocated-sessions %d", int32(st.Value))
	}
	for _, t := range Tables[:LocalEndpoints] {
		if st := s.buckets(t); st.Set || st.Value != t.DefaultBuckets() {
			line("%s %d", t.BucketsKeyword(), int32(st.Value))
		}
	}
	for _, t := range Tables {
		if st := s.memory(t); st.Set || st.Value != t.DefaultMemory() {
			line("%s %s", t.MemoryKeyword(), FormatSize(st.Value))
		}
	}
	if st := s.LocalEndpointsTableBuckets; st.Set || st.Value != DefaultLocalEndpointsBuckets {
		line("%s %d", LocalEndpoints.BucketsKeyword(), int32(st.Value))
	}
	if st := s.MinSrcPort; st.Set || st.Value != DefaultMinSrcPort {
		line("min-src-port %d", st.Value)
	}
	if st := s.MaxSrcPort; st.Set || st.Value != DefaultMaxSrcPort {
		line("max-src-port %d", st.Value)
	}
	switch s.Engine.Value {
	case EngineRuleTable:
		line("enable rt-backend rule-table")
	case EngineSDL:
		line("enable rt-backend sdl")
	}
	for _, f := range []struct {
		on   bool
		name string
	}{
		{s.PollMain.Value, "poll-main"},
		{s.UsePrivateRxMqs.Value, "use-private-rx-mqs"},
		{s.NoAdaptive.Value, "no-adaptive"},
		{s.UseDMA.Value, "use-dma"},
		{s.NAT44OriginalDst.Value, "nat44-original-dst-enable"},
		{s.NoDumpSegments.Value, "no-dump-segments"},
		{!s.AppSocketAPI.Value, "use-bapi-socket-api"},
	} {
		if f.on {
			line("%s", f.name)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// FormatSize writes a memory size the way unformat_memory_size reads it
// back: with the largest of the suffixes g, m, k that divides it exactly,
// as a signed number (VPP's sizes are two's-complement 64-bit amounts).
func FormatSize(v uint64) string {
	x := int64(v)
	for _, u := range []struct {
		shift  uint
		suffix string
	}{{30, "g"}, {20, "m"}, {10, "k"}} {
		if x != 0 && x&(1<<u.shift-1) == 0 {
			return fmt.Sprintf("%d%s", x>>u.shift, u.suffix)
		}
	}
	return fmt.Sprintf("%d", x)
}

// HumanBytes renders a byte count with binary (IEC) units, e.g. "64 MiB",
// "1.50 GiB", "1000 B".
func HumanBytes(v uint64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for u+1 < len(units) && v>>(10*(u+1)) > 0 {
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%d B", v)
	}
	if v&(1<<(10*u)-1) == 0 {
		return fmt.Sprintf("%d %s", v>>(10*u), units[u])
	}
	return fmt.Sprintf("%.2f %s", float64(v)/float64(uint64(1)<<(10*u)), units[u])
}
