package msgq

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"unsafe"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

// Errors returned by MsgQ besides ErrFull (VPP's −2: the descriptor queue or
// the chosen ring is full) and ErrEmpty (a non-blocking Sub found nothing).
var (
	// ErrLockBusy: a non-blocking producer call found the queue's lock
	// taken by another producer (VPP's −1).
	ErrLockBusy = errors.New("msgq: message queue lock busy")
	// ErrFreeOrder: FreeMsg was given an element that is not the oldest one
	// allocated in its ring. Ring elements must be freed in the order they
	// were allocated; nothing was changed.
	ErrFreeOrder = errors.New("msgq: message freed out of order")
	// ErrBadMsg: a message handle names a ring or element the queue does not
	// have (an invalid handle, or corrupt shared memory).
	ErrBadMsg = errors.New("msgq: invalid message")
)

// MaxMsgQRings bounds the number of rings of a MsgQ.
const MaxMsgQRings = 64

// MsgQRingHeaderSize is the size of the shared header in front of each
// ring's elements (VPP's svm_msg_q_ring_shared_t).
const MsgQRingHeaderSize = 32

const (
	mqMagic      = 0x514d_5653 // "SVMQ"
	mqVersion    = 1
	mqHeaderSize = 256
	mqDescSize   = 8
	// maxMsgQBytes bounds the memory of one MsgQ.
	maxMsgQBytes = 1 << 40
)

// mqHeader is the shared header of a MsgQ. Producers (serialized by lock)
// write the line at 64, the consumer the line at 128; the descriptor count,
// which both update, has its own line.
type mqHeader struct {
	magic   uint32 // 0
	version uint32 // 4
	qNitems uint32 // 8
	nRings  uint32 // 12
	size    uint64 // 16: total bytes (header, descriptors, rings)
	_       [40]byte

	lock        uint32 // 64: 0 free, 1 held, 2 held with sleepers (futex word)
	qTail       uint32 // 68: next descriptor slot (producers, under lock)
	dataSeq     uint32 // 72: bumped on empty→non-empty (futex word)
	dataWaiters uint32 // 76: consumers asleep on dataSeq
	_           [48]byte

	qHead        uint32 // 128: next descriptor the consumer takes
	spaceSeq     uint32 // 132: bumped on full→not-full (futex word)
	spaceWaiters uint32 // 136: producers asleep on spaceSeq
	_            [52]byte

	qCursize uint32 // 192: descriptors queued
	_        [60]byte
}

// mqRingHeader is the shared header of one ring, in front of its elements.
type mqRingHeader struct {
	cursize uint32 // 0: elements allocated and not yet freed
	nitems  uint32 // 4
	head    uint32 // 8: oldest allocated element (consumer)
	tail    uint32 // 12: next element to allocate (producers, under lock)
	elsize  uint32 // 16
	_       [12]byte
}

func init() {
	var h mqHeader
	var rh mqRingHeader
	if unsafe.Sizeof(h) != mqHeaderSize || unsafe.Offsetof(h.lock) != 64 || unsafe.Offsetof(h.qHead) != 128 ||
		unsafe.Offsetof(h.qCursize) != 192 || unsafe.Sizeof(rh) != MsgQRingHeaderSize || unsafe.Offsetof(rh.elsize) != 16 {
		panic("msgq: message queue header layout changed")
	}
}

// MsgQRingCfg configures one ring of a MsgQ: Nitems elements of Elsize bytes
// (VPP's svm_msg_q_ring_cfg_t).
type MsgQRingCfg struct {
	Nitems uint32
	Elsize uint32
}

// MsgQCfg configures a MsgQ (VPP's svm_msg_q_cfg_t): a descriptor queue of
// QNitems entries and the rings, in the order AllocMsg tries them (smallest
// elements first, as VPP's io ring comes before its ctrl ring).
type MsgQCfg struct {
	QNitems uint32
	Rings   []MsgQRingCfg
}

// Msg is a message handle (VPP's svm_msg_q_msg_t): the ring and the element
// in it that hold the message. It is what the descriptor queue carries.
type Msg struct {
	RingIndex uint32
	EltIndex  uint32
}

// InvalidMsg is what AllocMsg returns when no ring can take the message
// (VPP's handle with as_u64 = ~0).
var InvalidMsg = Msg{RingIndex: math.MaxUint32, EltIndex: math.MaxUint32}

