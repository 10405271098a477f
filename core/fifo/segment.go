package fifo

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

// Segment layout (all offsets from the start of the mapping, no Go pointers):
//
//	[0, 4096)          segment header: allocator state, counters, name
//	[4096, bump)       carved blocks: fifo headers (256 B) and data blocks
//	[bump, size)       never used yet
//
// Data blocks have power-of-two sizes (size classes). A freed block goes on its
// class's freelist inside the segment (the first 8 bytes of a free block hold
// the offset of the next one), and memory never returns to the bump area, as
// in VPP ("cached bytes"). Fifo headers are carved 32 at a time and recycled
// through their own freelist.

const (
	segMagic      = 0x544e_454d_4745_534c // "LSEGMENT"
	segVersion    = 1
	segHeaderSize = shm.PageSize
	minBlockLog2  = 6  // 64-byte blocks for AllocBlock
	minFifoLog2   = 12 // fifo data blocks start at 4 KiB, as VPP's chunks
	maxBlockLog2  = 47
	nClasses      = maxBlockLog2 + 1
	hdrBatch      = 32 // fifo headers carved per batch (VPP: 32)
	blockAlign    = shm.CacheLine
)

type segHeader struct {
	magic     uint64
	version   uint32
	flags     uint32
	size      uint64 // bytes mapped
	dataStart uint64 // first allocatable offset
	bump      uint64 // next never-used offset
	cached    uint64 // bytes in free data blocks
	inUse     uint64 // bytes in allocated data blocks
	nFifos    uint32
	maxFifo   uint32
	hdrFree   uint64 // freelist of fifo headers
	nHdrFree  uint64
	hdrBytes  uint64 // bytes carved for fifo headers
	classFree [nClasses]uint64
	nameLen   uint32
	_         uint32
	name      [64]byte
}

func init() {
	if unsafe.Sizeof(segHeader{}) > segHeaderSize {
		panic("fifo: segment header too large")
	}
}

// Segment is a fifo segment: a region of memory, shareable with other
// processes when made by NewSegment, from which fifos are allocated
// (VPP's fifo_segment_t). Allocation and freeing happen in the process that
// created the segment; a process that attaches (AttachSegment) finds fifos by
// offset and uses them, as VPP apps do.
type Segment struct {
	mu    sync.Mutex // serialises allocation in the owning process
	r     *shm.Region
	mem   []byte
	h     *segHeader
	owner bool

	mgr   *Manager
	index int // slot in mgr, -1 if unmanaged

	// spare holds the Go handles of fifos freed by this process, reused by
	// the next allocation so allocating a fifo costs no heap allocation.
	// A handle is invalid once its fifo is freed (as a svm_fifo_t pointer
	// is in VPP), so recycling it changes nothing for correct callers.
	spare []*Fifo
}

// NewSegment creates a shareable segment (memfd) with size bytes for fifos; the
// mapping adds one page for the segment header. Another process maps it with
// AttachSegment(Fd()).
func NewSegment(name string, size uint64) (*Segment, error) {
	if err := checkSegSize(name, size); err != nil {
		return nil, err
	}
	r, err := shm.Create(name, segHeaderSize+size)
	if err != nil {
		return nil, err
	}
	return initSegment(r, name), nil
}

// NewHeapSegment creates a segment on the Go heap: the same allocator and
// layout, but not shareable. Useful for simulations that need VPP's
// allocation decisions without file descriptors.
func NewHeapSegment(name string, size uint64) (*Segment, error) {
	if err := checkSegSize(name, size); err != nil {
		return nil, err
	}
	r, err := shm.NewHeap(int(shm.RoundPage(segHeaderSize + size)))
	if err != nil {
		return nil, err
	}
	return initSegment(r, name), nil
}

func checkSegSize(name string, size uint64) error {
	if size < shm.PageSize || size > 1<<40 {
		return fmt.Errorf("fifo: segment %q: size %d out of range [%d, %d]", name, size, shm.PageSize, uint64(1)<<40)
	}
	return nil
}

