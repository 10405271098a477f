package veth

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sessionlab/sessionlab/traffic/internal/afpacket"
)

// RingKind selects how a receiver reads its interface.
type RingKind int

// Receive paths.
const (
	// RingAuto picks by the expected rate (ReceiverConfig.Rate): the
	// TPACKET_V2 ring up to AutoRingRate frames/s, where latency matters
	// and one wake-up per frame is cheap, the TPACKET_V3 ring above it and
	// when the rate is unknown.
	RingAuto RingKind = iota
	// RingTPacketV3 is the TPACKET_V3 block ring: the fastest path at high
	// rates. Frames reach the application when a block fills or its retire
	// timer (at least 1 ms) fires.
	RingTPacketV3
	// RingTPacketV2 is the TPACKET_V2 slot ring: each frame is handed over
	// and signalled on its own, the lowest-latency path at low rates.
	RingTPacketV2
	// RingRecvfrom is a plain packet socket read with one recvmsg(2) per
	// frame: the baseline.
	RingRecvfrom
)

// AutoRingRate is the rate up to which RingAuto picks the TPACKET_V2 ring.
const AutoRingRate = 100_000

var ringNames = [...]string{"auto", "tpacketv3", "tpacketv2", "recvfrom"}

// String returns "auto", "tpacketv3", "tpacketv2" or "recvfrom".
func (k RingKind) String() string {
	if k >= 0 && int(k) < len(ringNames) {
		return ringNames[k]
	}
	return fmt.Sprintf("RingKind(%d)", int(k))
}

// ParseRing parses a RingKind name.
func ParseRing(s string) (RingKind, error) {
	for i, n := range ringNames {
		if s == n {
			return RingKind(i), nil
		}
	}
	return 0, fmt.Errorf("veth: ring %q: want auto, tpacketv3, tpacketv2 or recvfrom", s)
}

// resolve turns RingAuto into a concrete ring for the expected rate.
func (k RingKind) resolve(rate float64) RingKind {
	if k != RingAuto {
		return k
	}
	if rate > 0 && rate <= AutoRingRate {
		return RingTPacketV2
	}
	return RingTPacketV3
}

// RingConfig is the geometry of a receive ring (see afpacket.RxConfig for
// the kernel's rules). Zero fields take the defaults: 128 blocks of 128 KiB
// (16 MiB), 2048-byte frames, 1 ms retire timeout, no spinning.
type RingConfig struct {
	BlockSize, BlockCount, FrameSize int
	RetireTimeout                    time.Duration
	// SpinPolls re-checks the ring this often before sleeping in poll(2).
	SpinPolls int
}

// Frame is a received frame as a Handler sees it. The handler must not keep
// the Frame or Data after it returns.
type Frame struct {
	// Data is the frame from its Ethernet header on, aliasing ring memory.
	Data []byte
	// Timestamp is the kernel receive time (ns since the Unix epoch,
	// CLOCK_REALTIME).
	Timestamp int64
	// Len is the frame's length on the wire (> len(Data) if truncated).
	Len uint32
	// Worker is the receive worker (0..Workers-1) that read the frame.
	Worker int
	// Probe is the frame's probe when HasProbe.
	Probe    Probe
	HasProbe bool
}

// Handler receives every frame a receiver reads.
type Handler func(f *Frame)

// ReceiverConfig configures a Receiver.
type ReceiverConfig struct {
	// Ring is the receive path (default RingAuto).
	Ring RingKind
	// Rate is the expected frame rate, for RingAuto (0: unknown).
	Rate float64
	// Geometry of the ring (ignored for RingRecvfrom).
	Geometry RingConfig
	// RecvBuffer is the socket receive buffer for RingRecvfrom in bytes
	// (default 16 MiB: the default ring's memory, for a fair comparison).
	RecvBuffer int
	// Workers is the number of receive goroutines (default 1). With more
	// than one, each has its own socket in a PACKET_FANOUT_HASH group, so a
	// flow always lands on the same worker.
	Workers int
	// Handler, when set, sees every frame.
	Handler Handler
	// Responder, when set, may answer each frame; replies leave through the
	// receiving interface.
	Responder Responder
	// Expect enables the completeness check: probe sequence numbers
	// 0..Expect-1 are tracked in a bitmap.
	Expect uint64
	// Realtime runs each worker on its own OS thread under SCHED_FIFO
	// (priority 1), so a frame's arrival wakes it at once even when every
	// CPU is busy with ordinary work. The worker sleeps in poll(2) between
	// frames, so it takes no CPU from others while idle; do not combine it
	// with SpinPolls. Needs CAP_SYS_NICE; without it the worker runs at
	// normal priority and RxResult.Err says so.
	Realtime bool
}

// receiver is what one worker reads from.
type rxSocket interface {
	next(buf []byte) (afpacket.Frame, error)
	Stop()
	Stats() (afpacket.Stats, error)
	Close() error
}

