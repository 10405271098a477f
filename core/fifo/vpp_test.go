package fifo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"
)

// The tests in this file reproduce the cases of VPP's svm_fifo_test.c
// (`test svm fifo fifo1 … fifo7, large`): the same sizes, offsets and
// expected results, written against this package's API.

func mustNew(t testing.TB, size uint32) *Fifo {
	t.Helper()
	f, err := New(size)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustEnq(t testing.TB, f *Fifo, p []byte, want int) {
	t.Helper()
	n, err := f.Enqueue(p)
	if err != nil || n != want {
		t.Fatalf("Enqueue(%d bytes) = %d, %v; want %d", len(p), n, err, want)
	}
}

func mustEnqAt(t testing.TB, f *Fifo, off uint32, p []byte) {
	t.Helper()
	if err := f.EnqueueAt(off, p); err != nil {
		t.Fatalf("EnqueueAt(%d, %d bytes) = %v", off, len(p), err)
	}
}

func wantSegs(t testing.TB, f *Fifo, want int) {
	t.Helper()
	if got := f.OOOCount(); got != want {
		t.Fatalf("ooo segments = %d (%v), want %d", got, f.AppendOOO(nil), want)
	}
}

func wantFirst(t testing.TB, f *Fifo, start, length uint32) {
	t.Helper()
	s, ok := f.FirstOOO()
	if !ok || s.Start != start || s.Length != length {
		t.Fatalf("first ooo segment = %+v (ok=%v), want start %d length %d", s, ok, start, length)
	}
}

// u32s returns n little-endian words 0, 1, 2, … (fifo1's test data).
func u32s(n int) []byte {
	b := make([]byte, 4*n)
	for i := range n {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(i))
	}
	return b
}

func word(b []byte, i int) []byte { return b[4*i : 4*i+4] }

// fifo1: out-of-order segment creation, full overlap, painting backwards, and
// an in-order write that collects everything.
func TestVPPFifo1(t *testing.T) {
	const size = 1 << 20
	data := u32s(size / 4)

	f := mustNew(t, size)
	mustEnq(t, f, word(data, 0), 4)
	if f.Tail() != 4 {
		t.Fatalf("tail = %d, want 4", f.Tail())
	}
	// Words 1 (in order), 3 and 5 (out of order).
	for i := range 3 {
		w := 2*i + 1
		off := uint32(4*w) - f.Tail()
		if i == 0 {
			mustEnq(t, f, word(data, w), 4)
		} else {
			mustEnqAt(t, f, off, word(data, w))
		}
	}
	if f.Tail() != 8 {
		t.Fatalf("tail = %d, want 8", f.Tail())
	}
	wantSegs(t, f, 2)

	// A completely overlapped segment changes nothing.
	mustEnqAt(t, f, 12-f.Tail(), word(data, 3))
	wantSegs(t, f, 2)

	// Paint words 6 and 4 backwards: one segment [12, 28).
	for w := 6; w > 3; w -= 2 {
		mustEnqAt(t, f, uint32(4*w)-f.Tail(), word(data, w))
	}
	wantSegs(t, f, 1)
	wantFirst(t, f, 12, 16)

	// The missing link collects everything: tail advances by 20.
	mustEnq(t, f, word(data, 2), 20)
	wantSegs(t, f, 0)
	got := make([]byte, 4)
	for i := range 7 {
		if n, err := f.Dequeue(got); n != 4 || err != nil || !bytes.Equal(got, word(data, i)) {
			t.Fatalf("dequeue word %d = %d, %v, %x; want %x", i, n, err, got, word(data, i))
		}
	}

	// The last out-of-order segment overlaps all the others.
	f = mustNew(t, size)
	for i := range 4 {
		w := 2*i + 1
		mustEnqAt(t, f, uint32(4*w)-f.Tail(), word(data, w))
	}
	// 21 bytes from word 7 on, at position 8: covers [8, 29) and everything
	// recorded so far ([4,8) … [28,32)) merges into [4, 32).
	src := data[28 : 28+21]
	if err := f.EnqueueAt(8-f.Tail(), src); err != nil {
		t.Fatal(err)
	}
	wantSegs(t, f, 1)
	mustEnq(t, f, src[:4], 32)
	wantSegs(t, f, 0)
	peek := make([]byte, 21)
	if n, err := f.Peek(0, peek[:4]); n != 4 || err != nil || !bytes.Equal(peek[:4], src[:4]) {
		t.Fatalf("peek(0, 4) = %d, %v, %x", n, err, peek[:4])
	}
	if n, err := f.Peek(8, peek); n != 21 || err != nil || !bytes.Equal(peek, src) {
		t.Fatalf("peek(8, 21) = %d, %v, %x", n, err, peek)
	}

	// In-order data overlapping all out-of-order segments.
	f = mustNew(t, size)
	for i := range 4 {
		w := 2*i + 1
		mustEnqAt(t, f, uint32(4*w)-f.Tail(), word(data, w))
	}
	mustEnq(t, f, data[:29], 32)
	wantSegs(t, f, 0)
	buf := make([]byte, 32)
	if n, err := f.Peek(0, buf); n != 32 || err != nil || !bytes.Equal(buf, data[:32]) {
		t.Fatalf("peek = %d, %v, %x; want %x", n, err, buf, data[:32])
	}
	// Peeking at exactly the end of the data returns 0.
	if n, err := f.Peek(f.MaxDequeue(), buf); n != 0 || err != nil {
		t.Fatalf("peek beyond data = %d, %v; want 0, nil", n, err)
	}
}

