package veth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// RunConfig describes one measured run: the built-in generator plays frames
// from end A to end B, a Receiver reads them at B.
type RunConfig struct {
	// Gen configures the generator. Zero addresses default to the
	// topology's: source MAC of end A, destination MAC of end B, source
	// address ClientAddr, destination end B's address.
	Gen GenConfig
	// Sender configures the sending end (Count defaults to Gen.Count).
	Sender SenderConfig
	// Receiver configures end B. Expect defaults to the frame count, so a
	// bounded run is checked for completeness.
	Receiver ReceiverConfig
	// Reply makes end B answer with the built-in Replier and end A time the
	// replies (round-trip latency).
	Reply bool
	// Drain is how long to wait for the last frames after sending ends
	// (default 1 s; the wait ends early once every frame has arrived).
	Drain time.Duration
}

// ClientAddr returns the address the generator uses at end A by default:
// the address after end B's. No kernel owns it, so neither namespace's IP
// stack reacts to frames for it (replies to it are dropped silently in
// namespace A after the reply ring has seen them).
func ClientAddr(t *Topology) netip.Addr { return t.End(B).Addr.Addr().Next() }

// Report is the outcome of Run.
type Report struct {
	TX TxResult
	RX RxResult
	// Lost is frames sent minus probe frames received (0 for a complete
	// run).
	Lost uint64
}

// Err returns an error describing why the run is incomplete (frames
// missing, duplicated or dropped by the kernel), or nil.
func (r *Report) Err() error {
	var errs []error
	if r.RX.Err != nil {
		errs = append(errs, r.RX.Err)
	}
	if r.Lost > 0 {
		errs = append(errs, fmt.Errorf("veth: %d of %d frames not received (first missing seqs %v)", r.Lost, r.TX.Sent, r.RX.FirstMissing))
	}
	if r.RX.Missing > 0 && r.Lost == 0 {
		errs = append(errs, fmt.Errorf("veth: %d sequence numbers missing (first %v)", r.RX.Missing, r.RX.FirstMissing))
	}
	if r.RX.Duplicates > 0 || r.RX.OutOfRange > 0 {
		errs = append(errs, fmt.Errorf("veth: %d duplicate and %d out-of-range sequence numbers", r.RX.Duplicates, r.RX.OutOfRange))
	}
	if r.RX.Kernel.Drops > 0 {
		errs = append(errs, fmt.Errorf("veth: kernel dropped %d frames (PACKET_STATISTICS)", r.RX.Kernel.Drops))
	}
	return errors.Join(errs...)
}

// addressed returns g with the addresses it leaves zero filled in for a
// flow from end A to end B of t: A's MAC and ClientAddr as the source, B's
// MAC and address as the destination.
func addressed(g GenConfig, t *Topology) GenConfig {
	a, b := t.End(A), t.End(B)
	if g.SrcMAC == ([6]byte{}) {
		g.SrcMAC = [6]byte(a.MAC)
	}
	if g.DstMAC == ([6]byte{}) {
		g.DstMAC = [6]byte(b.MAC)
	}
	if !g.Src.IsValid() {
		g.Src = ClientAddr(t)
	}
	if !g.Dst.IsValid() {
		g.Dst = b.Addr.Addr()
	}
	return g
}

// Run plays cfg.Gen from end A to end B of t and measures what arrives.
// It returns when every frame has arrived or Drain has passed after the last
// send, or when ctx is done.
func Run(ctx context.Context, t *Topology, cfg RunConfig) (Report, error) {
	b := t.End(B)
	g := addressed(cfg.Gen, t)
	if cfg.Sender.Count == 0 {
		cfg.Sender.Count = g.Count
	}
	if g.Count == 0 {
		g.Count = cfg.Sender.Count
	}
	if cfg.Receiver.Expect == 0 {
		cfg.Receiver.Expect = cfg.Sender.Count
	}
	if cfg.Receiver.Rate == 0 {
		cfg.Receiver.Rate = cfg.Sender.Rate
	}
	if cfg.Drain == 0 {
		cfg.Drain = time.Second
	}
	gen, err := NewGenerator(g)
	if err != nil {
		return Report{}, err
	}
	if cfg.Reply {
		cfg.Receiver.Responder = NewReplier([6]byte(b.MAC), b.Addr.Addr())
		cfg.Sender.Replies = true
	}
	rx, err := NewReceiver(t, B, cfg.Receiver)
	if err != nil {
		return Report{}, err
	}
	defer rx.Close()
	if cfg.Sender.Window != 0 && cfg.Sender.Credit == nil {
		cfg.Sender.Credit = rx.Received
	}
	tx, err := NewSender(t, A, gen, cfg.Sender)
	if err != nil {
		return Report{}, err
	}
	defer tx.Close()
	rx.Start()
	if err := tx.Run(ctx); err != nil {
		return Report{}, err
	}
	sent := tx.Sent()
	deadline := time.Now().Add(cfg.Drain)
	for rx.Received() < sent && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	if cfg.Reply {
		// Let the last replies cross back before the reply ring stops.
		for tx.replies.Load() < sent && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}
	tx.StopReplies()
	rx.Stop()
	rep := Report{TX: tx.Result(), RX: rx.Result()}
	if rep.RX.Received < rep.TX.Sent {
		rep.Lost = rep.TX.Sent - rep.RX.Received
	}
	return rep, nil
}