func initSegment(r *shm.Region, name string) *Segment {
	mem := r.Bytes()
	h := (*segHeader)(unsafe.Pointer(&mem[0]))
	*h = segHeader{}
	h.version = segVersion
	h.size = uint64(len(mem))
	h.dataStart = segHeaderSize
	h.bump = segHeaderSize
	h.maxFifo = maxFifoSize(h.size - h.dataStart)
	h.nameLen = uint32(copy(h.name[:], name))
	atomic.StoreUint64(&h.magic, segMagic)
	return &Segment{r: r, mem: mem, h: h, owner: true, index: -1}
}

// maxFifoSize is VPP's rule: the largest power of two not above half the data
// area, capped at 2 GiB (MaxSize).
func maxFifoSize(data uint64) uint32 {
	m := min(data/2, MaxSize)
	if m == 0 {
		return 0
	}
	return 1 << (bits.Len64(m) - 1)
}

// AttachSegment maps the segment behind fd (received from the creating
// process) and validates its header. The fd stays owned by the caller.
func AttachSegment(fd int) (*Segment, error) {
	r, err := shm.Attach(fd)
	if err != nil {
		return nil, err
	}
	s, err := attachRegion(r)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("fifo: attach segment fd %d: %w", fd, err)
	}
	return s, nil
}

// AttachSegmentPath maps the segment at path, for example
// /proc/<pid>/fd/<n> of the creating process.
func AttachSegmentPath(path string) (*Segment, error) {
	r, err := shm.AttachPath(path)
	if err != nil {
		return nil, err
	}
	s, err := attachRegion(r)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("fifo: attach segment %s: %w", path, err)
	}
	return s, nil
}

// errCorrupt marks a segment or fifo header that does not validate.
var errCorrupt = errors.New("corrupt header")

func attachRegion(r *shm.Region) (*Segment, error) {
	mem := r.Bytes()
	if len(mem) < segHeaderSize {
		return nil, fmt.Errorf("%w: mapping of %d bytes is smaller than the %d-byte header", errCorrupt, len(mem), segHeaderSize)
	}
	h := (*segHeader)(unsafe.Pointer(&mem[0]))
	if m := atomic.LoadUint64(&h.magic); m != segMagic {
		return nil, fmt.Errorf("%w: magic %#x at offset 0, want %#x", errCorrupt, m, uint64(segMagic))
	}
	if h.version != segVersion {
		return nil, fmt.Errorf("%w: version %d at offset 8, want %d", errCorrupt, h.version, segVersion)
	}
	if h.size != uint64(len(mem)) {
		return nil, fmt.Errorf("%w: size %d at offset 16 differs from the mapping (%d bytes)", errCorrupt, h.size, len(mem))
	}
	if h.dataStart != segHeaderSize {
		return nil, fmt.Errorf("%w: data start %d at offset 24, want %d", errCorrupt, h.dataStart, segHeaderSize)
	}
	if b := atomic.LoadUint64(&h.bump); b < h.dataStart || b > h.size {
		return nil, fmt.Errorf("%w: bump offset %d at offset 32 outside [%d, %d]", errCorrupt, b, h.dataStart, h.size)
	}
	return &Segment{r: r, mem: mem, h: h, index: -1}, nil
}

// Close unmaps the segment (and, for a created segment, closes its memfd).
// Fifos from the segment must not be used afterwards.
func (s *Segment) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.r == nil {
		return nil
	}
	err := s.r.Close()
	s.r, s.mem, s.h = nil, nil, nil
	return err
}

// Fd returns the memfd another process maps with AttachSegment, or -1 for a
// heap segment.
func (s *Segment) Fd() int { return s.r.Fd() }

// Name returns the name the segment was created with.
func (s *Segment) Name() string {
	n := min(int(s.h.nameLen), len(s.h.name))
	return string(s.h.name[:n])
}

// Size returns the mapped size in bytes (header page included).
func (s *Segment) Size() uint64 { return s.h.size }

// Index returns the segment's index in its manager, or -1.
func (s *Segment) Index() int { return s.index }