// IsValid reports whether m is a real handle, not InvalidMsg (VPP's
// svm_msg_q_msg_is_invalid negated).
func (m Msg) IsValid() bool { return m.RingIndex != math.MaxUint32 }

// mqRing is the process-local view of one ring. n and elsize are copies
// taken when the queue was laid out or attached, so corrupt shared memory
// can never index outside data.
type mqRing struct {
	h      *mqRingHeader
	data   []byte // n*elsize bytes
	off    uint64 // offset of data in the queue's memory
	n      uint32
	elsize uint32
}

// MsgQ is VPP's svm_msg_q: a queue of message descriptors {ring, element}
// plus rings of fixed-size elements, all in one block of memory laid out
// with offsets only, so that processes attaching the same shared memory
// (InitMsgQ in the creator, AttachMsgQ in the others) use one queue.
//
// A producer takes the queue's lock, allocates an element in a ring
// (AllocMsg, AllocMsgWRing, or LockAndAllocMsgWRing, which also checks that
// the descriptor queue and the ring have room), fills it through MsgData and
// enqueues its handle with AddAndUnlock. Holding the lock from allocation to
// enqueue keeps each ring's elements in descriptor order, which the consumer
// relies on. The single consumer takes handles with Sub, reads MsgData and
// returns the element with FreeMsg, in order.
//
// The lock is a futex word in the shared header, so producers in different
// processes exclude each other; a non-blocking producer gets ErrLockBusy
// (VPP's −1) or ErrFull (VPP's −2) instead of waiting. Blocked producers and
// a blocked consumer sleep on futex words that are signalled when the
// descriptor queue goes empty→non-empty, or when it or a ring goes
// full→not-full. Unlike VPP's robust process-shared mutex, a process that
// dies holding the lock leaves it held.
type MsgQ struct {
	h     *mqHeader
	mem   []byte
	descs []byte // qn descriptors
	qn    uint32
	rings []mqRing
}

func mqAlign8(n uint64) uint64 { return (n + 7) &^ 7 }

// ringDataBytes is the room a ring's elements take: nitems*elsize rounded up
// to 8 bytes so the next ring's shared header is aligned for atomics.
func ringDataBytes(nitems, elsize uint32) uint64 {
	return mqAlign8(uint64(nitems) * uint64(elsize))
}

func checkMsgQRingCfg(i int, nitems, elsize uint32) error {
	if nitems == 0 || nitems > MaxSlots {
		return fmt.Errorf("msgq: ring %d: %d items outside [1, %d]", i, nitems, MaxSlots)
	}
	if elsize == 0 || elsize > MaxSlotSize {
		return fmt.Errorf("msgq: ring %d: element size %d outside [1, %d]", i, elsize, MaxSlotSize)
	}
	return nil
}

// MsgQBytes returns the memory a MsgQ with cfg needs: the header, QNitems
// 8-byte descriptors, then each ring's MsgQRingHeaderSize-byte header and
// its Nitems×Elsize elements (rounded up to 8 bytes), in cfg order.
func MsgQBytes(cfg MsgQCfg) (uint64, error) {
	if cfg.QNitems == 0 || cfg.QNitems > MaxSlots {
		return 0, fmt.Errorf("msgq: queue of %d descriptors outside [1, %d]", cfg.QNitems, MaxSlots)
	}
	if len(cfg.Rings) == 0 || len(cfg.Rings) > MaxMsgQRings {
		return 0, fmt.Errorf("msgq: %d rings outside [1, %d]", len(cfg.Rings), MaxMsgQRings)
	}
	n := uint64(mqHeaderSize) + uint64(cfg.QNitems)*mqDescSize
	for i, rc := range cfg.Rings {
		if err := checkMsgQRingCfg(i, rc.Nitems, rc.Elsize); err != nil {
			return 0, err
		}
		n += MsgQRingHeaderSize + ringDataBytes(rc.Nitems, rc.Elsize)
	}
	if n > maxMsgQBytes {
		return 0, fmt.Errorf("msgq: message queue of %d bytes larger than %d", n, uint64(maxMsgQBytes))
	}
	return n, nil
}

