package msgq

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

// Errors.
var (
	// ErrFull: the queue is full; TryEnqueue counted the message as dropped
	// (VPP's −2 from a non-blocking send).
	ErrFull = errors.New("msgq: queue full")
	// ErrEmpty: nothing to dequeue.
	ErrEmpty = errors.New("msgq: queue empty")
	// ErrClosed: the queue was closed (and, for dequeues, is empty).
	ErrClosed = errors.New("msgq: queue closed")
	// ErrTooLarge: the message does not fit a slot.
	ErrTooLarge = errors.New("msgq: message larger than the slot size")
)

// MaxSlots bounds a queue's capacity.
const MaxSlots = 1 << 30

// MaxSlotSize bounds a Ring's slot size.
const MaxSlotSize = 1 << 20

const (
	ringMagic      = 0x5152_4d4c // "LMRQ"
	ringVersion    = 1
	ringHeaderSize = 256
	slotHeader     = 16 // sequence (8), length (4), padding (4)
)

// ringHeader is the shared part of a Ring. Producers write tail (CAS) and
// drops; the consumer writes head. They sit on separate cache lines.
type ringHeader struct {
	magic    uint32 // 0
	version  uint32
	nslots   uint32
	slotSize uint32
	stride   uint32 // bytes per slot, header included
	_        [44]byte
	tail     uint64 // 64: next position a producer claims
	headSeen uint64 // 72: a head producers observed (see claim)
	_        [48]byte
	head     uint64 // 128: next position the consumer reads
	_        [56]byte
	drops    uint64 // 192: failed TryEnqueue calls
	consWait uint32 // 200: consumer asleep (futex word)
	prodWait uint32 // 204: producers asleep (count)
	space    uint32 // 208: bumped when a slot is freed while producers sleep (futex word)
	closed   uint32 // 212
	_        [40]byte
}

func init() {
	var h ringHeader
	if unsafe.Sizeof(h) != ringHeaderSize || unsafe.Offsetof(h.tail) != 64 || unsafe.Offsetof(h.head) != 128 || unsafe.Offsetof(h.drops) != 192 {
		panic("msgq: ring header layout changed")
	}
}

// Ring is a bounded multi-producer single-consumer queue of byte messages in
// fixed-size slots, laid out in a block of memory with offsets only, so it can
// sit in shared memory (VPP's svm_msg_q ring). Any number of goroutines or
// processes may enqueue; one consumer dequeues.
type Ring struct {
	h      *ringHeader
	slots  []byte
	n      uint64
	mask   uint64 // n-1 if n is a power of two, else 0
	stride uint64
	size   uint32 // slot payload size
}

func slotStride(slotSize uint32) uint64 {
	return slotHeader + (uint64(slotSize)+7)&^7
}

// RingBytes returns the memory a ring of nslots slots of slotSize bytes
// needs.
func RingBytes(nslots, slotSize uint32) (uint64, error) {
	if nslots == 0 || nslots > MaxSlots {
		return 0, fmt.Errorf("msgq: %d slots outside [1, %d]", nslots, MaxSlots)
	}
	if slotSize == 0 || slotSize > MaxSlotSize {
		return 0, fmt.Errorf("msgq: slot size %d outside [1, %d]", slotSize, MaxSlotSize)
	}
	return ringHeaderSize + uint64(nslots)*slotStride(slotSize), nil
}

// NewRing returns a ring on the Go heap.
func NewRing(nslots, slotSize uint32) (*Ring, error) {
	n, err := RingBytes(nslots, slotSize)
	if err != nil {
		return nil, err
	}
	if n > math.MaxInt32*8 {
		return nil, fmt.Errorf("msgq: ring of %d bytes too large", n)
	}
	r, err := shm.NewHeap(int(n))
	if err != nil {
		return nil, err
	}
	return InitRing(r.Bytes(), nslots, slotSize)
}

