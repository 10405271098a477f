package fifo

import (
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

// MaxSize is the largest fifo size. Positions are compared by signed 32-bit
// difference (VPP's f_pos_lt), which is only meaningful for windows below
// 2^31 bytes.
const MaxSize = 1 << 31

// headerSize is the size of a fifo header in shared memory: one cache line of
// rarely written shared state, one of bookkeeping, one for the consumer-owned
// head and one for the producer-owned tail. Head and tail on separate lines is
// what lets producer and consumer run on two cores without bouncing a line on
// every operation.
const headerSize = 256

const fifoMagic = 0x5346_4946 // "FIFS"

// header is the part of a fifo that lives in shared memory (VPP's
// svm_fifo_shared_t). It contains no Go pointers: a second process that maps
// the segment reads the same bytes. Fields written by both sides are accessed
// with sync/atomic only.
type header struct {
	magic      uint32   // 0
	size       uint32   // 4: logical capacity
	dataOff    uint64   // 8: offset of the data block in the segment
	dataCap    uint64   // 16: bytes in the data block (>= size)
	hasEvent   uint32   // 24: 0/1, set_event/unset_event
	wantDeqNtf uint32   // 28: DeqNotif bits
	hasDeqNtf  uint32   // 32
	deqThresh  uint32   // 36
	nSubs      uint32   // 40
	subs       [8]uint8 // 44: io event subscribers (max 7 used)
	flags      uint32   // 52
	vppSession uint32   // 56: master_session_index
	vppThread  uint32   // 60: master_thread_index
	appSession uint32   // 64: client_session_index
	appThread  uint32   // 68: client_thread_index
	segIndex   uint32   // 72
	kind       uint32   // 76: Kind
	nextFree   uint64   // 80: freelist link while the header is free
	consWait   uint32   // 88: consumer asleep in WaitReadable (futex word)
	prodWait   uint32   // 92: producer asleep in WaitWritable (futex word)
	prodPid    uint32   // 96: process of the producer (for WaitReadable)
	consPid    uint32   // 100: process of the consumer (for WaitWritable)
	prodWant   uint32   // 104: free bytes the sleeping producer waits for
	_          [20]byte // 108..128
	head       uint64   // 128: consumer position (low 32 bits = VPP head)
	_          [56]byte
	tail       uint64 // 192: producer position (low 32 bits = VPP tail)
	_          [56]byte
}

func init() {
	var h header
	if unsafe.Sizeof(h) != headerSize || unsafe.Offsetof(h.head) != 128 || unsafe.Offsetof(h.tail) != 192 {
		panic("fifo: header layout changed")
	}
}

// Kind says which direction a fifo carries within a session (VPP's
// FIFO_SEGMENT_RX_FIFO / TX_FIFO); it is bookkeeping only.
type Kind uint32

// Fifo kinds.
const (
	KindNone Kind = iota
	KindRx
	KindTx
)

// Fifo is a single-producer single-consumer byte fifo with VPP's svm_fifo
// semantics. Its header and data live in shared memory (a Segment) or on the Go
// heap (New); a second process that maps the segment attaches to the same fifo
// with Segment.Fifo.
//
// Positions: head and tail are free-running byte positions. VPP keeps them as
// u32 and compares them by signed difference; the methods here expose exactly
// those u32 values (Head, Tail, OOOSegment.Start). Internally the shared words
// are 64 bits wide, which changes nothing observable but lets a fifo whose
// size is not a power of two map positions to bytes with a plain modulo even
// across the 2^32 wrap.
//
// Roles: Enqueue, EnqueueAt, EnqueueSegments, WriteSegments and Commit are
// producer operations; Dequeue, Peek, Drop, DropAll and ReadSegments are
// consumer operations. One goroutine (or process) may act as producer and
// another as consumer at the same time, with no locks: the producer only writes
// tail, the consumer only writes head, and each publishes with an atomic store
// after copying the bytes. The out-of-order segment list is producer-private
// state held in this handle (as in VPP, where it lives in the producer's
// process), so out-of-order writes must go through the producer's handle.
type Fifo struct {
	h    *header
	data []byte // len(data) == size
	size uint32
	mask uint64 // size-1 when size is a power of two, else 0 (use modulo)
	seg  *Segment
	off  uint64  // header offset in seg
	key  waitKey // identity for in-process waiting (wait.go)
	wp   atomic.Pointer[waitPair]

	_ [64]byte

	// producer-private state
	headCache uint64       // last head observed by the producer
	ooo       []OOOSegment // sorted, non-overlapping, non-touching
	newest    int          // index into ooo of the newest segment, -1 if none
	prodSeen  bool         // this handle recorded its pid as the producer's

	_ [64]byte

	// consumer-private state
	tailCache uint64 // last tail observed by the consumer
	consSeen  bool   // this handle recorded its pid as the consumer's
}

// New returns a fifo of size bytes on the Go heap, for single-process use
// (tests, simulations without shared memory). size must be in [1, MaxSize].
func New(size uint32) (*Fifo, error) {
	if size == 0 || size > MaxSize {
		return nil, fmt.Errorf("fifo: size %d out of range [1, %d]", size, uint64(MaxSize))
	}
	r, err := shm.NewHeap(headerSize + int(size))
	if err != nil {
		return nil, err
	}
	mem := r.Bytes()
	h := (*header)(unsafe.Pointer(&mem[0]))
	initHeader(h, size, headerSize, uint64(size))
	return newHandle(h, mem[headerSize:headerSize+int(size)], nil, 0, waitKey{r.ID(), 0}), nil
}

func initHeader(h *header, size uint32, dataOff, dataCap uint64) {
	*h = header{}
	h.size = size
	h.dataOff = dataOff
	h.dataCap = dataCap
	h.vppSession = ^uint32(0)
	h.appSession = ^uint32(0)
	h.segIndex = ^uint32(0)
	atomic.StoreUint32(&h.magic, fifoMagic)
}

func newHandle(h *header, data []byte, seg *Segment, off uint64, key waitKey) *Fifo {
	f := new(Fifo)
	f.init(h, data, seg, off, key)
	return f
}

// init (re)initialises the handle f for the fifo whose header is h. A segment
// recycles the handles of freed fifos through init, so the session layer's
// open-data-close-free cycle allocates nothing; the out-of-order slice keeps
// its capacity for the same reason.
func (f *Fifo) init(h *header, data []byte, seg *Segment, off uint64, key waitKey) {
	size := h.size
	f.h, f.data, f.size, f.seg, f.off, f.key = h, data[:size:size], size, seg, off, key
	f.mask = 0
	if size&(size-1) == 0 {
		f.mask = uint64(size) - 1
	}
	f.wp.Store(nil)
	f.ooo, f.newest, f.prodSeen, f.consSeen = f.ooo[:0], -1, false, false
	f.headCache = atomic.LoadUint64(&h.head)
	f.tailCache = atomic.LoadUint64(&h.tail)
}

// index maps a position to a byte index in data. Power-of-two sizes (the
// common case, and every segment fifo VPP would create by default) take the
// mask; other sizes pay one division per operation, not per byte.
func (f *Fifo) index(pos uint64) uint64 {
	if f.mask != 0 {
		return pos & f.mask
	}
	return pos % uint64(f.size)
}

// posLT reports a < b for free-running u32 positions (VPP's f_pos_lt).
func posLT(a, b uint32) bool { return int32(a-b) < 0 }

// posLEQ reports a <= b for free-running u32 positions.
func posLEQ(a, b uint32) bool { return int32(a-b) <= 0 }

// posGT reports a > b for free-running u32 positions.
func posGT(a, b uint32) bool { return int32(a-b) > 0 }

// Size returns the fifo's capacity in bytes.
func (f *Fifo) Size() uint32 { return f.size }

// Head returns the consumer position as VPP's u32.
func (f *Fifo) Head() uint32 { return uint32(atomic.LoadUint64(&f.h.head)) }

// Tail returns the producer position as VPP's u32.
func (f *Fifo) Tail() uint32 { return uint32(atomic.LoadUint64(&f.h.tail)) }

// MaxDequeue returns the number of bytes ready to be read (tail − head).
func (f *Fifo) MaxDequeue() uint32 {
	tail := atomic.LoadUint64(&f.h.tail)
	head := atomic.LoadUint64(&f.h.head)
	return uint32(tail - head)
}

// MaxEnqueue returns the free space (size − (tail − head)). Out-of-order
// bytes do not reduce it, as in VPP.
func (f *Fifo) MaxEnqueue() uint32 {
	tail := atomic.LoadUint64(&f.h.tail)
	head := atomic.LoadUint64(&f.h.head)
	return f.size - uint32(tail-head)
}

// IsEmpty reports whether there is nothing to read.
func (f *Fifo) IsEmpty() bool { return f.MaxDequeue() == 0 }

// IsFull reports whether there is no free space.
func (f *Fifo) IsFull() bool { return f.MaxDequeue() == f.size }

// Offset returns the fifo header's offset in its segment (0 for heap fifos).
// Another process attaches with Segment.Fifo(Offset()).
func (f *Fifo) Offset() uint64 { return f.off }

// Segment returns the segment holding the fifo, or nil for heap fifos.
func (f *Fifo) Segment() *Segment { return f.seg }

// producerFree returns the tail and the free space, trusting the producer's
// cached head unless it shows fewer than want free bytes (or none). Free space
// can only grow while the producer works (SPSC), so a stale head is safe and
// re-reading only when short keeps results identical to VPP's.
func (f *Fifo) producerFree(want uint64) (tail uint64, free uint64) {
	size := uint64(f.size)
	tail = atomic.LoadUint64(&f.h.tail)
	used := tail - f.headCache
	free = size - used
	if used > size || free < want || free == 0 {
		f.headCache = atomic.LoadUint64(&f.h.head)
		used = tail - f.headCache
		if used > size {
			// Only a corrupted shared header gets here; refuse to write.
			return tail, 0
		}
		free = size - used
	}
	return tail, free
}

// consumerAvail is producerFree's mirror image for the consumer: the head and
// the readable bytes, re-reading tail only when the cached value is short.
func (f *Fifo) consumerAvail(want uint64) (head uint64, avail uint64) {
	size := uint64(f.size)
	head = atomic.LoadUint64(&f.h.head)
	avail = f.tailCache - head
	if avail < want || avail == 0 || avail > size {
		f.tailCache = atomic.LoadUint64(&f.h.tail)
		avail = min(f.tailCache-head, size) // clamp only matters for a corrupted header
	}
	return head, avail
}

// writeAt copies p into the ring starting at position pos (wrapping once).
func (f *Fifo) writeAt(pos uint64, p []byte) {
	i := f.index(pos)
	n := copy(f.data[i:], p)
	if n < len(p) {
		copy(f.data, p[n:])
	}
}

// readAt copies len(p) bytes starting at position pos into p.
func (f *Fifo) readAt(pos uint64, p []byte) {
	i := f.index(pos)
	n := copy(p, f.data[i:])
	if n < len(p) {
		copy(p[n:], f.data)
	}
}

// Enqueue appends as much of p as fits (svm_fifo_enqueue). It returns the
// number of bytes by which the tail advanced: the bytes written plus any
// out-of-order bytes the write made contiguous. With no free space it returns
// ErrFull. An empty p returns 0 (collecting nothing new).
func (f *Fifo) Enqueue(p []byte) (int, error) {
	if !f.prodSeen {
		f.noteProducer()
	}
	f.newest = -1
	tail, free := f.producerFree(uint64(len(p)))
	if free == 0 {
		return 0, ErrFull
	}
	n := min(uint64(len(p)), free)
	f.writeAt(tail, p[:n])
	newTail := tail + n
	if len(f.ooo) != 0 {
		newTail = f.collect(newTail)
	}
	atomic.StoreUint64(&f.h.tail, newTail)
	f.wakeConsumer()
	return int(newTail - tail), nil
}

// EnqueueSegments appends the concatenation of segs (svm_fifo_enqueue_segments).
// Without allowPartial it is all or nothing: ErrFull unless everything fits.
// With allowPartial it takes what fits. The result counts collected
// out-of-order bytes like Enqueue.
func (f *Fifo) EnqueueSegments(segs [][]byte, allowPartial bool) (int, error) {
	if !f.prodSeen {
		f.noteProducer()
	}
	f.newest = -1
	var total uint64
	for _, s := range segs {
		total += uint64(len(s))
	}
	tail, free := f.producerFree(total)
	if free == 0 {
		return 0, ErrFull
	}
	if !allowPartial && free < total {
		return 0, ErrFull
	}
	left := min(total, free)
	pos := tail
	for _, s := range segs {
		if left == 0 {
			break
		}
		n := min(uint64(len(s)), left)
		f.writeAt(pos, s[:n])
		pos += n
		left -= n
	}
	if len(f.ooo) != 0 {
		pos = f.collect(pos)
	}
	atomic.StoreUint64(&f.h.tail, pos)
	f.wakeConsumer()
	return int(pos - tail), nil
}

// EnqueueAt writes p at offset bytes past the tail without moving the tail
// (svm_fifo_enqueue_with_offset): all or nothing, ErrFull unless
// offset+len(p) <= MaxEnqueue. The bytes become an out-of-order segment,
// merged with its neighbours by VPP's rules, and are made readable by the
// in-order Enqueue that reaches them. An empty p is accepted and records
// nothing (VPP would record a zero-length segment).
func (f *Fifo) EnqueueAt(offset uint32, p []byte) error {
	if !f.prodSeen {
		f.noteProducer()
	}
	f.newest = -1
	need := uint64(offset) + uint64(len(p))
	tail, free := f.producerFree(need)
	if need > free {
		return ErrFull
	}
	if len(p) == 0 {
		return nil
	}
	f.oooAdd(uint32(tail)+offset, uint32(len(p)))
	f.writeAt(tail+uint64(offset), p)
	return nil
}

// Dequeue copies up to len(p) bytes from the head into p and consumes them
// (svm_fifo_dequeue). It returns ErrEmpty when there is nothing to read.
func (f *Fifo) Dequeue(p []byte) (int, error) {
	if !f.consSeen {
		f.noteConsumer()
	}
	head, avail := f.consumerAvail(uint64(len(p)))
	if avail == 0 {
		return 0, ErrEmpty
	}
	n := min(uint64(len(p)), avail)
	f.readAt(head, p[:n])
	atomic.StoreUint64(&f.h.head, head+n)
	f.wakeProducer()
	return int(n), nil
}

// Peek copies up to len(p) bytes starting offset bytes past the head, without
// consuming them (svm_fifo_peek). As spec §7.2 specifies it: when no byte is
// readable at offset (readable ≤ offset) it returns ErrEmpty for offset 0 (an
// empty fifo, like Dequeue) and 0 for any other offset (a peek past the data
// simply finds nothing yet).
func (f *Fifo) Peek(offset uint32, p []byte) (int, error) {
	if !f.consSeen {
		f.noteConsumer()
	}
	head, avail := f.consumerAvail(uint64(offset) + uint64(len(p)))
	if avail <= uint64(offset) {
		// Spec §7.2: nothing readable at or beyond offset is EEMPTY only
		// when peeking at the head; a peek past the data returns 0.
		if offset > 0 {
			return 0, nil
		}
		return 0, ErrEmpty
	}
	n := min(avail-uint64(offset), uint64(len(p)))
	f.readAt(head+uint64(offset), p[:n])
	return int(n), nil
}

// Drop consumes up to n bytes without copying them (svm_fifo_dequeue_drop)
// and returns how many were dropped, or ErrEmpty when there is nothing.
func (f *Fifo) Drop(n uint32) (int, error) {
	if !f.consSeen {
		f.noteConsumer()
	}
	head, avail := f.consumerAvail(uint64(n))
	if avail == 0 {
		return 0, ErrEmpty
	}
	d := min(uint64(n), avail)
	atomic.StoreUint64(&f.h.head, head+d)
	f.wakeProducer()
	return int(d), nil
}

// DropAll consumes everything readable (svm_fifo_dequeue_drop_all: head :=
// tail).
func (f *Fifo) DropAll() {
	if !f.consSeen {
		f.noteConsumer()
	}
	f.tailCache = atomic.LoadUint64(&f.h.tail)
	atomic.StoreUint64(&f.h.head, f.tailCache)
	f.wakeProducer()
}

// ReadSegments returns zero-copy views of up to maxBytes readable bytes starting
// offset bytes past the head (svm_fifo_segments): at most two slices, the
// second non-empty only when the data wraps. It returns ErrEmpty when the fifo
// is empty or offset is not below the readable byte count. The views alias the
// fifo: consume them with Drop, after which the producer may overwrite them.
func (f *Fifo) ReadSegments(offset, maxBytes uint32) (a, b []byte, err error) {
	if !f.consSeen {
		f.noteConsumer()
	}
	// Want at least one byte past offset, else a stale cached tail could
	// turn "offset < readable" into a false EEMPTY.
	head, avail := f.consumerAvail(uint64(offset) + uint64(max(maxBytes, 1)))
	if avail == 0 || uint64(offset) >= avail {
		return nil, nil, ErrEmpty
	}
	n := min(avail-uint64(offset), uint64(maxBytes))
	a, b = f.span(head+uint64(offset), n)
	return a, b, nil
}

// WriteSegments returns zero-copy views of up to maxBytes bytes of free space at
// the tail (the producer's side of svm_fifo_provision_chunks): at most two
// slices. Fill them, then publish with Commit. It returns ErrFull when there is
// no free space.
func (f *Fifo) WriteSegments(maxBytes uint32) (a, b []byte, err error) {
	if !f.prodSeen {
		f.noteProducer()
	}
	tail, free := f.producerFree(uint64(maxBytes))
	if free == 0 {
		return nil, nil, ErrFull
	}
	a, b = f.span(tail, min(free, uint64(maxBytes)))
	return a, b, nil
}

func (f *Fifo) span(pos, n uint64) (a, b []byte) {
	i := f.index(pos)
	first := min(n, uint64(f.size)-i)
	a = f.data[i : i+first : i+first]
	if first < n {
		b = f.data[: n-first : n-first]
	}
	return a, b
}

// Commit advances the tail by n bytes written through WriteSegments
// (svm_fifo_enqueue_nocopy). It returns ErrFull, changing nothing, if n exceeds
// the free space. Out-of-order segments the new tail reaches are collected, as
// after Enqueue.
func (f *Fifo) Commit(n uint32) error {
	if !f.prodSeen {
		f.noteProducer()
	}
	tail, free := f.producerFree(uint64(n))
	if uint64(n) > free {
		return ErrFull
	}
	newTail := tail + uint64(n)
	if len(f.ooo) != 0 {
		newTail = f.collect(newTail)
	}
	atomic.StoreUint64(&f.h.tail, newTail)
	f.wakeConsumer()
	return nil
}

// InitPointers sets head and tail (svm_fifo_init_pointers), for example to
// start a fifo near the 2^32 wrap. tail−head must not exceed the size. It must
// not race with a producer or consumer, and it clears the out-of-order list.
func (f *Fifo) InitPointers(head, tail uint32) error {
	if tail-head > f.size {
		return fmt.Errorf("fifo: init pointers: tail %d − head %d exceeds size %d", tail, head, f.size)
	}
	h := uint64(head)
	t := h + uint64(tail-head)
	atomic.StoreUint64(&f.h.head, h)
	atomic.StoreUint64(&f.h.tail, t)
	f.headCache, f.tailCache = h, t
	f.ooo = f.ooo[:0]
	f.newest = -1
	return nil
}

// Kind returns the direction recorded at allocation.
func (f *Fifo) Kind() Kind { return Kind(atomic.LoadUint32(&f.h.kind)) }

// SetVPPSession records the owning vpp-side session (master_thread_index,
// master_session_index) in the shared header.
func (f *Fifo) SetVPPSession(thread, index uint32) {
	atomic.StoreUint32(&f.h.vppThread, thread)
	atomic.StoreUint32(&f.h.vppSession, index)
}

// VPPSession returns what SetVPPSession recorded (index ^0 if unset).
func (f *Fifo) VPPSession() (thread, index uint32) {
	return atomic.LoadUint32(&f.h.vppThread), atomic.LoadUint32(&f.h.vppSession)
}

// SetAppSession records the app-side session (client_thread_index,
// client_session_index) in the shared header.
func (f *Fifo) SetAppSession(thread, index uint32) {
	atomic.StoreUint32(&f.h.appThread, thread)
	atomic.StoreUint32(&f.h.appSession, index)
}

// AppSession returns what SetAppSession recorded (index ^0 if unset).
func (f *Fifo) AppSession() (thread, index uint32) {
	return atomic.LoadUint32(&f.h.appThread), atomic.LoadUint32(&f.h.appSession)
}
