package fifo

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// checker drives a Fifo and the reference model with the same operations and
// reports the first difference. The property test (rapid) and the fuzz target
// both feed it.
type checker struct {
	f    *Fifo
	m    *model
	seq  byte // next payload byte, so every write carries fresh data
	buf  []byte
	last [2]uint32 // last out-of-order write [start, end), for the newest check
	ooo  bool      // the last producer op was an out-of-order write
}

func newChecker(size, start uint32) (*checker, error) {
	f, err := New(size)
	if err != nil {
		return nil, err
	}
	if err := f.InitPointers(start, start); err != nil {
		return nil, err
	}
	return &checker{f: f, m: newModel(size, start), buf: make([]byte, 2*size+16)}, nil
}

func (c *checker) payload(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		c.seq++
		p[i] = c.seq
	}
	return p
}

const nOps = 9

// step applies operation op with arguments a and b (taken modulo sensible
// ranges) to both sides and compares results and state.
func (c *checker) step(op byte, a, b uint32) error {
	size := c.f.Size()
	lim := func(x uint32) int { return int(x % (size + size/2 + 2)) }
	switch op % nOps {
	case 0: // enqueue
		p := c.payload(lim(a))
		n, err := c.f.Enqueue(p)
		mn, merr := c.m.enqueue(p)
		if n != mn || err != merr {
			return fmt.Errorf("Enqueue(%d) = %d, %v; model %d, %v", len(p), n, err, mn, merr)
		}
		c.ooo = false
	case 1, 2: // out-of-order write (twice as likely: it is what is under test)
		off := uint32(lim(a))
		p := c.payload(lim(b) / 2)
		err := c.f.EnqueueAt(off, p)
		merr := c.m.enqueueAt(off, p)
		if err != merr {
			return fmt.Errorf("EnqueueAt(%d, %d) = %v; model %v", off, len(p), err, merr)
		}
		if err == nil && len(p) > 0 {
			start := c.f.Tail() + off
			c.last = [2]uint32{start, start + uint32(len(p))}
			c.ooo = true
		}
	case 3: // dequeue
		n := lim(a)
		got, err := c.f.Dequeue(c.buf[:n])
		want, merr := c.m.dequeue(n)
		if err != merr || !bytes.Equal(c.buf[:max(got, 0)], want) {
			return fmt.Errorf("Dequeue(%d) = %d, %v, %x; model %x, %v", n, got, err, c.buf[:max(got, 0)], want, merr)
		}
	case 4: // peek
		off, n := uint32(lim(a)), lim(b)
		got, err := c.f.Peek(off, c.buf[:n])
		want, merr := c.m.peek(off, n)
		if err != merr || !bytes.Equal(c.buf[:max(got, 0)], want) {
			return fmt.Errorf("Peek(%d, %d) = %d, %v; model %d, %v", off, n, got, err, len(want), merr)
		}
	case 5: // drop, or drop all
		if a%8 == 0 {
			c.f.DropAll()
			c.m.dropAll()
			break
		}
		n, err := c.f.Drop(uint32(lim(b)))
		mn, merr := c.m.drop(uint32(lim(b)))
		if n != mn || err != merr {
			return fmt.Errorf("Drop(%d) = %d, %v; model %d, %v", lim(b), n, err, mn, merr)
		}
	case 6: // zero-copy read view
		off, n := uint32(lim(a)), uint32(lim(b))
		x, y, err := c.f.ReadSegments(off, n)
		want, merr := c.m.peek(off, int(n))
		if cur := c.m.tail - c.m.head; cur == 0 || uint64(off) >= cur {
			merr = ErrEmpty // segments: EEMPTY also when nothing lies past offset
		}
		got := append(slices.Clone(x), y...)
		if err != merr || (err == nil && !bytes.Equal(got, want)) {
			return fmt.Errorf("ReadSegments(%d, %d) = %d+%d bytes, %v; model %d, %v", off, n, len(x), len(y), err, len(want), merr)
		}
	case 7: // zero-copy write view + commit
		n := uint32(lim(a))
		x, y, err := c.f.WriteSegments(n)
		if c.m.free() == 0 {
			if err != ErrFull {
				return fmt.Errorf("WriteSegments(%d) on a full fifo: %v", n, err)
			}
			break
		}
		if err != nil || uint64(len(x)+len(y)) != min(uint64(n), c.m.free()) {
			return fmt.Errorf("WriteSegments(%d) = %d+%d bytes, %v; free %d", n, len(x), len(y), err, c.m.free())
		}
		k := int(b % uint32(len(x)+len(y)+1))
		p := c.payload(k)
		copy(y, p[copy(x, p):])
		before := c.f.Tail()
		if err := c.f.Commit(uint32(k)); err != nil {
			return fmt.Errorf("Commit(%d): %v", k, err)
		}
		mn, _ := c.m.enqueue(p)
		if got := int(c.f.Tail() - before); got != mn {
			return fmt.Errorf("Commit(%d) advanced tail by %d; model %d", k, got, mn)
		}
	case 8: // enqueue segments
		p1, p2 := c.payload(lim(a)/2), c.payload(lim(b)/2)
		partial := (a^b)&1 == 0
		n, err := c.f.EnqueueSegments([][]byte{p1, p2}, partial)
		var mn int
		var merr error
		all := append(slices.Clone(p1), p2...)
		if !partial && uint64(len(all)) > c.m.free() {
			merr = ErrFull
		} else {
			mn, merr = c.m.enqueue(all)
		}
		if n != mn || err != merr {
			return fmt.Errorf("EnqueueSegments(%d+%d, partial %v) = %d, %v; model %d, %v", len(p1), len(p2), partial, n, err, mn, merr)
		}
		c.ooo = false
	}
	return c.compare()
}

