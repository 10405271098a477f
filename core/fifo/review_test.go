package fifo

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// Independent review of spec §7.1–7.5 (svm_fifo, fifo_segment and
// segment_manager behaviours): each table pins one precisely stated rule,
// and every table runs at position 0 and again straddling the u32 wrap.

// reviewBases are the tail positions the tables start from: the origin, and
// just below 2^32 so that segment starts and ends wrap.
var reviewBases = []uint32{0, ^uint32(0) - 9}

// rel converts segments to positions relative to base, for comparison.
func rel(segs []OOOSegment, base uint32) []OOOSegment {
	out := make([]OOOSegment, len(segs))
	for i, s := range segs {
		out[i] = OOOSegment{s.Start - base, s.Length}
	}
	return out
}

// TestReviewOOOAdd checks ooo_segment_add (§7.3) case by case: segments never
// overlap and never touch; the newest segment is the one the last write
// created or grew, and none when the write fell inside an existing segment.
func TestReviewOOOAdd(t *testing.T) {
	type seg = OOOSegment
	rows := []struct {
		name   string
		before [][2]uint32 // [offset, length] writes, relative to the tail
		add    [2]uint32
		want   []seg
		newest *seg
	}{
		{"first", nil, [2]uint32{10, 5}, []seg{{10, 5}}, &seg{10, 5}},
		{"gap of one byte after", [][2]uint32{{10, 5}}, [2]uint32{16, 4}, []seg{{10, 5}, {16, 4}}, &seg{16, 4}},
		{"gap of one byte before", [][2]uint32{{10, 5}}, [2]uint32{5, 4}, []seg{{5, 4}, {10, 5}}, &seg{5, 4}},
		{"touching after merges", [][2]uint32{{10, 5}}, [2]uint32{15, 5}, []seg{{10, 10}}, &seg{10, 10}},
		{"touching before merges", [][2]uint32{{10, 5}}, [2]uint32{5, 5}, []seg{{5, 10}}, &seg{5, 10}},
		{"inside is not newest", [][2]uint32{{10, 10}}, [2]uint32{12, 3}, []seg{{10, 10}}, nil},
		{"identical is not newest", [][2]uint32{{10, 10}}, [2]uint32{10, 10}, []seg{{10, 10}}, nil},
		{"same start, longer", [][2]uint32{{10, 5}}, [2]uint32{10, 8}, []seg{{10, 8}}, &seg{10, 8}},
		{"earlier start, same end", [][2]uint32{{10, 5}}, [2]uint32{8, 7}, []seg{{8, 7}}, &seg{8, 7}},
		{"between two, touching both", [][2]uint32{{10, 5}, {20, 5}}, [2]uint32{15, 5}, []seg{{10, 15}}, &seg{10, 15}},
		{"between two, gap both sides", [][2]uint32{{10, 5}, {20, 5}}, [2]uint32{16, 3}, []seg{{10, 5}, {16, 3}, {20, 5}}, &seg{16, 3}},
		{"covers all", [][2]uint32{{10, 2}, {14, 2}, {18, 2}}, [2]uint32{5, 20}, []seg{{5, 20}}, &seg{5, 20}},
		{"covers some, overlaps next", [][2]uint32{{10, 2}, {14, 2}, {18, 4}}, [2]uint32{9, 10}, []seg{{9, 13}}, &seg{9, 13}},
		{"extends prev into next", [][2]uint32{{10, 4}, {20, 4}, {30, 4}}, [2]uint32{12, 9}, []seg{{10, 14}, {30, 4}}, &seg{10, 14}},
		{"extends prev to touch next", [][2]uint32{{10, 4}, {20, 4}}, [2]uint32{13, 7}, []seg{{10, 14}}, &seg{10, 14}},
		{"after last with gap", [][2]uint32{{10, 4}, {20, 4}}, [2]uint32{30, 1}, []seg{{10, 4}, {20, 4}, {30, 1}}, &seg{30, 1}},
		{"overlaps last only", [][2]uint32{{10, 4}, {20, 4}}, [2]uint32{22, 8}, []seg{{10, 4}, {20, 10}}, &seg{20, 10}},
		{"before first with gap", [][2]uint32{{10, 4}, {20, 4}}, [2]uint32{1, 1}, []seg{{1, 1}, {10, 4}, {20, 4}}, &seg{1, 1}},
	}
	for _, base := range reviewBases {
		for _, r := range rows {
			t.Run(fmt.Sprintf("%s@%d", r.name, base), func(t *testing.T) {
				f := reviewFifoWithOOO(t, base, r.before)
				mustEnqAt(t, f, r.add[0], make([]byte, r.add[1]))
				if got := rel(f.AppendOOO(nil), base); !slices.Equal(got, r.want) {
					t.Errorf("segments %v, want %v", got, r.want)
				}
				s, ok := f.NewestOOO()
				switch {
				case r.newest == nil && ok:
					t.Errorf("newest %+v, want none", rel([]OOOSegment{s}, base)[0])
				case r.newest != nil && (!ok || rel([]OOOSegment{s}, base)[0] != *r.newest):
					t.Errorf("newest %+v (ok %v), want %+v", rel([]OOOSegment{s}, base), ok, *r.newest)
				}
			})
		}
	}
}

