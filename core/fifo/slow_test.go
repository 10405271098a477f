package fifo

// This file holds the slow, obviously right reference the fast fifo is checked
// against (property test, fuzz target): positions are 64-bit and never wrap,
// every byte ever written is kept in a plain array indexed by position, and the
// out-of-order state is one flag per byte beyond the tail rather than a list of
// segments. The segment list VPP keeps is then simply the maximal runs of
// flagged bytes (VPP's segments never overlap and never touch), and collecting
// after an in-order write is "advance the tail while the next byte is flagged".

type model struct {
	size       uint64
	base       uint64 // position of data[0]
	head, tail uint64
	data       []byte // data[pos-base] = byte at pos
	present    []bool // present[pos-base]: written out of order, not yet collected
}

func newModel(size uint32, start uint32) *model {
	return &model{size: uint64(size), base: uint64(start), head: uint64(start), tail: uint64(start)}
}

func (m *model) grow(end uint64) {
	for uint64(len(m.data)) < end-m.base {
		m.data = append(m.data, 0)
		m.present = append(m.present, false)
	}
}

func (m *model) free() uint64 { return m.size - (m.tail - m.head) }

func (m *model) write(pos uint64, p []byte) {
	m.grow(pos + uint64(len(p)))
	copy(m.data[pos-m.base:], p)
}

func (m *model) enqueue(p []byte) (int, error) {
	free := m.free()
	if free == 0 {
		return 0, ErrFull
	}
	n := min(uint64(len(p)), free)
	old := m.tail
	m.write(m.tail, p[:n])
	m.tail += n
	for m.tail-m.base < uint64(len(m.present)) && m.present[m.tail-m.base] {
		m.tail++
	}
	for pos := old; pos < m.tail; pos++ {
		m.present[pos-m.base] = false
	}
	return int(m.tail - old), nil
}

func (m *model) enqueueAt(off uint32, p []byte) error {
	if uint64(off)+uint64(len(p)) > m.free() {
		return ErrFull
	}
	pos := m.tail + uint64(off)
	m.write(pos, p)
	for i := range p {
		m.present[pos-m.base+uint64(i)] = true
	}
	return nil
}

func (m *model) dequeue(n int) ([]byte, error) {
	cur := m.tail - m.head
	if cur == 0 {
		return nil, ErrEmpty
	}
	k := min(uint64(n), cur)
	out := append([]byte(nil), m.data[m.head-m.base:m.head-m.base+k]...)
	m.head += k
	return out, nil
}

func (m *model) peek(off uint32, n int) ([]byte, error) {
	cur := m.tail - m.head
	if cur <= uint64(off) {
		if off > 0 {
			return []byte{}, nil
		}
		return nil, ErrEmpty
	}
	k := min(cur-uint64(off), uint64(n))
	start := m.head + uint64(off) - m.base
	return append([]byte{}, m.data[start:start+k]...), nil
}

func (m *model) drop(n uint32) (int, error) {
	cur := m.tail - m.head
	if cur == 0 {
		return 0, ErrEmpty
	}
	k := min(uint64(n), cur)
	m.head += k
	return int(k), nil
}

func (m *model) dropAll() { m.head = m.tail }

// segments returns the maximal runs of out-of-order bytes beyond the tail, as
// VPP's list would hold them.
func (m *model) segments() []OOOSegment {
	var out []OOOSegment
	for pos := m.tail; pos-m.base < uint64(len(m.present)); pos++ {
		if !m.present[pos-m.base] {
			continue
		}
		start := pos
		for pos-m.base < uint64(len(m.present)) && m.present[pos-m.base] {
			pos++
		}
		out = append(out, OOOSegment{Start: uint32(start), Length: uint32(pos - start)})
	}
	return out
}
