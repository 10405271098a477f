package config

import (
	"fmt"
	"math/bits"
)

// VPP's defaults and limits for the session stanza (spec §1.2).
const (
	// MinWrkMqLength is the smallest worker message-queue length VPP
	// accepts; smaller values are ignored with a warning.
	MinWrkMqLength = 2048
	// DefaultWrkMqLength is the worker message-queue length when none is set.
	DefaultWrkMqLength = 2048
	// DefaultTableBuckets is the bucket count of the v4/v6 session and
	// half-open tables (32768 after rounding up to a power of two).
	DefaultTableBuckets = 20000
	// DefaultTableMemory is the memory of the v4/v6 session and half-open
	// tables: 64 MiB.
	DefaultTableMemory = 64 << 20
	// DefaultLocalEndpointsBuckets is the bucket count of the local
	// endpoints (port) table (262144 after rounding).
	DefaultLocalEndpointsBuckets = 250000
	// DefaultLocalEndpointsMemory is the memory of the local endpoints
	// table: 512 MiB.
	DefaultLocalEndpointsMemory = 512 << 20
	// MaxTableMemory is the exclusive upper bound VPP puts on every
	// *-table-memory value (4 GiB).
	MaxTableMemory = 1 << 32
	// DefaultMinSrcPort and DefaultMaxSrcPort bound the ephemeral port range
	// [min, max) (max is exclusive, so 65535 is never chosen by default).
	DefaultMinSrcPort = 1024
	DefaultMaxSrcPort = 65535
)

// Engine is the session rules engine the session layer is enabled with. The
// values are those of VPP's binary API enum rt_backend_engine (DISABLE=0,
// RULE_TABLE=1, NONE=2, SDL=3), so they map one to one; NONE is absent
// because sessionlab reads a plain `enable` as the rule-table engine
// (modelling-decisions.md).
type Engine uint8

const (
	// EngineDisabled: the session layer is not enabled at start-up.
	EngineDisabled Engine = 0
	// EngineRuleTable: enabled with the rule-table (match-mask-action) engine.
	EngineRuleTable Engine = 1
	// EngineSDL: enabled with the SDL engine (global, remote-prefix rules).
	EngineSDL Engine = 3
)

// String returns "disabled", "rule-table" or "sdl".
func (e Engine) String() string {
	switch e {
	case EngineDisabled:
		return "disabled"
	case EngineRuleTable:
		return "rule-table"
	case EngineSDL:
		return "sdl"
	}
	return fmt.Sprintf("Engine(%d)", uint8(e))
}

// MarshalText encodes the engine as its name.
func (e Engine) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// Table names one of the session layer's hash tables.
type Table uint8

const (
	V4Session      Table = iota // v4 established and listener sessions (bihash 16_8)
	V4HalfOpen                  // v4 half-open connections (bihash 16_8)
	V6Session                   // v6 established and listener sessions (bihash 48_8)
	V6HalfOpen                  // v6 half-open connections (bihash 48_8)
	LocalEndpoints              // transport local endpoints, the port table (bihash 24_8)
)

// Tables lists every Table in VPP's keyword order.
var Tables = [...]Table{V4Session, V4HalfOpen, V6Session, V6HalfOpen, LocalEndpoints}

// String returns the keyword prefix: "v4-session", "v4-halfopen",
// "v6-session", "v6-halfopen" or "local-endpoints".
func (t Table) String() string {
	switch t {
	case V4Session:
		return "v4-session"
	case V4HalfOpen:
		return "v4-halfopen"
	case V6Session:
		return "v6-session"
	case V6HalfOpen:
		return "v6-halfopen"
	case LocalEndpoints:
		return "local-endpoints"
	}
	return fmt.Sprintf("Table(%d)", uint8(t))
}

// BucketsKeyword returns the table's bucket keyword, e.g.
// "v4-session-table-buckets".
func (t Table) BucketsKeyword() string { return t.String() + "-table-buckets" }

// MemoryKeyword returns the table's memory keyword, e.g.
// "v4-session-table-memory".
func (t Table) MemoryKeyword() string { return t.String() + "-table-memory" }

// DefaultBuckets returns VPP's bucket count for t before rounding.
func (t Table) DefaultBuckets() uint32 {
	if t == LocalEndpoints {
		return DefaultLocalEndpointsBuckets
	}
	return DefaultTableBuckets
}

