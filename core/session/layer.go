package session

import (
	"fmt"
	"math/rand/v2"

	"github.com/sessionlab/sessionlab/core/config"
)

// Engine is the session rules engine (VPP's session_rt_engine_type_t, whose
// values the binary API uses too).
type Engine uint8

// Rules engines.
const (
	// EngineDisable turns the session layer off.
	EngineDisable Engine = 0
	// EngineRuleTable enables the layer with the match-mask-action rule
	// tables (core/rules).
	EngineRuleTable Engine = 1
	// EngineNone enables the layer without any rules engine: rule adds
	// fail with ErrNoSupport and lookups ignore rules.
	EngineNone Engine = 2
	// EngineSDL is VPP's "session deny list" engine (core/rules' SDL):
	// remote-prefix rules in the global tables only, looked up by longest
	// prefix; local-scope rules are skipped.
	EngineSDL Engine = 3
)

// String returns "disable", "rule-table", "none" or "sdl".
func (e Engine) String() string {
	switch e {
	case EngineDisable:
		return "disable"
	case EngineRuleTable:
		return "rule-table"
	case EngineNone:
		return "none"
	case EngineSDL:
		return "sdl"
	}
	return fmt.Sprintf("engine(%d)", uint8(e))
}

// Config holds the session layer's sizing, VPP's `session { }` stanza in
// typed form (see core/config for the parser and FromConfig for the
// conversion). Zero fields take VPP's defaults, as VPP's table code does.
type Config struct {
	// Workers is the number of worker threads. Threads are 0 (main) and
	// 1..Workers; the transport control thread is 1 when workers exist,
	// else 0.
	Workers int
	// PreallocatedSessions makes the session pools fixed (§9.2): thread 0's
	// pool holds exactly N sessions when there are no workers; otherwise each
	// worker's pool holds floor(1.1 × N / Workers) and thread 0 stays
	// growable. 0 = growable pools.
	PreallocatedSessions uint32
	// Bucket counts and arena sizes of the v4/v6 session and half-open
	// hashes (every global and local table gets its own hashes of these
	// sizes).
	V4SessionBuckets, V4HalfOpenBuckets uint32
	V6SessionBuckets, V6HalfOpenBuckets uint32
	V4SessionMemory, V4HalfOpenMemory   uint64
	V6SessionMemory, V6HalfOpenMemory   uint64
	// LocalEndpointsBuckets and LocalEndpointsMemory size the port table.
	LocalEndpointsBuckets uint32
	LocalEndpointsMemory  uint64
	// MinSrcPort and MaxSrcPort bound the ephemeral port range [min, max)
	// (max is exclusive, §9.5). Both zero = VPP's 1024..65535. An empty
	// range makes every automatic port allocation fail with ErrNoPort.
	MinSrcPort, MaxSrcPort uint16
	// WrkMqLength is the capacity of each thread's vpp event queue (the
	// control events posted to it). 0 = 2048.
	WrkMqLength uint32
	// AppEventQueueSize is the default application worker message queue
	// length when an attach does not give one (VPP's 128).
	AppEventQueueSize uint32
	// HeapSegments allocates fifo segments on the Go heap instead of memfds
	// (same placement decisions, not shareable with another process).
	HeapSegments bool
}

// TestConfig returns a configuration with small lookup tables (1024
// buckets and a few MiB per hash, fifo segments on the Go heap) for tests
// and examples. VPP's default sizes reserve 64 MiB per hash and 512 MiB for
// the port table: free as untouched mappings normally, but committed Go
// memory under the race detector, where core/bihash arenas are heap slices.
func TestConfig() Config {
	return Config{
		V4SessionBuckets: 1024, V4HalfOpenBuckets: 256, V6SessionBuckets: 1024, V6HalfOpenBuckets: 256,
		V4SessionMemory: 4 << 20, V4HalfOpenMemory: 1 << 20, V6SessionMemory: 4 << 20, V6HalfOpenMemory: 1 << 20,
		LocalEndpointsBuckets: 1024, LocalEndpointsMemory: 4 << 20,
		HeapSegments: true,
	}
}

// VPP's defaults (spec §1.2, §7.5).
const (
	defaultTableBuckets      = 20000
	defaultTableMemory       = 64 << 20
	defaultLocalEpBuckets    = 250000
	defaultLocalEpMemory     = 512 << 20
	defaultMinSrcPort        = 1024
	defaultMaxSrcPort        = 65535
	defaultWrkMqLength       = 2048
	defaultAppEventQueueSize = 128
)