// TestReviewCollect checks the collection rule of §7.3 and the enqueue
// return value of §7.2 (bytes written plus bytes collected).
func TestReviewCollect(t *testing.T) {
	rows := []struct {
		name     string
		ooo      [][2]uint32
		enq      uint32
		want     int      // Enqueue's result
		left     []uint32 // remaining segment starts, relative to the old tail
		newTail  uint32
		readable uint32
	}{
		{"reaches nothing", [][2]uint32{{10, 5}}, 9, 9, []uint32{10}, 9, 9},
		{"touches the start", [][2]uint32{{10, 5}}, 10, 15, nil, 15, 15},
		{"inside the segment", [][2]uint32{{10, 5}}, 12, 15, nil, 15, 15},
		{"exactly to its end", [][2]uint32{{10, 5}}, 15, 15, nil, 15, 15},
		{"past its end", [][2]uint32{{10, 5}}, 17, 17, nil, 17, 17},
		{"covers first, touches second", [][2]uint32{{4, 2}, {10, 5}}, 10, 15, nil, 15, 15},
		{"covers first, gap to second", [][2]uint32{{4, 2}, {10, 5}}, 9, 9, []uint32{10}, 9, 9},
		{"straddles first, stops", [][2]uint32{{4, 4}, {10, 5}}, 5, 8, []uint32{10}, 8, 8},
		{"covers all", [][2]uint32{{2, 1}, {5, 1}, {8, 1}}, 20, 20, nil, 20, 20},
	}
	for _, base := range reviewBases {
		for _, r := range rows {
			t.Run(fmt.Sprintf("%s@%d", r.name, base), func(t *testing.T) {
				f := reviewFifoWithOOO(t, base, r.ooo)
				mustEnq(t, f, make([]byte, r.enq), r.want)
				var left []uint32
				for _, s := range f.AppendOOO(nil) {
					left = append(left, s.Start-base)
				}
				if !slices.Equal(left, r.left) {
					t.Errorf("segments left at %v, want %v", left, r.left)
				}
				if f.Tail()-base != r.newTail || f.MaxDequeue() != r.readable {
					t.Errorf("tail +%d readable %d, want +%d and %d", f.Tail()-base, f.MaxDequeue(), r.newTail, r.readable)
				}
				if _, ok := f.NewestOOO(); ok {
					t.Errorf("an in-order enqueue must reset the newest segment")
				}
			})
		}
	}
}

