package session

import (
	"sync"
	"testing"
)

// TestQueueConsumerGoroutine: an application may drain its queue from
// its own goroutine while the layer runs (the one concurrency the Layer
// allows). Run with -race.
func TestQueueConsumerGoroutine(t *testing.T) {
	l, _, app, ls := server(t, smallConfig(), AttachArgs{EventQueueSize: 64, SegmentSize: 32 << 20})
	q := queueOf(t, l, app)
	const n = 2000
	var wg sync.WaitGroup
	wg.Add(1)
	got := 0
	go func() {
		defer wg.Done()
		for got < n {
			ev, err := q.Wait()
			if err != nil {
				return
			}
			if ev.Type == EventAccepted {
				got++
			}
		}
	}()
	for i := range n {
		h, err := l.Accept(0, ls, uint32(i), conn(uint16(i)), false)
		for err != nil {
			// Congested: the consumer is behind; deliver and retry.
			if !errIs(err, ErrRefused) {
				t.Fatal(err)
			}
			l.FlushAppEvents(0)
			h, err = l.Accept(0, ls, uint32(i), conn(uint16(i)), false)
		}
		_ = l.AcceptNotify(h)
		l.FlushAppEvents(0)
	}
	for l.LeakCheck().AppEvents > 0 {
		l.FlushAppEvents(0)
	}
	wg.Wait()
	if got != n {
		t.Fatalf("consumer saw %d accepts, want %d", got, n)
	}
}