// NewMsgQ returns a MsgQ on the Go heap, for use within one process.
func NewMsgQ(cfg MsgQCfg) (*MsgQ, error) {
	n, err := MsgQBytes(cfg)
	if err != nil {
		return nil, err
	}
	if n > math.MaxInt32*8 {
		return nil, fmt.Errorf("msgq: message queue of %d bytes too large for the heap", n)
	}
	r, err := shm.NewHeap(int(n))
	if err != nil {
		return nil, err
	}
	return InitMsgQ(r.Bytes(), cfg)
}

// InitMsgQ lays a new MsgQ out in mem (at least MsgQBytes(cfg) bytes, 8-byte
// aligned), for example a block of a shared-memory segment (VPP's
// svm_msg_q_init). Other processes use it through AttachMsgQ on the same
// memory.
func InitMsgQ(mem []byte, cfg MsgQCfg) (*MsgQ, error) {
	need, err := MsgQBytes(cfg)
	if err != nil {
		return nil, err
	}
	if uint64(len(mem)) < need {
		return nil, fmt.Errorf("msgq: message queue needs %d bytes, got %d", need, len(mem))
	}
	if uintptr(unsafe.Pointer(unsafe.SliceData(mem)))%8 != 0 {
		return nil, fmt.Errorf("msgq: message queue memory is not 8-byte aligned")
	}
	clear(mem[:need])
	h := (*mqHeader)(unsafe.Pointer(&mem[0]))
	h.version = mqVersion
	h.qNitems = cfg.QNitems
	h.nRings = uint32(len(cfg.Rings))
	h.size = need
	off := uint64(mqHeaderSize) + uint64(cfg.QNitems)*mqDescSize
	for _, rc := range cfg.Rings {
		rh := (*mqRingHeader)(unsafe.Pointer(&mem[off]))
		rh.nitems = rc.Nitems
		rh.elsize = rc.Elsize
		off += MsgQRingHeaderSize + ringDataBytes(rc.Nitems, rc.Elsize)
	}
	q := newMsgQ(h, mem[:need])
	atomic.StoreUint32(&h.magic, mqMagic)
	return q, nil
}

// AttachMsgQ uses a MsgQ that InitMsgQ laid out in mem (typically in another
// process). The header and every ring header are validated; corrupt memory
// is an error naming the offending field and its offset, never a crash.
func AttachMsgQ(mem []byte) (*MsgQ, error) {
	if err := checkPrologue(mem, mqHeaderSize, "message queue header", mqMagic, mqVersion); err != nil {
		return nil, err
	}
	h := (*mqHeader)(unsafe.Pointer(&mem[0]))
	qn, nr := h.qNitems, h.nRings
	if qn == 0 || qn > MaxSlots {
		return nil, fmt.Errorf("msgq: attach: q_nitems %d at offset 8 outside [1, %d]", qn, MaxSlots)
	}
	if nr == 0 || nr > MaxMsgQRings {
		return nil, fmt.Errorf("msgq: attach: n_rings %d at offset 12 outside [1, %d]", nr, MaxMsgQRings)
	}
	size := uint64(len(mem))
	off := uint64(mqHeaderSize)
	if err := shm.Check(size, off, uint64(qn)*mqDescSize, 8, "msgq: attach: descriptor queue"); err != nil {
		return nil, err
	}
	off += uint64(qn) * mqDescSize
	cfg := MsgQCfg{QNitems: qn, Rings: make([]MsgQRingCfg, nr)}
	for i := range cfg.Rings {
		if err := shm.Check(size, off, MsgQRingHeaderSize, 8, fmt.Sprintf("msgq: attach: ring %d header", i)); err != nil {
			return nil, err
		}
		rh := (*mqRingHeader)(unsafe.Pointer(&mem[off]))
		nitems, elsize := atomic.LoadUint32(&rh.nitems), atomic.LoadUint32(&rh.elsize)
		if nitems == 0 || nitems > MaxSlots {
			return nil, fmt.Errorf("msgq: attach: ring %d nitems %d at offset %d outside [1, %d]", i, nitems, off+4, MaxSlots)
		}
		if elsize == 0 || elsize > MaxSlotSize {
			return nil, fmt.Errorf("msgq: attach: ring %d elsize %d at offset %d outside [1, %d]", i, elsize, off+16, MaxSlotSize)
		}
		off += MsgQRingHeaderSize
		if err := shm.Check(size, off, uint64(nitems)*uint64(elsize), 1, fmt.Sprintf("msgq: attach: ring %d data", i)); err != nil {
			return nil, err
		}
		off += ringDataBytes(nitems, elsize)
		cfg.Rings[i] = MsgQRingCfg{Nitems: nitems, Elsize: elsize}
	}
	need, err := MsgQBytes(cfg)
	if err != nil {
		return nil, fmt.Errorf("msgq: attach: %w", err)
	}
	if need != off || need > size {
		return nil, fmt.Errorf("msgq: attach: layout of %d bytes, memory of %d", need, size)
	}
	if h.size != need {
		return nil, fmt.Errorf("msgq: attach: size %d at offset 16, want %d", h.size, need)
	}
	return newMsgQ(h, mem[:need]), nil
}

