package msgq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/core/fifo"
)

// event is an 18-byte session event (spec §8): type, postponed, 16 bytes.
type event struct {
	typ, postponed uint8
	a, b           uint64
}

func (e event) encode(dst []byte) []byte {
	dst = append(dst, e.typ, e.postponed)
	dst = binary.LittleEndian.AppendUint64(dst, e.a)
	return binary.LittleEndian.AppendUint64(dst, e.b)
}

func decode(b []byte) event {
	return event{b[0], b[1], binary.LittleEndian.Uint64(b[2:]), binary.LittleEndian.Uint64(b[10:])}
}

func TestRingBasics(t *testing.T) {
	for _, n := range []uint32{1, 2, 7, 8, 3000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			r, err := NewRing(n, 18)
			if err != nil {
				t.Fatal(err)
			}
			if r.Cap() != int(n) || r.SlotSize() != 18 {
				t.Fatalf("cap %d slot %d", r.Cap(), r.SlotSize())
			}
			buf := make([]byte, 18)
			if _, err := r.TryDequeue(buf); !errors.Is(err, ErrEmpty) {
				t.Fatalf("empty: %v", err)
			}
			// Three laps: fill exactly, overflow twice (counted), drain in order.
			for lap := range 3 {
				for i := range n {
					if err := r.TryEnqueue(event{typ: 1, a: uint64(lap), b: uint64(i)}.encode(nil)); err != nil {
						t.Fatalf("lap %d enqueue %d: %v", lap, i, err)
					}
				}
				if r.Len() != int(n) {
					t.Fatalf("len %d", r.Len())
				}
				for range 2 {
					if err := r.TryEnqueue([]byte{9}); !errors.Is(err, ErrFull) {
						t.Fatalf("overflow: %v", err)
					}
				}
				for i := range n {
					k, err := r.TryDequeue(buf)
					if err != nil || k != 18 {
						t.Fatalf("dequeue %d: %d %v", i, k, err)
					}
					if e := decode(buf); e.a != uint64(lap) || e.b != uint64(i) {
						t.Fatalf("lap %d got %+v at %d", lap, e, i)
					}
				}
			}
			if r.Drops() != 6 || r.Len() != 0 {
				t.Fatalf("drops %d len %d", r.Drops(), r.Len())
			}
			if err := r.TryEnqueue(make([]byte, 19)); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("oversize: %v", err)
			}
			// Short messages keep their length.
			r.TryEnqueue([]byte("hi"))
			if k, _ := r.TryDequeue(buf); k != 2 || string(buf[:2]) != "hi" {
				t.Fatalf("short message: %d %q", k, buf[:k])
			}
		})
	}
}

func TestRingDrainAndClose(t *testing.T) {
	r, _ := NewRing(16, 8)
	for i := range 10 {
		r.TryEnqueue([]byte{byte(i)})
	}
	var got []byte
	if n := r.Drain(4, func(m []byte) { got = append(got, m...) }); n != 4 {
		t.Fatalf("drained %d", n)
	}
	if n := r.Drain(100, func(m []byte) { got = append(got, m...) }); n != 6 {
		t.Fatalf("drained %d", n)
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("order %v", got)
		}
	}
	r.TryEnqueue([]byte{42})
	r.Close()
	if err := r.TryEnqueue([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v", err)
	}
	buf := make([]byte, 8)
	if n, err := r.Dequeue(buf); n != 1 || err != nil || buf[0] != 42 {
		t.Fatalf("pending message after close: %d %v", n, err)
	}
	if _, err := r.Dequeue(buf); !errors.Is(err, ErrClosed) {
		t.Fatalf("dequeue closed empty: %v", err)
	}
}