type ringSock struct{ *afpacket.RxRing }

func (r ringSock) next([]byte) (afpacket.Frame, error) { return r.RxRing.Next() }

type connSock struct{ *afpacket.Conn }

func (c connSock) next(buf []byte) (afpacket.Frame, error) { return c.Conn.Recv(buf) }

// rxWorker is one receive goroutine's state. Counters are written only by
// the worker; received is atomic because the sender reads it for flow
// control.
type rxWorker struct {
	id       int
	sock     rxSocket
	reply    *afpacket.Conn
	buf      []byte // recvfrom buffer
	out      []byte // reply buffer
	frame    Frame  // handed to the Handler by pointer (allocated once)
	oneWay   latencyHist
	delivery latencyHist
	received atomic.Uint64 // probe frames
	foreign  uint64        // frames without a probe
	reorder  uint64
	replies  uint64
	lastSeq  uint64
	haveLast bool
	err      error
	_        [64]byte // keep workers' hot counters on separate cache lines
}

// Receiver reads one end of a topology with one or more workers, checks and
// times probe frames, hands every frame to an optional Handler and lets an
// optional Responder answer.
type Receiver struct {
	cfg     ReceiverConfig
	workers []*rxWorker
	seen    *seqSet
	wg      sync.WaitGroup
	started bool
	stopped atomic.Bool
	closed  bool
}

// NewReceiver opens the receive sockets (and, with a Responder, one reply
// socket per worker) inside end s's namespace. Start launches the workers.
func NewReceiver(t *Topology, s Side, cfg ReceiverConfig) (*Receiver, error) {
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	if cfg.Workers < 0 || cfg.Workers > 64 {
		return nil, fmt.Errorf("veth: %d receive workers: want 1..64", cfg.Workers)
	}
	if cfg.RecvBuffer == 0 {
		cfg.RecvBuffer = 16 << 20
	}
	cfg.Ring = cfg.Ring.resolve(cfg.Rate)
	r := &Receiver{cfg: cfg}
	if cfg.Expect > 0 {
		r.seen = newSeqSet(cfg.Expect)
	}
	end := t.End(s)
	fan := afpacket.Fanout{}
	if cfg.Workers > 1 {
		fan = afpacket.Fanout{Group: uint16(rand.Uint32()), Mode: afpacket.FanoutHash, Enabled: true}
	}
	err := t.Do(s, func() error {
		for i := 0; i < cfg.Workers; i++ {
			w := &rxWorker{id: i, oneWay: newLatencyHist(), delivery: newLatencyHist()}
			r.workers = append(r.workers, w)
			switch cfg.Ring {
			case RingTPacketV3, RingTPacketV2:
				g := cfg.Geometry
				v := afpacket.TPacketV3
				if cfg.Ring == RingTPacketV2 {
					v = afpacket.TPacketV2
				}
				ring, err := afpacket.NewRxRing(end.Index, afpacket.RxConfig{
					Version: v, BlockSize: g.BlockSize, BlockCount: g.BlockCount, FrameSize: g.FrameSize,
					RetireTimeout: g.RetireTimeout, SpinPolls: g.SpinPolls, Fanout: fan, IgnoreOutgoing: true,
				})
				if err != nil {
					return err
				}
				w.sock = ringSock{ring}
			case RingRecvfrom:
				c, err := afpacket.NewConn(end.Index, afpacket.ConnConfig{Receive: true, RecvBuffer: cfg.RecvBuffer, IgnoreOutgoing: true, Fanout: fan})
				if err != nil {
					return err
				}
				w.sock = connSock{c}
				w.buf = make([]byte, 65536)
			default:
				return fmt.Errorf("veth: ring kind %v unknown", cfg.Ring)
			}
			if cfg.Responder != nil {
				c, err := afpacket.NewConn(end.Index, afpacket.ConnConfig{})
				if err != nil {
					return err
				}
				w.reply = c
				w.out = make([]byte, 65536)
			}
		}
		return nil
	})
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("veth: receiver on %s: %w", end.Link, err)
	}
	return r, nil
}

// Start launches the workers. Frames that arrived since NewReceiver are
// already queued in the rings and are read first.
func (r *Receiver) Start() {
	if r.started {
		return
	}
	r.started = true
	for _, w := range r.workers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.run(w)
		}()
	}
}

func (r *Receiver) run(w *rxWorker) {
	if r.cfg.Realtime {
		runtime.LockOSThread() // the thread dies with the goroutine: never reused at FIFO priority
		if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}, 0); err != nil {
			w.err = fmt.Errorf("veth: realtime priority for worker %d: %w", w.id, err)
		}
	}
	for {
		f, err := w.sock.next(w.buf)
		if err != nil {
			if !errors.Is(err, afpacket.ErrStopped) {
				w.err = err
			}
			return
		}
		r.handle(w, f, time.Now().UnixNano())
	}
}

