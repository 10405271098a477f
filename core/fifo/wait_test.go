package fifo

import (
	"testing"
	"time"
)

// A producer waiting for n free bytes sleeps through dequeues that free less
// and wakes once n are free: one wakeup for the whole drain, none lost.
func TestWaitWritableN(t *testing.T) {
	for _, c := range []struct {
		name string
		mk   func() *Fifo
	}{
		{"heap", func() *Fifo { return mustNew(t, 4096) }},
		{"segment", func() *Fifo {
			f, err := mustSegment(t, 1<<20).AllocFifo(4096, KindRx)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.mk()
			if n, _ := f.Enqueue(make([]byte, 4096)); n != 4096 {
				t.Fatalf("fill: %d bytes", n)
			}
			const want = 3000
			woke := make(chan uint32)
			go func() {
				wakeups := uint32(0)
				for f.MaxEnqueue() < want {
					f.WaitWritableN(want)
					wakeups++
				}
				woke <- wakeups
			}()
			buf := make([]byte, 100)
			for f.MaxEnqueue() < want {
				// Give the producer time to fall asleep between dequeues,
				// so a wakeup per dequeue would show in the count.
				time.Sleep(200 * time.Microsecond)
				if _, err := f.Dequeue(buf); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case n := <-woke:
				// Early wakeups are allowed but rare; one per dequeue (30)
				// is what the threshold exists to prevent.
				if n > 3 {
					t.Errorf("producer woke %d times for one threshold", n)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("producer never woke: lost wakeup")
			}
		})
	}
}

// WaitWritableN with n above the size waits for an empty fifo, not forever.
func TestWaitWritableNCapped(t *testing.T) {
	f := mustNew(t, 1024)
	f.Enqueue(make([]byte, 1024))
	done := make(chan struct{})
	go func() {
		for f.MaxEnqueue() < 1024 {
			f.WaitWritableN(1 << 30)
		}
		close(done)
	}()
	time.Sleep(time.Millisecond)
	f.Dequeue(make([]byte, 1024))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("producer never woke")
	}
}
