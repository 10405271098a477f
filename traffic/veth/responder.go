package veth

import (
	"encoding/binary"
	"net/netip"
)

// Responder writes a reply to a received frame: it gets the frame and a
// buffer, writes the reply frame into the buffer and returns its length, or
// 0 for no reply. It runs on the receive path, so it must not block or
// allocate, and it must not keep rx or out.
type Responder interface {
	Respond(rx, out []byte) int
}

// ReplyMode says what the built-in responder sends back for one kind of
// frame.
type ReplyMode uint8

// Reply modes.
const (
	// ReplyNone sends nothing.
	ReplyNone ReplyMode = iota
	// ReplyEcho returns the payload: a UDP datagram back to its sender, or
	// for TCP data an ACK segment that carries the payload back.
	ReplyEcho
	// ReplyAck answers TCP data with a bare ACK.
	ReplyAck
	// ReplyReset answers a TCP SYN with RST|ACK, as a host whose session
	// rules filter the connect does.
	ReplyReset
)

// Replier is the built-in Responder: it answers ARP requests for its
// address (so kernel applications in namespace A can reach sessionlab's
// address at end B), echoes UDP, acknowledges or echoes TCP data and resets
// TCP connection attempts. Probes travel back inside echoed payloads; a
// RST carries the SYN's sequence number + 1 as its ack, which the sender
// maps back to the probe.
type Replier struct {
	// MAC and Addr are sessionlab's identity at end B.
	MAC  [6]byte
	Addr netip.Addr
	// UDP, TCPSyn and TCPData choose the reply per frame kind (defaults via
	// NewReplier: echo, reset, echo).
	UDP, TCPSyn, TCPData ReplyMode
	// ARP answers ARP requests for Addr.
	ARP bool
}

// NewReplier returns a Replier for end B's identity with the default
// policy: ARP on, UDP echo, TCP SYN reset, TCP data echo.
func NewReplier(mac [6]byte, addr netip.Addr) *Replier {
	return &Replier{MAC: mac, Addr: addr, UDP: ReplyEcho, TCPSyn: ReplyReset, TCPData: ReplyEcho, ARP: true}
}

// Respond implements Responder.
func (r *Replier) Respond(rx, out []byte) int {
	if len(rx) >= ethLen+28 && binary.BigEndian.Uint16(rx[12:]) == etherTypeARP {
		if r.ARP {
			return r.arp(rx, out)
		}
		return 0
	}
	v := parseFrame(rx)
	if !v.ok {
		return 0
	}
	ipEnd := ethLen + int(binary.BigEndian.Uint16(rx[ethLen+2:]))
	switch v.proto {
	case protoUDP:
		if r.UDP != ReplyEcho {
			return 0
		}
		return r.reply(rx, out, v, rx[v.payload:ipEnd], TCPFields{})
	case protoTCP:
		th := rx[v.l4:]
		flags := th[13]
		seq := binary.BigEndian.Uint32(th[4:])
		ack := binary.BigEndian.Uint32(th[8:])
		payload := rx[v.payload:ipEnd]
		switch {
		case flags&TCPRst != 0:
			return 0 // never answer a reset
		case flags&TCPSyn != 0:
			if r.TCPSyn != ReplyReset {
				return 0
			}
			return r.reply(rx, out, v, nil, TCPFields{Seq: 0, Ack: seq + 1, Flags: TCPRst | TCPAck})
		case len(payload) > 0:
			next := seq + uint32(len(payload))
			switch r.TCPData {
			case ReplyEcho:
				return r.reply(rx, out, v, payload, TCPFields{Seq: ack, Ack: next, Flags: TCPAck | TCPPsh})
			case ReplyAck:
				return r.reply(rx, out, v, nil, TCPFields{Seq: ack, Ack: next, Flags: TCPAck})
			}
		}
	}
	return 0
}

// reply builds the frame that goes back along rx's flow with payload.
func (r *Replier) reply(rx, out []byte, v frameView, payload []byte, tcp TCPFields) int {
	ip := rx[ethLen:]
	f := Flow{
		DstMAC:  [6]byte(rx[6:12]),
		SrcMAC:  r.MAC,
		Src:     netip.AddrFrom4([4]byte(ip[16:20])),
		Dst:     netip.AddrFrom4([4]byte(ip[12:16])),
		SrcPort: binary.BigEndian.Uint16(rx[v.l4+2:]),
		DstPort: binary.BigEndian.Uint16(rx[v.l4:]),
		Proto:   v.proto,
	}
	n, err := f.Build(out, tcp, payload, 0)
	if err != nil {
		return 0
	}
	return n
}

// arp answers an Ethernet/IPv4 ARP request for r.Addr.
func (r *Replier) arp(rx, out []byte) int {
	a := rx[ethLen:]
	if binary.BigEndian.Uint16(a[0:]) != 1 || binary.BigEndian.Uint16(a[2:]) != etherTypeIPv4 ||
		a[4] != 6 || a[5] != 4 || binary.BigEndian.Uint16(a[6:]) != 1 {
		return 0
	}
	if !r.Addr.Is4() || netip.AddrFrom4([4]byte(a[24:28])) != r.Addr {
		return 0
	}
	const n = ethLen + 28
	if len(out) < MinFrame {
		return 0
	}
	o := out[:MinFrame]
	clear(o)
	copy(o[0:6], a[8:14]) // to the requester's hardware address
	copy(o[6:12], r.MAC[:])
	binary.BigEndian.PutUint16(o[12:], etherTypeARP)
	p := o[ethLen:n]
	binary.BigEndian.PutUint16(p[0:], 1)
	binary.BigEndian.PutUint16(p[2:], etherTypeIPv4)
	p[4], p[5] = 6, 4
	binary.BigEndian.PutUint16(p[6:], 2) // reply
	copy(p[8:14], r.MAC[:])
	copy(p[14:18], a[24:28]) // our address
	copy(p[18:24], a[8:14])  // their hardware address
	copy(p[24:28], a[14:18]) // their address
	return MinFrame
}
