package session

import (
	"errors"
	"fmt"

	"github.com/sessionlab/sessionlab/core/bihash"
)

// table is a session table (§3.1): a global one per (family, fib), holding
// established sessions, half-opens and listeners of that family, or a
// namespace's local table, holding only cut-through listeners and local
// proxy entries of both families.
type table struct {
	index   uint32
	isLocal bool
	fam     family // global tables: the family they serve
	fib     uint32 // global tables: the fib index
	ns      uint32 // local tables: the owning namespace

	v4s, v4h *bihash.Table[bihash.Key16] // v4 sessions (+ listeners), v4 half-opens
	v6s, v6h *bihash.Table[bihash.Key48] // v6 sessions (+ listeners), v6 half-opens

	rules  *ruleGroup // nil until the first rule is added (srtg_handle ~0)
	nsList []uint32   // namespaces referencing this global table, in bind order
	locks  int        // namespace bind count
}

// Value tags. A local table stores CT listener handles and, under proxy
// keys, application indices; the tag tells them apart (VPP relies on the
// proxy key alone).
const (
	valProxyApp = 1 << 62
)

func (l *Layer) newTable(local bool, f family, fib, ns uint32) (*table, error) {
	t := &table{isLocal: local, fam: f, fib: fib, ns: ns}
	c := &l.cfg
	var err error
	suffix := ""
	if local {
		suffix = "-local"
	}
	mk16 := func(name string, b uint32, m uint64) *bihash.Table[bihash.Key16] {
		if err != nil {
			return nil
		}
		var h *bihash.Table[bihash.Key16]
		h, err = bihash.New[bihash.Key16](bihash.Config{Name: name, Buckets: b, Memory: m})
		return h
	}
	mk48 := func(name string, b uint32, m uint64) *bihash.Table[bihash.Key48] {
		if err != nil {
			return nil
		}
		var h *bihash.Table[bihash.Key48]
		h, err = bihash.New[bihash.Key48](bihash.Config{Name: name, Buckets: b, Memory: m})
		return h
	}
	// Local tables only ever hold listeners, so they get no half-open
	// hashes (VPP allocates them and leaves them empty).
	if local || f == fam4 {
		t.v4s = mk16("v4 session table"+suffix, c.V4SessionBuckets, c.V4SessionMemory)
		if !local {
			t.v4h = mk16("v4 half-open table", c.V4HalfOpenBuckets, c.V4HalfOpenMemory)
		}
	}
	if local || f == fam6 {
		t.v6s = mk48("v6 session table"+suffix, c.V6SessionBuckets, c.V6SessionMemory)
		if !local {
			t.v6h = mk48("v6 half-open table", c.V6HalfOpenBuckets, c.V6HalfOpenMemory)
		}
	}
	if err != nil {
		t.close()
		return nil, fmt.Errorf("session: creating lookup table: %w", err)
	}
	if n := len(l.freeTabs); n > 0 {
		t.index = l.freeTabs[n-1]
		l.freeTabs = l.freeTabs[:n-1]
		l.tables[t.index] = t
	} else {
		t.index = uint32(len(l.tables))
		l.tables = append(l.tables, t)
	}
	return t, nil
}

func (t *table) close() {
	for _, h := range []*bihash.Table[bihash.Key16]{t.v4s, t.v4h} {
		if h != nil {
			_ = h.Close()
		}
	}
	for _, h := range []*bihash.Table[bihash.Key48]{t.v6s, t.v6h} {
		if h != nil {
			_ = h.Close()
		}
	}
}

// isEmpty reports whether the table holds no entries.
func (t *table) isEmpty() bool {
	n := uint64(0)
	if t.v4s != nil {
		n += t.v4s.Len()
	}
	if t.v4h != nil {
		n += t.v4h.Len()
	}
	if t.v6s != nil {
		n += t.v6s.Len()
	}
	if t.v6h != nil {
		n += t.v6h.Len()
	}
	return n == 0
}

func (l *Layer) freeTable(t *table) {
	t.close()
	l.tables[t.index] = nil
	l.freeTabs = append(l.freeTabs, t.index)
}

// globalTable returns the global table of (f, fib), creating it if create is
// set (tables are created on demand by the first connection, half-open,
// listener or namespace in a fib).
func (l *Layer) globalTable(f family, fib uint32, create bool) (*table, error) {
	m := l.fibTables[f]
	if int(fib) < len(m) && m[fib] != InvalidIndex {
		return l.tables[m[fib]], nil
	}
	if !create {
		return nil, nil
	}
	if !l.fibExists(f, fib) {
		// The map is indexed by fib: a bogus index must not grow it to
		// gigabytes.
		return nil, fmt.Errorf("session: no %s fib %d: %w", f, fib, ErrInvalid)
	}
	t, err := l.newTable(false, f, fib, InvalidIndex)
	if err != nil {
		return nil, err
	}
	for int(fib) >= len(l.fibTables[f]) {
		l.fibTables[f] = append(l.fibTables[f], InvalidIndex)
	}
	l.fibTables[f][fib] = t.index
	return t, nil
}

// lookupTable returns the global table of (f, fib) without creating it
// (the fast path of every packet lookup).
func (l *Layer) lookupTable(f family, fib uint32) *table {
	m := l.fibTables[f]
	if int(fib) >= len(m) || m[fib] == InvalidIndex {
		return nil
	}
	return l.tables[m[fib]]
}