// MaxFifoSize returns the largest fifo the segment accepts: the largest power
// of two not above half its data area, capped at 2 GiB (VPP's rule).
func (s *Segment) MaxFifoSize() uint32 { return s.h.maxFifo }

// FreeBytes returns the never-used bytes (VPP's fsh_n_free_bytes).
func (s *Segment) FreeBytes() uint64 { return s.h.size - atomic.LoadUint64(&s.h.bump) }

// CachedBytes returns the bytes sitting in freed data blocks, reusable by
// later allocations (VPP's fsh_n_cached_bytes).
func (s *Segment) CachedBytes() uint64 { return atomic.LoadUint64(&s.h.cached) }

// AvailableBytes returns free plus cached bytes (fifo_segment_available_bytes),
// the figure the segment manager compares when placing fifos.
func (s *Segment) AvailableBytes() uint64 { return s.FreeBytes() + s.CachedBytes() }

// NumFifos returns the number of allocated fifos.
func (s *Segment) NumFifos() int { return int(atomic.LoadUint32(&s.h.nFifos)) }

// SegmentStats is a snapshot of a segment's memory accounting.
type SegmentStats struct {
	Size        uint64 // bytes mapped
	FreeBytes   uint64 // never used
	CachedBytes uint64 // in free blocks
	InUseBytes  uint64 // in allocated data blocks
	HeaderBytes uint64 // carved for fifo headers
	Fifos       int
	MaxFifoSize uint32
}

// Stats returns the segment's accounting.
func (s *Segment) Stats() SegmentStats {
	return SegmentStats{
		Size:        s.h.size,
		FreeBytes:   s.FreeBytes(),
		CachedBytes: s.CachedBytes(),
		InUseBytes:  atomic.LoadUint64(&s.h.inUse),
		HeaderBytes: atomic.LoadUint64(&s.h.hdrBytes),
		Fifos:       s.NumFifos(),
		MaxFifoSize: s.h.maxFifo,
	}
}

var errNotOwner = errors.New("fifo: only the process that created a segment allocates from it")

// classOf returns the log2 size class for an n-byte block of at least
// 1<<minLog2 bytes.
func classOf(n uint64, minLog2 int) int {
	c := bits.Len64(n - 1)
	return max(c, minLog2)
}

func (s *Segment) word(off uint64) *uint64 { return shm.Uint64At(s.mem, off) }

// bumpAlloc carves n bytes (n a multiple of blockAlign) from the never-used
// area, or returns false.
func (s *Segment) bumpAlloc(n uint64) (uint64, bool) {
	b := s.h.bump
	if n > s.h.size-b {
		return 0, false
	}
	atomic.StoreUint64(&s.h.bump, b+n)
	return b, true
}

// allocBlock returns a block of 1<<c bytes: from the class freelist, else
// from the bump area, else by splitting the smallest larger free block (the
// upper halves go onto the lower freelists). Called with s.mu held.
func (s *Segment) allocBlock(c int) (uint64, bool) {
	sz := uint64(1) << c
	if off := s.h.classFree[c]; off != 0 {
		s.h.classFree[c] = *s.word(off)
		atomic.AddUint64(&s.h.cached, -sz)
		atomic.AddUint64(&s.h.inUse, sz)
		return off, true
	}
	if off, ok := s.bumpAlloc(sz); ok {
		atomic.AddUint64(&s.h.inUse, sz)
		return off, true
	}
	for k := c + 1; k < nClasses; k++ {
		off := s.h.classFree[k]
		if off == 0 {
			continue
		}
		s.h.classFree[k] = *s.word(off)
		// Keep [off, off+sz); return [off+2^j, off+2^(j+1)) for j in [c, k).
		for j := k - 1; j >= c; j-- {
			half := off + uint64(1)<<j
			*s.word(half) = s.h.classFree[j]
			s.h.classFree[j] = half
		}
		atomic.AddUint64(&s.h.cached, -sz)
		atomic.AddUint64(&s.h.inUse, sz)
		return off, true
	}
	return 0, false
}

