package veth

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionlab/sessionlab/traffic/internal/afpacket"
)

// TxKind selects a sender's transmit path.
type TxKind int

// Transmit paths.
const (
	// TxRing copies frames into a TPACKET_V2 transmit ring and kicks the
	// kernel once per batch (the default: fastest on small frames).
	TxRing TxKind = iota
	// TxSendmmsg sends a batch with one sendmmsg(2).
	TxSendmmsg
	// TxSendto sends each frame with its own sendto(2).
	TxSendto
)

var txNames = [...]string{"txring", "sendmmsg", "sendto"}

// String returns "txring", "sendmmsg" or "sendto".
func (k TxKind) String() string {
	if k >= 0 && int(k) < len(txNames) {
		return txNames[k]
	}
	return fmt.Sprintf("TxKind(%d)", int(k))
}

// ParseTx parses a TxKind name.
func ParseTx(s string) (TxKind, error) {
	for i, n := range txNames {
		if s == n {
			return TxKind(i), nil
		}
	}
	return 0, fmt.Errorf("veth: transmit path %q: want txring, sendmmsg or sendto", s)
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	// TX is the transmit path (default TxRing).
	TX TxKind
	// Batch is how many frames go per kernel call when unpaced or behind
	// schedule (default 64).
	Batch int
	// Rate is the frame rate in frames per second; 0 sends as fast as the
	// path allows.
	Rate float64
	// Count stops after this many frames (0: when the source ends).
	Count uint64
	// Spin is the pacer's spin window (default 30 µs, see Pacer).
	Spin time.Duration
	// NoStamp leaves frames as the source made them. By default each frame
	// gets a Probe (sequence number = send index, send time) at the start of
	// its L4 payload; frames without room for one are sent unchanged and
	// counted in TxResult.Unstamped.
	NoStamp bool
	// Window, with Credit, bounds frames in flight: the sender waits while
	// sent - Credit() >= Window. Credit returns how many frames the far end
	// has consumed (Receiver.Received). This makes a run lossless by
	// construction when Window is below the receive buffer's capacity, so a
	// throughput measurement reports a rate with no drops.
	Window uint64
	Credit func() uint64
	// Replies opens a TPACKET_V2 ring on the sending end to time replies
	// from a Responder: round-trip time = kernel receive timestamp of the
	// reply - send timestamp of the probe it answers.
	Replies bool
}

// Sender plays frames from a FrameSource out of one end of a topology at a
// paced rate.
type Sender struct {
	cfg   SenderConfig
	src   FrameSource
	w     afpacket.Writer
	rring *afpacket.RxRing

	sentAt []atomic.Int64 // send time by seq % len, for replies without a payload
	stop   atomic.Bool
	wg     sync.WaitGroup

	res       TxResult
	rtt       latencyHist
	replies   atomic.Uint64
	unmatched uint64
}

// TxResult is what a Sender did.
type TxResult struct {
	// TX is the transmit path used.
	TX TxKind
	// Sent counts frames handed to the kernel; Unstamped those among them
	// that carry no probe.
	Sent, Unstamped uint64
	// Retries counts sends the kernel refused for lack of buffer space and
	// that were retried; Syscalls counts send system calls.
	Retries, Syscalls uint64
	// Start and End bound the send loop; Rate is Sent over that time.
	Start, End time.Time
	Rate       float64
	// Replies counts replies timed; Unmatched replies that named no probe
	// still in the send-time table.
	Replies, Unmatched uint64
	// RTT is the round-trip time of timed replies.
	RTT Latency
}

const sentAtSize = 1 << 16

