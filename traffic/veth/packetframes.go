package veth

import (
	"encoding/binary"
	"fmt"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// PacketFrames plays a packet.Source (a pcap replay, a synthetic schedule)
// as Ethernet frames for a Sender. Ethernet frames are copied and get the
// topology's MAC addresses, so they arrive at end B addressed to it; raw IP
// (and other link types carrying IP) gets an Ethernet header. Frames that
// cannot go on the wire are skipped and counted, never silently lost:
// non-IP frames of non-Ethernet links in Skipped, frames longer than
// MaxFrame in Oversize (captures often hold offloaded super-frames).
//
// It does not pace: the Sender's rate does, or a source that blocks until
// each packet is due (a timed replay).
type PacketFrames struct {
	src packet.Source
	p   packet.Packet
	buf []byte
	// SrcMAC and DstMAC replace the Ethernet addresses of every frame.
	SrcMAC, DstMAC [6]byte
	// MaxFrame is the largest frame sent (Ethernet header included).
	MaxFrame int
	// Frames counts frames handed out; Skipped and Oversize count dropped
	// packets (see the type comment).
	Frames, Skipped, Oversize uint64
}

// NewPacketFrames wraps src. maxFrame is typically the topology's MTU + 14.
func NewPacketFrames(src packet.Source, srcMAC, dstMAC [6]byte, maxFrame int) *PacketFrames {
	return &PacketFrames{src: src, SrcMAC: srcMAC, DstMAC: dstMAC, MaxFrame: maxFrame, buf: make([]byte, max(maxFrame, MinFrame))}
}

// NextFrame returns the next sendable frame, or the source's error (io.EOF
// at the end).
func (f *PacketFrames) NextFrame() ([]byte, error) {
	for {
		if err := f.src.Next(&f.p); err != nil {
			return nil, err
		}
		p := &f.p
		var n int
		switch {
		case p.Link == packet.LinkEthernet && len(p.Data) >= ethLen:
			if len(p.Data) > f.MaxFrame {
				f.Oversize++
				continue
			}
			n = copy(f.buf, p.Data)
		case p.Family == 4 || p.Family == 6:
			ip := p.Data[p.L3Offset:]
			if ethLen+len(ip) > f.MaxFrame {
				f.Oversize++
				continue
			}
			et := uint16(etherTypeIPv4)
			if p.Family == 6 {
				et = 0x86dd
			}
			binary.BigEndian.PutUint16(f.buf[12:], et)
			n = ethLen + copy(f.buf[ethLen:], ip)
		default:
			f.Skipped++
			continue
		}
		copy(f.buf[0:6], f.DstMAC[:])
		copy(f.buf[6:12], f.SrcMAC[:])
		if n < MinFrame {
			clear(f.buf[n:MinFrame])
			n = MinFrame
		}
		f.Frames++
		return f.buf[:n], nil
	}
}

// String summarises the counters.
func (f *PacketFrames) String() string {
	return fmt.Sprintf("%d frames, %d skipped (not IP), %d oversize (> %d bytes)", f.Frames, f.Skipped, f.Oversize, f.MaxFrame)
}
