package bihash

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Errors returned by table operations. They are sentinels, returned as they
// are (no allocation on a failing insert), to be tested with errors.Is.
var (
	// ErrTableFull: the arena cannot supply the page array an insert needs
	// (VPP aborts the process here; sessionlab fails the insert and counts
	// it in Stats.TableFull). The table is unchanged.
	ErrTableFull = errors.New("bihash: table full: arena exhausted")

	// ErrBucketFull: the bucket already holds the most pairs it can: its
	// 13-bit reference count's limit (8191), or every slot of its 2^11 pages
	// in linear-search mode. It is also an ErrTableFull and is counted as
	// one.
	ErrBucketFull = fmt.Errorf("%w (bucket at its limit of pairs)", ErrTableFull)

	// ErrExists: AddNoReplace found the key (VPP's -2).
	ErrExists = errors.New("bihash: key already present")

	// ErrNotFound: Delete did not find the key in a bucket that holds pairs
	// (VPP's -3).
	ErrNotFound = errors.New("bihash: key not found")

	// ErrNotFoundEmpty: Delete found the key's bucket empty, in a variant
	// without inline pages (24- and 48-byte keys): VPP's -1. It is also an
	// ErrNotFound, so errors.Is(err, ErrNotFound) holds for both.
	ErrNotFoundEmpty = fmt.Errorf("%w (empty bucket)", ErrNotFound)

	// ErrInvalidValue: the value is FreeValue, the free-slot marker, which a
	// table cannot store (VPP only asserts this in debug builds).
	ErrInvalidValue = errors.New("bihash: value 0xfeedface8badf00d is the free-slot marker and cannot be stored")

	// ErrClosed: the table has been closed.
	ErrClosed = errors.New("bihash: table closed")
)

// Config is what a table is built from: VPP's name, nbuckets and memory_size.
type Config struct {
	// Name is printed by Format ("Hash table '<name>'").
	Name string
	// Buckets is the requested bucket count; it is rounded up to a power of
	// two (20000 becomes 32768). It must be at least 1 and at most 2^31.
	Buckets uint32
	// Memory is the arena size in bytes, exactly: the bucket array and every
	// page array are carved from it. It must at least hold the bucket array
	// (8 bytes per bucket, or 104 bytes with 16-byte keys, whose buckets hold
	// a page inline) and at most MaxMemory.
	Memory uint64
}

// Table is a bounded-index extensible hash table with keys of type K and
// 64-bit values.
//
// Lookup, LookupBatch, Walk, Stats and Format may run concurrently with each
// other and with Add, AddNoReplace and Delete, from any number of goroutines.
// Reset and Close need the table to themselves.
type Table[K Key] struct {
	// The fields every lookup reads sit alone between two pads, so that no
	// cache line holding them is ever written by a writer (a lock or counter
	// on the same line would move it between cores on every write, and
	// every lookup on the other core would wait for it).
	_     [64]byte
	base  unsafe.Pointer // arena start; the bucket array is at offset 0
	mask  uint64         // buckets - 1
	log2n uint           // log2(buckets): page bits start here
	_     [64]byte

	// Written by writers, under the allocation lock.
	mu        sync.Mutex
	next      uintptr                   // bump pointer: first byte never handed out
	freeHead  [MaxLog2Pages + 1]uintptr // free list heads by log2 pages (0 = empty)
	freeCount [MaxLog2Pages + 1]uint64
	nLists    int // VPP's vec_len(freelists): 1 + the largest log2 ever allocated
	scratch   []kvPair[K]
	fill      [1 << MaxLog2Pages]uint8 // pairs per page during a rehash

	adds, replaces, deletes, splits, tableFull atomic.Uint64

	cfg        Config
	nbuckets   uint64
	pagesStart uintptr // first byte after the bucket array, 64-byte aligned
	mem        *arenaMem
	cleanup    runtime.Cleanup
	closed     bool
	closedMem  []uint64 // the one-bucket stand-in arena after Close
	formatKV   func(K, uint64) string
}

// kvPair is a key/value pair in Go memory (split scratch, Walk snapshots).
type kvPair[K Key] struct {
	key K
	val uint64
}