// Blocking dequeue and enqueue wake up when the other side moves.
func TestRingBlocking(t *testing.T) {
	r, _ := NewRing(4, 8)
	done := make(chan error)
	go func() {
		buf := make([]byte, 8)
		for i := range 1000 {
			n, err := r.Dequeue(buf)
			if err != nil || n != 8 || binary.LittleEndian.Uint64(buf) != uint64(i) {
				done <- fmt.Errorf("message %d: %d %v %x", i, n, err, buf)
				return
			}
		}
		done <- nil
	}()
	for i := range 1000 {
		if err := r.Enqueue(binary.LittleEndian.AppendUint64(nil, uint64(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A consumer blocked on an empty ring is released by Close.
	go func() { _, err := r.Dequeue(make([]byte, 8)); done <- err }()
	r.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked dequeue after close: %v", err)
	}
}

// The ring laid out in a shared-memory segment is used through a second
// mapping of the same memfd: producers on both mappings, one consumer.
func TestRingInSegment(t *testing.T) {
	seg, err := fifo.NewSegment("mq", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	size, _ := RingBytes(2048, 18)
	off, err := seg.AllocBlock(size)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := seg.Block(off, size)
	r, err := InitRing(mem, 2048, 18)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := fifo.AttachSegment(seg.Fd())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	pmem, err := peer.Block(off, size)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := AttachRing(pmem)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Cap() != 2048 || pr.SlotSize() != 18 {
		t.Fatalf("attached cap %d slot %d", pr.Cap(), pr.SlotSize())
	}
	for i := range 100 {
		q := r
		if i%2 == 1 {
			q = pr
		}
		if err := q.TryEnqueue(event{typ: 0, a: uint64(i)}.encode(nil)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 18)
	for i := range 100 {
		q := pr
		if i%3 == 0 {
			q = r
		}
		if _, err := q.TryDequeue(buf); err != nil || decode(buf).a != uint64(i) {
			t.Fatalf("message %d: %v %+v", i, err, decode(buf))
		}
	}
	if _, err := AttachRing(pmem[:100]); err == nil {
		t.Fatal("attached a truncated ring")
	}
}

// stress runs producers that each send per messages with TryEnqueue (a full
// queue is a counted drop) against one consumer, and checks that every
// message that was accepted is delivered exactly once, in each producer's
// order, and that the drop counter equals the producers' failures.
func stress(t *testing.T, producers, per int, enq func(p, i int) error, deq func() (p, i int, ok bool), drops func() uint64) {
	var wg sync.WaitGroup
	failed := make([]int, producers)
	sent := make([]map[int]bool, producers)
	for p := range producers {
		sent[p] = map[int]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				switch err := enq(p, i); {
				case err == nil:
					sent[p][i] = true
				case errors.Is(err, ErrFull):
					failed[p]++
				default:
					t.Errorf("producer %d: %v", p, err)
					return
				}
			}
		}()
	}
	fin := make(chan struct{})
	go func() { wg.Wait(); close(fin) }()
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	got := make([]map[int]bool, producers)
	for p := range got {
		got[p] = map[int]bool{}
	}
	finished := false
	for {
		p, i, ok := deq()
		if !ok {
			if finished {
				break
			}
			select {
			case <-fin:
				finished = true // one more pass to drain what is left
			default:
			}
			continue
		}
		if p < 0 || p >= producers || got[p][i] {
			t.Fatalf("message %d/%d delivered twice or corrupt", p, i)
		}
		if i <= last[p] {
			t.Fatalf("producer %d: message %d after %d", p, i, last[p])
		}
		last[p] = i
		got[p][i] = true
	}
	var nFailed uint64
	for p := range producers {
		nFailed += uint64(failed[p])
		if len(got[p]) != len(sent[p]) {
			t.Fatalf("producer %d: %d accepted, %d delivered", p, len(sent[p]), len(got[p]))
		}
	}
	if d := drops(); d != nFailed {
		t.Fatalf("drop counter %d, producers saw %d failures", d, nFailed)
	}
	if nFailed == 0 {
		t.Logf("no drops happened (consumer kept up)")
	}
}

func TestRingStress(t *testing.T) {
	per := 20000
	if testing.Short() {
		per = 2000
	}
	for _, capacity := range []uint32{64, 1000} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			r, _ := NewRing(capacity, 18)
			buf := make([]byte, 18)
			stress(t, 4, per,
				func(p, i int) error {
					return r.TryEnqueue(event{a: uint64(p), b: uint64(i)}.encode(make([]byte, 0, 18)))
				},
				func() (int, int, bool) {
					if _, err := r.TryDequeue(buf); err != nil {
						return 0, 0, false
					}
					e := decode(buf)
					return int(e.a), int(e.b), true
				}, r.Drops)
		})
	}
}

func TestQueueStress(t *testing.T) {
	per := 20000
	if testing.Short() {
		per = 2000
	}
	for _, capacity := range []int{64, 1000} {
		t.Run(fmt.Sprint(capacity), func(t *testing.T) {
			q, _ := NewQueue[event](capacity)
			batch := make([]event, 16)
			var pending []event
			stress(t, 4, per,
				func(p, i int) error { return q.TryEnqueue(event{a: uint64(p), b: uint64(i)}) },
				func() (int, int, bool) {
					if len(pending) == 0 {
						n := q.DequeueBatch(batch)
						pending = batch[:n]
					}
					if len(pending) == 0 {
						return 0, 0, false
					}
					e := pending[0]
					pending = pending[1:]
					return int(e.a), int(e.b), true
				}, q.Drops)
		})
	}
}