// tableErr converts a bihash failure into the session error the caller
// gets, counting arena exhaustion: a full table is a counted ALLOC failure,
// never a silent loss.
func (l *Layer) tableErr(err error) Error {
	if err == nil {
		return ErrNone
	}
	if errors.Is(err, bihash.ErrTableFull) {
		l.stats.TableFull++
	}
	return l.fail(ErrAlloc)
}

// addSessionEntry adds the 5-tuple of s → handle h to its global table.
func (l *Layer) addSessionEntry(s *session, h Handle) Error {
	t, err := l.globalTable(famOf(s.isIP4()), s.fib, true)
	if err != nil {
		return l.fail(ErrAlloc)
	}
	p := s.proto()
	if s.isIP4() {
		return l.tableErr(t.v4s.Add(key4(&s.lcl, &s.rmt, s.lport, s.rport, p), uint64(h)))
	}
	return l.tableErr(t.v6s.Add(key6(&s.lcl, &s.rmt, s.lport, s.rport, p), uint64(h)))
}

// delSessionEntry removes s's 5-tuple from its global table, if it still
// maps to h (a later session of the same 5-tuple keeps its entry).
func (l *Layer) delSessionEntry(s *session, h Handle) {
	t := l.lookupTable(famOf(s.isIP4()), s.fib)
	if t == nil {
		return
	}
	p := s.proto()
	if s.isIP4() {
		k := key4(&s.lcl, &s.rmt, s.lport, s.rport, p)
		if v, ok := t.v4s.Lookup(k); ok && Handle(v) == h {
			_ = t.v4s.Delete(k)
		}
		return
	}
	k := key6(&s.lcl, &s.rmt, s.lport, s.rport, p)
	if v, ok := t.v6s.Lookup(k); ok && Handle(v) == h {
		_ = t.v6s.Delete(k)
	}
}

// addHalfOpenEntry adds a half-open's 5-tuple → value (the transport's
// half-open connection as (thread << 32) | index).
func (l *Layer) addHalfOpenEntry(s *session, v uint64) Error {
	t, err := l.globalTable(famOf(s.isIP4()), s.fib, true)
	if err != nil {
		return l.fail(ErrAlloc)
	}
	p := s.proto()
	if s.isIP4() {
		return l.tableErr(t.v4h.Add(key4(&s.lcl, &s.rmt, s.lport, s.rport, p), v))
	}
	return l.tableErr(t.v6h.Add(key6(&s.lcl, &s.rmt, s.lport, s.rport, p), v))
}

func (l *Layer) delHalfOpenEntry(s *session) {
	t := l.lookupTable(famOf(s.isIP4()), s.fib)
	if t == nil {
		return
	}
	p := s.proto()
	if s.isIP4() {
		_ = t.v4h.Delete(key4(&s.lcl, &s.rmt, s.lport, s.rport, p))
		return
	}
	_ = t.v6h.Delete(key6(&s.lcl, &s.rmt, s.lport, s.rport, p))
}

// addListenEntry adds a listener key (ip, port, proto) → v to t.
func (l *Layer) addListenEntry(t *table, f family, ip *addr, port uint16, p Proto, v uint64) Error {
	if f == fam4 {
		return l.tableErr(t.v4s.Add(listenKey4(ip, port, p), v))
	}
	return l.tableErr(t.v6s.Add(listenKey6(ip, port, p), v))
}

func (l *Layer) delListenEntry(t *table, f family, ip *addr, port uint16, p Proto) {
	if f == fam4 {
		_ = t.v4s.Delete(listenKey4(ip, port, p))
		return
	}
	_ = t.v6s.Delete(listenKey6(ip, port, p))
}

func (l *Layer) getListenEntry(t *table, f family, ip *addr, port uint16, p Proto) (uint64, bool) {
	if t == nil {
		return 0, false
	}
	if f == fam4 {
		if t.v4s == nil {
			return 0, false
		}
		return t.v4s.Lookup(listenKey4(ip, port, p))
	}
	if t.v6s == nil {
		return 0, false
	}
	return t.v6s.Lookup(listenKey6(ip, port, p))
}

// bindTable records that namespace ns uses the global table of (f, fib),
// creating the table if needed (§3.1).
func (l *Layer) bindTable(f family, fib, ns uint32) error {
	t, err := l.globalTable(f, fib, true)
	if err != nil {
		return err
	}
	t.nsList = append(t.nsList, ns)
	t.locks++
	return nil
}

// unbindTable undoes bindTable. When the last namespace lets go, the table
// and its rules are freed, as in VPP — unless it still holds sessions or
// listeners (created by traffic), which would otherwise dangle; then it is
// kept, as a traffic-created table is.
func (l *Layer) unbindTable(f family, fib, ns uint32) {
	t := l.lookupTable(f, fib)
	if t == nil {
		return
	}
	for i, n := range t.nsList {
		if n == ns {
			t.nsList = append(t.nsList[:i], t.nsList[i+1:]...)
			break
		}
	}
	if t.locks > 0 {
		t.locks--
	}
	if t.locks == 0 && t.isEmpty() {
		l.fibTables[f][fib] = InvalidIndex
		l.freeTable(t)
	}
}