// TestReviewFreeSpaceEdges checks §7.2's limits at their exact edges, near
// the wrap: enqueue_with_offset fits iff offset+len <= free, out-of-order bytes
// do not reduce free space, and enqueue clips to free space.
func TestReviewFreeSpaceEdges(t *testing.T) {
	for _, base := range reviewBases {
		f := mustNew(t, 32)
		if err := f.InitPointers(base, base); err != nil {
			t.Fatal(err)
		}
		mustEnq(t, f, make([]byte, 12), 12) // free 20
		if err := f.EnqueueAt(20, []byte{1}); !errors.Is(err, ErrFull) || Code(err) != -2 {
			t.Fatalf("base %d: offset 20 len 1 with 20 free: %v, want EFULL", base, err)
		}
		if err := f.EnqueueAt(19, []byte{1}); err != nil {
			t.Fatalf("base %d: offset 19 len 1 with 20 free: %v", base, err)
		}
		if err := f.EnqueueAt(0, make([]byte, 21)); !errors.Is(err, ErrFull) {
			t.Fatalf("base %d: 21 bytes at offset 0 with 20 free: %v", base, err)
		}
		if f.MaxEnqueue() != 20 || f.OOOCount() != 1 {
			t.Fatalf("base %d: free %d, %d segments; out-of-order bytes must not count", base, f.MaxEnqueue(), f.OOOCount())
		}
		// A failed out-of-order write leaves the list and the newest alone
		// except for resetting "newest" (VPP resets it first).
		if _, ok := f.NewestOOO(); ok {
			t.Fatalf("base %d: newest survives a failed write", base)
		}
		// In order: 30 offered, 20 fit; the segment at 19 is reached
		// (tail +20 covers [19, 20)), nothing beyond it.
		if n, err := f.Enqueue(make([]byte, 30)); n != 20 || err != nil {
			t.Fatalf("base %d: enqueue = %d, %v, want 20", base, n, err)
		}
		if f.OOOCount() != 0 || !f.IsFull() {
			t.Fatalf("base %d: segments %d full %v", base, f.OOOCount(), f.IsFull())
		}
		if n, err := f.Enqueue(nil); n != 0 || !errors.Is(err, ErrFull) {
			t.Fatalf("base %d: empty enqueue on a full fifo = %d, %v, want EFULL", base, n, err)
		}
		if err := f.EnqueueAt(0, []byte{1}); !errors.Is(err, ErrFull) {
			t.Fatalf("base %d: ooo write on a full fifo: %v", base, err)
		}
		if _, err := f.EnqueueSegments([][]byte{nil}, true); !errors.Is(err, ErrFull) {
			t.Fatalf("base %d: segments on a full fifo: %v", base, err)
		}
	}
}

// TestReviewEnqueueSegments: all-or-nothing unless partial is allowed, and
// the result includes collected out-of-order bytes (§7.2).
func TestReviewEnqueueSegments(t *testing.T) {
	f := mustNew(t, 16)
	mustEnq(t, f, make([]byte, 6), 6) // free 10
	segs := [][]byte{[]byte("abcd"), []byte("efgh"), []byte("ijkl")}
	if n, err := f.EnqueueSegments(segs, false); n != 0 || !errors.Is(err, ErrFull) || f.Tail() != 6 {
		t.Fatalf("12 bytes into 10 without partial = %d, %v (tail %d)", n, err, f.Tail())
	}
	if n, err := f.EnqueueSegments(segs, true); n != 10 || err != nil {
		t.Fatalf("12 bytes into 10 with partial = %d, %v", n, err)
	}
	buf := make([]byte, 16)
	f.Drop(6)
	if n, _ := f.Dequeue(buf); n != 10 || string(buf[:10]) != "abcdefghij" {
		t.Fatalf("partial segments wrote %q", buf[:n])
	}
	// Collection: an out-of-order segment right after the batch is counted.
	mustEnqAt(t, f, 8, []byte("XY"))
	if n, err := f.EnqueueSegments([][]byte{[]byte("0123"), []byte("4567")}, false); n != 10 || err != nil {
		t.Fatalf("batch reaching an ooo segment = %d, %v, want 10", n, err)
	}
	if n, _ := f.Dequeue(buf); n != 10 || string(buf[:10]) != "01234567XY" {
		t.Fatalf("read %q", buf[:n])
	}
}

