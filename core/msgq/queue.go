package msgq

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// Queue is a bounded multi-producer single-consumer queue of T values on the
// Go heap: Ring's algorithm without the byte encoding, for in-process event
// queues (a worker's queue of session events). Blocked goroutines park on
// condition variables, so a full or empty queue costs no CPU.
//
// A dequeued value stays referenced by its slot until a producer overwrites
// it on the next lap, so the queue keeps at most Cap values alive.
//
// The zero value is not usable; call NewQueue.
type Queue[T any] struct {
	// Read-only after NewQueue.
	slots []qslot[T]
	n     uint64
	mask  uint64
	_     [64 - 40]byte

	tail atomic.Uint64 // next position a producer claims (producers' CAS)
	// headSeen is a head the producers observed, kept on the tail's line:
	// producers decide "not full" from it and read the consumer's head (a
	// line the consumer keeps writing) only when it says full, about once
	// a lap instead of once a message. The head only grows, so a stale
	// value can only understate the free space.
	headSeen atomic.Uint64
	_        [48]byte
	head     atomic.Uint64 // next position the consumer reads (consumer only)
	_        [56]byte

	// Written only on the slow paths: a drop, a sleep, Close.
	drops       atomic.Uint64
	closed      atomic.Bool
	consWaiting atomic.Bool
	prodWaiting atomic.Int32
	_           [48]byte
	mu          sync.Mutex
	notFull     sync.Cond
	// wake carries at most one token to the sleeping consumer. A channel
	// rather than a condition variable: the producer's send makes the
	// consumer runnable on the producer's P without taking a lock, which is
	// the cheap hand-off Go channels themselves get.
	wake chan struct{}
}

type qslot[T any] struct {
	seq atomic.Uint64
	v   T
}

// NewQueue returns a queue holding up to capacity values.
func NewQueue[T any](capacity int) (*Queue[T], error) {
	if capacity <= 0 || capacity > MaxSlots {
		return nil, fmt.Errorf("msgq: capacity %d outside [1, %d]", capacity, MaxSlots)
	}
	q := &Queue[T]{slots: make([]qslot[T], capacity), n: uint64(capacity)}
	if q.n&(q.n-1) == 0 {
		q.mask = q.n - 1
	}
	q.wake = make(chan struct{}, 1)
	q.notFull.L = &q.mu
	return q, nil
}

func (q *Queue[T]) slot(pos uint64) *qslot[T] {
	if q.mask != 0 || q.n == 1 {
		return &q.slots[pos&q.mask]
	}
	return &q.slots[pos%q.n]
}

// Cap returns the capacity.
func (q *Queue[T]) Cap() int { return int(q.n) }

// Len returns the number of values enqueued and not yet dequeued.
func (q *Queue[T]) Len() int {
	head, tail := q.head.Load(), q.tail.Load()
	if tail < head {
		return 0
	}
	return int(min(tail-head, q.n))
}

// Drops returns the number of TryEnqueue calls that failed on a full queue.
func (q *Queue[T]) Drops() uint64 { return q.drops.Load() }

func (q *Queue[T]) claim() (*qslot[T], uint64, bool) {
	pos := q.tail.Load()
	for {
		head := q.headSeen.Load()
		if d := int64(pos - head); d < 0 {
			pos = q.tail.Load() // stale: the consumer already passed pos
			continue
		} else if uint64(d) >= q.n {
			head = q.refreshHead()
			if int64(pos-head) < 0 {
				pos = q.tail.Load() // stale: the consumer passed pos meanwhile
				continue
			}
			if pos-head >= q.n {
				return nil, 0, false
			}
		}
		if q.tail.CompareAndSwap(pos, pos+1) {
			return q.slot(pos), pos, true
		}
		pos = q.tail.Load()
	}
}

// refreshHead reads the consumer's head and records it for the producers.
func (q *Queue[T]) refreshHead() uint64 {
	head := q.head.Load()
	q.headSeen.Store(head)
	return head
}

func (q *Queue[T]) publish(s *qslot[T], pos uint64, v T) {
	s.v = v
	s.seq.Store(pos + 1)
	q.wakeConsumer()
}

// wakeConsumer wakes a sleeping consumer. Only the producer that clears the
// flag pays for the wakeup; the ones that publish before the consumer runs
// again see it clear and go on.
func (q *Queue[T]) wakeConsumer() {
	if q.consWaiting.Load() && q.consWaiting.Swap(false) {
		select {
		case q.wake <- struct{}{}:
		default: // a token is already there
		}
	}
}

// TryEnqueue adds v, or returns ErrFull (counting the drop) when the queue is
// full, or ErrClosed. It never blocks.
func (q *Queue[T]) TryEnqueue(v T) error {
	if q.closed.Load() {
		return ErrClosed
	}
	s, pos, ok := q.claim()
	if !ok {
		q.drops.Add(1)
		return ErrFull
	}
	q.publish(s, pos, v)
	return nil
}

