package shim

import (
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/traffic/packet"
)

// FuzzShim feeds the shim arbitrary packet sequences — any flags, sequence
// numbers, lengths, ports, TCP or UDP, with time passing — and checks that
// it never panics and that after the end-of-run drain (every connection
// reset, the application closing and detaching) nothing is left: no
// transport connection, no session, no fifo.
//
// Each packet is 6 bytes: flags, sport selector, sequence delta (2 bytes),
// length (scaled), and a control byte (UDP, time step, application close).
func FuzzShim(f *testing.F) {
	f.Add([]byte{0x02, 1, 0, 0, 0, 0, 0x10, 1, 0, 1, 0, 0, 0x18, 1, 0, 1, 10, 0, 0x11, 1, 0, 0, 0, 0, 0x10, 1, 0, 1, 0, 0})
	f.Add([]byte{0x02, 2, 0, 0, 0, 0, 0x10, 2, 0, 1, 0, 0, 0x04, 2, 0, 0, 0, 0})
	f.Add([]byte{0, 3, 0, 0, 50, 1, 0, 3, 0, 0, 50, 1, 0, 3, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 6*200 {
			return
		}
		e := newEnv(t, session.Config{})
		e.autoClose = true
		seqs := map[uint16]uint32{}
		for len(b) >= 6 {
			c := b[5]
			sport := uint16(1000 + int(b[1]%8))
			seqs[sport] += uint32(b[2])<<8 | uint32(b[3])
			n := int(b[4]) * 16
			if c&1 != 0 {
				e.in(udp(sport, n))
			} else {
				e.in(tcp(sport, packet.TCPFlags(b[0]), isn+seqs[sport], n))
			}
			if c&2 != 0 {
				e.now += 300e6
				e.s.Expire(e.now)
				e.apply()
			}
			if c&4 != 0 && len(e.accepted) > 0 {
				_ = e.l.Close(e.app, e.accepted[len(e.accepted)-1])
				e.apply()
			}
			b = b[6:]
		}
		e.s.CloseAll()
		e.apply()
		if err := e.l.Detach(e.app); err != nil {
			t.Fatal(err)
		}
		e.apply()
		e.now += 10e9
		e.s.Expire(e.now)
		e.apply()
		if e.s.Live() != 0 {
			t.Fatalf("%d transport connections left", e.s.Live())
		}
		if k := e.l.LeakCheck(); !k.Empty() {
			t.Fatalf("leaks: %+v", k)
		}
	})
}