// vppPattern returns fifo2's layout: 8-byte pieces (and a few 4-byte ones)
// covering [4, 3000) exactly once, in an interleaved order like VPP's table.
func vppPattern() []OOOSegment {
	var sorted []OOOSegment
	for off := uint32(4); off < 3000; {
		n := min(uint32(8), 3000-off)
		if off%388 == 0 && off > 4 {
			n = 4 // a sprinkling of short pieces, as in VPP's data set
		}
		sorted = append(sorted, OOOSegment{off, n})
		off += n
	}
	// Interleave: stride through the sorted list so neighbours arrive far
	// apart, then backwards.
	var out []OOOSegment
	const stride = 7
	for r := stride - 1; r >= 0; r-- {
		for i := len(sorted) - 1 - r; i >= 0; i -= stride {
			out = append(out, sorted[i])
		}
	}
	return out
}

// fifo2: sorted and unsorted out-of-order pieces coalesce into one segment.
func TestVPPFifo2(t *testing.T) {
	pat := vppPattern()
	for _, order := range []string{"sorted", "unsorted"} {
		t.Run(order, func(t *testing.T) {
			p := slices.Clone(pat)
			if order == "sorted" {
				slices.SortFunc(p, func(a, b OOOSegment) int { return int(a.Start) - int(b.Start) })
			}
			f := mustNew(t, 1<<20+1)
			var payload [8]byte
			for _, s := range p {
				binary.LittleEndian.PutUint64(payload[:], uint64(s.Start))
				if err := f.EnqueueAt(s.Start-f.Tail(), payload[:s.Length]); err != nil {
					t.Fatal(err)
				}
			}
			wantSegs(t, f, 1)
			wantFirst(t, f, 4, 2996)
			mustEnq(t, f, make([]byte, 4), 3000)
		})
	}
}

// vppRandom is vppinfra's random_u32 (a 32-bit LCG), so fifo3's "randomised"
// patterns are the same deterministic sequences for a given seed.
func vppRandom(seed *uint32) uint32 {
	*seed = 1664525**seed + 1013904223
	return *seed
}

type fifo3Opts struct {
	size, total, initial, nsegs, seed    uint32
	overlap, noRandomize, drop, inSeqAll bool
}

