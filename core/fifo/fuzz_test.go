package fifo

import (
	"encoding/binary"
	"testing"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

// FuzzOOO drives the out-of-order segment logic (and everything around it)
// against the byte-array model. Input layout: size (2 bytes, little endian),
// start position (4 bytes), then 9-byte operations: opcode, a (4 bytes), b
// (4 bytes); see checker.step.
func FuzzOOO(f *testing.F) {
	f.Add(seedOOO(401, 200, []op3{{1, 100, 200}, {1, 300, 200}, {1, 225, 100}, {1, 190, 240}, {0, 150, 0}, {3, 400, 0}}))
	f.Add(seedOOO(101, ^uint32(0), []op3{{1, 10, 20}, {0, 10, 0}, {4, 5, 10}, {3, 20, 0}}))
	f.Add(seedOOO(16, ^uint32(0)-5, []op3{{1, 3, 6}, {7, 4, 2}, {6, 0, 9}, {8, 5, 6}, {5, 1, 3}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 6 {
			return
		}
		size := uint32(binary.LittleEndian.Uint16(data))%2048 + 1
		start := binary.LittleEndian.Uint32(data[2:])
		c, err := newChecker(size, start)
		if err != nil {
			t.Fatal(err)
		}
		data = data[6:]
		for i := 0; len(data) >= 9; i++ {
			op := data[0]
			a := binary.LittleEndian.Uint32(data[1:])
			b := binary.LittleEndian.Uint32(data[5:])
			data = data[9:]
			if err := c.step(op, a, b); err != nil {
				t.Fatalf("size %d start %d, op %d (%d, %d, %d): %v", size, start, i, op%nOps, a, b, err)
			}
		}
	})
}

type op3 struct {
	op   byte
	a, b uint32
}

func seedOOO(size uint16, start uint32, ops []op3) []byte {
	b := binary.LittleEndian.AppendUint16(nil, size-1)
	b = binary.LittleEndian.AppendUint32(b, start)
	for _, o := range ops {
		b = append(b, o.op)
		b = binary.LittleEndian.AppendUint32(b, o.a)
		b = binary.LittleEndian.AppendUint32(b, o.b)
	}
	return b
}

// segmentImage returns the bytes of a small heap segment holding a fifo pair
// with some data and an out-of-order write, and the pair's header offsets.
func segmentImage(tb testing.TB) ([]byte, []uint64) {
	s, err := NewHeapSegment("fuzz", 16<<10)
	if err != nil {
		tb.Fatal(err)
	}
	rx, err := s.AllocFifo(1000, KindRx)
	if err != nil {
		tb.Fatal(err)
	}
	rx.InitPointers(^uint32(0)-100, ^uint32(0)-100)
	rx.Enqueue([]byte("hello, segment"))
	rx.EnqueueAt(10, []byte("later"))
	return append([]byte(nil), s.mem...), []uint64{rx.Offset()}
}

// FuzzAttachSegment feeds arbitrary bytes to the code that trusts shared
// memory written by another process: segment attach, fifo attach by offset,
// and the fifo operations on whatever head, tail and sizes the bytes claim.
// Nothing may panic or hang; bad headers must be errors.
func FuzzAttachSegment(f *testing.F) {
	img, _ := segmentImage(f)
	f.Add(img)
	f.Add(img[:4096])
	f.Fuzz(attachBody)
}

func attachBody(t *testing.T, data []byte) {
	{
		if len(data) < 64 || len(data) > 1<<20 {
			return
		}
		r, err := shm.NewHeap(len(data))
		if err != nil {
			t.Fatal(err)
		}
		mem := r.Bytes()
		copy(mem, data)
		if len(mem) >= segHeaderSize {
			// Let the fuzzer keep the size field consistent with the
			// mapping, so it gets past the first check.
			binary.LittleEndian.PutUint64(mem[16:], uint64(len(mem)))
		}
		s, err := attachRegion(r)
		if err != nil {
			return
		}
		s.Stats()
		s.Block(binary.LittleEndian.Uint64(data[len(data)-16:]), uint64(data[len(data)-1]))
		buf := make([]byte, 3000)
		for off := uint64(segHeaderSize); off+headerSize <= uint64(len(mem)) && off < segHeaderSize+64*headerSize; off += blockAlign {
			fi, err := s.Fifo(off)
			if err != nil {
				continue
			}
			fi.Format(2)
			fi.Peek(7, buf)
			fi.ReadSegments(3, 5000)
			fi.Dequeue(buf)
			fi.Enqueue(buf[:1234])
			fi.EnqueueAt(17, buf[:99])
			fi.Enqueue(buf[:10])
			if a, b, err := fi.WriteSegments(2000); err == nil {
				fi.Commit(uint32(len(a) + len(b)))
			}
			fi.Drop(50)
			fi.NeedsDeqNotif(5)
			fi.Subscribers(nil)
			fi.DropAll()
		}
	}
}
