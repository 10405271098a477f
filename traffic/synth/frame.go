package synth

import (
	"encoding/binary"

	"github.com/sessionlab/sessionlab/traffic/packet"
)

// MAC addresses of the generated frames: client traffic reaches the server
// through a router, so every frame is between these two.
var (
	RouterMAC = [6]byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}
	ServerMAC = [6]byte{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}
)

// synOptions are the TCP options of SYN and SYN-ACK: MSS (filled in),
// NOP, NOP, SACK permitted.
var synOptions = [8]byte{2, 4, 0, 0, 1, 1, 4, 2}

// emit builds the frame of a captured event into the generator's buffer and
// decodes it into p.
func (g *Generator) emit(ev *event, p *packet.Packet) {
	f := &g.flows[ev.flow]
	c2s := clientToServer[ev.role]
	b := g.buf[:cap(g.buf)]

	src, dst := f.cli, f.srv
	sport, dport := f.cport, f.sport
	if !c2s {
		src, dst = dst, src
		sport, dport = dport, sport
	}
	n := int(ev.n)

	// Transport fields, from the role and the flow's numbers.
	var seq, ack uint32
	var flags packet.TCPFlags
	withOpts := false
	one := uint32(1)
	req, resp := uint32(f.req), uint32(f.resp)
	switch ev.role {
	case roleSYN, roleFloodSYN, roleScanSYN:
		seq, flags, withOpts = f.issC, packet.TCPSyn, ev.role != roleFloodSYN
	case roleSYNACK, roleFloodSYNACK, roleScanSYNACK:
		seq, ack, flags, withOpts = f.issS, f.issC+one, packet.TCPSyn|packet.TCPAck, true
	case roleHandshakeACK:
		seq, ack, flags = f.issC+one, f.issS+one, packet.TCPAck
	case roleData:
		seq, ack, flags = f.issC+one+uint32(ev.off), f.issS+one, packet.TCPAck
		if ev.off+int64(n) == f.req {
			flags |= packet.TCPPsh
		}
	case roleServerACK:
		seq, ack, flags = f.issS+one, f.issC+one+uint32(ev.off), packet.TCPAck
	case roleResp:
		seq, ack, flags = f.issS+one+uint32(ev.off), f.issC+one+req, packet.TCPAck
		if ev.off+int64(n) == f.resp {
			flags |= packet.TCPPsh
		}
	case roleClientACK:
		seq, ack, flags = f.issC+one+req, f.issS+one+uint32(ev.off), packet.TCPAck
	case roleFIN:
		seq, ack, flags = f.issC+one+req, f.issS+one+resp, packet.TCPFin|packet.TCPAck
	case roleRST:
		seq, ack, flags = f.issC+one+req, f.issS+one+resp, packet.TCPRst|packet.TCPAck
	case roleFINACK:
		seq, ack, flags = f.issS+one+resp, f.issC+one+req+one, packet.TCPFin|packet.TCPAck
	case roleLastACK:
		seq, ack, flags = f.issC+one+req+one, f.issS+one+resp+one, packet.TCPAck
	case roleScanRST:
		seq, flags = f.issC+one, packet.TCPRst
	case roleScanRSTACK:
		ack, flags = f.issC+one, packet.TCPRst|packet.TCPAck
	}
	udp := ev.role == roleUDP || ev.role == roleUDPResp

	// Ethernet.
	if c2s {
		copy(b[0:6], ServerMAC[:])
		copy(b[6:12], RouterMAC[:])
	} else {
		copy(b[0:6], RouterMAC[:])
		copy(b[6:12], ServerMAC[:])
	}
	l4len := 8 + n
	proto := packet.ProtoUDP
	if !udp {
		proto = packet.ProtoTCP
		l4len = 20 + n
		if withOpts {
			l4len += len(synOptions)
		}
	}
	dir := 0
	if !c2s {
		dir = 1
	}
	var l4 []byte
	var frameLen int
	if f.v6 {
		binary.BigEndian.PutUint16(b[12:14], 0x86dd)
		h := b[14:54]
		binary.BigEndian.PutUint32(h[0:4], 6<<28)
		binary.BigEndian.PutUint16(h[4:6], uint16(l4len))
		h[6], h[7] = proto, 64
		binary.BigEndian.PutUint64(h[8:16], src.Hi)
		binary.BigEndian.PutUint64(h[16:24], src.Lo)
		binary.BigEndian.PutUint64(h[24:32], dst.Hi)
		binary.BigEndian.PutUint64(h[32:40], dst.Lo)
		l4 = b[54 : 54+l4len]
		frameLen = 54 + l4len
	} else {
		binary.BigEndian.PutUint16(b[12:14], 0x0800)
		h := b[14:34]
		h[0], h[1] = 0x45, 0
		binary.BigEndian.PutUint16(h[2:4], uint16(20+l4len))
		binary.BigEndian.PutUint16(h[4:6], f.ipID[dir])
		f.ipID[dir]++
		binary.BigEndian.PutUint16(h[6:8], 0x4000) // DF
		h[8], h[9] = 64, proto
		h[10], h[11] = 0, 0
		binary.BigEndian.PutUint32(h[12:16], src.V4())
		binary.BigEndian.PutUint32(h[16:20], dst.V4())
		binary.BigEndian.PutUint16(h[10:12], packet.Fold(packet.Sum(h, 0)))
		l4 = b[34 : 34+l4len]
		frameLen = 34 + l4len
	}
	hl := 8
	if udp {
		binary.BigEndian.PutUint16(l4[0:2], sport)
		binary.BigEndian.PutUint16(l4[2:4], dport)
		binary.BigEndian.PutUint16(l4[4:6], uint16(l4len))
		l4[6], l4[7] = 0, 0
	} else {
		hl = 20
		if withOpts {
			hl += len(synOptions)
		}
		binary.BigEndian.PutUint16(l4[0:2], sport)
		binary.BigEndian.PutUint16(l4[2:4], dport)
		binary.BigEndian.PutUint32(l4[4:8], seq)
		binary.BigEndian.PutUint32(l4[8:12], ack)
		l4[12] = byte(hl/4) << 4
		l4[13] = byte(flags)
		binary.BigEndian.PutUint16(l4[14:16], 65535)
		l4[16], l4[17], l4[18], l4[19] = 0, 0, 0, 0
		if withOpts {
			copy(l4[20:hl], synOptions[:])
			binary.BigEndian.PutUint16(l4[22:24], uint16(g.opt.MSS))
		}
	}
	copy(l4[hl:], g.pattern[:n])
	// The payload's sum comes from the prefix table: the cost of a
	// checksum does not grow with the payload.
	sum := packet.Fold(packet.PseudoSum(src, dst, proto, l4len) + packet.Sum(l4[:hl], 0) + g.patternSum[n])
	at := 16
	if udp {
		at = 6
		if sum == 0 {
			sum = 0xffff
		}
	}
	binary.BigEndian.PutUint16(l4[at:at+2], sum)

	frame := b[:frameLen]
	ts := g.opt.StartNs + ev.t
	p.Timestamp, p.WireLen, p.Interface = ts, 0, 0
	_ = packet.Decode(frame, packet.LinkEthernet, p)
	g.stats.Packets++
	g.stats.Bytes += uint64(len(frame))
	if g.stats.Packets == 1 {
		g.stats.FirstNs = ts
	}
	g.stats.LastNs = ts
}
