package fifo

import (
	"encoding/binary"
	"testing"
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
