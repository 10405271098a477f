package msgq

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// capacity of the benchmarked queues: VPP's minimum worker queue length.
const benchCap = 2048

// runMPSC sends b.N messages from p producers to one consumer and reports
// messages per second. send(i) must block while the queue is full; recv
// returns how many messages it took (blocking until at least one).
func runMPSC(b *testing.B, p int, send func(i int), recv func() int) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	for k := range p {
		n := b.N / p
		if k == 0 {
			n += b.N % p
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				send(i)
			}
		}()
	}
	for got := 0; got < b.N; {
		got += recv()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkQueue moves 18-byte session events through a Queue[T] (blocking
// enqueue, batch dequeue) beside a buffered Go channel of the same capacity.
func BenchmarkQueue(b *testing.B) {
	for _, p := range []int{1, 4} {
		b.Run(fmt.Sprintf("producers=%d/impl=msgq", p), func(b *testing.B) {
			q, _ := NewQueue[[18]byte](benchCap)
			batch := make([][18]byte, 64)
			runMPSC(b, p,
				func(i int) { q.Enqueue([18]byte{byte(i)}) },
				func() int { n, _ := q.WaitBatch(batch); return n })
		})
		b.Run(fmt.Sprintf("producers=%d/impl=chan", p), func(b *testing.B) {
			ch := make(chan [18]byte, benchCap)
			runMPSC(b, p,
				func(i int) { ch <- [18]byte{byte(i)} },
				func() int { <-ch; return 1 })
		})
	}
}

// BenchmarkQueueBurst moves bursts of 16 events: Queue.TryEnqueueBatch
// (one claim per burst; the benchmark retries the part that did not fit)
// beside sixteen channel sends.
func BenchmarkQueueBurst(b *testing.B) {
	const burst = 16
	for _, p := range []int{1, 4} {
		b.Run(fmt.Sprintf("producers=%d/burst=%d/impl=msgq", p, burst), func(b *testing.B) {
			q, _ := NewQueue[[18]byte](benchCap)
			batch := make([][18]byte, 64)
			runMPSCBursts(b, p, burst,
				func(vs [][18]byte) {
					for len(vs) > 0 {
						n, _ := q.TryEnqueueBatch(vs)
						vs = vs[n:]
						if len(vs) > 0 {
							q.Enqueue(vs[0])
							vs = vs[1:]
						}
					}
				},
				func() int { n, _ := q.WaitBatch(batch); return n })
		})
		b.Run(fmt.Sprintf("producers=%d/burst=%d/impl=chan", p, burst), func(b *testing.B) {
			ch := make(chan [18]byte, benchCap)
			runMPSCBursts(b, p, burst,
				func(vs [][18]byte) {
					for _, v := range vs {
						ch <- v
					}
				},
				func() int { <-ch; return 1 })
		})
	}
}

// runMPSCBursts is runMPSC with producers sending bursts of burst messages.
func runMPSCBursts(b *testing.B, p, burst int, send func([][18]byte), recv func() int) {
	b.ReportAllocs()
	var wg sync.WaitGroup
	start := time.Now()
	b.ResetTimer()
	total := 0
	for k := range p {
		n := (b.N / p / burst) + 1
		total += n * burst
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs := make([][18]byte, burst)
			for i := range n {
				for j := range vs {
					vs[j][0] = byte(i + j + k)
				}
				send(vs)
			}
		}()
	}
	for got := 0; got < total; {
		got += recv()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkRing is BenchmarkQueue for the byte Ring (the shared-memory form).
func BenchmarkRing(b *testing.B) {
	for _, p := range []int{1, 4} {
		b.Run(fmt.Sprintf("producers=%d/impl=msgq", p), func(b *testing.B) {
			r, _ := NewRing(benchCap, 18)
			var msg [18]byte
			var seen int
			runMPSC(b, p,
				func(i int) { m := msg; m[0] = byte(i); r.Enqueue(m[:]) },
				func() int {
					for {
						if n := r.Drain(64, func(m []byte) { seen += int(m[0]) }); n > 0 {
							return n
						}
						var m [18]byte
						if _, err := r.Dequeue(m[:]); err == nil {
							return 1
						}
					}
				})
		})
		b.Run(fmt.Sprintf("producers=%d/impl=chan", p), func(b *testing.B) {
			ch := make(chan [18]byte, benchCap)
			runMPSC(b, p,
				func(i int) { ch <- [18]byte{byte(i)} },
				func() int { <-ch; return 1 })
		})
	}
}

// BenchmarkTryEnqueueDequeue is the single-goroutine cost of one message in
// and out (allocs/op must be 0).
func BenchmarkTryEnqueueDequeue(b *testing.B) {
	b.Run("queue", func(b *testing.B) {
		q, _ := NewQueue[[18]byte](benchCap)
		b.ReportAllocs()
		for i := range b.N {
			q.TryEnqueue([18]byte{byte(i)})
			q.TryDequeue()
		}
	})
	b.Run("ring", func(b *testing.B) {
		r, _ := NewRing(benchCap, 18)
		var m [18]byte
		b.ReportAllocs()
		for range b.N {
			r.TryEnqueue(m[:])
			r.TryDequeue(m[:])
		}
	})
}