// withDefaults returns c with zero fields replaced by VPP's defaults.
func (c Config) withDefaults() Config {
	def32 := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	def64 := func(v *uint64, d uint64) {
		if *v == 0 {
			*v = d
		}
	}
	def32(&c.V4SessionBuckets, defaultTableBuckets)
	def32(&c.V4HalfOpenBuckets, defaultTableBuckets)
	def32(&c.V6SessionBuckets, defaultTableBuckets)
	def32(&c.V6HalfOpenBuckets, defaultTableBuckets)
	def64(&c.V4SessionMemory, defaultTableMemory)
	def64(&c.V4HalfOpenMemory, defaultTableMemory)
	def64(&c.V6SessionMemory, defaultTableMemory)
	def64(&c.V6HalfOpenMemory, defaultTableMemory)
	def32(&c.LocalEndpointsBuckets, defaultLocalEpBuckets)
	def64(&c.LocalEndpointsMemory, defaultLocalEpMemory)
	if c.MinSrcPort == 0 && c.MaxSrcPort == 0 {
		c.MinSrcPort, c.MaxSrcPort = defaultMinSrcPort, defaultMaxSrcPort
	}
	def32(&c.WrkMqLength, defaultWrkMqLength)
	def32(&c.AppEventQueueSize, defaultAppEventQueueSize)
	return c
}

// RandSource is the pseudo-random generator the port allocator draws from.
// math/rand/v2's *rand.Rand, *rand.PCG and *rand.ChaCha8 satisfy it. The
// caller seeds it, so runs are reproducible.
type RandSource interface {
	Uint64() uint64
}

// Options configures New.
type Options struct {
	// Config is the session layer's sizing.
	Config Config
	// Rand is the port allocator's generator; nil uses a PCG with a fixed
	// seed (deterministic).
	Rand RandSource
}

// Layer is one session layer: VPP's session_main with its workers, tables,
// namespaces, applications and transports.
//
// # Concurrency
//
// A Layer is not safe for concurrent use: every method (API calls,
// transport notifications, Poll/RunCtrlEvents/FlushAppEvents, views) must be
// serialised by the caller, which is what the simulator does (it runs each
// VPP thread's work as explicit steps on one goroutine, or under one lock).
// This is the coarse design the brief allows; it keeps every run
// deterministic. The data is nevertheless kept per thread (pools, control
// queues, pending application events) exactly as VPP keeps it, so the thread
// index of every call is meaningful: a lookup from the wrong thread reports
// WRONG_THREAD, sessions are created on the thread the transport names, and
// work queued for a thread only runs when that thread is polled.
//
// Application message queues (Queue) are the one exception: each is a
// core/msgq queue whose single consumer may drain it from another
// goroutine while the layer runs, as an application process would.
type Layer struct {
	cfg     Config
	rng     RandSource
	enabled bool
	engine  Engine
	inited  bool

	threads   []thread
	ctrlTh    uint32 // transport control thread
	ctRR      uint32 // round robin of CT accepts over workers
	transport [numProtos]Transport

	tables    []*table
	freeTabs  []uint32
	fibTables [2][]uint32 // [family][fib index] -> table index or InvalidIndex
	fibs      fibModel
	ifaces    []iface

	namespaces []*namespace
	freeNs     []uint32
	nsByID     map[string]uint32

	apps      []*application
	freeApps  []uint32
	appByName map[string]uint32
	wrks      []*appWorker
	freeWrks  []uint32
	listeners []*appListener
	freeAls   []uint32
	segMgrs   []segMgr
	ports     portTable
	ct        ctState
	stats     Stats
}

// New builds a session layer. It is not enabled yet: call Enable (VPP
// enables at main-loop start when the stanza says `enable`).
func New(o Options) (*Layer, error) {
	cfg := o.Config.withDefaults()
	if cfg.Workers < 0 || cfg.Workers > 1024 {
		return nil, fmt.Errorf("session: %d workers out of range [0, 1024]", cfg.Workers)
	}
	l := &Layer{
		cfg:       cfg,
		rng:       o.Rand,
		nsByID:    make(map[string]uint32),
		appByName: make(map[string]uint32),
	}
	if l.rng == nil {
		l.rng = rand.NewPCG(0x5e55104, 0x1ab)
	}
	n := 1 + cfg.Workers
	l.threads = make([]thread, n)
	if cfg.Workers > 0 {
		l.ctrlTh = 1
	}
	for i := range l.threads {
		th := &l.threads[i]
		th.index = uint32(i)
		if err := th.ctrl.init(int(cfg.WrkMqLength)); err != nil {
			return nil, fmt.Errorf("session: worker queue of thread %d: %w", i, err)
		}
		th.pool.init(l.poolLimit(i))
	}
	l.fibs.init()
	l.ct.init()
	return l, nil
}

