package msgq

import (
	"errors"
	"fmt"
	"testing"
)

// Independent review of spec §7.6: the rings VPP builds for worker and app
// message queues hold exactly their element counts, a full ring drops (and
// counts) instead of blocking for non-blocking senders, and a freed slot
// takes exactly one more message.

// TestReviewRingCapacities fills rings of the sizes §7.6 derives: a worker
// mq of 2048 (io ring 2048 × 18 B, ctrl ring 1024 × 256 B), a larger,
// non-power-of-two wrk-mq-length (3001 → ctrl 1500), and an app queue of 128
// (io 128 × 18 B, ctrl max(16, 128/16) = 16 × 256 B).
func TestReviewRingCapacities(t *testing.T) {
	rows := []struct {
		name      string
		n, slotSz uint32
	}{
		{"worker io", 2048, 18},
		{"worker ctrl", 1024, 256},
		{"odd worker io", 3001, 18},
		{"odd worker ctrl", 1500, 256},
		{"app io", 128, 18},
		{"app ctrl", 16, 256},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			ring, err := NewRing(r.n, r.slotSz)
			if err != nil {
				t.Fatal(err)
			}
			msg := make([]byte, r.slotSz) // a full-size message fits a slot
			for i := range r.n {
				msg[0] = byte(i)
				if err := ring.TryEnqueue(msg); err != nil {
					t.Fatalf("message %d of %d: %v", i, r.n, err)
				}
			}
			for k := range 3 {
				if err := ring.TryEnqueue(msg); !errors.Is(err, ErrFull) {
					t.Fatalf("message %d past capacity: %v, want ErrFull", k, err)
				}
			}
			if ring.Drops() != 3 || ring.Len() != int(r.n) {
				t.Fatalf("drops %d len %d", ring.Drops(), ring.Len())
			}
			// One slot freed: exactly one more fits.
			buf := make([]byte, r.slotSz)
			if n, err := ring.TryDequeue(buf); n != int(r.slotSz) || err != nil || buf[0] != 0 {
				t.Fatalf("dequeue: %d %v first byte %d", n, err, buf[0])
			}
			if err := ring.TryEnqueue(msg); err != nil {
				t.Fatalf("after one dequeue: %v", err)
			}
			if err := ring.TryEnqueue(msg); !errors.Is(err, ErrFull) || ring.Drops() != 4 {
				t.Fatalf("second after one dequeue: %v, drops %d", err, ring.Drops())
			}
		})
	}
}

// TestReviewRingRefusalsAreNotDrops: a message too large for the slot, or a
// send on a closed ring, is an error but not a full-ring drop.
func TestReviewRingRefusalsAreNotDrops(t *testing.T) {
	r, err := NewRing(4, 18)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.TryEnqueue(make([]byte, 19)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("19 bytes into 18-byte slots: %v", err)
	}
	if err := r.Enqueue(make([]byte, 19)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("blocking send of 19 bytes: %v", err)
	}
	r.Close()
	if err := r.TryEnqueue([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed: %v", err)
	}
	if err := r.Enqueue([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("blocking send on closed: %v", err)
	}
	if r.Drops() != 0 || r.Len() != 0 {
		t.Fatalf("drops %d len %d", r.Drops(), r.Len())
	}
}

// TestReviewRingTruncatedRead: a dst shorter than the message gets its
// prefix and the message's full length, and the message is consumed.
func TestReviewRingTruncatedRead(t *testing.T) {
	r, _ := NewRing(2, 32)
	r.TryEnqueue([]byte("0123456789"))
	r.TryEnqueue([]byte("ab"))
	dst := make([]byte, 4)
	if n, err := r.TryDequeue(dst); n != 10 || err != nil || string(dst) != "0123" {
		t.Fatalf("short dst: %d %v %q", n, err, dst)
	}
	if n, _ := r.TryDequeue(dst); n != 2 || string(dst[:2]) != "ab" {
		t.Fatalf("next message: %d %q", n, dst[:n])
	}
}

// TestReviewQueuePartialBatch: a burst larger than the free space takes the
// prefix that fits, in order, and counts exactly the rest as drops.
func TestReviewQueuePartialBatch(t *testing.T) {
	for _, capacity := range []int{8, 7} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			q, err := NewQueue[int](capacity)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				q.TryEnqueue(100 + i)
			}
			vs := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
			free := capacity - 3
			n, err := q.TryEnqueueBatch(vs)
			if n != free || !errors.Is(err, ErrFull) || q.Drops() != uint64(len(vs)-free) {
				t.Fatalf("batch = %d, %v, drops %d; want %d, ErrFull, %d", n, err, q.Drops(), free, len(vs)-free)
			}
			// A full queue takes none of a burst.
			if n, err := q.TryEnqueueBatch(vs[:2]); n != 0 || !errors.Is(err, ErrFull) {
				t.Fatalf("batch on full = %d, %v", n, err)
			}
			out := make([]int, 2*capacity)
			got := out[:q.DequeueBatch(out)]
			want := append([]int{100, 101, 102}, vs[:free]...)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("dequeued %v, want %v", got, want)
			}
		})
	}
}

// TestReviewQueueClosed: enqueues fail with ErrClosed (not counted as drops)
// and dequeues drain what is left before reporting ErrClosed.
func TestReviewQueueClosed(t *testing.T) {
	q, _ := NewQueue[int](4)
	q.TryEnqueue(1)
	q.TryEnqueue(2)
	q.Close()
	if err := q.TryEnqueue(3); !errors.Is(err, ErrClosed) {
		t.Fatalf("TryEnqueue after close: %v", err)
	}
	if n, err := q.TryEnqueueBatch([]int{3, 4}); n != 0 || !errors.Is(err, ErrClosed) {
		t.Fatalf("batch after close: %d %v", n, err)
	}
	if err := q.Enqueue(3); !errors.Is(err, ErrClosed) {
		t.Fatalf("Enqueue after close: %v", err)
	}
	for _, want := range []int{1, 2} {
		if v, err := q.Dequeue(); v != want || err != nil {
			t.Fatalf("drain: %d %v, want %d", v, err, want)
		}
	}
	if _, err := q.Dequeue(); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed and empty: %v", err)
	}
	if q.Drops() != 0 {
		t.Fatalf("drops %d", q.Drops())
	}
}