func (s *Segment) freeBlock(off uint64, c int) {
	sz := uint64(1) << c
	*s.word(off) = s.h.classFree[c]
	s.h.classFree[c] = off
	atomic.AddUint64(&s.h.cached, sz)
	atomic.AddUint64(&s.h.inUse, -sz)
}

// allocHeader returns a fifo header slot, carving up to hdrBatch at once.
func (s *Segment) allocHeader() (uint64, bool) {
	if s.h.hdrFree == 0 {
		n := uint64(hdrBatch)
		for n > 0 && n*headerSize > s.h.size-s.h.bump {
			n /= 2
		}
		if n == 0 {
			return 0, false
		}
		base, _ := s.bumpAlloc(n * headerSize)
		atomic.AddUint64(&s.h.hdrBytes, n*headerSize)
		for i := n; i > 0; i-- {
			off := base + (i-1)*headerSize
			*s.word(off + 80) = s.h.hdrFree // header.nextFree
			s.h.hdrFree = off
		}
		s.h.nHdrFree += n
	}
	off := s.h.hdrFree
	s.h.hdrFree = *s.word(off + 80)
	s.h.nHdrFree--
	return off, true
}

func (s *Segment) freeHeader(off uint64) {
	*s.word(off + 80) = s.h.hdrFree
	s.h.hdrFree = off
	s.h.nHdrFree++
}

// AllocFifo allocates a fifo of size bytes (fifo_segment_alloc_fifo). Its
// data block is the next power of two of at least 4 KiB. It fails with
// ErrSegNoSpace if size exceeds MaxFifoSize or the segment has no room.
func (s *Segment) AllocFifo(size uint32, kind Kind) (*Fifo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.allocFifoLocked(size, kind)
}

func (s *Segment) allocFifoLocked(size uint32, kind Kind) (*Fifo, error) {
	if s.h == nil {
		return nil, fmt.Errorf("fifo: segment closed")
	}
	if !s.owner {
		return nil, errNotOwner
	}
	if size == 0 || size > s.h.maxFifo {
		return nil, ErrSegNoSpace
	}
	hoff, ok := s.allocHeader()
	if !ok {
		return nil, ErrSegNoSpace
	}
	c := classOf(uint64(size), minFifoLog2)
	doff, ok := s.allocBlock(c)
	if !ok {
		s.freeHeader(hoff)
		return nil, ErrSegNoSpace
	}
	h := (*header)(unsafe.Pointer(&s.mem[hoff]))
	initHeader(h, size, doff, uint64(1)<<c)
	h.kind = uint32(kind)
	if s.index >= 0 {
		h.segIndex = uint32(s.index)
	}
	atomic.AddUint32(&s.h.nFifos, 1)
	key := waitKey{s.r.ID(), hoff}
	if n := len(s.spare); n > 0 {
		f := s.spare[n-1]
		s.spare = s.spare[:n-1]
		f.init(h, s.mem[doff:doff+uint64(size)], s, hoff, key)
		return f, nil
	}
	return newHandle(h, s.mem[doff:doff+uint64(size)], s, hoff, key), nil
}

// AllocPair allocates an rx and a tx fifo in this segment, or neither.
func (s *Segment) AllocPair(rxSize, txSize uint32) (rx, tx *Fifo, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rx, err = s.allocFifoLocked(rxSize, KindRx)
	if err != nil {
		return nil, nil, err
	}
	tx, err = s.allocFifoLocked(txSize, KindTx)
	if err != nil {
		s.freeFifoLocked(rx)
		return nil, nil, err
	}
	return rx, tx, nil
}

// FreeFifo returns f's header and data to the segment's freelists
// (fifo_segment_free_fifo). f and every handle attached to it become invalid.
func (s *Segment) FreeFifo(f *Fifo) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.freeFifoLocked(f)
}