// TestReviewPeekDropSegments checks the consumer-side rules of §7.2 across
// the wrap: peek copies min(bytes−offset, len); drop drops min(bytes, len);
// segments is EEMPTY at offset >= bytes.
func TestReviewPeekDropSegments(t *testing.T) {
	for _, base := range reviewBases {
		f := mustNew(t, 16)
		if err := f.InitPointers(base, base); err != nil {
			t.Fatal(err)
		}
		mustEnq(t, f, []byte("0123456789"), 10)
		buf := make([]byte, 16)
		for _, c := range []struct {
			off, n uint32
			want   string
		}{{0, 16, "0123456789"}, {9, 16, "9"}, {4, 3, "456"}, {10, 5, ""}, {200, 5, ""}} {
			got, err := f.Peek(c.off, buf[:c.n])
			if err != nil || string(buf[:got]) != c.want {
				t.Errorf("base %d: peek(%d, %d) = %q, %v; want %q", base, c.off, c.n, buf[:got], err, c.want)
			}
		}
		if a, b, err := f.ReadSegments(9, 100); err != nil || len(a)+len(b) != 1 {
			t.Errorf("base %d: segments at 9: %d+%d bytes, %v", base, len(a), len(b), err)
		}
		if _, _, err := f.ReadSegments(10, 100); !errors.Is(err, ErrEmpty) {
			t.Errorf("base %d: segments at offset == bytes: %v, want EEMPTY", base, err)
		}
		if n, err := f.Drop(3); n != 3 || err != nil {
			t.Errorf("base %d: drop 3 = %d, %v", base, n, err)
		}
		if n, err := f.Drop(100); n != 7 || err != nil {
			t.Errorf("base %d: drop 100 of 7 = %d, %v", base, n, err)
		}
		if n, err := f.Drop(1); n != 0 || !errors.Is(err, ErrEmpty) || Code(err) != -3 {
			t.Errorf("base %d: drop on empty = %d, %v", base, n, err)
		}
		if f.Head() != base+10 || f.Head() != f.Tail() {
			t.Errorf("base %d: head %d tail %d", base, f.Head(), f.Tail())
		}
	}
}

// TestReviewDeqNotifEdges pins the notification predicates of §7.4 at their
// boundaries.
func TestReviewDeqNotifEdges(t *testing.T) {
	const size = 64
	buf := make([]byte, size)
	// IF_FULL: max_deq < size and max_deq + n_last_deq >= size.
	for _, c := range []struct {
		fill, deq uint32
		lastDeq   uint32 // the n passed to NeedsDeqNotif
		want      bool
	}{
		{64, 1, 1, true},   // 63 + 1 == 64
		{64, 1, 0, false},  // 63 + 0 < 64: the caller says nothing was dequeued
		{63, 1, 1, false},  // 62 + 1 < 64: was not full
		{64, 0, 0, false},  // still full
		{64, 64, 64, true}, // full to empty in one dequeue
	} {
		f := mustNew(t, size)
		f.AddWantDeqNotif(WantDeqNotifIfFull)
		mustEnq(t, f, make([]byte, c.fill), int(c.fill))
		f.Dequeue(buf[:c.deq])
		if got := f.NeedsDeqNotif(c.lastDeq); got != c.want {
			t.Errorf("IF_FULL fill %d deq %d n %d: %v, want %v", c.fill, c.deq, c.lastDeq, got, c.want)
		}
	}
	// WANT_DEQ_NOTIF: free >= threshold, equality included.
	f := mustNew(t, size)
	f.AddWantDeqNotif(WantDeqNotif)
	f.SetDeqThreshold(10)
	mustEnq(t, f, make([]byte, 55), 55) // free 9
	if f.NeedsDeqNotif(0) {
		t.Error("free 9 < threshold 10 notified")
	}
	f.Dequeue(buf[:1])
	if !f.NeedsDeqNotif(1) {
		t.Error("free 10 == threshold 10 did not notify")
	}
	// IF_FULL | IF_EMPTY: one notification, then quiet until re-armed.
	f = mustNew(t, size)
	f.AddWantDeqNotif(WantDeqNotifIfFull | WantDeqNotifIfEmpty)
	mustEnq(t, f, make([]byte, size), size)
	f.Dequeue(buf)
	if !f.NeedsDeqNotif(size) {
		t.Fatal("full to empty did not notify")
	}
	f.ClearDeqNotif()
	if f.NeedsDeqNotif(size) || f.WantDeqNotif() != WantDeqNotifIfFull|WantDeqNotifIfEmpty {
		t.Fatalf("after the notification: needs %v, want bits %d (IF_* must stay)", f.NeedsDeqNotif(size), f.WantDeqNotif())
	}
	f.ResetHasDeqNotif()
	if !f.NeedsDeqNotif(0) {
		t.Fatal("re-armed IF_EMPTY on an empty fifo did not notify")
	}
}

