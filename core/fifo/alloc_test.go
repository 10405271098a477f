package fifo

import "testing"

// The data path allocates nothing: every fifo operation, including
// out-of-order writes once the segment list has grown to its working size.
func TestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := mustNew(t, 64<<10)
	p := pattern[:1500]
	dst := make([]byte, 1500)
	// Warm the out-of-order list up to the sizes used below.
	for i := range 8 {
		f.EnqueueAt(uint32(3000*i+1500), p)
	}
	f.Enqueue(p)
	f.DropAll()
	ops := map[string]func(){
		"enqueue+dequeue": func() { f.Enqueue(p); f.Dequeue(dst) },
		"ooo+collect": func() {
			f.EnqueueAt(1500, p)
			f.EnqueueAt(4500, p)
			f.Enqueue(p)
			f.EnqueueAt(0, p[:100])
			f.Enqueue(p)
			f.Drop(1 << 20)
		},
		"peek+drop": func() { f.Enqueue(p); f.Peek(100, dst); f.Drop(1500) },
		"zero-copy": func() {
			a, b, _ := f.WriteSegments(1500)
			f.Commit(uint32(len(a) + len(b)))
			f.ReadSegments(0, 1500)
			f.Drop(1500)
		},
		"segments":      func() { f.EnqueueSegments([][]byte{p[:700], p[700:]}, false); f.DropAll() },
		"empty/full":    func() { f.Dequeue(dst); f.Drop(1); f.Peek(10, dst) },
		"notifications": func() { f.SetEvent(); f.UnsetEvent(); f.NeedsDeqNotif(1500); f.ClearDeqNotif() },
		"errors":        func() { _, err := f.Dequeue(dst); _ = Code(err) },
	}
	for name, op := range ops {
		if n := testing.AllocsPerRun(200, op); n != 0 {
			t.Errorf("%s: %v allocs per run", name, n)
		}
	}
}
