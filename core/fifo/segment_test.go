package fifo

import (
	"errors"
	"fmt"
	"testing"
)

func mustSegment(t testing.TB, size uint64) *Segment {
	t.Helper()
	s, err := NewSegment(t.Name(), size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMaxFifoSize(t *testing.T) {
	for _, c := range []struct {
		data uint64
		want uint32
	}{{1 << 20, 1 << 19}, {1<<20 + 4096, 1 << 19}, {3 << 20, 1 << 20}, {8 << 30, 1 << 31}, {8192, 4096}, {1, 0}} {
		if got := maxFifoSize(c.data); got != c.want {
			t.Errorf("maxFifoSize(%d) = %d, want %d", c.data, got, c.want)
		}
	}
}

// Allocate until the segment is full, free everything, and check the freed
// memory is reused (cached bytes) rather than returned to the bump area.
func TestSegmentAllocUntilNoSpace(t *testing.T) {
	for _, heap := range []bool{false, true} {
		t.Run(fmt.Sprintf("heap=%v", heap), func(t *testing.T) {
			var s *Segment
			var err error
			if heap {
				s, err = NewHeapSegment("heap", 1<<20)
			} else {
				s, err = NewSegment("memfd", 1<<20)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.MaxFifoSize() != 1<<19 {
				t.Fatalf("max fifo size %d", s.MaxFifoSize())
			}
			if _, err := s.AllocFifo(1<<19+1, KindRx); !errors.Is(err, ErrSegNoSpace) || Code(err) != -23 {
				t.Fatalf("fifo above max size: %v", err)
			}
			var fifos []*Fifo
			for {
				f, err := s.AllocFifo(64<<10, KindRx)
				if err != nil {
					if !errors.Is(err, ErrSegNoSpace) {
						t.Fatalf("alloc: %v", err)
					}
					break
				}
				fifos = append(fifos, f)
			}
			// 1 MiB of data area; 32 headers (8 KiB) carved first, so 15
			// blocks of 64 KiB fit.
			if len(fifos) != 15 || s.NumFifos() != 15 {
				t.Fatalf("allocated %d fifos (segment says %d), want 15", len(fifos), s.NumFifos())
			}
			st := s.Stats()
			if st.InUseBytes != 15*64<<10 || st.CachedBytes != 0 || st.HeaderBytes != 32*headerSize {
				t.Fatalf("stats %+v", st)
			}
			// Fifos are independent.
			for i, f := range fifos {
				mustEnq(t, f, []byte{byte(i), 1, 2}, 3)
			}
			for i, f := range fifos {
				var b [3]byte
				if n, _ := f.Dequeue(b[:]); n != 3 || b[0] != byte(i) {
					t.Fatalf("fifo %d read %v", i, b)
				}
			}
			offs := map[uint64]bool{}
			for _, f := range fifos {
				offs[f.Offset()] = true
				if err := s.FreeFifo(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.FreeFifo(fifos[0]); err == nil {
				t.Fatal("double free accepted")
			}
			if s.NumFifos() != 0 || s.CachedBytes() != 15*64<<10 {
				t.Fatalf("after free: %d fifos, %d cached", s.NumFifos(), s.CachedBytes())
			}
			// Reuse: same headers, no new bump allocation.
			bump := s.FreeBytes()
			for range 15 {
				f, err := s.AllocFifo(64<<10, KindTx)
				if err != nil {
					t.Fatal(err)
				}
				if !offs[f.Offset()] {
					t.Fatalf("fifo header at new offset %d", f.Offset())
				}
			}
			if s.FreeBytes() != bump || s.CachedBytes() != 0 {
				t.Fatalf("reuse touched the bump area: free %d (was %d), cached %d", s.FreeBytes(), bump, s.CachedBytes())
			}
		})
	}
}

// A freed large block is split to serve smaller size classes.
func TestSegmentSplitsLargerBlocks(t *testing.T) {
	s, err := NewHeapSegment("split", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	big, err := s.AllocFifo(512<<10, KindRx)
	if err != nil {
		t.Fatal(err)
	}
	// Exhaust the bump area.
	for {
		if _, err := s.AllocBlock(4096); err != nil {
			break
		}
	}
	if err := s.FreeFifo(big); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := s.AllocBlock(8192); err != nil {
			break
		}
		n++
	}
	if n != 64 {
		t.Fatalf("512 KiB split into %d 8 KiB blocks, want 64", n)
	}
	if s.CachedBytes() != 0 {
		t.Fatalf("cached bytes %d after using every split block", s.CachedBytes())
	}
}

// A second mapping of the same memfd sees the same fifo: bytes written through
// one handle are read through the other.
func TestSegmentAttachByFd(t *testing.T) {
	s := mustSegment(t, 1<<20)
	rx, tx, err := s.AllocPair(4096, 8192)
	if err != nil {
		t.Fatal(err)
	}
	rx.SetVPPSession(3, 77)
	peer, err := AttachSegment(s.Fd())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if peer.Name() != s.Name() || peer.Size() != s.Size() {
		t.Fatalf("attached %q size %d; created %q size %d", peer.Name(), peer.Size(), s.Name(), s.Size())
	}
	prx, err := peer.Fifo(rx.Offset())
	if err != nil {
		t.Fatal(err)
	}
	if th, idx := prx.VPPSession(); th != 3 || idx != 77 || prx.Kind() != KindRx || prx.Size() != 4096 {
		t.Fatalf("attached fifo: session %d/%d kind %d size %d", th, idx, prx.Kind(), prx.Size())
	}
	mustEnq(t, rx, []byte("hello"), 5)
	buf := make([]byte, 8)
	if n, err := prx.Dequeue(buf); n != 5 || err != nil || string(buf[:5]) != "hello" {
		t.Fatalf("read through second mapping: %d %v %q", n, err, buf[:n])
	}
	if rx.MaxDequeue() != 0 {
		t.Fatal("head update not visible through the first mapping")
	}
	if _, err := peer.Fifo(tx.Offset() + 64); err == nil {
		t.Fatal("attached to a non-header offset")
	}
	if _, err := peer.Fifo(1 << 40); err == nil {
		t.Fatal("attached beyond the segment")
	}
	if _, err := peer.AllocFifo(4096, KindRx); err == nil {
		t.Fatal("attached process allocated from the segment")
	}
	p2, err := AttachSegmentPath(fmt.Sprintf("/proc/self/fd/%d", s.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close()
	if _, err := p2.Fifo(tx.Offset()); err != nil {
		t.Fatal(err)
	}
}

func TestSegmentBlocks(t *testing.T) {
	s := mustSegment(t, 1<<20)
	off, err := s.AllocBlock(1000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Block(off, 1000)
	if err != nil || len(b) != 1000 {
		t.Fatal(err)
	}
	b[999] = 1
	if err := s.FreeBlock(off, 1000); err != nil {
		t.Fatal(err)
	}
	off2, _ := s.AllocBlock(1024)
	if off2 != off {
		t.Fatalf("block not reused: %d vs %d", off2, off)
	}
	if _, err := s.Block(s.Size()-8, 16); err == nil {
		t.Fatal("block past the end accepted")
	}
	if err := s.FreeBlock(3, 64); err == nil {
		t.Fatal("free of a bogus offset accepted")
	}
}

func TestManagerPlacement(t *testing.T) {
	var added, deleted []int
	m, err := NewManager(ManagerConfig{
		Name: "app", AddSegment: true, MaxSegments: 3,
		OnAddSegment: func(s *Segment) { added = append(added, s.Index()) },
		OnDelSegment: func(s *Segment) { deleted = append(deleted, s.Index()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// 1 MiB segments, 64 KiB + 64 KiB pairs: 7 pairs per segment.
	type pair struct{ rx, tx *Fifo }
	var pairs []pair
	for i := range 21 {
		rx, tx, err := m.AllocPair(64<<10, 64<<10)
		if err != nil {
			t.Fatalf("pair %d: %v", i, err)
		}
		if rx.Segment() != tx.Segment() || rx.Kind() != KindRx || tx.Kind() != KindTx {
			t.Fatal("pair split across segments or kinds wrong")
		}
		pairs = append(pairs, pair{rx, tx})
	}
	if m.NumSegments() != 3 || len(added) != 2 {
		t.Fatalf("%d segments, added %v", m.NumSegments(), added)
	}
	if _, _, err := m.AllocPair(64<<10, 64<<10); !errors.Is(err, ErrSegCreate) || Code(err) != -25 {
		t.Fatalf("beyond max segments: %v", err)
	}
	// Most available bytes wins: free two pairs in segment 1.
	var in1 []pair
	for _, p := range pairs {
		if p.rx.Segment().Index() == 1 {
			in1 = append(in1, p)
		}
	}
	for _, p := range in1[:2] {
		if err := m.FreePair(p.rx, p.tx); err != nil {
			t.Fatal(err)
		}
	}
	rx, tx, err := m.AllocPair(64<<10, 64<<10)
	if err != nil || rx.Segment().Index() != 1 {
		t.Fatalf("placed in segment %d (%v), want 1", rx.Segment().Index(), err)
	}
	m.FreePair(rx, tx)
	// Emptying segment 2 deletes it; emptying segment 0 does not.
	for _, p := range pairs {
		if i := p.rx.Segment().Index(); i == 0 || i == 2 {
			if err := m.FreePair(p.rx, p.tx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if m.NumSegments() != 2 || len(deleted) != 1 || deleted[0] != 2 || m.Segment(0) == nil || m.Segment(2) != nil {
		t.Fatalf("%d segments, deleted %v", m.NumSegments(), deleted)
	}
	if !m.HasFifos() {
		t.Fatal("segment 1 still has fifos")
	}
	// The freed index is reused for the next segment.
	s, err := m.AddSegment(0)
	if err != nil || s.Index() != 2 {
		t.Fatalf("new segment index %d (%v), want 2", s.Index(), err)
	}
}

func TestManagerErrors(t *testing.T) {
	// Without add-segment: SEG_NO_SPACE once the first segment is full.
	m, err := NewManager(ManagerConfig{Heap: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 7 {
		if _, _, err := m.AllocPair(64<<10, 64<<10); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.AllocPair(64<<10, 64<<10); !errors.Is(err, ErrSegNoSpace) {
		t.Fatalf("full segment: %v", err)
	}
	// Small requests are raised to 4 KiB.
	rx, _, err := m.AllocPair(1, 100)
	if err != nil || rx.Size() != DefaultFifoSize {
		t.Fatalf("small fifo: size %d, %v", rx.Size(), err)
	}

	// With add-segment but fifos larger than a new segment's max fifo size:
	// SEG_NO_SPACE2.
	m2, err := NewManager(ManagerConfig{Heap: true, SegmentSize: 4 << 20, AddSegment: true, AddSegmentSize: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := m2.AllocPair(1<<20, 1<<20)
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrSegNoSpace2) || Code(err) != -24 {
			t.Fatalf("want SEG_NO_SPACE2, got %v", err)
		}
		break
	}
	if err := m2.FreePair(rx, rx); err == nil {
		t.Fatal("freed fifos of another manager")
	}
}