// fifo3: randomised (optionally overlapping) out-of-order patterns, then one
// in-order byte (or all of it) collects everything; peek, then dequeue or drop.
func runFifo3(t *testing.T, o fifo3Opts) {
	data := make([]byte, o.total)
	for i := range data {
		data[i] = byte(i)
	}
	type piece struct{ off, n uint32 }
	var gen []piece
	segSize := o.total / o.nsegs
	cur := uint32(1)
	if o.noRandomize {
		cur = 0
	}
	seed := o.seed
	for sofar := uint32(0); sofar < o.total; {
		n := min(segSize, o.total-sofar)
		gen = append(gen, piece{cur, n})
		inc := n
		if o.overlap && n == segSize {
			for {
				inc = n % (1 + vppRandom(&seed)%n)
				if inc != 0 {
					break
				}
			}
		}
		cur += inc
		sofar = gen[len(gen)-1].off + gen[len(gen)-1].n
	}
	if !o.noRandomize {
		for range len(gen) / 2 {
			a := vppRandom(&seed) % uint32(len(gen))
			b := vppRandom(&seed) % uint32(len(gen))
			gen[a], gen[b] = gen[b], gen[a]
		}
	}
	f := mustNew(t, o.size)
	init := o.initial % o.size
	if err := f.InitPointers(init, init); err != nil {
		t.Fatal(err)
	}
	first := 0
	if o.noRandomize {
		first = 1
	}
	for _, p := range gen[first:] {
		if err := f.EnqueueAt(init+p.off-f.Tail(), data[p.off:p.off+p.n]); err != nil {
			t.Fatalf("EnqueueAt(%d, %d): %v", p.off, p.n, err)
		}
	}
	if o.noRandomize {
		mustEnq(t, f, data[:gen[0].n], int(o.total))
	} else {
		n := 1
		if o.inSeqAll {
			n = int(o.total)
		}
		mustEnq(t, f, data[:n], int(o.total))
	}
	if f.HasOOOData() {
		t.Fatalf("ooo segments left: %v", f.AppendOOO(nil))
	}
	buf := make([]byte, o.total)
	if n, err := f.Peek(0, buf); n != int(o.total) || err != nil || !bytes.Equal(buf, data) {
		t.Fatalf("peek = %d, %v, data equal %v", n, err, bytes.Equal(buf, data))
	}
	if o.drop {
		if n, err := f.Drop(o.total); n != int(o.total) || err != nil {
			t.Fatalf("drop = %d, %v", n, err)
		}
	} else {
		clear(buf)
		if n, err := f.Dequeue(buf); n != int(o.total) || err != nil || !bytes.Equal(buf, data) {
			t.Fatalf("dequeue = %d, %v, data equal %v", n, err, bytes.Equal(buf, data))
		}
	}
	if f.MaxDequeue() != 0 {
		t.Fatalf("fifo still has %d bytes", f.MaxDequeue())
	}
}

func TestVPPFifo3(t *testing.T) {
	base := fifo3Opts{size: 4<<10 + 1, total: 2 << 10, nsegs: 2, seed: 0xdeaddabe}
	cases := map[string]func(o *fifo3Opts){
		"default":         func(o *fifo3Opts) {},
		"nsegs-200":       func(o *fifo3Opts) { o.nsegs = 200 },
		"nsegs-2000":      func(o *fifo3Opts) { o.nsegs = 2000 },
		"overlap":         func(o *fifo3Opts) { o.nsegs = 200; o.overlap = true },
		"overlap-drop":    func(o *fifo3Opts) { o.nsegs = 500; o.overlap = true; o.drop = true },
		"no-randomize":    func(o *fifo3Opts) { o.nsegs = 100; o.noRandomize = true },
		"in-seq-all":      func(o *fifo3Opts) { o.nsegs = 100; o.inSeqAll = true },
		"initial-offset":  func(o *fifo3Opts) { o.nsegs = 100; o.initial = 4095 },
		"wrap-seed":       func(o *fifo3Opts) { o.nsegs = 300; o.overlap = true; o.initial = 1 << 31; o.seed = 12345 },
		"large-fifo":      func(o *fifo3Opts) { o.size = 1 << 16; o.total = 60000; o.nsegs = 1000; o.overlap = true },
		"large-fifo-drop": func(o *fifo3Opts) { o.size = 1 << 16; o.total = 60000; o.nsegs = 1000; o.drop = true; o.initial = 7 },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			o := base
			mod(&o)
			runFifo3(t, o)
		})
	}
}

// fifo4: out-of-order single bytes added backwards, starting mid-fifo.
func TestVPPFifo4(t *testing.T) {
	const size = 6 << 10
	const n = 5000
	init := uint32(1000000000 % size)
	f := mustNew(t, size)
	if err := f.InitPointers(init, init); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i)
	}
	for i := n - 1; i > 0; i-- {
		mustEnqAt(t, f, init+uint32(i)-f.Tail(), data[i:i+1])
	}
	wantSegs(t, f, 1)
	mustEnq(t, f, data[:1], n)
	buf := make([]byte, n)
	if k, err := f.Dequeue(buf); k != n || err != nil || !bytes.Equal(buf, data) {
		t.Fatalf("dequeue = %d, %v, equal %v", k, err, bytes.Equal(buf, data))
	}
}

func pattern400() []byte {
	d := make([]byte, 400)
	for i := range d {
		d[i] = byte(i % 0xff)
	}
	return d
}

