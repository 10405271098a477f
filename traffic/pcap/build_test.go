package pcap_test

import (
	"bytes"
	"encoding/binary"
)

// Hand-built capture files for the reader tests: every field is written
// explicitly, in either byte order, so the tests know each record's offset.

type rec struct {
	sec, frac  uint32
	data       []byte
	wire       uint32 // 0: len(data)
	inclLength int    // -1: len(data); otherwise written as is (corruption)
}

func order(be bool) binary.ByteOrder {
	if be {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// pcapFile builds a pcap file with the given magic (which fixes the
// resolution), byte order, snaplen and link type field.
func pcapFile(be bool, magic uint32, snaplen, network uint32, recs ...rec) []byte {
	o := order(be)
	var b bytes.Buffer
	h := make([]byte, 24)
	o.PutUint32(h[0:4], magic)
	o.PutUint16(h[4:6], 2)
	o.PutUint16(h[6:8], 4)
	o.PutUint32(h[16:20], snaplen)
	o.PutUint32(h[20:24], network)
	b.Write(h)
	for _, r := range recs {
		rh := make([]byte, 16)
		o.PutUint32(rh[0:4], r.sec)
		o.PutUint32(rh[4:8], r.frac)
		incl := uint32(len(r.data))
		if r.inclLength >= 0 && r.inclLength != len(r.data) && r.inclLength != 0 {
			incl = uint32(r.inclLength)
		}
		o.PutUint32(rh[8:12], incl)
		wire := r.wire
		if wire == 0 {
			wire = uint32(len(r.data))
		}
		o.PutUint32(rh[12:16], wire)
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

// ng builds a pcapng stream.
type ng struct {
	be  bool
	buf bytes.Buffer
}

func (n *ng) o() binary.ByteOrder { return order(n.be) }

// block writes a block with body padded to 4 bytes and both length fields.
func (n *ng) block(typ uint32, body []byte) *ng {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	h := make([]byte, 8)
	n.o().PutUint32(h[0:4], typ)
	n.o().PutUint32(h[4:8], uint32(12+len(body)))
	n.buf.Write(h)
	n.buf.Write(body)
	t := make([]byte, 4)
	n.o().PutUint32(t, uint32(12+len(body)))
	n.buf.Write(t)
	return n
}

func (n *ng) shb() *ng {
	body := make([]byte, 16)
	n.o().PutUint32(body[0:4], 0x1a2b3c4d)
	n.o().PutUint16(body[4:6], 1)
	n.o().PutUint64(body[8:16], ^uint64(0))
	return n.block(0x0a0d0d0a, body)
}

// opt encodes one option (padded).
func (n *ng) opt(code uint16, v []byte) []byte {
	b := make([]byte, 4, 4+len(v)+3)
	n.o().PutUint16(b[0:2], code)
	n.o().PutUint16(b[2:4], uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (n *ng) idb(link uint16, snaplen uint32, opts ...[]byte) *ng {
	body := make([]byte, 8)
	n.o().PutUint16(body[0:2], link)
	n.o().PutUint32(body[4:8], snaplen)
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0) // opt_endofopt
	}
	return n.block(1, body)
}

func (n *ng) epb(ifc uint32, ts uint64, data []byte, wire uint32) *ng {
	body := make([]byte, 20)
	n.o().PutUint32(body[0:4], ifc)
	n.o().PutUint32(body[4:8], uint32(ts>>32))
	n.o().PutUint32(body[8:12], uint32(ts))
	n.o().PutUint32(body[12:16], uint32(len(data)))
	if wire == 0 {
		wire = uint32(len(data))
	}
	n.o().PutUint32(body[16:20], wire)
	return n.block(6, append(body, data...))
}

func (n *ng) pb(ifc uint16, ts uint64, data []byte) *ng {
	body := make([]byte, 20)
	n.o().PutUint16(body[0:2], ifc)
	n.o().PutUint32(body[4:8], uint32(ts>>32))
	n.o().PutUint32(body[8:12], uint32(ts))
	n.o().PutUint32(body[12:16], uint32(len(data)))
	n.o().PutUint32(body[16:20], uint32(len(data)))
	return n.block(2, append(body, data...))
}

func (n *ng) spb(data []byte, wire uint32) *ng {
	body := make([]byte, 4)
	if wire == 0 {
		wire = uint32(len(data))
	}
	n.o().PutUint32(body, wire)
	return n.block(3, append(body, data...))
}

func (n *ng) bytes() []byte { return n.buf.Bytes() }