// InitRing lays a new ring out in mem (which must hold RingBytes bytes and be
// 8-byte aligned), for example a block of a shared-memory segment. Other
// processes attach with AttachRing on the same memory.
func InitRing(mem []byte, nslots, slotSize uint32) (*Ring, error) {
	need, err := RingBytes(nslots, slotSize)
	if err != nil {
		return nil, err
	}
	if uint64(len(mem)) < need {
		return nil, fmt.Errorf("msgq: ring needs %d bytes, got %d", need, len(mem))
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(mem)))%8 != 0 {
		return nil, fmt.Errorf("msgq: ring memory is not 8-byte aligned")
	}
	h := (*ringHeader)(unsafe.Pointer(&mem[0]))
	*h = ringHeader{}
	h.version = ringVersion
	h.nslots = nslots
	h.slotSize = slotSize
	h.stride = uint32(slotStride(slotSize))
	r := newRing(h, mem[ringHeaderSize:need])
	for i := range r.n {
		atomic.StoreUint64(r.seq(i), 0) // position i expects i+1
	}
	atomic.StoreUint32(&h.magic, ringMagic)
	return r, nil
}

// AttachRing uses a ring that InitRing laid out in mem (typically in another
// process). The header is validated; corrupt memory is an error naming the
// offending field, never a crash.
func AttachRing(mem []byte) (*Ring, error) {
	if err := checkPrologue(mem, ringHeaderSize, "header", ringMagic, ringVersion); err != nil {
		return nil, err
	}
	h := (*ringHeader)(unsafe.Pointer(&mem[0]))
	need, err := RingBytes(h.nslots, h.slotSize)
	if err != nil {
		return nil, fmt.Errorf("msgq: attach: header at offset 8: %w", err)
	}
	if uint64(h.stride) != slotStride(h.slotSize) {
		return nil, fmt.Errorf("msgq: attach: stride %d at offset 16, want %d", h.stride, slotStride(h.slotSize))
	}
	if uint64(len(mem)) < need {
		return nil, fmt.Errorf("msgq: attach: ring of %d slots × %d bytes needs %d bytes, got %d", h.nslots, h.slotSize, need, len(mem))
	}
	return newRing(h, mem[ringHeaderSize:need]), nil
}

// checkPrologue checks what every structure laid out in shared memory
// starts with before its header may be read: memory for the whole header,
// 8-byte alignment, the magic number at offset 0 and the layout version at
// offset 4.
func checkPrologue(mem []byte, headerSize int, header string, magic, version uint32) error {
	if len(mem) < headerSize {
		return fmt.Errorf("msgq: attach: %d bytes, smaller than the %d-byte %s", len(mem), headerSize, header)
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(mem)))%8 != 0 {
		return fmt.Errorf("msgq: attach: memory is not 8-byte aligned")
	}
	if m := atomic.LoadUint32((*uint32)(unsafe.Pointer(&mem[0]))); m != magic {
		return fmt.Errorf("msgq: attach: magic %#x at offset 0, want %#x", m, magic)
	}
	if v := *(*uint32)(unsafe.Pointer(&mem[4])); v != version {
		return fmt.Errorf("msgq: attach: version %d at offset 4, want %d", v, version)
	}
	return nil
}

func newRing(h *ringHeader, slots []byte) *Ring {
	r := &Ring{h: h, slots: slots, n: uint64(h.nslots), stride: uint64(h.stride), size: h.slotSize}
	if r.n&(r.n-1) == 0 {
		r.mask = r.n - 1
	}
	return r
}

// slot returns the byte offset of the slot for position pos. Power-of-two
// capacities take the mask; others (VPP allows any event-queue-length) pay a
// division.
func (r *Ring) slot(pos uint64) uint64 {
	if r.mask != 0 || r.n == 1 {
		return (pos & r.mask) * r.stride
	}
	return (pos % r.n) * r.stride
}

func (r *Ring) seq(i uint64) *uint64 { return shm.Uint64At(r.slots, i*r.stride) }

// Cap returns the number of slots.
func (r *Ring) Cap() int { return int(r.n) }

// SlotSize returns the largest message a slot holds.
func (r *Ring) SlotSize() int { return int(r.size) }

// Len returns the number of messages enqueued and not yet dequeued (claimed
// slots included).
func (r *Ring) Len() int {
	head := atomic.LoadUint64(&r.h.head)
	tail := atomic.LoadUint64(&r.h.tail)
	if tail < head {
		return 0
	}
	return int(min(tail-head, r.n))
}

