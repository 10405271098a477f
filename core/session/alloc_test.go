package session

import (
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/core/fifo"
)

// TestCycleAllocs: with preallocated sessions an open-data-close-free cycle
// allocates nothing in the session layer. The only allocations are the ones
// fifo.Manager makes for a fifo pair (its Fifo handles), measured here with
// the same manager configuration; the cycle must not add any.
func TestCycleAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	m, err := fifo.NewManager(fifo.ManagerConfig{Name: "probe", Heap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pair := testing.AllocsPerRun(200, func() {
		rx, tx, err := m.AllocPair(4096, 4096)
		if err != nil {
			t.Fatal(err)
		}
		_ = m.FreePair(rx, tx)
	})
	c := newCycler(t, 1<<10)
	n := testing.AllocsPerRun(1000, func() { c.cycle(t) })
	if n != pair {
		t.Fatalf("a cycle allocates %v times; the fifo pair alone accounts for %v: the session layer adds %v", n, pair, n-pair)
	}
	t.Logf("allocations per cycle: %v (all from fifo.Manager.AllocPair)", n)
}

// TestLookupAllocs: lookups allocate nothing.
func TestLookupAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := newLookupFixture(t, 1<<12)
	tp := f.tuples[7]
	lcl, rmt := netip.AddrFrom4(tp.lcl), netip.AddrFrom4(tp.rmt)
	n := testing.AllocsPerRun(1000, func() {
		if r := f.l.Lookup4(0, 0, ProtoTCP, tp.lcl, tp.rmt, tp.lport, tp.rport); r.Kind != LookupSession {
			t.Fatal(r)
		}
		if r := f.l.Lookup(0, 0, ProtoTCP, lcl, rmt, tp.lport, tp.rport); r.Kind != LookupSession {
			t.Fatal(r)
		}
		if r := f.l.Lookup4(0, 0, ProtoTCP, tp.lcl, tp.rmt, tp.lport, tp.rport+1); r.Kind != LookupNone {
			t.Fatal(r)
		}
	})
	if n != 0 {
		t.Fatalf("lookups allocate %v times", n)
	}
}
