package session

import (
	"net/netip"
	"testing"
)

// TestCycleAllocs: with preallocated sessions an open-data-close-free cycle
// (fifo pair from the segment manager included) allocates nothing: pools are
// fixed, tables live in their arenas and freed fifo handles are recycled.
func TestCycleAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	c := newCycler(t, 1<<10)
	if n := testing.AllocsPerRun(1000, func() { c.cycle(t) }); n != 0 {
		t.Fatalf("a cycle allocates %v times, want 0", n)
	}
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
