package msgq

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func newBasicMsgQ(t testing.TB) *MsgQ {
	t.Helper()
	q, err := NewMsgQ(MsgQCfg{QNitems: 16, Rings: []MsgQRingCfg{{Nitems: 8, Elsize: 8}, {Nitems: 8, Elsize: 16}}})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestMsgQBasic ports VPP's session_test_mq_basic (src/plugins/unittest/
// session_test.c): ring placement, ring selection by size, in-order alloc
// and free, and the order and contents of dequeued messages.
func TestMsgQBasic(t *testing.T) {
	q := newBasicMsgQ(t)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format, args...)
	}

	// Rings are contiguous, in cfg order, each behind its shared header.
	if q.NumRings() != 2 {
		fail("%d rings", q.NumRings())
	}
	if got, want := q.RingDataOffset(1), q.RingDataOffset(0)+8*8+MsgQRingHeaderSize; got != want {
		fail("ring 1 data at %d, want %d", got, want)
	}
	d0 := q.MsgData(Msg{0, 0})
	d1 := q.MsgData(Msg{1, 0})
	if dist := uintptr(unsafe.Pointer(&d1[0])) - uintptr(unsafe.Pointer(&d0[0])); dist != 8*8+MsgQRingHeaderSize {
		fail("ring 1 data %d bytes after ring 0's, want %d", dist, 8*8+MsgQRingHeaderSize)
	}
	if len(d0) != 8 || len(d1) != 16 {
		fail("element sizes %d, %d", len(d0), len(d1))
	}

	msg1 := q.AllocMsg(8)
	if msg1 != (Msg{0, 0}) {
		fail("alloc 8: %+v, want ring 0 elt 0", msg1)
	}
	if q.RingCursize(0) != 1 {
		fail("ring 0 cursize %d, want 1", q.RingCursize(0))
	}
	msg2 := q.AllocMsg(15)
	if msg2 != (Msg{1, 0}) {
		fail("alloc 15: %+v, want ring 1 elt 0", msg2)
	}
	if q.RingCursize(1) != 1 {
		fail("ring 1 cursize %d, want 1", q.RingCursize(1))
	}
	if err := q.FreeMsg(msg1); err != nil {
		fail("free msg1: %v", err)
	}
	if q.RingCursize(0) != 0 {
		fail("ring 0 cursize %d after free, want 0", q.RingCursize(0))
	}

	var msgs [12]Msg
	for i := range msgs {
		msgs[i] = q.AllocMsg(7)
		if !msgs[i].IsValid() {
			fail("alloc %d of 7 bytes: invalid", i)
		}
		binary.LittleEndian.PutUint32(q.MsgData(msgs[i]), uint32(i))
	}
	if q.RingCursize(0) != 8 || q.RingCursize(1) != 5 {
		fail("cursizes %d, %d; want 8, 5", q.RingCursize(0), q.RingCursize(1))
	}

	binary.LittleEndian.PutUint32(q.MsgData(msg2), 123)
	if err := q.Add(msg2, true); err != nil {
		fail("add msg2: %v", err)
	}
	for i, m := range msgs {
		if err := q.Add(m, true); err != nil {
			fail("add msg %d: %v", i, err)
		}
	}
	if q.Len() != 13 {
		fail("queue length %d, want 13", q.Len())
	}

	m, err := q.Sub(true)
	if err != nil {
		fail("sub: %v", err)
	}
	if m != (Msg{1, 0}) {
		fail("first sub %+v, want ring 1 elt 0", m)
	}
	if v := binary.LittleEndian.Uint32(q.MsgData(m)); v != 123 {
		fail("first message data %d, want 123", v)
	}
	if err := q.FreeMsg(m); err != nil {
		fail("free: %v", err)
	}

	for i := range 12 {
		m, err := q.Sub(true)
		if err != nil {
			fail("sub %d: %v", i, err)
		}
		want := Msg{0, uint32(i+1) % 8}
		if i >= 8 {
			want = Msg{1, uint32(i-8) + 1}
		}
		if m != want {
			fail("sub %d: %+v, want %+v", i, m, want)
		}
		if v := binary.LittleEndian.Uint32(q.MsgData(m)); v != uint32(i) {
			fail("sub %d: data %d, want %d", i, v, i)
		}
		if err := q.FreeMsg(m); err != nil {
			fail("free %d: %v", i, err)
		}
	}
	if q.RingCursize(0) != 0 || q.RingCursize(1) != 0 {
		fail("final cursizes %d, %d; want 0, 0", q.RingCursize(0), q.RingCursize(1))
	}
	if !q.IsEmpty() || q.Len() != 0 {
		fail("queue not empty at the end: %d", q.Len())
	}
	if _, err := q.Sub(true); !errors.Is(err, ErrEmpty) {
		fail("sub on empty queue: %v, want ErrEmpty", err)
	}
}