func (s *Segment) freeFifoLocked(f *Fifo) error {
	if f == nil || f.seg != s {
		return fmt.Errorf("fifo: free: fifo does not belong to segment %q", s.Name())
	}
	if !s.owner {
		return errNotOwner
	}
	if atomic.LoadUint32(&f.h.magic) != fifoMagic {
		return fmt.Errorf("fifo: free: fifo at offset %d already freed", f.off)
	}
	atomic.StoreUint32(&f.h.magic, 0)
	forgetWaiters(f.key)
	s.freeBlock(f.h.dataOff, classOf(f.h.dataCap, minFifoLog2))
	s.freeHeader(f.off)
	atomic.AddUint32(&s.h.nFifos, ^uint32(0))
	s.spare = append(s.spare, f)
	return nil
}

// Fifo attaches to the fifo whose header is at off (Fifo.Offset in the
// creating process). The header is validated; a bad offset or a corrupt header
// is an error naming the offset, never a crash. The returned handle has its own
// producer/consumer caches and an empty out-of-order list.
func (s *Segment) Fifo(off uint64) (*Fifo, error) {
	if s.h == nil {
		return nil, fmt.Errorf("fifo: segment closed")
	}
	size := uint64(len(s.mem))
	if off < s.h.dataStart || off%blockAlign != 0 || off > size || size-off < headerSize {
		return nil, fmt.Errorf("fifo: no fifo header at offset %d (segment %d bytes)", off, size)
	}
	h := (*header)(unsafe.Pointer(&s.mem[off]))
	if m := atomic.LoadUint32(&h.magic); m != fifoMagic {
		return nil, fmt.Errorf("fifo: %w at offset %d: magic %#x, want %#x", errCorrupt, off, m, uint32(fifoMagic))
	}
	fsz := h.size
	if fsz == 0 || fsz > s.h.maxFifo {
		return nil, fmt.Errorf("fifo: %w at offset %d: size %d outside [1, %d]", errCorrupt, off, fsz, s.h.maxFifo)
	}
	d, c := h.dataOff, h.dataCap
	if d < s.h.dataStart || d%blockAlign != 0 || d > size || c < uint64(fsz) || c > size-d {
		return nil, fmt.Errorf("fifo: %w at offset %d: data block [%d, +%d) for size %d outside the segment", errCorrupt, off, d, c, fsz)
	}
	return newHandle(h, s.mem[d:d+uint64(fsz)], s, off, waitKey{s.r.ID(), off}), nil
}

// AllocBlock allocates a block of at least n bytes (rounded up to a power of
// two, 64-byte aligned) for other shared structures, such as message queues
// (fifo_segment_msg_q_alloc). It returns the block's offset.
func (s *Segment) AllocBlock(n uint64) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.h == nil {
		return 0, fmt.Errorf("fifo: segment closed")
	}
	if !s.owner {
		return 0, errNotOwner
	}
	if n == 0 || n > s.h.size {
		return 0, ErrSegNoSpace
	}
	off, ok := s.allocBlock(classOf(n, minBlockLog2))
	if !ok {
		return 0, ErrSegNoSpace
	}
	return off, nil
}

// FreeBlock returns a block from AllocBlock; n must be the size requested.
func (s *Segment) FreeBlock(off, n uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.owner {
		return errNotOwner
	}
	c := classOf(n, minBlockLog2)
	if err := shm.Check(s.h.bump, off, uint64(1)<<c, blockAlign, "block"); err != nil || off < s.h.dataStart {
		return fmt.Errorf("fifo: free block at offset %d: not an allocated block", off)
	}
	s.freeBlock(off, c)
	return nil
}

// Block returns the n bytes at off (a block from AllocBlock, possibly
// allocated by another process), checking bounds.
func (s *Segment) Block(off, n uint64) ([]byte, error) {
	if s.h == nil {
		return nil, fmt.Errorf("fifo: segment closed")
	}
	if err := shm.Check(uint64(len(s.mem)), off, n, 8, "block"); err != nil || off < s.h.dataStart {
		return nil, fmt.Errorf("fifo: block [%d, +%d) outside the data area of segment %q", off, n, s.Name())
	}
	return s.mem[off : off+n : off+n], nil
}