// handle does the per-frame work of a worker. It must not allocate.
func (r *Receiver) handle(w *rxWorker, f afpacket.Frame, now int64) {
	p, ok := probeOf(f.Data)
	if ok {
		w.oneWay.record(f.Timestamp - p.Sent)
		w.delivery.record(now - p.Sent)
		if w.haveLast && p.Seq < w.lastSeq {
			w.reorder++
		}
		w.lastSeq, w.haveLast = p.Seq, true
		if r.seen != nil {
			r.seen.add(p.Seq)
		}
		w.received.Add(1)
	} else {
		w.foreign++
	}
	if r.cfg.Handler != nil {
		w.frame = Frame{Data: f.Data, Timestamp: f.Timestamp, Len: f.Len, Worker: w.id, Probe: p, HasProbe: ok}
		r.cfg.Handler(&w.frame)
	}
	if w.reply != nil {
		if n := r.cfg.Responder.Respond(f.Data, w.out); n > 0 && n <= len(w.out) {
			if err := w.reply.Send(w.out[:n]); err == nil {
				w.replies++
			}
		}
	}
}

// Received returns how many probe frames the workers have read so far.
// Safe from any goroutine.
func (r *Receiver) Received() uint64 {
	var n uint64
	for _, w := range r.workers {
		n += w.received.Load()
	}
	return n
}

// Stop makes the workers return and waits for them.
func (r *Receiver) Stop() {
	if r.stopped.Swap(true) {
		r.wg.Wait()
		return
	}
	for _, w := range r.workers {
		if w.sock != nil {
			w.sock.Stop()
		}
		if w.reply != nil {
			w.reply.Stop()
		}
	}
	r.wg.Wait()
}

// KernelStats are a receiver's PACKET_STATISTICS summed over its sockets.
type KernelStats struct {
	// Packets the kernel passed to the sockets, drops included.
	Packets uint64
	// Drops: frames lost because a ring or receive buffer was full.
	Drops uint64
	// FreezeQueue: times a TPACKET_V3 ring ran out of free blocks.
	FreezeQueue uint64
}

// RxResult is what a Receiver measured.
type RxResult struct {
	// Ring (resolved, never RingAuto) and Workers as configured.
	Ring    RingKind
	Workers int
	// Received counts probe frames; Foreign counts other frames (ARP,
	// frames from other tools).
	Received, Foreign uint64
	// Expected, Missing, Duplicates and OutOfRange come from the
	// completeness check (zero without ReceiverConfig.Expect). FirstMissing
	// lists up to 10 missing sequence numbers.
	Expected, Missing, Duplicates, OutOfRange uint64
	FirstMissing                              []uint64
	// Reordered counts probes that arrived after a higher sequence number
	// on the same worker.
	Reordered uint64
	// Replies counts frames the Responder sent.
	Replies uint64
	// Kernel holds the sockets' PACKET_STATISTICS.
	Kernel KernelStats
	// OneWay is kernel receive timestamp minus send timestamp: the time
	// from the sender's clock read to the frame landing in the ring.
	OneWay Latency
	// Delivery is the time the worker read the frame minus the send
	// timestamp: what an application on the ring sees, including a
	// TPACKET_V3 block's wait for its retire timer.
	Delivery Latency
	// Err is the first receive error a worker hit, if any.
	Err error
}

// Result returns the measurements. Call it after Stop (workers update the
// counters without locks while they run; Received is the live counter).
func (r *Receiver) Result() RxResult {
	res := RxResult{Ring: r.cfg.Ring, Workers: len(r.workers)}
	ow, dl := newLatencyHist(), newLatencyHist()
	for _, w := range r.workers {
		res.Received += w.received.Load()
		res.Foreign += w.foreign
		res.Reordered += w.reorder
		res.Replies += w.replies
		ow.merge(w.oneWay)
		dl.merge(w.delivery)
		if w.err != nil && res.Err == nil {
			res.Err = w.err
		}
		if w.sock != nil {
			if st, err := w.sock.Stats(); err == nil {
				res.Kernel.Packets += st.Packets
				res.Kernel.Drops += st.Drops
				res.Kernel.FreezeQueue += st.FreezeQueue
			}
		}
	}
	res.OneWay, res.Delivery = ow.summary(), dl.summary()
	if r.seen != nil {
		res.Expected = r.seen.n
		got := r.seen.count()
		res.Missing = r.seen.n - got
		res.Duplicates = r.seen.dups.Load()
		res.OutOfRange = r.seen.outOfRange.Load()
		if res.Missing > 0 {
			res.FirstMissing = r.seen.firstMissing(10)
		}
	}
	return res
}

// Close stops the workers and closes every socket. Result still works
// afterwards.
func (r *Receiver) Close() error {
	r.Stop()
	if r.closed {
		return nil
	}
	r.closed = true
	var errs []error
	for _, w := range r.workers {
		if w.sock != nil {
			if err := w.sock.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		if w.reply != nil {
			if err := w.reply.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