// newMsgQ builds the process-local view of a laid-out queue. The caller has
// checked that the layout fits mem.
func newMsgQ(h *mqHeader, mem []byte) *MsgQ {
	qn := h.qNitems
	q := &MsgQ{h: h, mem: mem, qn: qn, rings: make([]mqRing, h.nRings)}
	off := uint64(mqHeaderSize)
	q.descs = mem[off : off+uint64(qn)*mqDescSize : off+uint64(qn)*mqDescSize]
	off += uint64(qn) * mqDescSize
	for i := range q.rings {
		rh := (*mqRingHeader)(unsafe.Pointer(&mem[off]))
		r := &q.rings[i]
		r.h = rh
		r.n = atomic.LoadUint32(&rh.nitems)
		r.elsize = atomic.LoadUint32(&rh.elsize)
		r.off = off + MsgQRingHeaderSize
		nb := uint64(r.n) * uint64(r.elsize)
		r.data = mem[r.off : r.off+nb : r.off+nb]
		off = r.off + ringDataBytes(r.n, r.elsize)
	}
	return q
}

// Cap returns the number of descriptors the queue holds (q_nitems).
func (q *MsgQ) Cap() int { return int(q.qn) }

// Len returns the number of messages enqueued and not yet taken by Sub
// (VPP's svm_msg_q_size).
func (q *MsgQ) Len() int { return int(min(atomic.LoadUint32(&q.h.qCursize), q.qn)) }

// IsFull reports whether the descriptor queue is full.
func (q *MsgQ) IsFull() bool { return atomic.LoadUint32(&q.h.qCursize) >= q.qn }

// IsEmpty reports whether the descriptor queue is empty.
func (q *MsgQ) IsEmpty() bool { return atomic.LoadUint32(&q.h.qCursize) == 0 }

// NumRings returns the number of rings.
func (q *MsgQ) NumRings() int { return len(q.rings) }

// RingNitems returns ring i's element count, or 0 if there is no ring i.
func (q *MsgQ) RingNitems(i int) int {
	if uint(i) >= uint(len(q.rings)) {
		return 0
	}
	return int(q.rings[i].n)
}

// RingElsize returns ring i's element size, or 0 if there is no ring i.
func (q *MsgQ) RingElsize(i int) int {
	if uint(i) >= uint(len(q.rings)) {
		return 0
	}
	return int(q.rings[i].elsize)
}

// RingCursize returns how many of ring i's elements are allocated and not
// yet freed (VPP's ring->shr->cursize), or 0 if there is no ring i.
func (q *MsgQ) RingCursize(i int) int {
	if uint(i) >= uint(len(q.rings)) {
		return 0
	}
	return int(atomic.LoadUint32(&q.rings[i].h.cursize))
}

// RingIsFull reports whether ring i has no free element (true for a ring
// that does not exist).
func (q *MsgQ) RingIsFull(i int) bool {
	if uint(i) >= uint(len(q.rings)) {
		return true
	}
	r := &q.rings[i]
	return atomic.LoadUint32(&r.h.cursize) >= r.n
}

// RingDataOffset returns the offset of ring i's first element in the queue's
// memory. Rings follow each other in cfg order: ring i+1's data starts
// MsgQRingHeaderSize bytes after ring i's Nitems×Elsize elements (rounded up
// to 8 bytes, which VPP does not do). It returns 0 if there is no ring i.
func (q *MsgQ) RingDataOffset(i int) uint64 {
	if uint(i) >= uint(len(q.rings)) {
		return 0
	}
	return q.rings[i].off
}