func TestQueueBlocking(t *testing.T) {
	q, err := NewQueue[int](3)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	done := make(chan error)
	go func() {
		buf := make([]int, 7)
		next := 0
		for next < n {
			k, err := q.WaitBatch(buf)
			if err != nil {
				done <- err
				return
			}
			for _, v := range buf[:k] {
				if v != next {
					done <- fmt.Errorf("got %d, want %d", v, next)
					return
				}
				next++
			}
		}
		done <- nil
	}()
	var wg sync.WaitGroup
	// Two blocking producers interleave odd and even numbers in order by
	// handing a token back and forth.
	turn := make([]chan struct{}, 2)
	for i := range turn {
		turn[i] = make(chan struct{}, 1)
	}
	turn[0] <- struct{}{}
	for p := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := p; v < n; v += 2 {
				<-turn[p]
				if err := q.Enqueue(v); err != nil {
					t.Error(err)
				}
				turn[1-p] <- struct{}{}
			}
		}()
	}
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if q.Drops() != 0 {
		t.Fatalf("blocking enqueues dropped %d", q.Drops())
	}
	// Close releases a blocked consumer and a blocked producer.
	go func() { _, err := q.Dequeue(); done <- err }()
	q.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("dequeue after close: %v", err)
	}
	q2, _ := NewQueue[int](1)
	q2.TryEnqueue(1)
	go func() { done <- q2.Enqueue(2) }()
	q2.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v", err)
	}
	if v, err := q2.Dequeue(); v != 1 || err != nil {
		t.Fatalf("pending value after close: %d %v", v, err)
	}
}

func TestQueueCapacityExact(t *testing.T) {
	q, _ := NewQueue[uint16](3000) // not a power of two: VPP accepts any length
	for i := range 3000 {
		if err := q.TryEnqueue(uint16(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.TryEnqueue(1); !errors.Is(err, ErrFull) || q.Drops() != 1 || q.Len() != 3000 {
		t.Fatalf("overflow %v drops %d len %d", err, q.Drops(), q.Len())
	}
	for i := range 3000 {
		if v, err := q.TryDequeue(); err != nil || v != uint16(i) {
			t.Fatalf("%d: %d %v", i, v, err)
		}
	}
	if _, err := NewQueue[int](0); err == nil {
		t.Fatal("zero capacity accepted")
	}
}

// Bursts claimed with one CAS: the accepted prefix of every burst arrives
// once and in order; the rest is counted as drops, exactly.
func TestQueueBatchStress(t *testing.T) {
	const producers, bursts, burst = 4, 3000, 13
	q, _ := NewQueue[event](100)
	var wg sync.WaitGroup
	failed := make([]int, producers)
	accepted := make([]map[int]bool, producers)
	for p := range producers {
		accepted[p] = map[int]bool{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs := make([]event, burst)
			for i := range bursts {
				for j := range vs {
					vs[j] = event{a: uint64(p), b: uint64(i*burst + j)}
				}
				n, err := q.TryEnqueueBatch(vs)
				if (err == nil) != (n == burst) || (err != nil && !errors.Is(err, ErrFull)) {
					t.Errorf("batch: %d, %v", n, err)
				}
				for j := range n {
					accepted[p][i*burst+j] = true
				}
				failed[p] += burst - n
			}
		}()
	}
	fin := make(chan struct{})
	go func() { wg.Wait(); close(fin) }()
	last := []int{-1, -1, -1, -1}
	got := 0
	buf := make([]event, 32)
	for done := false; ; {
		n := q.DequeueBatch(buf)
		for _, e := range buf[:n] {
			p, i := int(e.a), int(e.b)
			if i <= last[p] {
				t.Fatalf("producer %d: %d after %d", p, i, last[p])
			}
			last[p] = i
			got++
		}
		if n == 0 {
			if done {
				break
			}
			select {
			case <-fin:
				done = true
			default:
			}
		}
	}
	want, drops := 0, 0
	for p := range producers {
		want += len(accepted[p])
		drops += failed[p]
	}
	if got != want || q.Drops() != uint64(drops) {
		t.Fatalf("delivered %d of %d accepted; drops %d, producers counted %d", got, want, q.Drops(), drops)
	}
	if n, err := q.TryEnqueueBatch(nil); n != 0 || err != nil {
		t.Fatalf("empty batch: %d %v", n, err)
	}
}