// DefaultMemory returns VPP's memory size for t in bytes.
func (t Table) DefaultMemory() uint64 {
	if t == LocalEndpoints {
		return DefaultLocalEndpointsMemory
	}
	return DefaultTableMemory
}

// Session is the typed `session { }` stanza: one field per parameter, each
// with its value and whether and where it was set. Counts that VPP reads with
// %d into an unsigned field hold VPP's unsigned reading (a configured -1 is
// 4294967295, exactly what VPP stores); see the warnings for such values.
type Session struct {
	// WrkMqLength is the length of each vpp worker's message queue
	// (wrk-mq-length, alias event-queue-length). Values under 2048 are
	// ignored unless Options.AllowSmallQueues.
	WrkMqLength Setting[uint32]
	// WrkMqsSegmentSize is the minimum size in bytes of the memfd segment
	// holding all worker message queues (wrk-mqs-segment-size, alias
	// evt_qs_seg_size); 0 means computed from the queue sizes.
	WrkMqsSegmentSize Setting[uint64]
	// PreallocatedSessions makes the session pools fixed-size when non-zero
	// (see SessionsPerThread).
	PreallocatedSessions Setting[uint32]

	// Table sizes, as configured; 0 means the default. Use Buckets and
	// Memory for the values the tables are built with.
	V4SessionTableBuckets      Setting[uint32]
	V4HalfOpenTableBuckets     Setting[uint32]
	V6SessionTableBuckets      Setting[uint32]
	V6HalfOpenTableBuckets     Setting[uint32]
	V4SessionTableMemory       Setting[uint64]
	V4HalfOpenTableMemory      Setting[uint64]
	V6SessionTableMemory       Setting[uint64]
	V6HalfOpenTableMemory      Setting[uint64]
	LocalEndpointsTableMemory  Setting[uint64]
	LocalEndpointsTableBuckets Setting[uint32]

	// MinSrcPort and MaxSrcPort bound the ephemeral port range [min, max);
	// VPP truncates the configured numbers to 16 bits.
	MinSrcPort Setting[uint16]
	MaxSrcPort Setting[uint16]

	// Engine is EngineDisabled unless an `enable` keyword was given.
	Engine Setting[Engine]

	PollMain         Setting[bool] // poll-main: main thread also polls with workers
	UsePrivateRxMqs  Setting[bool] // use-private-rx-mqs: per-app private vpp rx queues
	NoAdaptive       Setting[bool] // no-adaptive: no adaptive polling (private rx mqs only)
	UseDMA           Setting[bool] // use-dma: DMA-offloaded tx copies
	NAT44OriginalDst Setting[bool] // nat44-original-dst-enable
	NoDumpSegments   Setting[bool] // no-dump-segments: segments excluded from core dumps
	// AppSocketAPI is on by default; use-bapi-socket-api turns it off.
	AppSocketAPI Setting[bool]
	// SegmentBaseva is parsed and ignored by VPP (deprecated); kept for
	// display only.
	SegmentBaseva Setting[uint64]

	// Options are the parsing options Set applies (from Parse, or set by the
	// caller on a Default session).
	Options Options
	// Warnings are the session stanza's warnings, followed by those of any
	// Set calls.
	Warnings []Warning
}

// Default returns a Session holding VPP's defaults: not enabled, 2048-entry
// worker queues, growable pools, 20000-bucket/64 MiB session tables, a
// 250000-bucket/512 MiB port table, ports [1024, 65535), app socket API on.
func Default() *Session {
	s := &Session{}
	s.WrkMqLength.Value = DefaultWrkMqLength
	for _, t := range Tables {
		s.buckets(t).Value = t.DefaultBuckets()
		s.memory(t).Value = t.DefaultMemory()
	}
	s.MinSrcPort.Value = DefaultMinSrcPort
	s.MaxSrcPort.Value = DefaultMaxSrcPort
	s.AppSocketAPI.Value = true
	return s
}

func (s *Session) buckets(t Table) *Setting[uint32] {
	switch t {
	case V4Session:
		return &s.V4SessionTableBuckets
	case V4HalfOpen:
		return &s.V4HalfOpenTableBuckets
	case V6Session:
		return &s.V6SessionTableBuckets
	case V6HalfOpen:
		return &s.V6HalfOpenTableBuckets
	case LocalEndpoints:
		return &s.LocalEndpointsTableBuckets
	}
	panic(fmt.Sprintf("config: invalid table %d", t))
}

