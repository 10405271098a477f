package session

import (
	"encoding/binary"

	"github.com/sessionlab/sessionlab/core/bihash"
)

// Key construction, exactly spec §2.10: the words are the raw network-order
// fields read as little-endian integers, as VPP builds them on x86 and ARM,
// so the same 5-tuple lands in the same bucket arrangement as VPP's key
// would (modulo the hash function, which core/bihash documents).

// key4 builds the v4 established / half-open key: word0 = remote IP << 32 |
// local IP; word1 = proto << 32 | remote port << 16 | local port.
func key4(lcl, rmt *addr, lport, rport uint16, p Proto) bihash.Key16 {
	return bihash.Key16{
		rmt.word32()<<32 | lcl.word32(),
		uint64(p)<<32 | netPort(rport)<<16 | netPort(lport),
	}
}

// key4raw is key4 from 4-byte arrays (the lookup fast path).
func key4raw(lcl, rmt [4]byte, lport, rport uint16, p Proto) bihash.Key16 {
	l := uint64(binary.LittleEndian.Uint32(lcl[:]))
	r := uint64(binary.LittleEndian.Uint32(rmt[:]))
	return bihash.Key16{r<<32 | l, uint64(p)<<32 | netPort(rport)<<16 | netPort(lport)}
}

// listenKey4 is the v4 listener key: remote IP and port zero.
func listenKey4(lcl *addr, lport uint16, p Proto) bihash.Key16 {
	return bihash.Key16{lcl.word32(), uint64(p)<<32 | netPort(lport)}
}

// key6 builds the v6 key: words 0-1 local, 2-3 remote, word 4 = proto << 32
// | remote port << 16 | local port, word 5 = 0.
func key6(lcl, rmt *addr, lport, rport uint16, p Proto) bihash.Key48 {
	le := binary.LittleEndian
	return bihash.Key48{le.Uint64(lcl[0:8]), le.Uint64(lcl[8:16]), le.Uint64(rmt[0:8]), le.Uint64(rmt[8:16]),
		uint64(p)<<32 | netPort(rport)<<16 | netPort(lport), 0}
}

// listenKey6 is the v6 listener key.
func listenKey6(lcl *addr, lport uint16, p Proto) bihash.Key48 {
	l0, l1 := lcl.words()
	return bihash.Key48{l0, l1, 0, 0, uint64(p)<<32 | netPort(lport), 0}
}

// endpointKey is the local-endpoint (port reservation) key: words 0-1 the
// ip46 address, word 2 = fib << 32 | port << 8 | proto.
func endpointKey(ip *addr, fib uint32, port uint16, p Proto) bihash.Key24 {
	w0, w1 := ip.words()
	return bihash.Key24{w0, w1, uint64(fib)<<32 | netPort(port)<<8 | uint64(p)}
}