// Drops returns the number of TryEnqueue calls that failed because the ring
// was full.
func (r *Ring) Drops() uint64 { return atomic.LoadUint64(&r.h.drops) }

// claim reserves the slot at the tail for a producer, or reports full. The
// ring is full when the tail is a whole lap ahead of the consumer's published
// head; the compare-and-swap on the tail is the only write producers share.
//
// Producers judge fullness by headSeen, a head they observed, which shares
// the tail's cache line; they read the consumer's head (a line the consumer
// keeps writing) only when headSeen says full, about once a lap. The head
// only grows, so a stale headSeen can only understate the free space.
func (r *Ring) claim() (uint64, bool) {
	pos := atomic.LoadUint64(&r.h.tail)
	for {
		head := atomic.LoadUint64(&r.h.headSeen)
		if pos-head >= r.n && int64(pos-head) >= 0 {
			head = atomic.LoadUint64(&r.h.head)
			atomic.StoreUint64(&r.h.headSeen, head)
		}
		if d := int64(pos - head); d < 0 {
			// pos is stale: the consumer already passed it, so the tail
			// has moved on. A tail that has not moved means the shared
			// memory is corrupt: report full rather than spin forever.
			next := atomic.LoadUint64(&r.h.tail)
			if next == pos {
				return 0, false
			}
			pos = next
			continue
		} else if uint64(d) >= r.n {
			return 0, false
		}
		if atomic.CompareAndSwapUint64(&r.h.tail, pos, pos+1) {
			return pos, true
		}
		pos = atomic.LoadUint64(&r.h.tail)
	}
}

// TryEnqueue copies msg into the ring, or returns ErrFull (and counts the
// drop) if the ring is full. It never blocks.
func (r *Ring) TryEnqueue(msg []byte) error {
	if len(msg) > int(r.size) {
		return ErrTooLarge
	}
	if atomic.LoadUint32(&r.h.closed) != 0 {
		return ErrClosed
	}
	pos, ok := r.claim()
	if !ok {
		atomic.AddUint64(&r.h.drops, 1)
		return ErrFull
	}
	r.publish(pos, msg)
	return nil
}

func (r *Ring) publish(pos uint64, msg []byte) {
	off := r.slot(pos)
	*(*uint32)(unsafe.Pointer(&r.slots[off+8])) = uint32(len(msg))
	copy(r.slots[off+slotHeader:off+slotHeader+uint64(len(msg))], msg)
	atomic.StoreUint64(shm.Uint64At(r.slots, off), pos+1)
	r.wakeConsumer()
}

// wakeConsumer is called by producers after publishing: one load of a word
// that is only written when the consumer goes to sleep.
func (r *Ring) wakeConsumer() {
	if atomic.LoadUint32(&r.h.consWait) != 0 {
		r.wakeConsumerSlow()
	}
}

func (r *Ring) wakeConsumerSlow() {
	if atomic.SwapUint32(&r.h.consWait, 0) != 0 {
		shm.Wake(&r.h.consWait, 1)
	}
}

// Enqueue copies msg into the ring, waiting while it is full (VPP's blocking
// app senders). It returns ErrClosed if the ring is closed.
func (r *Ring) Enqueue(msg []byte) error {
	if len(msg) > int(r.size) {
		return ErrTooLarge
	}
	for spins := 0; ; spins++ {
		if atomic.LoadUint32(&r.h.closed) != 0 {
			return ErrClosed
		}
		if pos, ok := r.claim(); ok {
			r.publish(pos, msg)
			return nil
		}
		if spins < ringSpins {
			continue
		}
		// Announce, re-check, sleep on the space counter.
		s := atomic.LoadUint32(&r.h.space)
		atomic.AddUint32(&r.h.prodWait, 1)
		if pos, ok := r.claim(); ok {
			atomic.AddUint32(&r.h.prodWait, ^uint32(0))
			r.publish(pos, msg)
			return nil
		}
		if atomic.LoadUint32(&r.h.closed) == 0 {
			shm.Wait(&r.h.space, s)
		}
		atomic.AddUint32(&r.h.prodWait, ^uint32(0))
	}
}