func TestMsgQErrors(t *testing.T) {
	t.Run("full ring", func(t *testing.T) {
		q := newBasicMsgQ(t)
		for i := range 8 {
			m, err := q.LockAndAllocMsgWRing(0, true)
			if err != nil || m != (Msg{0, uint32(i)}) {
				t.Fatalf("alloc %d: %+v %v", i, m, err)
			}
			if err := q.AddAndUnlock(m); err != nil {
				t.Fatal(err)
			}
		}
		if !q.RingIsFull(0) || q.RingIsFull(1) {
			t.Fatalf("ring full: %v %v", q.RingIsFull(0), q.RingIsFull(1))
		}
		if _, err := q.LockAndAllocMsgWRing(0, true); !errors.Is(err, ErrFull) {
			t.Fatalf("alloc from full ring: %v, want ErrFull", err)
		}
		if m := q.AllocMsgWRing(0); m.IsValid() {
			t.Fatalf("raw alloc from full ring: %+v", m)
		}
		// The failed call released the lock.
		if !q.TryLock() {
			t.Fatal("lock left held after ErrFull")
		}
		q.Unlock()
		// AllocMsg moves on to the next ring that fits.
		if m := q.AllocMsg(8); m != (Msg{1, 0}) {
			t.Fatalf("alloc with ring 0 full: %+v, want ring 1 elt 0", m)
		}
		if _, err := q.LockAndAllocMsg(8, true); err != nil {
			t.Fatalf("lock and alloc 8 bytes: %v", err)
		}
		q.Unlock()
	})
	t.Run("full queue", func(t *testing.T) {
		q, err := NewMsgQ(MsgQCfg{QNitems: 2, Rings: []MsgQRingCfg{{Nitems: 8, Elsize: 8}}})
		if err != nil {
			t.Fatal(err)
		}
		var ms [3]Msg
		for i := range ms {
			ms[i] = q.AllocMsg(4)
		}
		for i := range 2 {
			if err := q.Add(ms[i], true); err != nil {
				t.Fatal(err)
			}
		}
		if !q.IsFull() {
			t.Fatal("queue of 2 not full")
		}
		if err := q.Add(ms[2], true); !errors.Is(err, ErrFull) {
			t.Fatalf("add to full queue: %v, want ErrFull", err)
		}
		if _, err := q.LockAndAllocMsgWRing(0, true); !errors.Is(err, ErrFull) {
			t.Fatalf("alloc with full queue: %v, want ErrFull", err)
		}
		if _, err := q.LockAndAllocMsg(1, true); !errors.Is(err, ErrFull) {
			t.Fatalf("alloc with full queue: %v, want ErrFull", err)
		}
		if q.Len() != 2 || q.RingCursize(0) != 3 {
			t.Fatalf("len %d cursize %d", q.Len(), q.RingCursize(0))
		}
		m, _ := q.Sub(true)
		if err := q.Add(ms[2], true); err != nil {
			t.Fatalf("add after sub: %v", err)
		}
		if err := q.FreeMsg(m); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("lock busy", func(t *testing.T) {
		q := newBasicMsgQ(t)
		m := q.AllocMsg(8)
		q.Lock()
		if _, err := q.LockAndAllocMsgWRing(0, true); !errors.Is(err, ErrLockBusy) {
			t.Fatalf("alloc under held lock: %v, want ErrLockBusy", err)
		}
		if _, err := q.LockAndAllocMsg(8, true); !errors.Is(err, ErrLockBusy) {
			t.Fatalf("alloc under held lock: %v, want ErrLockBusy", err)
		}
		if err := q.Add(m, true); !errors.Is(err, ErrLockBusy) {
			t.Fatalf("add under held lock: %v, want ErrLockBusy", err)
		}
		if q.TryLock() {
			t.Fatal("TryLock took a held lock")
		}
		if q.RingCursize(0) != 1 || q.Len() != 0 {
			t.Fatalf("busy calls changed the queue: cursize %d len %d", q.RingCursize(0), q.Len())
		}
		// A blocking Add waits for the lock.
		done := make(chan error)
		go func() { done <- q.Add(m, false) }()
		select {
		case err := <-done:
			t.Fatalf("blocking add returned %v with the lock held", err)
		case <-time.After(20 * time.Millisecond):
		}
		q.Unlock()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got, err := q.Sub(true); err != nil || got != m {
			t.Fatalf("sub: %+v %v", got, err)
		}
	})
	t.Run("out-of-order free", func(t *testing.T) {
		q := newBasicMsgQ(t)
		a, b := q.AllocMsg(8), q.AllocMsg(8)
		err := q.FreeMsg(b)
		if !errors.Is(err, ErrFreeOrder) {
			t.Fatalf("free of the newer element: %v, want ErrFreeOrder", err)
		}
		if q.RingCursize(0) != 2 {
			t.Fatalf("cursize %d after refused free, want 2", q.RingCursize(0))
		}
		if err := q.FreeMsg(a); err != nil {
			t.Fatal(err)
		}
		if err := q.FreeMsg(a); !errors.Is(err, ErrFreeOrder) {
			t.Fatalf("double free: %v, want ErrFreeOrder", err)
		}
		if err := q.FreeMsg(b); err != nil {
			t.Fatal(err)
		}
		// Nothing allocated: the head element cannot be freed either.
		if err := q.FreeMsg(Msg{0, 2}); !errors.Is(err, ErrFreeOrder) {
			t.Fatalf("free of an unallocated element: %v, want ErrFreeOrder", err)
		}
		if q.RingCursize(0) != 0 {
			t.Fatalf("cursize %d", q.RingCursize(0))
		}
		for _, m := range []Msg{InvalidMsg, {2, 0}, {0, 8}} {
			if err := q.FreeMsg(m); !errors.Is(err, ErrBadMsg) {
				t.Fatalf("free %+v: %v, want ErrBadMsg", m, err)
			}
			if err := q.Add(m, true); !errors.Is(err, ErrBadMsg) {
				t.Fatalf("add %+v: %v, want ErrBadMsg", m, err)
			}
			if q.MsgData(m) != nil {
				t.Fatalf("data of %+v", m)
			}
		}
	})
	t.Run("no ring fits", func(t *testing.T) {
		q := newBasicMsgQ(t)
		if m := q.AllocMsg(17); m != InvalidMsg || m.IsValid() || m.RingIndex != ^uint32(0) {
			t.Fatalf("alloc 17 bytes: %+v, want invalid", m)
		}
		if m := q.AllocMsgWRing(2); m.IsValid() {
			t.Fatalf("alloc in ring 2: %+v", m)
		}
		if _, err := q.LockAndAllocMsg(17, true); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("lock and alloc 17 bytes: %v, want ErrTooLarge", err)
		}
		if _, err := q.LockAndAllocMsgWRing(5, false); !errors.Is(err, ErrBadMsg) {
			t.Fatalf("lock and alloc ring 5: %v", err)
		}
		if q.RingCursize(0) != 0 || q.RingCursize(1) != 0 || !q.TryLock() {
			t.Fatal("failed allocations changed the queue or kept the lock")
		}
		q.Unlock()
	})
	t.Run("bad cfg", func(t *testing.T) {
		for name, cfg := range map[string]MsgQCfg{
			"zero q_nitems":    {QNitems: 0, Rings: []MsgQRingCfg{{8, 8}}},
			"no rings":         {QNitems: 8},
			"zero ring items":  {QNitems: 8, Rings: []MsgQRingCfg{{8, 8}, {0, 8}}},
			"zero elsize":      {QNitems: 8, Rings: []MsgQRingCfg{{8, 0}}},
			"huge q_nitems":    {QNitems: MaxSlots + 1, Rings: []MsgQRingCfg{{8, 8}}},
			"huge ring":        {QNitems: 8, Rings: []MsgQRingCfg{{MaxSlots + 1, 8}}},
			"huge elsize":      {QNitems: 8, Rings: []MsgQRingCfg{{8, MaxSlotSize + 1}}},
			"too many bytes":   {QNitems: 8, Rings: []MsgQRingCfg{{MaxSlots, MaxSlotSize}, {MaxSlots, MaxSlotSize}}},
			"too many rings":   {QNitems: 8, Rings: make([]MsgQRingCfg, MaxMsgQRings+1)},
			"large for a heap": {QNitems: 8, Rings: []MsgQRingCfg{{MaxSlots, 64}}},
		} {
			if q, err := NewMsgQ(cfg); err == nil {
				t.Errorf("%s: accepted (%d rings)", name, q.NumRings())
			}
		}
		if _, err := InitMsgQ(make([]byte, 64), MsgQCfg{QNitems: 8, Rings: []MsgQRingCfg{{8, 8}}}); err == nil {
			t.Error("InitMsgQ in too little memory")
		}
	})
}

// TestMsgQAttach: a second view of the same memory (another process's
// mapping) shares the queue; corrupt headers are refused with errors.
func TestMsgQAttach(t *testing.T) {
	cfg := MsgQCfg{QNitems: 16, Rings: []MsgQRingCfg{{Nitems: 8, Elsize: 18}, {Nitems: 3, Elsize: 21}}}
	n, err := MsgQBytes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	words := make([]uint64, n/8)
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
	q, err := InitMsgQ(mem, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := AttachMsgQ(mem)
	if err != nil {
		t.Fatal(err)
	}
	if p.RingElsize(1) != 21 || p.RingNitems(1) != 3 || p.Cap() != 16 || p.RingDataOffset(1) != q.RingDataOffset(1) {
		t.Fatalf("attached view differs: %d %d %d", p.RingElsize(1), p.RingNitems(1), p.Cap())
	}
	m, err := p.LockAndAllocMsg(20, true)
	if err != nil || m != (Msg{1, 0}) {
		t.Fatalf("alloc in the attached view: %+v %v", m, err)
	}
	copy(p.MsgData(m), "hello")
	p.AddAndUnlock(m)
	got, err := q.Sub(true)
	if err != nil || got != m || string(q.MsgData(got)[:5]) != "hello" {
		t.Fatalf("sub: %+v %v", got, err)
	}
	if err := q.FreeMsg(got); err != nil || p.RingCursize(1) != 0 {
		t.Fatalf("free: %v, cursize %d", err, p.RingCursize(1))
	}

	corrupt := func(off int, b byte) []byte {
		c := make([]uint64, n/8)
		cm := unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), n)
		copy(cm, mem)
		cm[off] = b
		return cm
	}
	ring1 := int(q.RingDataOffset(1)) - MsgQRingHeaderSize
	for name, bad := range map[string][]byte{
		"short":       mem[:100],
		"truncated":   mem[:n-1],
		"magic":       corrupt(0, 0),
		"version":     corrupt(4, 9),
		"q_nitems":    corrupt(11, 0x80),
		"n_rings":     corrupt(12, 0),
		"ring nitems": corrupt(ring1+4, 0),
		"ring elsize": corrupt(ring1+16, 22),
		"size":        corrupt(16, 1),
	} {
		if _, err := AttachMsgQ(bad); err == nil {
			t.Errorf("%s: attached", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// Several producers allocate under the lock and enqueue, waiting when the
// queue or their ring is full; one consumer waits for messages and frees
// them. Every message arrives once, with its payload, in each producer's
// order.
func TestMsgQConcurrent(t *testing.T) {
	const producers = 4
	per := 5000
	if testing.Short() || raceEnabled {
		per = 1000
	}
	q, err := NewMsgQ(MsgQCfg{QNitems: 8, Rings: []MsgQRingCfg{{Nitems: 4, Elsize: 8}, {Nitems: 6, Elsize: 16}}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				var m Msg
				var err error
				switch (p + i) % 3 {
				case 0:
					m, err = q.LockAndAllocMsgWRing(0, false)
				case 1:
					m, err = q.LockAndAllocMsgWRing(1, false)
				default:
					m, err = q.LockAndAllocMsg(8, false) // ring 0, or ring 1 when 0 is full
				}
				if err != nil {
					t.Error(err)
					return
				}
				d := q.MsgData(m)
				binary.LittleEndian.PutUint32(d, uint32(p))
				binary.LittleEndian.PutUint32(d[4:], uint32(i))
				if err := q.AddAndUnlock(m); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	next := make([]uint32, producers)
	for k := range producers * per {
		m, err := q.Sub(false)
		if err != nil {
			t.Fatal(err)
		}
		d := q.MsgData(m)
		if d == nil {
			t.Fatalf("message %d: bad handle %+v", k, m)
		}
		p, i := binary.LittleEndian.Uint32(d), binary.LittleEndian.Uint32(d[4:])
		if p >= producers || i != next[p] {
			t.Fatalf("message %d: producer %d seq %d, want seq %d", k, p, i, next[min(p, producers-1)])
		}
		next[p]++
		if err := q.FreeMsg(m); err != nil {
			t.Fatalf("message %d: %v", k, err)
		}
	}
	wg.Wait()
	if !q.IsEmpty() || q.RingCursize(0) != 0 || q.RingCursize(1) != 0 {
		t.Fatalf("left over: len %d cursizes %d %d", q.Len(), q.RingCursize(0), q.RingCursize(1))
	}
}

// A blocking Add waits while the descriptor queue is full (full→not-full
// wakes it), and a blocking Sub waits while it is empty.
func TestMsgQBlockingAdd(t *testing.T) {
	q, err := NewMsgQ(MsgQCfg{QNitems: 2, Rings: []MsgQRingCfg{{Nitems: 16, Elsize: 8}}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	go func() {
		for i := range n {
			q.Lock()
			m := q.AllocMsg(8)
			for !m.IsValid() { // ring full: wait for the consumer
				q.Unlock()
				time.Sleep(time.Microsecond)
				q.Lock()
				m = q.AllocMsg(8)
			}
			q.Unlock()
			binary.LittleEndian.PutUint64(q.MsgData(m), uint64(i))
			if err := q.Add(m, false); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := range n {
		m, err := q.Sub(false)
		if err != nil {
			t.Fatal(err)
		}
		if v := binary.LittleEndian.Uint64(q.MsgData(m)); v != uint64(i) {
			t.Fatalf("message %d carries %d", i, v)
		}
		if err := q.FreeMsg(m); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			time.Sleep(50 * time.Microsecond) // let the producer fill the queue and block
		}
	}
}

func TestMsgQZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	q := newBasicMsgQ(t)
	ops := map[string]func(){
		"alloc-add-sub-free": func() {
			m := q.AllocMsg(8)
			q.Add(m, true)
			m, _ = q.Sub(true)
			q.FreeMsg(m)
		},
		"lock-alloc-add-unlock": func() {
			m, _ := q.LockAndAllocMsgWRing(1, true)
			q.MsgData(m)[0] = 1
			q.AddAndUnlock(m)
			m, _ = q.Sub(false)
			q.FreeMsg(m)
		},
		"lock-alloc-by-size": func() {
			m, _ := q.LockAndAllocMsg(12, false)
			q.AddAndUnlock(m)
			m, _ = q.Sub(true)
			q.FreeMsg(m)
		},
		"empty": func() { q.Sub(true) },
	}
	for name, op := range ops {
		if n := testing.AllocsPerRun(200, op); n != 0 {
			t.Errorf("%s: %v allocs per run", name, n)
		}
	}
	// Full ring and busy lock fail without allocating.
	for range 8 {
		q.AllocMsgWRing(0)
	}
	if n := testing.AllocsPerRun(200, func() { q.LockAndAllocMsgWRing(0, true) }); n != 0 {
		t.Errorf("full: %v allocs", n)
	}
	q.Lock()
	if n := testing.AllocsPerRun(200, func() { q.LockAndAllocMsgWRing(1, true) }); n != 0 {
		t.Errorf("busy: %v allocs", n)
	}
	q.Unlock()
}