// NewSender opens the transmit socket (and with Replies a reply ring)
// inside end s's namespace.
func NewSender(t *Topology, s Side, src FrameSource, cfg SenderConfig) (*Sender, error) {
	if src == nil {
		return nil, errors.New("veth: sender without a frame source")
	}
	if cfg.Batch == 0 {
		cfg.Batch = 64
	}
	if cfg.Spin == 0 {
		cfg.Spin = 30 * time.Microsecond
	}
	if cfg.Batch < 1 || cfg.Batch > 4096 {
		return nil, fmt.Errorf("veth: sender batch %d: want 1..4096", cfg.Batch)
	}
	if cfg.Rate < 0 {
		return nil, fmt.Errorf("veth: sender rate %g: must not be negative", cfg.Rate)
	}
	if (cfg.Window == 0) != (cfg.Credit == nil) {
		return nil, errors.New("veth: sender Window and Credit go together")
	}
	snd := &Sender{cfg: cfg, src: src, rtt: newLatencyHist()}
	end := t.End(s)
	err := t.Do(s, func() error {
		var err error
		tc := afpacket.TxConfig{FrameCount: max(256, 2*cfg.Batch), Batch: cfg.Batch, FrameSize: 2048}
		if t.MTU+ethLen+64 > tc.FrameSize {
			tc.FrameSize = (t.MTU + ethLen + 64 + 15) &^ 15
		}
		switch cfg.TX {
		case TxRing:
			snd.w, err = afpacket.NewTxRing(end.Index, tc)
		case TxSendmmsg:
			snd.w, err = afpacket.NewBatch(end.Index, tc)
		case TxSendto:
			var c *afpacket.Conn
			if c, err = afpacket.NewConn(end.Index, afpacket.ConnConfig{}); err == nil {
				snd.w = &connWriter{c: c}
			}
		default:
			err = fmt.Errorf("veth: transmit path %v unknown", cfg.TX)
		}
		if err != nil {
			return err
		}
		if cfg.Replies {
			// 4096 slots: at 20k replies/s the reply ring rides out a 200 ms
			// stall of the reply reader.
			snd.sentAt = make([]atomic.Int64, sentAtSize)
			snd.rring, err = afpacket.NewRxRing(end.Index, afpacket.RxConfig{Version: afpacket.TPacketV2, BlockSize: 1 << 17, BlockCount: 64, IgnoreOutgoing: true})
		}
		return err
	})
	if err != nil {
		snd.Close()
		return nil, fmt.Errorf("veth: sender on %s: %w", end.Link, err)
	}
	return snd, nil
}

// Run sends until the source ends, Count frames are out, ctx is done or
// Stop is called, then flushes. It returns nil in all those cases and an
// error only when sending fails.
func (s *Sender) Run(ctx context.Context) error {
	if s.rring != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.readReplies()
		}()
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, s.Stop)
		defer stop()
	}
	if s.cfg.Rate > 0 {
		defer lockForPacing()()
	}
	pacer := NewPacer(s.cfg.Rate, s.cfg.Spin)
	paced := s.cfg.Rate > 0
	pacer.MaxBurst = uint64(s.cfg.Batch)
	pacer.Stop = s.stop.Load
	s.res.TX = s.cfg.TX
	s.res.Start = time.Now()
	defer func() {
		s.res.End = time.Now()
		st := s.w.TxStats()
		s.res.Retries, s.res.Syscalls = st.Retries, st.Syscalls
		if el := s.res.End.Sub(s.res.Start).Seconds(); el > 0 {
			s.res.Rate = float64(s.res.Sent) / el
		}
	}()
	var err error
	for !s.stop.Load() {
		if s.cfg.Count != 0 && s.res.Sent >= s.cfg.Count {
			break
		}
		n := pacer.Wait(s.res.Sent)
		if n == 0 {
			break
		}
		if s.cfg.Count != 0 {
			n = min(n, s.cfg.Count-s.res.Sent)
		}
		if s.cfg.Window != 0 {
			n = s.waitWindow(n)
			if n == 0 {
				break
			}
		}
		var eof bool
		for i := uint64(0); i < n; i++ {
			if eof, err = s.sendOne(); eof || err != nil {
				break
			}
		}
		if err != nil {
			break
		}
		if paced || eof {
			if err = s.w.Flush(); err != nil {
				break
			}
		}
		if eof {
			break
		}
	}
	if ferr := s.w.Flush(); err == nil && !errors.Is(ferr, afpacket.ErrStopped) {
		err = ferr
	}
	if errors.Is(err, afpacket.ErrStopped) {
		err = nil
	}
	return err
}