// fifo5: segment positions, the newest segment, and merges across segments
// (VPP checks pool indices for "newest"; here the segment itself).
func TestVPPFifo5(t *testing.T) {
	const size, offset = 401, 200
	data := pattern400()
	f := mustNew(t, size)
	if err := f.InitPointers(offset, offset); err != nil {
		t.Fatal(err)
	}
	mustEnqAt(t, f, 100, data[100:200])
	mustEnqAt(t, f, 300, data[300:400])
	wantSegs(t, f, 2)
	if s, ok := f.NewestOOO(); !ok || s.Start != offset+300 {
		t.Fatalf("newest = %+v %v, want the [300, 400) segment", s, ok)
	}

	mustEnqAt(t, f, 225, data[225:275])
	wantSegs(t, f, 3)
	want := []OOOSegment{{offset + 100, 100}, {offset + 225, 50}, {offset + 300, 100}}
	if got := f.AppendOOO(nil); !slices.Equal(got, want) {
		t.Fatalf("segments = %v, want %v", got, want)
	}
	if s, ok := f.NewestOOO(); !ok || s != want[1] {
		t.Fatalf("newest = %+v %v, want %+v", s, ok, want[1])
	}

	// [190, 310) bridges all three.
	mustEnqAt(t, f, 190, data[190:310])
	wantSegs(t, f, 1)
	wantFirst(t, f, offset+100, 300)

	// In-order [0, 150) reaches it: 400 bytes become readable.
	mustEnq(t, f, data[:150], 400)
	wantSegs(t, f, 0)
	buf := make([]byte, 400)
	if n, err := f.Peek(0, buf); n != 400 || err != nil || !bytes.Equal(buf, data) {
		t.Fatalf("peek = %d, %v", n, err)
	}

	// [100, 200) swallowed by [50, 250).
	f = mustNew(t, size)
	mustEnqAt(t, f, 100, data[100:200])
	mustEnqAt(t, f, 50, data[50:250])
	wantSegs(t, f, 1)
	wantFirst(t, f, 50, 200)
}

// fifo6: out-of-order data with the tail and segment start at the u32 wrap.
func TestVPPFifo6(t *testing.T) {
	data := pattern400()[:100]
	f := mustNew(t, 101)
	if err := f.InitPointers(^uint32(0), ^uint32(0)); err != nil {
		t.Fatal(err)
	}
	mustEnqAt(t, f, 10, data[10:20])
	wantSegs(t, f, 1)
	s, _ := f.FirstOOO()
	if off := f.OOOOffset(s); off != 10 {
		t.Fatalf("segment offset from tail = %d, want 10", off)
	}
	if s.Start != 9 {
		t.Fatalf("segment start = %d, want 9 (wrapped)", s.Start)
	}
	mustEnq(t, f, data[:10], 20)
	wantSegs(t, f, 0)
	buf := make([]byte, 20)
	if n, err := f.Peek(5, buf[5:15]); n != 10 || err != nil || !bytes.Equal(buf[5:15], data[5:15]) {
		t.Fatalf("peek = %d, %v", n, err)
	}
	if n, err := f.Dequeue(buf); n != 20 || err != nil || !bytes.Equal(buf, data[:20]) {
		t.Fatalf("dequeue = %d, %v", n, err)
	}

	// Collect with the tail wrapping but not the segment start.
	if err := f.InitPointers(^uint32(0)-10, ^uint32(0)-10); err != nil {
		t.Fatal(err)
	}
	mustEnqAt(t, f, 5, data[5:20])
	mustEnq(t, f, data[:12], 20)
	wantSegs(t, f, 0)
	if n, err := f.Dequeue(buf); n != 20 || err != nil || !bytes.Equal(buf, data[:20]) {
		t.Fatalf("dequeue = %d, %v", n, err)
	}
}

// fifo7: many out-of-order single bytes and a bridging write, repeated with
// the pointers around the u32 wrap.
func TestVPPFifo7(t *testing.T) {
	const n = 100
	data := pattern400()[:n]
	f := mustNew(t, 101)
	if err := f.InitPointers(^uint32(0), ^uint32(0)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, n)
	for i := range 100 {
		for j := n - 1; j > 0; j -= 2 {
			mustEnqAt(t, f, uint32(j), data[j:j+1])
			wantSegs(t, f, (n-j)/2+1)
		}
		mustEnqAt(t, f, 1, data[1:])
		wantSegs(t, f, 1)
		mustEnq(t, f, data[:1], n)
		wantSegs(t, f, 0)
		clear(buf)
		if k, err := f.Dequeue(buf); k != n || err != nil || !bytes.Equal(buf, data) {
			t.Fatalf("iteration %d: dequeue = %d, %v", i, k, err)
		}
		p := ^uint32(0) - uint32(i)
		if err := f.InitPointers(p, p); err != nil {
			t.Fatal(err)
		}
	}
}

