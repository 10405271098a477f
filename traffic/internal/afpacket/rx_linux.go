package afpacket

import (
	"fmt"
	"os"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RingVersion selects the kernel's receive ring layout.
type RingVersion int

// Ring layouts.
const (
	// TPacketV3 (the default) packs variable-sized frames into blocks that
	// are handed over whole: the fewest wake-ups and the densest memory use.
	TPacketV3 RingVersion = iota
	// TPacketV2 hands over fixed-size slots one frame at a time and wakes
	// poll(2) for each: the lowest latency at low rates.
	TPacketV2
)

// String returns "tpacketv3" or "tpacketv2".
func (v RingVersion) String() string {
	switch v {
	case TPacketV3:
		return "tpacketv3"
	case TPacketV2:
		return "tpacketv2"
	}
	return fmt.Sprintf("RingVersion(%d)", int(v))
}

// RxConfig is the geometry and behaviour of a receive ring. Zero fields take
// the defaults noted.
type RxConfig struct {
	// Version is the ring layout (default TPacketV3).
	Version RingVersion
	// BlockSize is the size of one ring block in bytes: a power of two and a
	// multiple of the page size (default 128 KiB). A TPACKET_V3 block is
	// handed to user space as a unit.
	BlockSize int
	// BlockCount is the number of blocks (default 128). With a 1 ms retire
	// timeout a block rarely fills at moderate rates, so the ring absorbs a
	// reader stall of about BlockCount × RetireTimeout, not its byte size:
	// the default rides out a 128 ms stall.
	BlockCount int
	// FrameSize bounds one frame's slot, header included: the slot size of a
	// TPACKET_V2 ring, and for TPACKET_V3 the unit the kernel counts frames
	// in. A multiple of 16 (default 2048: a 1500-byte MTU frame plus headers).
	FrameSize int
	// RetireTimeout is how long a TPACKET_V3 block that holds frames may stay
	// open before the kernel retires it anyway (tp_retire_blk_tov). The
	// kernel counts whole milliseconds; the default is 1 ms, the minimum.
	RetireTimeout time.Duration
	// Fanout joins a PACKET_FANOUT group after binding.
	Fanout Fanout
	// IgnoreOutgoing drops frames this host sends on the interface
	// (PACKET_IGNORE_OUTGOING), so a socket sees only what arrives.
	IgnoreOutgoing bool
	// SpinPolls is how many times Next re-checks the ring before it sleeps
	// in poll(2). Spinning trades a CPU for wake-up latency; 0 never spins.
	SpinPolls int
}

const pageSize = 4096

func (c *RxConfig) setDefaults() error {
	if c.BlockSize == 0 {
		c.BlockSize = 128 << 10
	}
	if c.BlockCount == 0 {
		c.BlockCount = 128
	}
	if c.FrameSize == 0 {
		c.FrameSize = 2048
	}
	if c.RetireTimeout == 0 {
		c.RetireTimeout = time.Millisecond
	}
	switch {
	case c.Version != TPacketV3 && c.Version != TPacketV2:
		return fmt.Errorf("afpacket: ring version %d unknown", int(c.Version))
	case c.BlockSize < pageSize || c.BlockSize&(c.BlockSize-1) != 0:
		return fmt.Errorf("afpacket: block size %d: want a power of two >= %d", c.BlockSize, pageSize)
	case c.BlockCount < 1 || c.BlockCount > 1<<16:
		return fmt.Errorf("afpacket: block count %d: want 1..65536", c.BlockCount)
	case c.FrameSize < 2*h3Size || c.FrameSize%alignment != 0 || c.FrameSize > c.BlockSize:
		return fmt.Errorf("afpacket: frame size %d: want a multiple of %d in [%d, block size %d]", c.FrameSize, alignment, 2*h3Size, c.BlockSize)
	case c.RetireTimeout < time.Millisecond || c.RetireTimeout%time.Millisecond != 0 || c.RetireTimeout > time.Minute:
		return fmt.Errorf("afpacket: retire timeout %v: the kernel takes whole milliseconds from 1ms to 1m", c.RetireTimeout)
	case c.SpinPolls < 0:
		return fmt.Errorf("afpacket: spin polls %d: want >= 0", c.SpinPolls)
	}
	return nil
}

// RxRing is a memory-mapped receive ring on one interface. Next, Close and
// the frames Next returns belong to one goroutine; Stop and Stats may be
// called from any goroutine.
type RxRing struct {
	*sock
	cfg RxConfig
	mem []byte

	// TPACKET_V3 state: the block being walked.
	walk  blockWalker
	cur   int  // index of the block (V3) or slot (V2) to read next
	held  bool // cur is owned by user space and must be released
	slots int  // V2: number of slots
	perBl int  // V2: slots per block
}

// NewRxRing opens a packet socket on interface ifindex with a receive ring.
// Call it on a thread in the interface's network namespace.
func NewRxRing(ifindex int, cfg RxConfig) (*RxRing, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s, err := openSock()
	if err != nil {
		return nil, err
	}
	r := &RxRing{sock: s, cfg: cfg}
	if err := r.setup(ifindex); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *RxRing) setup(ifindex int) error {
	cfg := &r.cfg
	if cfg.IgnoreOutgoing {
		if err := r.setInt(unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING"); err != nil {
			return err
		}
	}
	framesPerBlock := cfg.BlockSize / cfg.FrameSize
	switch cfg.Version {
	case TPacketV3:
		if err := r.setInt(unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3, "PACKET_VERSION"); err != nil {
			return err
		}
		req := unix.TpacketReq3{
			Block_size:       uint32(cfg.BlockSize),
			Block_nr:         uint32(cfg.BlockCount),
			Frame_size:       uint32(cfg.FrameSize),
			Frame_nr:         uint32(framesPerBlock * cfg.BlockCount),
			Retire_blk_tov:   uint32(cfg.RetireTimeout / time.Millisecond),
			Sizeof_priv:      0,
			Feature_req_word: 0,
		}
		if err := unix.SetsockoptTpacketReq3(r.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
			return fmt.Errorf("afpacket: PACKET_RX_RING (TPACKET_V3, %d blocks of %d bytes): %w", cfg.BlockCount, cfg.BlockSize, err)
		}
	case TPacketV2:
		if err := r.setInt(unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V2, "PACKET_VERSION"); err != nil {
			return err
		}
		req := unix.TpacketReq{
			Block_size: uint32(cfg.BlockSize),
			Block_nr:   uint32(cfg.BlockCount),
			Frame_size: uint32(cfg.FrameSize),
			Frame_nr:   uint32(framesPerBlock * cfg.BlockCount),
		}
		if err := unix.SetsockoptTpacketReq(r.fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
			return fmt.Errorf("afpacket: PACKET_RX_RING (TPACKET_V2, %d blocks of %d bytes): %w", cfg.BlockCount, cfg.BlockSize, err)
		}
		r.perBl = framesPerBlock
		r.slots = framesPerBlock * cfg.BlockCount
	}
	mem, err := unix.Mmap(r.fd, 0, cfg.BlockSize*cfg.BlockCount, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return os.NewSyscallError("mmap rx ring", err)
	}
	r.mem = mem
	if err := r.bind(ifindex, true); err != nil {
		return err
	}
	return r.joinFanout(cfg.Fanout)
}

// Config returns the ring's configuration with defaults filled in.
func (r *RxRing) Config() RxConfig { return r.cfg }

// Next returns the next received frame, waiting in poll(2) when the ring is
// empty. The frame's Data aliases ring memory and stays valid until the next
// call to Next. It returns ErrStopped after Stop.
func (r *RxRing) Next() (Frame, error) {
	if r.walk.left > 0 {
		f, ok, err := r.walk.next()
		if ok || err != nil {
			return f, err
		}
	}
	return r.nextSlow()
}

func (r *RxRing) nextSlow() (Frame, error) {
	spins := 0
	for {
		if r.cfg.Version == TPacketV2 {
			if r.held {
				r.releaseSlot()
			}
			slot := r.slot(r.cur)
			if atomic.LoadUint32(statusWord(slot))&statusUser != 0 {
				r.held = true
				return parseSlotV2(slot)
			}
		} else {
			if r.walk.left > 0 {
				f, ok, err := r.walk.next()
				if ok || err != nil {
					return f, err
				}
			}
			if r.held {
				atomic.StoreUint32(r.blockStatus(r.cur), statusKernel)
				r.held = false
				r.cur++
				if r.cur == r.cfg.BlockCount {
					r.cur = 0
				}
			}
			if atomic.LoadUint32(r.blockStatus(r.cur))&statusUser != 0 {
				r.held = true
				if err := r.walk.reset(r.block(r.cur), r.cur); err != nil {
					return Frame{}, err
				}
				continue
			}
		}
		if r.stopped.Load() {
			return Frame{}, ErrStopped
		}
		if spins < r.cfg.SpinPolls {
			spins++
			continue
		}
		spins = 0
		if err := r.wait(unix.POLLIN, -1); err != nil {
			return Frame{}, err
		}
	}
}

func (r *RxRing) releaseSlot() {
	atomic.StoreUint32(statusWord(r.slot(r.cur)), statusKernel)
	r.held = false
	r.cur++
	if r.cur == r.slots {
		r.cur = 0
	}
}

// statusWord points at the 32-bit status at the start of a V2 slot.
func statusWord(slot []byte) *uint32 { return (*uint32)(unsafe.Pointer(&slot[h2Status])) }

func (r *RxRing) block(i int) []byte {
	bs := r.cfg.BlockSize
	return r.mem[i*bs : (i+1)*bs : (i+1)*bs]
}

func (r *RxRing) blockStatus(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[i*r.cfg.BlockSize+bdStatus]))
}

func (r *RxRing) slot(i int) []byte {
	off := (i/r.perBl)*r.cfg.BlockSize + (i%r.perBl)*r.cfg.FrameSize
	return r.mem[off : off+r.cfg.FrameSize : off+r.cfg.FrameSize]
}

// Close unmaps the ring and closes the socket. No frame returned by Next
// may be used afterwards.
func (r *RxRing) Close() error {
	r.Stop()
	err := r.sock.close()
	if r.mem != nil {
		if merr := unix.Munmap(r.mem); merr != nil && err == nil {
			err = os.NewSyscallError("munmap", merr)
		}
		r.mem = nil
	}
	r.walk = blockWalker{}
	return err
}