// MsgData returns the Elsize bytes of m's element (VPP's svm_msg_q_msg_data),
// or nil if m names no element of this queue. The slice aliases the shared
// memory.
func (q *MsgQ) MsgData(m Msg) []byte {
	if m.RingIndex >= uint32(len(q.rings)) {
		return nil
	}
	r := &q.rings[m.RingIndex]
	if m.EltIndex >= r.n {
		return nil
	}
	off := uint64(m.EltIndex) * uint64(r.elsize)
	return r.data[off : off+uint64(r.elsize) : off+uint64(r.elsize)]
}

// alloc takes ring r's tail element. The caller holds the lock and has
// checked that r is not full.
func (r *mqRing) alloc(ri int) Msg {
	t := atomic.LoadUint32(&r.h.tail)
	if t >= r.n { // only corrupt memory
		t %= r.n
	}
	next := t + 1
	if next == r.n {
		next = 0
	}
	atomic.StoreUint32(&r.h.tail, next)
	atomic.AddUint32(&r.h.cursize, 1)
	return Msg{RingIndex: uint32(ri), EltIndex: t}
}

func (r *mqRing) full() bool { return atomic.LoadUint32(&r.h.cursize) >= r.n }

// AllocMsg allocates an element of the first ring, in cfg order, whose
// elements hold nbytes and which is not full (VPP's svm_msg_q_alloc_msg). It
// returns InvalidMsg if there is none. It does not lock and does not check
// the descriptor queue: the caller holds the lock (Lock/TryLock) and checks
// IsFull, then enqueues the message with AddAndUnlock.
func (q *MsgQ) AllocMsg(nbytes uint32) Msg {
	for i := range q.rings {
		r := &q.rings[i]
		if r.elsize < nbytes || r.full() {
			continue
		}
		return r.alloc(i)
	}
	return InvalidMsg
}

// AllocMsgWRing allocates an element of ring i (VPP's
// svm_msg_q_alloc_msg_w_ring). Like AllocMsg it does not lock; the caller
// holds the lock and has checked that the ring is not full. It returns
// InvalidMsg if there is no ring i or it is full.
func (q *MsgQ) AllocMsgWRing(i int) Msg {
	if uint(i) >= uint(len(q.rings)) {
		return InvalidMsg
	}
	r := &q.rings[i]
	if r.full() {
		return InvalidMsg
	}
	return r.alloc(i)
}

// LockAndAllocMsgWRing takes the lock and allocates an element of ring i
// once neither the descriptor queue nor the ring is full (VPP's
// svm_msg_q_lock_and_alloc_msg_w_ring). On success the lock is held: fill
// MsgData and call AddAndUnlock. With noWait it returns ErrLockBusy if
// another producer holds the lock and ErrFull if the queue or the ring is
// full (VPP's −1 and −2), without the lock; otherwise it waits for both.
func (q *MsgQ) LockAndAllocMsgWRing(i int, noWait bool) (Msg, error) {
	if uint(i) >= uint(len(q.rings)) {
		return InvalidMsg, ErrBadMsg
	}
	r := &q.rings[i]
	if noWait {
		if !q.TryLock() {
			return InvalidMsg, ErrLockBusy
		}
		if q.IsFull() || r.full() {
			q.Unlock()
			return InvalidMsg, ErrFull
		}
		return r.alloc(i), nil
	}
	q.Lock()
	for q.IsFull() || r.full() {
		q.waitSpaceLocked(func() bool { return q.IsFull() || r.full() })
	}
	return r.alloc(i), nil
}

// LockAndAllocMsg is LockAndAllocMsgWRing for the first ring, in cfg order,
// whose elements hold nbytes and which has room (AllocMsg under the lock).
// It returns ErrTooLarge if no ring's elements hold nbytes; with noWait,
// ErrLockBusy or ErrFull (all fitting rings, or the queue, full) without the
// lock; otherwise it waits. On success the lock is held.
func (q *MsgQ) LockAndAllocMsg(nbytes uint32, noWait bool) (Msg, error) {
	fits := false
	for i := range q.rings {
		fits = fits || q.rings[i].elsize >= nbytes
	}
	if !fits {
		return InvalidMsg, ErrTooLarge
	}
	if noWait {
		if !q.TryLock() {
			return InvalidMsg, ErrLockBusy
		}
		if !q.IsFull() {
			if m := q.AllocMsg(nbytes); m.IsValid() {
				return m, nil
			}
		}
		q.Unlock()
		return InvalidMsg, ErrFull
	}
	q.Lock()
	for {
		if !q.IsFull() {
			if m := q.AllocMsg(nbytes); m.IsValid() {
				return m, nil
			}
		}
		q.waitSpaceLocked(func() bool { return q.IsFull() || q.noRoom(nbytes) })
	}
}