// poolLimit returns the fixed size of thread i's pool, or 0 for growable
// (§9.2).
func (l *Layer) poolLimit(i int) int {
	n := l.cfg.PreallocatedSessions
	if n == 0 {
		return 0
	}
	if l.cfg.Workers == 0 {
		return int(n)
	}
	if i == 0 {
		return 0
	}
	return int(config.PerWorkerSessions(uint32(n), l.cfg.Workers))
}

// Config returns the effective configuration (defaults filled in).
func (l *Layer) Config() Config { return l.cfg }

// NumThreads returns 1 + the number of workers.
func (l *Layer) NumThreads() int { return len(l.threads) }

// CtrlThread returns the transport control thread: 1 when workers exist,
// else 0. Half-opens live there and connects run there.
func (l *Layer) CtrlThread() uint32 { return l.ctrlTh }

// Enabled reports whether the layer is enabled, and with which engine.
func (l *Layer) Enabled() (bool, Engine) { return l.enabled, l.engine }

// Enable turns the session layer on with a rules engine (VPP's
// vnet_session_enable_disable). The first enable initialises the lookup
// tables of fib 0 (v4 and v6) and the default namespace (id "default",
// secret 0, fib 0); later enables only switch the engine. Enabling again
// with a different engine fails, as VPP does ("session is already enabled,
// must disable first"); EngineDisable is the same as Disable.
func (l *Layer) Enable(e Engine) error {
	switch e {
	case EngineDisable:
		return l.Disable()
	case EngineRuleTable, EngineNone, EngineSDL:
	default:
		return fmt.Errorf("session: unknown rules engine %d: %w", e, ErrInvalid)
	}
	if l.enabled {
		if l.engine != e {
			return fmt.Errorf("session: already enabled with engine %s, disable first", l.engine)
		}
		return nil
	}
	l.enabled, l.engine = true, e
	if l.inited {
		return nil
	}
	if err := l.ports.init(l.cfg); err != nil {
		l.enabled = false
		return err
	}
	for fam := range 2 {
		if _, err := l.globalTable(family(fam), 0, true); err != nil {
			l.enabled = false
			return err
		}
	}
	if _, err := l.AddNamespace(NamespaceArgs{ID: DefaultNamespace, SwIfIndex: InvalidIndex, IP4FibID: 0, IP6FibID: 0}); err != nil {
		l.enabled = false
		return err
	}
	l.inited = true
	return nil
}

// Disable turns the session layer off (the rules engine too). State is
// kept, as in VPP: a later Enable resumes with the same tables,
// namespaces and applications, but not with the rules: disabling the rules
// engine frees the rules of every namespace's local table and of the global
// tables of its fibs (VPP's session_rules_table_enable_disable walk), so
// rules never outlive the engine that stored them. Disabling a disabled
// layer is an error.
func (l *Layer) Disable() error {
	if !l.enabled {
		return fmt.Errorf("session: already disabled")
	}
	l.enabled = false
	l.freeNamespaceRules()
	l.engine = EngineDisable
	return nil
}

// RegisterTransport installs the transport that serves proto (TCP or UDP;
// CT is built in). Without one, listens and connects of that protocol fail
// with ErrTransportNoReg.
func (l *Layer) RegisterTransport(p Proto, t Transport) error {
	if p >= numProtos || p == ProtoCT {
		return fmt.Errorf("session: cannot register a transport for protocol %s", p)
	}
	l.transport[p] = t
	return nil
}

func (l *Layer) checkThread(th uint32) bool { return int(th) < len(l.threads) }

// count records a failure in the per-error counters and returns it, so call
// sites can write `return l.fail(ErrFiltered)`.
func (l *Layer) fail(e Error) Error {
	if e != ErrNone && e.Valid() {
		l.stats.Errors[-e]++
	}
	return e
}

// Release frees the layer's memory: every lookup table's arena, the port
// table and every fifo segment. The layer must not be used afterwards.
func (l *Layer) Release() error {
	for _, t := range l.tables {
		if t != nil {
			t.close()
		}
	}
	l.tables = nil
	if l.ports.h != nil {
		_ = l.ports.h.Close()
		l.ports.h = nil
	}
	var first error
	for i := range l.segMgrs {
		if sm := &l.segMgrs[i]; sm.inUse {
			if err := sm.mgr.Close(); err != nil && first == nil {
				first = err
			}
			*sm = segMgr{}
		}
	}
	l.enabled = false
	return first
}