// TestReviewManagerThreshold: a segment is a candidate only when its
// available bytes exceed rx+tx−1 of the sizes the fifos will really have
// (requests are raised to 4 KiB first, §7.5). A segment that cannot hold
// the raised pair is not touched: no fifo headers carved from it.
func TestReviewManagerThreshold(t *testing.T) {
	m, err := NewManager(ManagerConfig{Heap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s := m.Segment(0)
	// Use the segment up until between 200 and 8191 bytes remain.
	for s.AvailableBytes() >= 8192+4096 {
		if _, err := s.AllocBlock(4096); err != nil {
			t.Fatal(err)
		}
	}
	for s.AvailableBytes() >= 8192 {
		if _, err := s.AllocBlock(64); err != nil {
			t.Fatal(err)
		}
	}
	free, hdr := s.FreeBytes(), s.Stats().HeaderBytes
	if _, _, err := m.AllocPair(100, 100); !errors.Is(err, ErrSegNoSpace) {
		t.Fatalf("pair of 2×4 KiB in a segment with %d bytes: %v, want SEG_NO_SPACE", free, err)
	}
	if s.FreeBytes() != free || s.Stats().HeaderBytes != hdr {
		t.Fatalf("the refused segment was touched: free %d → %d, header bytes %d → %d", free, s.FreeBytes(), hdr, s.Stats().HeaderBytes)
	}
}

// TestReviewManagerChoice: the segment with the most available bytes wins,
// ties going to the lowest index (VPP's pool order with a strict >).
func TestReviewManagerChoice(t *testing.T) {
	m, err := NewManager(ManagerConfig{Heap: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for range 2 {
		if _, err := m.AddSegment(0); err != nil {
			t.Fatal(err)
		}
	}
	// All three equal: index 0.
	rx, _, err := m.AllocPair(4096, 4096)
	if err != nil || rx.Segment().Index() != 0 {
		t.Fatalf("equal segments: placed in %d (%v), want 0", rx.Segment().Index(), err)
	}
	// 0 now has less: 1 and 2 tie, 1 wins.
	rx, _, err = m.AllocPair(4096, 4096)
	if err != nil || rx.Segment().Index() != 1 {
		t.Fatalf("placed in %d (%v), want 1", rx.Segment().Index(), err)
	}
	rx, _, err = m.AllocPair(4096, 4096)
	if err != nil || rx.Segment().Index() != 2 {
		t.Fatalf("placed in %d (%v), want 2", rx.Segment().Index(), err)
	}
}

// TestReviewPairAllOrNothing: when the tx fifo does not fit, the rx fifo is
// given back and the error is SEG_NO_SPACE (§7.5).
func TestReviewPairAllOrNothing(t *testing.T) {
	s, err := NewHeapSegment("pair", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.AllocPair(4096, s.MaxFifoSize()+1); !errors.Is(err, ErrSegNoSpace) || Code(err) != -23 {
		t.Fatalf("tx above max fifo size: %v", err)
	}
	if s.NumFifos() != 0 || s.Stats().InUseBytes != 0 {
		t.Fatalf("rx kept after the pair failed: %+v", s.Stats())
	}
	if _, err := s.AllocFifo(s.MaxFifoSize(), KindRx); err != nil {
		t.Fatalf("exactly the max fifo size: %v", err)
	}
}

// reviewFifoWithOOO returns a 64-byte fifo whose head and tail start at base,
// holding the out-of-order writes segs ({offset from the tail, length}).
func reviewFifoWithOOO(t *testing.T, base uint32, segs [][2]uint32) *Fifo {
	t.Helper()
	f := mustNew(t, 64)
	if err := f.InitPointers(base, base); err != nil {
		t.Fatal(err)
	}
	for _, w := range segs {
		mustEnqAt(t, f, w[0], make([]byte, w[1]))
	}
	return f
}
