package afpacket

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Writer queues frames for transmission. Write copies the frame, so the
// caller may reuse its buffer at once; frames leave in the order written, at
// the latest on Flush. Implementations belong to one goroutine.
type Writer interface {
	// Write queues one frame (link-layer header included).
	Write(frame []byte) error
	// Flush hands every queued frame to the kernel.
	Flush() error
	// TxStats returns transmit counters.
	TxStats() TxStats
	// Close flushes and releases the socket.
	Close() error
}

// TxStats count what a Writer did.
type TxStats struct {
	// Frames is the number of frames the kernel accepted.
	Frames uint64
	// Retries counts sends the kernel refused for lack of buffer space
	// (ENOBUFS/EAGAIN: the peer's backlog was full) and that were retried.
	Retries uint64
	// Syscalls counts send system calls.
	Syscalls uint64
}

// TxConfig is the geometry of a transmit path.
type TxConfig struct {
	// FrameSize is the largest frame (default 2048 bytes for the ring slot,
	// header included; frames up to FrameSize-32 bytes fit).
	FrameSize int
	// FrameCount is the number of ring slots or batch entries (default 256).
	FrameCount int
	// Batch is how many frames are queued before Write flushes on its own
	// (default FrameCount/2 for the ring, FrameCount for sendmmsg).
	Batch int
	// QdiscBypass sends straight to the driver (PACKET_QDISC_BYPASS),
	// skipping the interface's queueing discipline.
	QdiscBypass bool
}

func (c *TxConfig) setDefaults(ring bool) error {
	if c.FrameSize == 0 {
		c.FrameSize = 2048
	}
	if c.FrameCount == 0 {
		c.FrameCount = 256
	}
	if c.Batch == 0 {
		c.Batch = c.FrameCount
		if ring {
			c.Batch = c.FrameCount / 2
		}
	}
	if c.Batch < 1 {
		c.Batch = 1
	}
	switch {
	case c.FrameSize < 128 || c.FrameSize%alignment != 0 || (ring && c.FrameSize > pageSize*16):
		return fmt.Errorf("afpacket: tx frame size %d: want a multiple of %d from 128 to %d", c.FrameSize, alignment, pageSize*16)
	case c.FrameCount < 1 || c.FrameCount > 1<<20:
		return fmt.Errorf("afpacket: tx frame count %d: want 1..%d", c.FrameCount, 1<<20)
	case c.Batch > c.FrameCount:
		return fmt.Errorf("afpacket: tx batch %d exceeds frame count %d", c.Batch, c.FrameCount)
	}
	return nil
}

// TxRing transmits through a memory-mapped TPACKET_V2 transmit ring: Write
// copies a frame into the next free slot and marks it for sending; Flush
// makes one send(2) that transmits every marked slot.
type TxRing struct {
	*sock
	cfg     TxConfig
	mem     []byte
	slotLen int // slot stride (FrameSize rounded so slots never cross a block)
	perBl   int
	blockSz int
	cur     int
	pending int
	stats   TxStats
}