// waitWindow returns how many of n frames may go without exceeding the
// in-flight window, flushing and waiting while none may.
func (s *Sender) waitWindow(n uint64) uint64 {
	flushed := false
	for spins := 0; ; spins++ {
		inFlight := s.res.Sent - min(s.res.Sent, s.cfg.Credit())
		if inFlight < s.cfg.Window {
			return min(n, s.cfg.Window-inFlight)
		}
		if s.stop.Load() {
			return 0
		}
		if !flushed {
			if err := s.w.Flush(); err != nil {
				return 0
			}
			flushed = true
		}
		if spins < 64 {
			runtime.Gosched()
		} else {
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// sendOne takes one frame from the source, stamps it and queues it.
func (s *Sender) sendOne() (eof bool, err error) {
	frame, err := s.src.NextFrame()
	if err == io.EOF {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("veth: frame source: %w", err)
	}
	seq := s.res.Sent
	if !s.cfg.NoStamp {
		now := time.Now().UnixNano()
		if Stamp(frame, Probe{Seq: seq, Sent: now}) {
			if s.sentAt != nil {
				s.sentAt[seq%sentAtSize].Store(now)
			}
		} else {
			s.res.Unstamped++
		}
	}
	if err := s.w.Write(frame); err != nil {
		return false, err
	}
	s.res.Sent++
	return false, nil
}

// readReplies times replies arriving at the sending end.
func (s *Sender) readReplies() {
	for {
		f, err := s.rring.Next()
		if err != nil {
			return
		}
		if p, ok := probeOf(f.Data); ok {
			s.rtt.record(f.Timestamp - p.Sent)
			s.replies.Add(1)
			continue
		}
		// A reply without payload: a RST or bare ACK acknowledging our
		// segment. For the generator's SYNs seq = probe index, so ack-1
		// names it.
		v := parseFrame(f.Data)
		if !v.ok || v.proto != protoTCP {
			continue
		}
		ack := binary.BigEndian.Uint32(f.Data[v.l4+8:])
		seq := uint64(ack - 1)
		if sent := s.sentAt[seq%sentAtSize].Load(); sent != 0 {
			s.rtt.record(f.Timestamp - sent)
			s.replies.Add(1)
		} else {
			s.unmatched++
		}
	}
}

// Stop makes Run return after its current batch. Safe from any goroutine.
func (s *Sender) Stop() {
	s.stop.Store(true)
}

// StopReplies stops timing replies (call it once the far end is quiet).
func (s *Sender) StopReplies() {
	if s.rring != nil {
		s.rring.Stop()
	}
	s.wg.Wait()
}

// Sent returns how many frames have been sent. Only meaningful after Run
// returned, or from Run's goroutine.
func (s *Sender) Sent() uint64 { return s.res.Sent }

// Result returns what the sender did; call it after Run and StopReplies.
func (s *Sender) Result() TxResult {
	r := s.res
	r.Replies = s.replies.Load()
	r.Unmatched = s.unmatched
	r.RTT = s.rtt.summary()
	return r
}

// Close stops reply timing and closes the sockets.
func (s *Sender) Close() error {
	s.Stop()
	s.StopReplies()
	var errs []error
	if s.w != nil {
		if err := s.w.Close(); err != nil && !errors.Is(err, afpacket.ErrStopped) {
			errs = append(errs, err)
		}
	}
	if s.rring != nil {
		errs = append(errs, s.rring.Close())
	}
	return errors.Join(errs...)
}

// connWriter adapts a plain socket to afpacket.Writer: one sendto per frame.
type connWriter struct {
	c     *afpacket.Conn
	stats afpacket.TxStats
}

func (w *connWriter) Write(frame []byte) error {
	w.stats.Syscalls++
	if err := w.c.Send(frame); err != nil {
		return err
	}
	w.stats.Frames++
	return nil
}
func (w *connWriter) Flush() error              { return nil }
func (w *connWriter) TxStats() afpacket.TxStats { return w.stats }
func (w *connWriter) Close() error              { return w.c.Close() }