// large: VPP pushes 5 GiB through a fifo to cross the u32 wrap. Starting the
// pointers just below 2^32 crosses it with far less traffic; the full volume
// runs when not in -short mode.
func TestVPPLarge(t *testing.T) {
	iters, per := 1<<10, uint32(5<<30>>10)
	if testing.Short() || raceEnabled {
		iters, per = 64, 64<<10
	}
	data := make([]byte, per)
	for i := range data {
		data[i] = byte(i % 0xff)
	}
	buf := make([]byte, per)
	f := mustNew(t, per+1)
	if err := f.InitPointers(^uint32(0)-per*3, ^uint32(0)-per*3); err != nil {
		t.Fatal(err)
	}
	half := per / 2
	for i := range iters {
		mustEnqAt(t, f, half, data[half:])
		mustEnq(t, f, data[:half], int(per))
		wantSegs(t, f, 0)
		if n, err := f.Dequeue(buf); n != int(per) || err != nil || !bytes.Equal(buf, data) {
			t.Fatalf("iteration %d (head %d): dequeue = %d, %v", i, f.Head(), n, err)
		}
	}
}

// Peek, drop and empty/full rules from the table in spec §7.2.
func TestVPPReturnCodes(t *testing.T) {
	f := mustNew(t, 16)
	buf := make([]byte, 32)
	if _, err := f.Dequeue(buf); !errors.Is(err, ErrEmpty) || Code(err) != -3 {
		t.Fatalf("dequeue empty: %v", err)
	}
	if _, err := f.Drop(1); !errors.Is(err, ErrEmpty) {
		t.Fatalf("drop empty: %v", err)
	}
	if _, err := f.Peek(0, buf); !errors.Is(err, ErrEmpty) {
		t.Fatalf("peek empty at 0: %v; spec §7.2: EEMPTY", err)
	}
	if n, err := f.Peek(1, buf); n != 0 || err != nil {
		t.Fatalf("peek empty at 1 = %d, %v; spec §7.2: 0", n, err)
	}
	if _, _, err := f.ReadSegments(0, 10); !errors.Is(err, ErrEmpty) {
		t.Fatalf("segments empty: %v", err)
	}
	mustEnq(t, f, []byte("0123456789"), 10)
	if n, err := f.Peek(10, buf); n != 0 || err != nil {
		t.Fatalf("peek at end = %d, %v", n, err)
	}
	if n, err := f.Peek(11, buf); n != 0 || err != nil {
		t.Fatalf("peek past end = %d, %v; spec §7.2: 0", n, err)
	}
	if _, _, err := f.ReadSegments(10, 10); !errors.Is(err, ErrEmpty) {
		t.Fatalf("segments at end: %v", err)
	}
	if n, err := f.Peek(3, buf[:4]); n != 4 || err != nil || string(buf[:4]) != "3456" {
		t.Fatalf("peek(3, 4) = %d, %v, %q", n, err, buf[:4])
	}
	if err := f.EnqueueAt(4, make([]byte, 3)); !errors.Is(err, ErrFull) || Code(err) != -2 {
		t.Fatalf("ooo past free space: %v", err)
	}
	if err := f.EnqueueAt(3, make([]byte, 3)); err != nil {
		t.Fatalf("ooo up to free space: %v", err)
	}
	// In-order takes what fits: 6 of 10; the out-of-order bytes do not count.
	if n, err := f.Enqueue([]byte("abcdefghij")); n != 6 || err != nil {
		t.Fatalf("enqueue partial = %d, %v", n, err)
	}
	if _, err := f.Enqueue([]byte("x")); !errors.Is(err, ErrFull) {
		t.Fatalf("enqueue full: %v", err)
	}
	if f.MaxEnqueue() != 0 || f.MaxDequeue() != 16 || !f.IsFull() {
		t.Fatalf("max enq %d deq %d", f.MaxEnqueue(), f.MaxDequeue())
	}
	if n, err := f.Drop(100); n != 16 || err != nil {
		t.Fatalf("drop = %d, %v", n, err)
	}
	mustEnq(t, f, []byte("abc"), 3)
	f.DropAll()
	if !f.IsEmpty() || f.Head() != f.Tail() {
		t.Fatalf("drop all left %d bytes", f.MaxDequeue())
	}
}