// noRoom reports whether every ring whose elements hold nbytes is full.
func (q *MsgQ) noRoom(nbytes uint32) bool {
	for i := range q.rings {
		if r := &q.rings[i]; r.elsize >= nbytes && !r.full() {
			return false
		}
	}
	return true
}

// FreeMsg returns m's element to its ring (VPP's svm_msg_q_free_msg). Only
// the consumer frees, and in allocation order: m must be its ring's oldest
// allocated element, else FreeMsg returns ErrFreeOrder and changes nothing
// (VPP warns and ignores it). A ring that goes full→not-full wakes blocked
// producers.
func (q *MsgQ) FreeMsg(m Msg) error {
	if m.RingIndex >= uint32(len(q.rings)) {
		return ErrBadMsg
	}
	r := &q.rings[m.RingIndex]
	if m.EltIndex >= r.n {
		return ErrBadMsg
	}
	head := atomic.LoadUint32(&r.h.head)
	cur := atomic.LoadUint32(&r.h.cursize)
	if head != m.EltIndex || cur == 0 {
		return q.freeOrderErr(m, head, cur)
	}
	if popHead(&r.h.head, &r.h.cursize, head, r.n) {
		q.signalSpace()
	}
	return nil
}

func (q *MsgQ) freeOrderErr(m Msg, head, cur uint32) error {
	if cur == 0 {
		return fmt.Errorf("%w: ring %d has no element allocated (freeing element %d)", ErrFreeOrder, m.RingIndex, m.EltIndex)
	}
	return fmt.Errorf("%w: ring %d's oldest element is %d, freeing %d", ErrFreeOrder, m.RingIndex, head, m.EltIndex)
}

// Add enqueues m's descriptor (VPP's svm_msg_q_add): it takes the lock,
// waits while the descriptor queue is full, enqueues and unlocks. With
// noWait it returns ErrLockBusy if the lock is held and ErrFull if the queue
// is full. Add is for a caller that does not hold the lock; messages must
// reach the queue in the order their elements were allocated in each ring
// (with several producers, allocate under the lock and use AddAndUnlock).
func (q *MsgQ) Add(m Msg, noWait bool) error {
	if !q.validMsg(m) {
		return ErrBadMsg
	}
	if noWait {
		if !q.TryLock() {
			return ErrLockBusy
		}
		if q.IsFull() {
			q.Unlock()
			return ErrFull
		}
	} else {
		q.Lock()
		for q.IsFull() {
			q.waitSpaceLocked(q.IsFull)
		}
	}
	q.addRaw(m)
	q.Unlock()
	return nil
}

// AddAndUnlock enqueues m's descriptor and releases the lock the caller
// holds (VPP's svm_msg_q_add_and_unlock), typically after
// LockAndAllocMsgWRing, which made sure the queue has room. If it has none
// anyway (the caller did not check), the lock is released and ErrFull
// returned.
func (q *MsgQ) AddAndUnlock(m Msg) error {
	if !q.validMsg(m) {
		q.Unlock()
		return ErrBadMsg
	}
	if q.IsFull() {
		q.Unlock()
		return ErrFull
	}
	q.addRaw(m)
	q.Unlock()
	return nil
}

func (q *MsgQ) validMsg(m Msg) bool {
	return m.RingIndex < uint32(len(q.rings)) && m.EltIndex < q.rings[m.RingIndex].n
}

// addRaw writes m at the descriptor tail and publishes it. The caller holds
// the lock and checked that the queue is not full.
func (q *MsgQ) addRaw(m Msg) {
	t := atomic.LoadUint32(&q.h.qTail)
	if t >= q.qn {
		t %= q.qn
	}
	d := (*[2]uint32)(unsafe.Pointer(&q.descs[uint64(t)*mqDescSize]))
	d[0], d[1] = m.RingIndex, m.EltIndex
	next := t + 1
	if next == q.qn {
		next = 0
	}
	atomic.StoreUint32(&q.h.qTail, next)
	if atomic.AddUint32(&q.h.qCursize, 1) == 1 {
		q.signalData()
	}
}

