package msgq

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// refQueue is the slow, obviously right reference: a slice under no
// concurrency at all, with a capacity and a drop counter.
type refQueue struct {
	items [][]byte
	cap   int
	drops uint64
}

func (r *refQueue) enqueue(m []byte) error {
	if len(r.items) == r.cap {
		r.drops++
		return ErrFull
	}
	r.items = append(r.items, append([]byte(nil), m...))
	return nil
}

func (r *refQueue) dequeue() ([]byte, error) {
	if len(r.items) == 0 {
		return nil, ErrEmpty
	}
	m := r.items[0]
	r.items = r.items[1:]
	return m, nil
}

// TestRingMatchesReference drives a Ring and a Queue[[]byte]-like use of
// Queue with random single-threaded operation sequences (any capacity,
// including non-powers of two and 1) and compares every result with the
// reference.
func TestRingMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		capacity := rapid.IntRange(1, 40).Draw(t, "cap")
		slot := rapid.IntRange(1, 32).Draw(t, "slot")
		r, err := NewRing(uint32(capacity), uint32(slot))
		if err != nil {
			t.Fatal(err)
		}
		q, _ := NewQueue[string](capacity)
		ref := &refQueue{cap: capacity}
		qref := &refQueue{cap: capacity}
		buf := make([]byte, slot)
		steps := rapid.IntRange(1, 300).Draw(t, "steps")
		for i := range steps {
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				m := rapid.SliceOfN(rapid.Byte(), 0, slot).Draw(t, "msg")
				if got, want := r.TryEnqueue(m), ref.enqueue(m); got != want {
					t.Fatalf("step %d: ring enqueue %v, reference %v", i, got, want)
				}
				if got, want := q.TryEnqueue(string(m)), qref.enqueue(m); got != want {
					t.Fatalf("step %d: queue enqueue %v, reference %v", i, got, want)
				}
			case 1:
				n, err := r.TryDequeue(buf)
				want, werr := ref.dequeue()
				if err != werr || string(buf[:max(n, 0)]) != string(want) {
					t.Fatalf("step %d: ring dequeue %q %v, reference %q %v", i, buf[:n], err, want, werr)
				}
				v, err := q.TryDequeue()
				want, werr = qref.dequeue()
				if err != werr || v != string(want) {
					t.Fatalf("step %d: queue dequeue %q %v, reference %q %v", i, v, err, want, werr)
				}
			case 2:
				k := rapid.IntRange(0, 10).Draw(t, "batch")
				var got []string
				n := r.Drain(k, func(m []byte) { got = append(got, string(m)) })
				for j := range n {
					want, _ := ref.dequeue()
					if got[j] != string(want) {
						t.Fatalf("step %d: drain[%d] %q, reference %q", i, j, got[j], want)
					}
				}
				if n < k && len(ref.items) != 0 {
					t.Fatalf("step %d: drain stopped at %d of %d with %d left", i, n, k, len(ref.items))
				}
				dst := make([]string, k)
				n = q.DequeueBatch(dst)
				for j := range n {
					want, _ := qref.dequeue()
					if dst[j] != string(want) {
						t.Fatalf("step %d: batch[%d] %q, reference %q", i, j, dst[j], want)
					}
				}
				if n < k && len(qref.items) != 0 {
					t.Fatalf("step %d: batch stopped at %d of %d with %d left", i, n, k, len(qref.items))
				}
			case 4:
				ms := rapid.SliceOfN(rapid.StringN(0, 4, 4), 0, 6).Draw(t, "burst")
				n, err := q.TryEnqueueBatch(ms)
				want := 0
				for _, m := range ms {
					if qref.enqueue([]byte(m)) == nil {
						want++
					}
				}
				if n != want || (err == nil) != (want == len(ms)) {
					t.Fatalf("step %d: batch of %d: %d %v, reference %d", i, len(ms), n, err, want)
				}
			case 3:
				if r.Len() != len(ref.items) || q.Len() != len(qref.items) {
					t.Fatalf("step %d: len ring %d queue %d, reference %d %d", i, r.Len(), q.Len(), len(ref.items), len(qref.items))
				}
				if r.Drops() != ref.drops || q.Drops() != qref.drops {
					t.Fatalf("step %d: drops ring %d queue %d, reference %d %d", i, r.Drops(), q.Drops(), ref.drops, qref.drops)
				}
				if err := r.TryEnqueue(make([]byte, slot+1)); !errors.Is(err, ErrTooLarge) {
					t.Fatalf("step %d: oversize message: %v", i, err)
				}
			}
		}
	})
}