// ready reports whether the message for position pos has been published:
// its slot's sequence is pos+1, a value unique to this lap, so the consumer
// never has to reset it.
func (r *Ring) ready(pos uint64) (off uint64, ok bool) {
	off = r.slot(pos)
	return off, atomic.LoadUint64(shm.Uint64At(r.slots, off)) == pos+1
}

// peek returns the consumer's head and its slot if a message is ready.
func (r *Ring) peek() (head, off uint64, ok bool) {
	head = atomic.LoadUint64(&r.h.head)
	off, ok = r.ready(head)
	return head, off, ok
}

// wakeProducers is called by the consumer after freeing slots.
func (r *Ring) wakeProducers() {
	if atomic.LoadUint32(&r.h.prodWait) != 0 {
		r.wakeProducersSlow()
	}
}

func (r *Ring) wakeProducersSlow() {
	atomic.AddUint32(&r.h.space, 1)
	shm.Wake(&r.h.space, math.MaxInt32)
}

// TryDequeue copies the oldest message into dst and returns its length, or
// ErrEmpty. dst should hold SlotSize bytes; a longer message is truncated to
// len(dst) (and the full length returned). Single consumer only.
func (r *Ring) TryDequeue(dst []byte) (int, error) {
	head, off, ok := r.peek()
	if !ok {
		return 0, ErrEmpty
	}
	n := *(*uint32)(unsafe.Pointer(&r.slots[off+8]))
	n = min(n, r.size)
	copy(dst, r.slots[off+slotHeader:off+slotHeader+uint64(n)])
	atomic.StoreUint64(&r.h.head, head+1)
	r.wakeProducers()
	return int(n), nil
}

// Dequeue is TryDequeue that waits for a message. It returns ErrClosed once
// the ring is closed and empty.
func (r *Ring) Dequeue(dst []byte) (int, error) {
	for spins := 0; ; spins++ {
		n, err := r.TryDequeue(dst)
		if err == nil {
			return n, nil
		}
		if atomic.LoadUint32(&r.h.closed) != 0 {
			// A message published before Close is still delivered.
			if n, err := r.TryDequeue(dst); err == nil {
				return n, nil
			}
			return 0, ErrClosed
		}
		if spins < ringSpins {
			continue
		}
		atomic.StoreUint32(&r.h.consWait, 1)
		if _, _, ok := r.peek(); ok || atomic.LoadUint32(&r.h.closed) != 0 {
			atomic.StoreUint32(&r.h.consWait, 0)
			continue
		}
		shm.Wait(&r.h.consWait, 1)
	}
}

// Drain passes up to max ready messages, oldest first, to fn and returns how
// many it passed: the batch dequeue of VPP's session node. msg aliases the
// slot and is valid only during the call. The slots go back to the producers
// with one store of the head for the whole batch. Single consumer only.
func (r *Ring) Drain(max int, fn func(msg []byte)) int {
	head := atomic.LoadUint64(&r.h.head)
	k := 0
	for ; k < max; k++ {
		off, ok := r.ready(head + uint64(k))
		if !ok {
			break
		}
		n := min(*(*uint32)(unsafe.Pointer(&r.slots[off+8])), r.size)
		fn(r.slots[off+slotHeader : off+slotHeader+uint64(n)])
	}
	if k > 0 {
		atomic.StoreUint64(&r.h.head, head+uint64(k))
		r.wakeProducers()
	}
	return k
}

// Close marks the ring closed: enqueues fail with ErrClosed, and Dequeue
// returns ErrClosed once the ring is empty. Sleepers are woken.
func (r *Ring) Close() {
	atomic.StoreUint32(&r.h.closed, 1)
	atomic.StoreUint32(&r.h.consWait, 0)
	shm.Wake(&r.h.consWait, math.MaxInt32)
	atomic.AddUint32(&r.h.space, 1)
	shm.Wake(&r.h.space, math.MaxInt32)
}

// Closed reports whether Close was called.
func (r *Ring) Closed() bool { return atomic.LoadUint32(&r.h.closed) != 0 }

// ringSpins is how many times Ring's blocking calls retry before sleeping on
// the futex: a futex round trip costs microseconds, a retry nanoseconds.
const ringSpins = 64
