package msgq

import (
	"encoding/binary"
	"testing"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

func ringImage(tb testing.TB) []byte {
	r, err := NewRing(8, 18)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 5 {
		r.TryEnqueue([]byte{byte(i), 1, 2, 3})
	}
	r.TryDequeue(make([]byte, 18))
	n, _ := RingBytes(8, 18)
	return append([]byte(nil), unsafeBytes(r, n)...)
}

// alignedCopy copies fuzz input into 8-byte aligned memory, as shared
// memory is, or returns nil for inputs too short or too long to bother with.
func alignedCopy(t *testing.T, data []byte) []byte {
	if len(data) < 8 || len(data) > 1<<16 {
		return nil
	}
	reg, err := shm.NewHeap(len(data))
	if err != nil {
		t.Fatal(err)
	}
	mem := reg.Bytes()[:len(data)]
	copy(mem, data)
	return mem
}

// FuzzAttachRing feeds arbitrary bytes to the code that trusts a ring's
// shared memory: attach, then every operation on whatever counters and slot
// sequences the bytes claim. Nothing may panic or hang.
func FuzzAttachRing(f *testing.F) {
	img := ringImage(f)
	f.Add(img)
	f.Add(img[:ringHeaderSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := alignedCopy(t, data)
		if mem == nil {
			return
		}
		r, err := AttachRing(mem)
		if err != nil {
			return
		}
		buf := make([]byte, r.SlotSize())
		r.Len()
		r.Drops()
		for i := range 3 {
			r.TryEnqueue(buf[:min(len(buf), i*7)])
			r.TryDequeue(buf)
			r.TryDequeue(buf[:1])
			r.Drain(4, func(m []byte) { _ = binary.LittleEndian.AppendUint32(nil, uint32(len(m))) })
		}
	})
}