func (c *checker) compare() error {
	f, m := c.f, c.m
	if f.Head() != uint32(m.head) || f.Tail() != uint32(m.tail) {
		return fmt.Errorf("head/tail = %d/%d; model %d/%d", f.Head(), f.Tail(), uint32(m.head), uint32(m.tail))
	}
	if f.MaxDequeue() != uint32(m.tail-m.head) || f.MaxEnqueue() != uint32(m.free()) {
		return fmt.Errorf("max deq/enq = %d/%d; model %d/%d", f.MaxDequeue(), f.MaxEnqueue(), m.tail-m.head, m.free())
	}
	got, want := f.AppendOOO(nil), m.segments()
	if !slices.Equal(got, want) {
		return fmt.Errorf("ooo segments = %v; model %v", got, want)
	}
	// The newest segment, when set, contains the last out-of-order write.
	if s, ok := f.NewestOOO(); ok {
		if !c.ooo {
			return fmt.Errorf("newest segment %+v set after an in-order write", s)
		}
		if posLT(c.last[0], s.Start) || posGT(c.last[1], s.End()) {
			return fmt.Errorf("newest segment %+v does not contain the last write [%d, %d)", s, c.last[0], c.last[1])
		}
	}
	return nil
}

// TestModelProperty checks random in-order and out-of-order enqueues, peeks,
// drops, dequeues and zero-copy views against the byte-array model, with the
// positions starting anywhere in u32 space (often just below the wrap).
func TestModelProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		size := rapid.OneOf(
			rapid.Uint32Range(1, 64),
			rapid.Uint32Range(65, 700),
			rapid.SampledFrom([]uint32{16, 128, 256, 4096}),
		).Draw(t, "size")
		start := rapid.OneOf(
			rapid.Uint32(),
			rapid.Uint32Range(^uint32(0)-3*size, ^uint32(0)),
		).Draw(t, "start")
		c, err := newChecker(size, start)
		if err != nil {
			t.Fatal(err)
		}
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for i := range steps {
			op := rapid.Byte().Draw(t, "op")
			a := rapid.Uint32().Draw(t, "a")
			b := rapid.Uint32().Draw(t, "b")
			if err := c.step(op, a, b); err != nil {
				t.Fatalf("step %d (op %d): %v", i, op%nOps, err)
			}
		}
	})
}