// TryEnqueueBatch adds as many of vs as fit, in order, claiming their slots
// with a single compare-and-swap, and returns how many it added; the rest
// count as drops. A burst of events costs one claim instead of one per event.
func (q *Queue[T]) TryEnqueueBatch(vs []T) (int, error) {
	if q.closed.Load() {
		return 0, ErrClosed
	}
	if len(vs) == 0 {
		return 0, nil
	}
	pos := q.tail.Load()
	var k uint64
	for {
		head := q.headSeen.Load()
		d := int64(pos - head)
		if d < 0 {
			pos = q.tail.Load()
			continue
		}
		if uint64(d)+uint64(len(vs)) > q.n {
			head = q.refreshHead()
			if d = int64(pos - head); d < 0 {
				pos = q.tail.Load()
				continue
			}
		}
		k = min(uint64(len(vs)), q.n-min(uint64(d), q.n))
		if k == 0 {
			break
		}
		if q.tail.CompareAndSwap(pos, pos+k) {
			break
		}
		pos = q.tail.Load()
	}
	for i := range k {
		s := q.slot(pos + i)
		s.v = vs[i]
	}
	for i := range k {
		q.slot(pos + i).seq.Store(pos + i + 1)
	}
	q.wakeConsumer()
	if dropped := uint64(len(vs)) - k; dropped > 0 {
		q.drops.Add(dropped)
		return int(k), ErrFull
	}
	return int(k), nil
}

// Enqueue adds v, waiting while the queue is full. It returns ErrClosed if
// the queue is closed.
//
// Blocked goroutines park at once instead of spinning first: when the two
// sides share a busy CPU, parking lets Go's scheduler run them back to back
// on one P (the way a channel hands off), which beats spinning against a peer
// that is not running.
func (q *Queue[T]) Enqueue(v T) error {
	if q.closed.Load() {
		return ErrClosed
	}
	if s, pos, ok := q.claim(); ok {
		q.publish(s, pos, v)
		return nil
	}
	q.mu.Lock()
	q.prodWaiting.Add(1)
	for !q.closed.Load() {
		if s, pos, ok := q.claim(); ok {
			q.prodWaiting.Add(-1)
			q.mu.Unlock()
			q.publish(s, pos, v)
			return nil
		}
		q.notFull.Wait()
	}
	q.prodWaiting.Add(-1)
	q.mu.Unlock()
	return ErrClosed
}

// TryDequeue removes and returns the oldest value, or ErrEmpty. Single
// consumer only.
func (q *Queue[T]) TryDequeue() (T, error) {
	head := q.head.Load()
	s := q.slot(head)
	if s.seq.Load() != head+1 {
		var zero T
		return zero, ErrEmpty
	}
	v := s.v
	q.head.Store(head + 1)
	q.wakeProducers()
	return v, nil
}

func (q *Queue[T]) wakeProducers() {
	if q.prodWaiting.Load() != 0 {
		q.mu.Lock()
		q.notFull.Broadcast()
		q.mu.Unlock()
	}
}

// Dequeue removes and returns the oldest value, waiting for one. It returns
// ErrClosed once the queue is closed and empty.
func (q *Queue[T]) Dequeue() (T, error) {
	for {
		if v, err := q.TryDequeue(); err == nil {
			return v, nil
		}
		if q.closed.Load() {
			if v, err := q.TryDequeue(); err == nil {
				return v, nil // published before Close
			}
			var zero T
			return zero, ErrClosed
		}
		// Announce, re-check, sleep. The producer that clears the flag
		// sends the token, so the ones after it skip the wakeup; a token
		// left from an earlier round only makes this loop go round once
		// more.
		q.consWaiting.Store(true)
		if q.isEmpty() && !q.closed.Load() {
			<-q.wake
		}
		q.consWaiting.Store(false)
	}
}

func (q *Queue[T]) isEmpty() bool {
	head := q.head.Load()
	return q.slot(head).seq.Load() != head+1
}

// DequeueBatch moves up to len(dst) ready values into dst, oldest first, and
// returns how many. The slots go back to the producers with one store of the
// head for the whole batch. It never blocks. Single consumer only.
func (q *Queue[T]) DequeueBatch(dst []T) int {
	head := q.head.Load()
	k := 0
	for k < len(dst) {
		pos := head + uint64(k)
		s := q.slot(pos)
		if s.seq.Load() != pos+1 {
			break
		}
		dst[k] = s.v
		k++
	}
	if k > 0 {
		q.head.Store(head + uint64(k))
		q.wakeProducers()
	}
	return k
}

// WaitBatch is DequeueBatch that waits until at least one value is ready. It
// returns ErrClosed once the queue is closed and empty.
func (q *Queue[T]) WaitBatch(dst []T) (int, error) {
	if len(dst) == 0 {
		return 0, nil
	}
	v, err := q.Dequeue()
	if err != nil {
		return 0, err
	}
	dst[0] = v
	return 1 + q.DequeueBatch(dst[1:]), nil
}

// Close marks the queue closed and wakes all waiters: enqueues fail with
// ErrClosed, dequeues drain what is left and then return ErrClosed.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed.Store(true)
	q.notFull.Broadcast()
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Closed reports whether Close was called.
func (q *Queue[T]) Closed() bool { return q.closed.Load() }
