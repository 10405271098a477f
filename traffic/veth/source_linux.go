package veth

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sessionlab/sessionlab/traffic/internal/afpacket"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// SourceConfig configures a Source.
type SourceConfig struct {
	// Topology is where the traffic runs (from New or Open). Required; the
	// Source does not close it.
	Topology *Topology
	// Frames is what end A plays. Nil means the built-in generator with
	// Gen (addresses default as in Run). A packet.Source is played through
	// NewPacketFrames.
	Frames FrameSource
	// Gen configures the built-in generator when Frames is nil.
	Gen GenConfig
	// Sender sets the rate, count and transmit path at end A.
	Sender SenderConfig
	// Ring and Geometry choose end B's receive path (default RingAuto by
	// Sender.Rate).
	Ring     RingKind
	Geometry RingConfig
	// Responder, when set, answers each frame before Next returns it.
	Responder Responder
	// Drain is how long Next keeps waiting for frames after the sender has
	// finished before it returns io.EOF (default 200 ms). It returns io.EOF
	// at once when every sent frame has arrived.
	Drain time.Duration
}

// Source is a live veth traffic source for the simulator: end A plays
// frames at a paced rate, and Next returns each frame that arrives at end
// B, decoded into a packet.Packet with the kernel receive timestamp. It
// implements packet.Source, so a scenario can run the same pipeline on live
// traffic as on pcap replay. Reply sends frames back out of end B (the
// simulator's replies: RST for a filtered connect, ACKs, echoed data).
//
// Next, Reply and Close belong to one goroutine; Stats may be called from
// any.
type Source struct {
	cfg    SourceConfig
	rx     rxSocket
	reply  *afpacket.Conn
	sender *Sender
	buf    []byte
	out    []byte

	started  bool
	sendDone atomic.Bool
	sendErr  error
	wg       sync.WaitGroup
	cancel   context.CancelFunc
	drain    *time.Timer

	frames   atomic.Uint64 // frames returned (ARP excluded)
	probes   atomic.Uint64
	replies  atomic.Uint64
	statsMu  sync.Mutex
	oneWay   latencyHist
	delivery latencyHist
	closed   bool
	tx       TxResult
}

// NewSource opens end B's receive and reply sockets and end A's sender.
// Sending starts with the first call to Next.
func NewSource(cfg SourceConfig) (*Source, error) {
	t := cfg.Topology
	if t == nil {
		return nil, errors.New("veth: source without a topology")
	}
	if cfg.Drain == 0 {
		cfg.Drain = 200 * time.Millisecond
	}
	b := t.End(B)
	if cfg.Frames == nil {
		g := addressed(cfg.Gen, t)
		if g.Count == 0 {
			g.Count = cfg.Sender.Count
		}
		gen, err := NewGenerator(g)
		if err != nil {
			return nil, err
		}
		cfg.Frames = gen
	}
	s := &Source{cfg: cfg, oneWay: newLatencyHist(), delivery: newLatencyHist(), buf: make([]byte, 65536), out: make([]byte, 65536)}
	ring := cfg.Ring.resolve(cfg.Sender.Rate)
	err := t.Do(B, func() error {
		switch ring {
		case RingTPacketV3, RingTPacketV2:
			v := afpacket.TPacketV3
			if ring == RingTPacketV2 {
				v = afpacket.TPacketV2
			}
			g := cfg.Geometry
			r, err := afpacket.NewRxRing(b.Index, afpacket.RxConfig{Version: v, BlockSize: g.BlockSize, BlockCount: g.BlockCount,
				FrameSize: g.FrameSize, RetireTimeout: g.RetireTimeout, SpinPolls: g.SpinPolls, IgnoreOutgoing: true})
			if err != nil {
				return err
			}
			s.rx = ringSock{r}
		case RingRecvfrom:
			c, err := afpacket.NewConn(b.Index, afpacket.ConnConfig{Receive: true, RecvBuffer: 16 << 20, IgnoreOutgoing: true})
			if err != nil {
				return err
			}
			s.rx = connSock{c}
		default:
			return fmt.Errorf("veth: ring kind %v unknown", ring)
		}
		var err error
		s.reply, err = afpacket.NewConn(b.Index, afpacket.ConnConfig{})
		return err
	})
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("veth: source on %s: %w", b.Link, err)
	}
	s.sender, err = NewSender(t, A, cfg.Frames, cfg.Sender)
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) start() {
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.sendErr = s.sender.Run(ctx)
		s.sendDone.Store(true)
		// Give stragglers Drain to arrive, then wake a blocked Next.
		s.drain = time.AfterFunc(s.cfg.Drain, s.rx.Stop)
	}()
}