// New builds a table: the bucket count rounded up to a power of two and an
// arena of exactly cfg.Memory bytes. It fails, without panicking, when the
// bucket count is 0 or above 2^31, when the memory is above MaxMemory or
// cannot hold the bucket array, or when the arena cannot be mapped.
func New[K Key](cfg Config) (*Table[K], error) {
	if cfg.Buckets == 0 {
		return nil, fmt.Errorf("bihash %q: bucket count 0 (want 1 to 2^31)", cfg.Name)
	}
	if cfg.Buckets > 1<<31 {
		return nil, fmt.Errorf("bihash %q: bucket count %d above 2^31", cfg.Name, cfg.Buckets)
	}
	log2n := uint(bits.Len32(cfg.Buckets - 1))
	nb := uint64(1) << log2n
	arrayBytes := nb * uint64(bucketBytes[K]())
	if cfg.Memory > MaxMemory {
		return nil, fmt.Errorf("bihash %q: memory %d bytes above the %d-byte limit of 36-bit offsets", cfg.Name, cfg.Memory, uint64(MaxMemory))
	}
	if cfg.Memory < arrayBytes {
		return nil, fmt.Errorf("bihash %q: memory %d bytes cannot hold the bucket array: %d buckets (%d rounded up) need %d bytes",
			cfg.Name, cfg.Memory, nb, cfg.Buckets, arrayBytes)
	}
	mem, err := newArena(cfg.Memory)
	if err != nil {
		return nil, fmt.Errorf("bihash %q: %w", cfg.Name, err)
	}
	t := &Table[K]{
		base:       mem.base,
		mask:       nb - 1,
		log2n:      log2n,
		cfg:        cfg,
		nbuckets:   nb,
		pagesStart: uintptr(min((arrayBytes+63)&^63, cfg.Memory)),
		mem:        mem,
	}
	t.initBuckets()
	// A safety net for tables that are dropped without Close: the mapping
	// is not Go memory, so nothing else would ever release it.
	t.cleanup = runtime.AddCleanup(t, func(m *arenaMem) { _ = m.release() }, mem)
	return t, nil
}

// initBuckets marks every bucket empty and resets the allocator. There are no
// concurrent users (New, Reset), so plain stores are fine.
func (t *Table[K]) initBuckets() {
	if inlinePage[K]() {
		bb := bucketBytes[K]()
		for i := uintptr(0); i < uintptr(t.nbuckets); i++ {
			b := i * bb
			*word(t.base, b) = makeWord(0, 0, false, 1, 0)
			for s := uintptr(0); s < kvPerPage; s++ {
				*word(t.base, b+8+s*kvBytes[K]()+keyWords[K]()*8) = FreeValue
			}
		}
	} else {
		clear(unsafe.Slice((*uint64)(t.base), t.nbuckets))
	}
	t.next = t.pagesStart
	t.freeHead = [MaxLog2Pages + 1]uintptr{}
	t.freeCount = [MaxLog2Pages + 1]uint64{}
	t.nLists = 0
}

// pagesStartBytes is where page arrays start: the bucket array, rounded up to
// a cache line.
func (t *Table[K]) pagesStartBytes() uint64 { return uint64(t.pagesStart) }

// Name returns the configured name.
func (t *Table[K]) Name() string { return t.cfg.Name }

// Config returns the configuration the table was built from (Buckets as
// requested, before rounding).
func (t *Table[K]) Config() Config { return t.cfg }

// SetFormatter sets how Format prints a pair at verbose levels 1 and 2 (VPP's
// kvp_fmt_fn). The default prints the key words and the value in decimal.
// Call it before the table is shared.
func (t *Table[K]) SetFormatter(fn func(key K, value uint64) string) { t.formatKV = fn }

// Reset empties the table: every bucket empty, the whole arena free again,
// every counter zero; the pages of the arena beyond the bucket array are
// returned to the kernel. It must not run concurrently with any other method.
func (t *Table[K]) Reset() {
	if t.closed {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.next > t.pagesStart {
		t.mem.discard(uint64(t.pagesStart), uint64(t.next-t.pagesStart))
	}
	t.initBuckets()
	t.adds.Store(0)
	t.replaces.Store(0)
	t.deletes.Store(0)
	t.splits.Store(0)
	t.tableFull.Store(0)
}

// Close releases the arena. Afterwards lookups find nothing and changes
// return ErrClosed. It must not run concurrently with any other method.
func (t *Table[K]) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	t.cleanup.Stop()
	err := t.mem.release()
	// Point the table at a one-bucket empty arena in Go memory, so that a
	// stray lookup after Close finds nothing instead of faulting.
	t.closedMem = make([]uint64, (bucketBytes[K]()+7)/8)
	t.base = unsafe.Pointer(&t.closedMem[0])
	t.mask, t.log2n, t.nbuckets, t.pagesStart = 0, 0, 1, 0
	t.initBuckets()
	return err
}