// Sub takes the oldest message handle from the descriptor queue (VPP's
// svm_msg_q_sub). With noWait it returns ErrEmpty if there is none;
// otherwise it waits. Single consumer: Sub does not take the lock. Read the
// message with MsgData, then FreeMsg it. A queue that goes full→not-full
// wakes blocked producers.
func (q *MsgQ) Sub(noWait bool) (Msg, error) {
	if q.IsEmpty() {
		if noWait {
			return InvalidMsg, ErrEmpty
		}
		q.waitData()
	}
	h := atomic.LoadUint32(&q.h.qHead)
	if h >= q.qn {
		h %= q.qn
	}
	d := (*[2]uint32)(unsafe.Pointer(&q.descs[uint64(h)*mqDescSize]))
	m := Msg{RingIndex: d[0], EltIndex: d[1]}
	if popHead(&q.h.qHead, &q.h.qCursize, h, q.qn) {
		q.signalSpace()
	}
	return m, nil
}

// Lock takes the producers' lock, sleeping on its futex word while another
// producer (in any process) holds it.
func (q *MsgQ) Lock() {
	l := &q.h.lock
	if atomic.CompareAndSwapUint32(l, 0, 1) {
		return
	}
	for range mqLockSpins {
		if atomic.LoadUint32(l) == 0 && atomic.CompareAndSwapUint32(l, 0, 1) {
			return
		}
	}
	// 2 = held with sleepers: the holder's Unlock must wake one.
	for atomic.SwapUint32(l, 2) != 0 {
		shm.Wait(l, 2)
	}
}

// TryLock takes the producers' lock if it is free.
func (q *MsgQ) TryLock() bool { return atomic.CompareAndSwapUint32(&q.h.lock, 0, 1) }

// Unlock releases the producers' lock, waking one sleeping producer.
func (q *MsgQ) Unlock() {
	if atomic.SwapUint32(&q.h.lock, 0) == 2 {
		shm.Wake(&q.h.lock, 1)
	}
}

// mqLockSpins is how often Lock retries before sleeping: critical sections
// are a few stores long.
const mqLockSpins = 100

// waitSpaceLocked sleeps, without the lock, until full may have become
// false, and retakes the lock. The caller holds the lock and saw full().
// Every change that can make full() false is a full→not-full transition
// made by the consumer, which bumps spaceSeq after it: reading spaceSeq
// before re-checking full() means such a change is either seen by the
// re-check or makes the futex wait return.
func (q *MsgQ) waitSpaceLocked(full func() bool) {
	atomic.AddUint32(&q.h.spaceWaiters, 1)
	s := atomic.LoadUint32(&q.h.spaceSeq)
	if full() {
		q.Unlock()
		shm.Wait(&q.h.spaceSeq, s)
		q.Lock()
	}
	atomic.AddUint32(&q.h.spaceWaiters, ^uint32(0))
}

func (q *MsgQ) signalSpace() {
	atomic.AddUint32(&q.h.spaceSeq, 1)
	if atomic.LoadUint32(&q.h.spaceWaiters) != 0 {
		shm.Wake(&q.h.spaceSeq, math.MaxInt32)
	}
}

// waitData returns once the descriptor queue is not empty.
func (q *MsgQ) waitData() {
	for spins := 0; q.IsEmpty(); spins++ {
		if spins < ringSpins {
			continue
		}
		atomic.AddUint32(&q.h.dataWaiters, 1)
		s := atomic.LoadUint32(&q.h.dataSeq)
		if q.IsEmpty() {
			shm.Wait(&q.h.dataSeq, s)
		}
		atomic.AddUint32(&q.h.dataWaiters, ^uint32(0))
	}
}

func (q *MsgQ) signalData() {
	atomic.AddUint32(&q.h.dataSeq, 1)
	if atomic.LoadUint32(&q.h.dataWaiters) != 0 {
		shm.Wake(&q.h.dataSeq, math.MaxInt32)
	}
}

// popHead retires the oldest entry of a ring of n entries whose head is at
// head: the head moves on (wrapping) and the count drops by one. It reports
// whether the ring was full, when waiting producers must be signalled.
func popHead(headp, cursize *uint32, head, n uint32) (wasFull bool) {
	next := head + 1
	if next == n {
		next = 0
	}
	atomic.StoreUint32(headp, next)
	return atomic.AddUint32(cursize, ^uint32(0)) == n-1
}