// Next fills *p with the next frame received at end B: decoded as
// Ethernet, Timestamp the kernel receive time, Data aliasing the ring until
// the next call. It returns io.EOF once the sender has finished and every
// frame it sent has arrived (or Drain has passed), and the sender's error
// if sending failed. A frame that does not decode returns the decoder's
// error wrapped with the frame's index; the next call continues.
func (s *Source) Next(p *packet.Packet) error {
	if s.closed {
		return io.EOF
	}
	if !s.started {
		s.start()
	}
	for {
		if s.sendDone.Load() && s.frames.Load() >= s.sender.Sent() {
			return s.eof()
		}
		f, err := s.rx.next(s.buf)
		if err != nil {
			if errors.Is(err, afpacket.ErrStopped) {
				return s.eof()
			}
			return fmt.Errorf("veth: receive: %w", err)
		}
		now := time.Now().UnixNano()
		if len(f.Data) >= ethLen && binary.BigEndian.Uint16(f.Data[12:]) == etherTypeARP {
			s.respond(f.Data)
			continue // link chatter, not traffic: answered, not returned
		}
		if pr, ok := probeOf(f.Data); ok {
			s.statsMu.Lock()
			s.oneWay.record(f.Timestamp - pr.Sent)
			s.delivery.record(now - pr.Sent)
			s.statsMu.Unlock()
			s.probes.Add(1)
		}
		idx := s.frames.Add(1) - 1
		s.respond(f.Data)
		p.Timestamp, p.WireLen, p.Interface = f.Timestamp, f.Len, 0
		if err := packet.Decode(f.Data, packet.LinkEthernet, p); err != nil {
			return fmt.Errorf("veth: frame %d: %w", idx, err)
		}
		return nil
	}
}

func (s *Source) respond(frame []byte) {
	if s.cfg.Responder == nil {
		return
	}
	if n := s.cfg.Responder.Respond(frame, s.out); n > 0 && n <= len(s.out) {
		if s.reply.Send(s.out[:n]) == nil {
			s.replies.Add(1)
		}
	}
}

func (s *Source) eof() error {
	s.wg.Wait()
	if s.sendErr != nil {
		return s.sendErr
	}
	return io.EOF
}

// Reply sends frame (a whole Ethernet frame) out of end B towards end A.
func (s *Source) Reply(frame []byte) error {
	if s.closed {
		return errors.New("veth: Reply on a closed source")
	}
	if err := s.reply.Send(frame); err != nil {
		return err
	}
	s.replies.Add(1)
	return nil
}

// SourceStats are a Source's counters and latencies so far.
type SourceStats struct {
	// Sent is the number of frames end A sent; Received the frames Next
	// returned (ARP excluded); Probes those that carried a probe; Replies
	// the frames sent back out of end B.
	Sent, Received, Probes, Replies uint64
	// Kernel are end B's PACKET_STATISTICS.
	Kernel KernelStats
	// OneWay and Delivery are as in RxResult.
	OneWay, Delivery Latency
	// TX is the sender's result, including round-trip times of replies
	// when SourceConfig.Sender.Replies is set. Filled in after Close.
	TX TxResult
}

// Stats returns the counters so far. Sent is final once Next returned
// io.EOF.
func (s *Source) Stats() SourceStats {
	st := SourceStats{Received: s.frames.Load(), Probes: s.probes.Load(), Replies: s.replies.Load(), TX: s.tx}
	if s.sendDone.Load() {
		st.Sent = s.sender.Sent()
	}
	s.statsMu.Lock()
	st.OneWay, st.Delivery = s.oneWay.summary(), s.delivery.summary()
	s.statsMu.Unlock()
	if s.rx != nil {
		if k, err := s.rx.Stats(); err == nil {
			st.Kernel = KernelStats{Packets: k.Packets, Drops: k.Drops, FreezeQueue: k.FreezeQueue}
		}
	}
	return st
}

// Close stops the sender and closes every socket. The topology stays.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.cancel != nil {
		s.cancel()
	}
	if s.sender != nil {
		s.sender.Stop()
	}
	s.wg.Wait()
	if s.drain != nil {
		s.drain.Stop()
	}
	var errs []error
	if s.sender != nil {
		s.awaitReplies()
		errs = append(errs, s.sender.Close())
		s.tx = s.sender.Result()
	}
	if s.rx != nil {
		errs = append(errs, s.rx.Close())
	}
	if s.reply != nil {
		errs = append(errs, s.reply.Close())
	}
	return errors.Join(errs...)
}

// awaitReplies gives the replies sent just before Close up to Drain to
// reach the sending end, so that closing the reply ring does not lose the
// round trips still on the wire (a loaded machine can take milliseconds).
func (s *Source) awaitReplies() {
	if s.sender.rring == nil {
		return
	}
	deadline := time.Now().Add(s.cfg.Drain)
	for s.sender.replies.Load() < s.replies.Load() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
}

var _ packet.Source = (*Source)(nil)