func (s *Session) memory(t Table) *Setting[uint64] {
	switch t {
	case V4Session:
		return &s.V4SessionTableMemory
	case V4HalfOpen:
		return &s.V4HalfOpenTableMemory
	case V6Session:
		return &s.V6SessionTableMemory
	case V6HalfOpen:
		return &s.V6HalfOpenTableMemory
	case LocalEndpoints:
		return &s.LocalEndpointsTableMemory
	}
	panic(fmt.Sprintf("config: invalid table %d", t))
}

// BucketsSetting returns the configured bucket count of t.
func (s *Session) BucketsSetting(t Table) Setting[uint32] { return *s.buckets(t) }

// MemorySetting returns the configured memory size of t.
func (s *Session) MemorySetting(t Table) Setting[uint64] { return *s.memory(t) }

// Buckets returns the number of buckets table t is built with: the
// configured count (the default when 0) rounded up to a power of two, as
// bihash does (20000 → 32768, 250000 → 262144).
func (s *Session) Buckets(t Table) uint64 {
	n := s.buckets(t).Value
	if n == 0 {
		n = t.DefaultBuckets()
	}
	return RoundBuckets(n)
}

// ModelBuckets returns the bucket count sessionlab builds table t with:
// Buckets, saturated at 2^31. VPP rounds a count above 2^31 (a negative
// value read as unsigned) up to 2^32, which overflows its u32 (see
// docs/vpp-compatibility.md); the model stops at the largest power of two
// a u32 holds.
func (s *Session) ModelBuckets(t Table) uint32 { return uint32(min(s.Buckets(t), 1<<31)) }

// Memory returns the memory in bytes of table t: the configured size, or the
// default when 0. sessionlab's table arena has exactly this size; VPP (since
// 21.01) ignores the value.
func (s *Session) Memory(t Table) uint64 {
	if m := s.memory(t).Value; m != 0 {
		return m
	}
	return t.DefaultMemory()
}

// RoundBuckets rounds a bucket count up to a power of two (bihash's
// 1 << ceil(log2 n)); 0 and 1 give 1.
func RoundBuckets(n uint32) uint64 {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len32(n-1)
}

// Enabled reports whether the session layer is enabled at start-up.
func (s *Session) Enabled() bool { return s.Engine.Value != EngineDisabled }

// WorkerMQLength returns the number of entries of each vpp worker message
// queue: max(2048, wrk-mq-length) as in VPP, or the configured length
// itself when Options.AllowSmallQueues.
func (s *Session) WorkerMQLength() uint32 {
	n := s.WrkMqLength.Value
	if n < MinWrkMqLength && !s.Options.AllowSmallQueues {
		return MinWrkMqLength
	}
	return n
}

// SessionsPerThread returns the size of each thread's session pool for the
// given number of worker threads, and whether pools are fixed. Without
// preallocated-sessions pools grow (0, false). With it and no workers, the
// main thread's pool holds N sessions; with workers each worker's pool holds
// floor(1.1 × N / workers), computed in double precision as VPP does, and
// the main thread's pool stays growable.
func (s *Session) SessionsPerThread(workers int) (n uint32, fixed bool) {
	p := s.PreallocatedSessions.Value
	if p == 0 {
		return 0, false
	}
	if workers <= 0 {
		return p, true
	}
	return PerWorkerSessions(p, workers), true
}

// PerWorkerSessions is floor(1.1 × n / workers), the fixed pool of each
// worker (spec §9.2), computed in double precision as VPP does and truncated
// to 32 bits explicitly: a float-to-integer conversion out of range is
// implementation-defined in Go, the u64-then-u32 path is the same on every
// architecture (and matches VPP's u32 assignment on x86).
func PerWorkerSessions(n uint32, workers int) uint32 {
	return uint32(uint64(1.1 * float64(n) / float64(workers)))
}

// EphemeralPorts returns the number of ports in [min-src-port,
// max-src-port); 0 when the range is empty.
func (s *Session) EphemeralPorts() int {
	if n := int(s.MaxSrcPort.Value) - int(s.MinSrcPort.Value); n > 0 {
		return n
	}
	return 0
}
