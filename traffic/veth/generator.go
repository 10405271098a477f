package veth

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
)

// FrameSource yields Ethernet frames for a Sender. NextFrame returns a frame
// in a buffer the source owns, valid until the next call; the sender may
// write into it (to stamp the probe) before sending. io.EOF ends the stream.
type FrameSource interface {
	NextFrame() ([]byte, error)
}

// GenConfig configures the built-in frame generator.
type GenConfig struct {
	// Proto is "udp" (default) or "tcp".
	Proto string
	// TCPFlags are the flags of generated TCP segments (default PSH|ACK,
	// data; TCPSyn makes connection attempts, which the built-in responder
	// answers with RST as a filtered connect would be).
	TCPFlags uint8
	// FrameSize is the frame length in bytes without FCS: at least MinFrame
	// and room for the headers and a Probe (0: 64 for UDP, 74 for TCP, the
	// smallest frames that carry a probe).
	FrameSize int
	// Flows is the number of distinct flows (default 1). Flow i uses source
	// port SrcPort+i, so PACKET_FANOUT_HASH spreads them over workers.
	Flows int
	// Count is the number of frames before io.EOF; 0 means endless.
	Count uint64
	// SrcMAC, DstMAC, Src, Dst, SrcPort, DstPort describe flow 0. Zero
	// ports default to 40000 and 5001.
	SrcMAC, DstMAC   [6]byte
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
}

// Generator builds frames of one or more UDP or TCP flows, each carrying a
// Probe at the start of its payload. Frames are built once per flow; each
// NextFrame only rewrites the probe and patches the L4 checksum, so it is
// cheap enough to saturate a veth and never allocates.
type Generator struct {
	cfg    GenConfig
	frames [][]byte // one prebuilt frame per flow
	probe  int      // payload offset of the probe
	csum   int      // offset of the L4 checksum
	seq    uint64   // next TCP sequence bookkeeping and frame count
	next   int      // next flow
}

// NewGenerator prebuilds one frame per flow.
func NewGenerator(cfg GenConfig) (*Generator, error) {
	if cfg.Proto == "" {
		cfg.Proto = "udp"
	}
	if cfg.Flows == 0 {
		cfg.Flows = 1
	}
	if cfg.SrcPort == 0 {
		cfg.SrcPort = 40000
	}
	if cfg.DstPort == 0 {
		cfg.DstPort = 5001
	}
	fl := Flow{SrcMAC: cfg.SrcMAC, DstMAC: cfg.DstMAC, Src: cfg.Src, Dst: cfg.Dst, DstPort: cfg.DstPort}
	switch cfg.Proto {
	case "udp":
		fl.Proto = protoUDP
	case "tcp":
		fl.Proto = protoTCP
		if cfg.TCPFlags == 0 {
			cfg.TCPFlags = TCPPsh | TCPAck
		}
	default:
		return nil, fmt.Errorf("veth: generator protocol %q: want udp or tcp", cfg.Proto)
	}
	if cfg.Flows < 1 || cfg.Flows > 65535-int(cfg.SrcPort)+1 {
		return nil, fmt.Errorf("veth: generator: %d flows from source port %d do not fit the port range", cfg.Flows, cfg.SrcPort)
	}
	if cfg.FrameSize == 0 {
		cfg.FrameSize = max(64, fl.HeaderLen()+ProbeLen)
	}
	if minLen := fl.HeaderLen() + ProbeLen; cfg.FrameSize < minLen || cfg.FrameSize < MinFrame {
		return nil, fmt.Errorf("veth: generator: frame size %d below the minimum %d (headers and probe)", cfg.FrameSize, max(minLen, MinFrame))
	}
	if cfg.FrameSize > 65535 {
		return nil, fmt.Errorf("veth: generator: frame size %d too large", cfg.FrameSize)
	}
	g := &Generator{cfg: cfg, probe: fl.HeaderLen()}
	g.csum = ethLen + ipv4Len + 6
	if fl.Proto == protoTCP {
		g.csum = ethLen + ipv4Len + 16
	}
	var zero [ProbeLen]byte
	for i := 0; i < cfg.Flows; i++ {
		fl.SrcPort = cfg.SrcPort + uint16(i)
		buf := make([]byte, cfg.FrameSize)
		if _, err := fl.Build(buf, TCPFields{Flags: cfg.TCPFlags}, zero[:], cfg.FrameSize); err != nil {
			return nil, err
		}
		g.frames = append(g.frames, buf)
	}
	return g, nil
}

// NextFrame returns the next flow's frame with a zero probe (the Sender
// stamps it). For TCP the sequence number is the frame's index, so a reply
// to a SYN (ack = seq+1) identifies the probe even without a payload.
func (g *Generator) NextFrame() ([]byte, error) {
	if g.cfg.Count != 0 && g.seq >= g.cfg.Count {
		return nil, io.EOF
	}
	f := g.frames[g.next]
	g.next++
	if g.next == len(g.frames) {
		g.next = 0
	}
	if g.cfg.Proto == "tcp" {
		// Rewrite the sequence number and fix the checksum incrementally.
		l4 := f[ethLen+ipv4Len:]
		var old, nw [4]byte
		copy(old[:], l4[4:8])
		binary.BigEndian.PutUint32(nw[:], uint32(g.seq))
		copy(l4[4:8], nw[:])
		c := updateChecksum(binary.BigEndian.Uint16(l4[16:]), old[:], nw[:])
		binary.BigEndian.PutUint16(l4[16:], c)
	}
	g.seq++
	return f, nil
}

// Stamp writes probe p into frame (an Ethernet/IPv4/TCP-or-UDP frame with
// at least ProbeLen bytes of payload) and patches the L4 checksum. It
// reports false, leaving the frame alone, when the frame has no room for a
// probe.
func Stamp(frame []byte, p Probe) bool {
	v := parseFrame(frame)
	if !v.ok {
		return false
	}
	end := ethLen + int(binary.BigEndian.Uint16(frame[ethLen+2:]))
	if end-v.payload < ProbeLen {
		return false
	}
	stampAt(frame, v.l4, v.payload, v.proto, p)
	return true
}

// stampAt writes the probe at payload offset off and updates the checksum
// of the L4 header at l4. Both offsets are even in any IPv4 frame (header
// lengths are multiples of 4 after a 14-byte Ethernet header), which the
// 16-bit incremental update needs.
func stampAt(frame []byte, l4, off int, proto uint8, p Probe) {
	var old, nw [ProbeLen]byte
	copy(old[:], frame[off:off+ProbeLen])
	p.Put(nw[:])
	copy(frame[off:], nw[:])
	ci := l4 + 16
	if proto == protoUDP {
		ci = l4 + 6
	}
	c := binary.BigEndian.Uint16(frame[ci:])
	if proto == protoUDP && c == 0 {
		return // no checksum
	}
	c = updateChecksum(c, old[:], nw[:])
	if proto == protoUDP && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(frame[ci:], c)
}
