package session

import (
	"fmt"

	"github.com/sessionlab/sessionlab/core/bihash"
)

// portTable is the transport local-endpoint table (transport.c, §9.5): a
// 24-byte-key bihash from (ip, fib, port, proto) to a reservation with a
// reference count. Active opens reserve their source port here; listeners
// reserve the port they bind.
type portTable struct {
	h        *bihash.Table[bihash.Key24]
	refs     []uint32 // by reservation index; 0 = free slot
	free     []uint32
	inUse    int
	maxTries int
	min, max uint16
}

func (p *portTable) init(c Config) error {
	h, err := bihash.New[bihash.Key24](bihash.Config{Name: "local endpoints table",
		Buckets: c.LocalEndpointsBuckets, Memory: c.LocalEndpointsMemory})
	if err != nil {
		return fmt.Errorf("session: creating the local endpoints table: %w", err)
	}
	p.h, p.min, p.max = h, c.MinSrcPort, c.MaxSrcPort
	return nil
}

// markUsed reserves (ip, fib, port, proto) if it is free
// (transport_endpoint_mark_used). It fails with ErrPortInUse when taken and
// ErrAlloc when the table is full.
func (l *Layer) markUsed(ip *addr, fib uint32, port uint16, pr Proto) Error {
	p := &l.ports
	k := endpointKey(ip, fib, port, pr)
	if _, ok := p.h.Lookup(k); ok {
		return ErrPortInUse
	}
	if err := p.reserve(k); err != nil {
		return l.tableErr(err)
	}
	return ErrNone
}

// reserve adds the reservation of key k with one reference. It fails with
// the table's error (the table is full) and then changes nothing.
func (p *portTable) reserve(k bihash.Key24) error {
	var i uint32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		i = uint32(len(p.refs))
		p.refs = append(p.refs, 0)
	}
	if err := p.h.Add(k, uint64(i)); err != nil {
		p.free = append(p.free, i)
		return err
	}
	p.refs[i] = 1
	p.inUse++
	return nil
}

// share reserves the endpoint or, if it is reserved already, adds a
// reference (a listener binding a port an active open uses, or several
// connections sharing a source port towards different peers). It reports
// whether a reference is held (false only when the table is full).
func (p *portTable) share(ip *addr, fib uint32, port uint16, pr Proto) bool {
	k := endpointKey(ip, fib, port, pr)
	if v, ok := p.h.Lookup(k); ok {
		p.refs[v]++
		return true
	}
	return p.reserve(k) == nil
}

// release drops a reference; at zero the reservation is removed
// (transport_release_local_endpoint; VPP batches the removal, sessionlab
// removes at once).
func (p *portTable) release(ip *addr, fib uint32, port uint16, pr Proto) {
	k := endpointKey(ip, fib, port, pr)
	v, ok := p.h.Lookup(k)
	if !ok {
		return
	}
	if p.refs[v] > 1 {
		p.refs[v]--
		return
	}
	p.refs[v] = 0
	_ = p.h.Delete(k)
	p.free = append(p.free, uint32(v))
	p.inUse--
}

// allocLocalPort picks a source port (transport_alloc_local_port): random
// ports in [min, max) from the caller's generator, up to max−min tries; a
// free endpoint is reserved; a taken one whose full 6-tuple is unused is
// shared. When every try fails VPP returns the last (busy) port anyway
// (QUIRK); sessionlab fails with ErrNoPort instead, counted.
func (l *Layer) allocLocalPort(lcl *addr, rmt *addr, rport uint16, fib uint32, pr Proto, ip4 bool) (uint16, Error) {
	p := &l.ports
	lim := int(p.max) - int(p.min)
	if lim <= 0 {
		l.stats.PortExhausted++
		return 0, ErrNoPort
	}
	for tries := 0; tries < lim; tries++ {
		var port uint16
		for {
			port = uint16(l.rng.Uint64())
			if port >= p.min && port < p.max {
				break
			}
		}
		e := l.markUsed(lcl, fib, port, pr)
		if e == ErrNone {
			p.maxTries = max(p.maxTries, tries)
			return port, ErrNone
		}
		if e != ErrPortInUse {
			return 0, e
		}
		if l.sixTupleInUse(fib, lcl, rmt, port, rport, pr, ip4) {
			continue
		}
		p.share(lcl, fib, port, pr)
		p.maxTries = max(p.maxTries, tries)
		return port, ErrNone
	}
	p.maxTries = max(p.maxTries, lim)
	l.stats.PortExhausted++
	return 0, ErrNoPort
}

// sixTupleInUse is session_lookup_6tuple: an established session or a
// half-open with this 5-tuple exists in the fib.
func (l *Layer) sixTupleInUse(fib uint32, lcl, rmt *addr, lport, rport uint16, pr Proto, ip4 bool) bool {
	t := l.lookupTable(famOf(ip4), fib)
	if t == nil {
		return false
	}
	if ip4 {
		k := key4(lcl, rmt, lport, rport, pr)
		if _, ok := t.v4s.Lookup(k); ok {
			return true
		}
		_, ok := t.v4h.Lookup(k)
		return ok
	}
	k := key6(lcl, rmt, lport, rport, pr)
	if _, ok := t.v6s.Lookup(k); ok {
		return true
	}
	_, ok := t.v6h.Lookup(k)
	return ok
}

// PortsInUse returns the number of local endpoint reservations
// (transport_port_local_in_use).
func (l *Layer) PortsInUse() int { return l.ports.inUse }

// PortAllocMaxTries is the most tries one port allocation has needed
// (/sys/session/transport_port_alloc_max_tries).
func (l *Layer) PortAllocMaxTries() int { return l.ports.maxTries }
