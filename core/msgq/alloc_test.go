package msgq

import "testing"

func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r, _ := NewRing(64, 18)
	q, _ := NewQueue[[18]byte](64)
	var m [18]byte
	batch := make([][18]byte, 8)
	sum := 0
	ops := map[string]func(){
		"ring":       func() { r.TryEnqueue(m[:]); r.TryDequeue(m[:]) },
		"ring-drain": func() { r.TryEnqueue(m[:]); r.TryEnqueue(m[:]); r.Drain(8, func(b []byte) { sum += int(b[0]) }) },
		"ring-full":  func() { r.TryDequeue(m[:]) },
		"queue":      func() { q.TryEnqueue(m); q.TryDequeue() },
		"queue-batch": func() {
			q.TryEnqueue(m)
			q.Enqueue(m)
			q.DequeueBatch(batch)
		},
		"queue-wait": func() { q.TryEnqueue(m); q.TryEnqueue(m); q.WaitBatch(batch[:1]); q.Dequeue() },
	}
	for name, op := range ops {
		if n := testing.AllocsPerRun(200, op); n != 0 {
			t.Errorf("%s: %v allocs per run", name, n)
		}
	}
	// A full queue drops without allocating.
	for range 64 {
		q.TryEnqueue(m)
	}
	if n := testing.AllocsPerRun(200, func() { q.TryEnqueue(m) }); n != 0 {
		t.Errorf("drop: %v allocs", n)
	}
}
