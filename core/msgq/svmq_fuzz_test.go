package msgq

import (
	"encoding/binary"
	"testing"
	"unsafe"
)

// msgqImage returns the memory of a MsgQ with messages queued in both rings
// and some already consumed, so the counters are mid-lap.
func msgqImage(tb testing.TB) []byte {
	q, err := NewMsgQ(MsgQCfg{QNitems: 8, Rings: []MsgQRingCfg{{Nitems: 4, Elsize: 8}, {Nitems: 3, Elsize: 20}}})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 6 {
		m := q.AllocMsg(uint32(4 + i*2))
		if !m.IsValid() {
			tb.Fatalf("alloc %d", i)
		}
		binary.LittleEndian.PutUint32(q.MsgData(m), uint32(i))
		q.Add(m, true)
	}
	for range 2 {
		m, _ := q.Sub(true)
		q.FreeMsg(m)
	}
	return append([]byte(nil), q.mem...)
}

// FuzzAttachMsgQ feeds arbitrary bytes to the code that trusts a MsgQ's
// shared memory: attach, then non-blocking producer and consumer operations
// on whatever counters, descriptors and lock word the bytes claim. Nothing
// may panic or hang.
func FuzzAttachMsgQ(f *testing.F) {
	img := msgqImage(f)
	f.Add(img)
	f.Add(img[:mqHeaderSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := alignedCopy(t, data)
		if mem == nil {
			return
		}
		q, err := AttachMsgQ(mem)
		if err != nil {
			return
		}
		if end := uintptr(unsafe.Pointer(&q.mem[len(q.mem)-1])); end >= uintptr(unsafe.Pointer(&mem[0]))+uintptr(len(mem)) {
			t.Fatal("queue view past the memory")
		}
		q.Len()
		q.IsFull()
		for i := range q.NumRings() + 1 {
			q.RingCursize(i)
			q.RingIsFull(i)
		}
		for i := range 4 {
			m := q.AllocMsg(uint32(i * 9))
			if d := q.MsgData(m); d != nil {
				d[0] = byte(i)
			}
			q.Add(m, true)
			if m, err := q.LockAndAllocMsgWRing(i%q.NumRings(), true); err == nil {
				q.MsgData(m)[len(q.MsgData(m))-1] = 1
				q.AddAndUnlock(m)
			}
			if m, err := q.LockAndAllocMsg(uint32(i), true); err == nil {
				q.AddAndUnlock(m)
			}
			if m, err := q.Sub(true); err == nil {
				if d := q.MsgData(m); d != nil {
					_ = d[len(d)-1]
				}
				q.FreeMsg(m)
			}
			q.FreeMsg(Msg{RingIndex: uint32(i % 2), EltIndex: uint32(i)})
			q.AllocMsgWRing(i)
		}
	})
}