// NewTxRing opens a packet socket bound to ifindex with a transmit ring.
// Call it on a thread in the interface's network namespace.
func NewTxRing(ifindex int, cfg TxConfig) (*TxRing, error) {
	if err := cfg.setDefaults(true); err != nil {
		return nil, err
	}
	s, err := openSock()
	if err != nil {
		return nil, err
	}
	t := &TxRing{sock: s, cfg: cfg}
	if err := t.setup(ifindex); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func (t *TxRing) setup(ifindex int) error {
	if err := t.setInt(unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2, "PACKET_VERSION"); err != nil {
		return err
	}
	if t.cfg.QdiscBypass {
		if err := t.setInt(unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS"); err != nil {
			return err
		}
	}
	// Blocks must be a power-of-two number of pages; take the smallest that
	// holds at least one frame and round the frame count up to whole blocks.
	t.blockSz = pageSize
	for t.blockSz < t.cfg.FrameSize {
		t.blockSz <<= 1
	}
	t.perBl = t.blockSz / t.cfg.FrameSize
	blocks := (t.cfg.FrameCount + t.perBl - 1) / t.perBl
	t.cfg.FrameCount = blocks * t.perBl
	t.slotLen = t.cfg.FrameSize
	req := unix.TpacketReq{
		Block_size: uint32(t.blockSz),
		Block_nr:   uint32(blocks),
		Frame_size: uint32(t.cfg.FrameSize),
		Frame_nr:   uint32(t.cfg.FrameCount),
	}
	if err := unix.SetsockoptTpacketReq(t.fd, unix.SOL_PACKET, unix.PACKET_TX_RING, &req); err != nil {
		return fmt.Errorf("afpacket: PACKET_TX_RING (%d slots of %d bytes): %w", t.cfg.FrameCount, t.cfg.FrameSize, err)
	}
	mem, err := unix.Mmap(t.fd, 0, t.blockSz*blocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return os.NewSyscallError("mmap tx ring", err)
	}
	t.mem = mem
	return t.bind(ifindex, false)
}

func (t *TxRing) slot(i int) []byte {
	off := (i/t.perBl)*t.blockSz + (i%t.perBl)*t.slotLen
	return t.mem[off : off+t.slotLen : off+t.slotLen]
}

// MaxFrame is the largest frame Write accepts.
func (t *TxRing) MaxFrame() int { return t.cfg.FrameSize - txDataOffset }

// Write copies frame into the next free slot. When the ring is full it
// flushes and waits for the kernel to free a slot.
func (t *TxRing) Write(frame []byte) error {
	if len(frame) > t.cfg.FrameSize-txDataOffset || len(frame) == 0 {
		return fmt.Errorf("afpacket: tx ring: frame of %d bytes does not fit a %d-byte slot", len(frame), t.cfg.FrameSize-txDataOffset)
	}
	slot := t.slot(t.cur)
	st := statusWord(slot)
	for {
		s := atomic.LoadUint32(st)
		if s == statusAvailable {
			break
		}
		if s&statusWrongFormat != 0 {
			atomic.StoreUint32(st, statusAvailable)
			return fmt.Errorf("afpacket: tx ring: kernel rejected the frame in slot %d (TP_STATUS_WRONG_FORMAT)", t.cur)
		}
		if err := t.Flush(); err != nil {
			return err
		}
		if atomic.LoadUint32(st) != statusAvailable {
			if err := t.wait(unix.POLLOUT, -1); err != nil {
				return err
			}
		}
	}
	copy(slot[txDataOffset:], frame)
	*(*uint32)(unsafe.Pointer(&slot[h2Len])) = uint32(len(frame))
	atomic.StoreUint32(st, statusSendRequest)
	t.cur++
	if t.cur == t.cfg.FrameCount {
		t.cur = 0
	}
	t.pending++
	if t.pending >= t.cfg.Batch {
		return t.Flush()
	}
	return nil
}

// Flush asks the kernel to send every slot marked for sending. It does not
// wait for completion: slots come back as the frames leave.
func (t *TxRing) Flush() error {
	if t.pending == 0 {
		return nil
	}
	for {
		t.stats.Syscalls++
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(t.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		if e == 0 {
			t.stats.Frames += uint64(t.pending)
			t.pending = 0
			return nil
		}
		if e == unix.EINTR {
			continue
		}
		if e == unix.ENOBUFS || e == unix.EAGAIN {
			// Part of the batch went out; the rest is still marked and goes
			// with the next call.
			t.stats.Retries++
			if t.stopped.Load() {
				return ErrStopped
			}
			continue
		}
		return fmt.Errorf("afpacket: tx ring send: %w", e)
	}
}

// TxStats returns transmit counters.
func (t *TxRing) TxStats() TxStats { return t.stats }

// Close flushes, waits briefly for the ring to drain and closes the socket.
func (t *TxRing) Close() error {
	var err error
	if t.mem != nil && !t.stopped.Load() {
		err = t.Flush()
	}
	if cerr := t.sock.close(); err == nil {
		err = cerr
	}
	if t.mem != nil {
		if merr := unix.Munmap(t.mem); merr != nil && err == nil {
			err = os.NewSyscallError("munmap", merr)
		}
		t.mem = nil
	}
	return err
}

// Batch transmits with sendmmsg(2): Write copies frames into a slab and
// Flush sends them all with one system call (retrying the rest when the
// kernel takes only part).
type Batch struct {
	*sock
	cfg   TxConfig
	slab  []byte
	iov   []unix.Iovec
	hdrs  []mmsghdr
	n     int
	stats TxStats
}

// mmsghdr is struct mmsghdr: a msghdr and the kernel's byte count for it.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

// NewBatch opens a packet socket bound to ifindex that sends with
// sendmmsg(2). Call it on a thread in the interface's network namespace.
func NewBatch(ifindex int, cfg TxConfig) (*Batch, error) {
	if err := cfg.setDefaults(false); err != nil {
		return nil, err
	}
	s, err := openSock()
	if err != nil {
		return nil, err
	}
	b := &Batch{sock: s, cfg: cfg}
	if cfg.QdiscBypass {
		if err := b.setInt(unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS"); err != nil {
			b.sock.close()
			return nil, err
		}
	}
	// Protocol 0: a send-only socket must not also tap the interface, or
	// every frame on the wire would queue up in its receive buffer.
	if err := b.bind(ifindex, false); err != nil {
		b.sock.close()
		return nil, err
	}
	b.slab = make([]byte, cfg.FrameSize*cfg.FrameCount)
	b.iov = make([]unix.Iovec, cfg.FrameCount)
	b.hdrs = make([]mmsghdr, cfg.FrameCount)
	for i := range b.hdrs {
		b.iov[i].Base = &b.slab[i*cfg.FrameSize]
		b.hdrs[i].hdr.Iov = &b.iov[i]
		b.hdrs[i].hdr.SetIovlen(1)
	}
	return b, nil
}

// MaxFrame is the largest frame Write accepts.
func (b *Batch) MaxFrame() int { return b.cfg.FrameSize }

// Write copies frame into the batch, flushing when the batch is full.
func (b *Batch) Write(frame []byte) error {
	if len(frame) > b.cfg.FrameSize || len(frame) == 0 {
		return fmt.Errorf("afpacket: sendmmsg batch: frame of %d bytes exceeds the %d-byte slot", len(frame), b.cfg.FrameSize)
	}
	off := b.n * b.cfg.FrameSize
	copy(b.slab[off:off+b.cfg.FrameSize], frame)
	b.iov[b.n].SetLen(len(frame))
	b.n++
	if b.n >= b.cfg.Batch {
		return b.Flush()
	}
	return nil
}

// Flush sends every queued frame.
func (b *Batch) Flush() error {
	sent := 0
	for sent < b.n {
		b.stats.Syscalls++
		r, _, e := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(b.fd), uintptr(unsafe.Pointer(&b.hdrs[sent])), uintptr(b.n-sent), 0, 0, 0)
		if e != 0 {
			if e == unix.EINTR {
				continue
			}
			if e == unix.ENOBUFS || e == unix.EAGAIN {
				b.stats.Retries++
				if b.stopped.Load() {
					b.n = 0
					return ErrStopped
				}
				continue
			}
			b.n = 0
			return fmt.Errorf("afpacket: sendmmsg: %w", e)
		}
		sent += int(r)
		b.stats.Frames += uint64(r)
	}
	b.n = 0
	return nil
}

// TxStats returns transmit counters.
func (b *Batch) TxStats() TxStats { return b.stats }

// Close flushes and closes the socket.
func (b *Batch) Close() error {
	var err error
	if !b.stopped.Load() {
		err = b.Flush()
	}
	if cerr := b.sock.close(); err == nil {
		err = cerr
	}
	return err
}

var (
	_ Writer = (*TxRing)(nil)
	_ Writer = (*Batch)(nil)
)
