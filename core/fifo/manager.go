package fifo

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// Segment manager defaults (segment_manager_main_init).
const (
	DefaultSegmentSize = 1 << 20 // first and additional segments
	DefaultFifoSize    = 4096    // requested fifo sizes are raised to this
)

// ManagerConfig configures a Manager (VPP's segment_manager_props_t).
type ManagerConfig struct {
	// Name prefixes the segments' names ("<name>-<index>").
	Name string
	// SegmentSize is the first segment's size; VPP uses
	// max(SegmentSize, DefaultSegmentSize).
	SegmentSize uint64
	// AddSegment allows creating more segments when the existing ones are
	// full (the app's add-segment flag).
	AddSegment bool
	// AddSegmentSize is the size of additional segments (default
	// DefaultSegmentSize).
	AddSegmentSize uint64
	// MaxSegments caps the number of segments (0 = no cap); VPP derives it as
	// ceil(max fifo memory / segment size).
	MaxSegments int
	// UnprotectedFirst lets the first segment be deleted when it becomes
	// empty, like any other. By default it is kept (VPP's first_is_protected).
	UnprotectedFirst bool
	// Heap makes segments on the Go heap instead of memfds: the same
	// allocation decisions, no file descriptors, not shareable.
	Heap bool
	// OnAddSegment, if set, is called (with the manager's lock held) for each
	// segment created after the first, as VPP notifies the app of a new
	// segment.
	OnAddSegment func(*Segment)
	// OnDelSegment, if set, is called (with the manager's lock held) before a
	// segment is deleted.
	OnDelSegment func(*Segment)
}

// Manager places session fifo pairs in a set of segments (VPP's
// segment_manager_t): it picks the segment with the most available bytes, adds
// segments when allowed and needed, and deletes segments that become empty
// (except the protected first one). It is safe for concurrent use.
type Manager struct {
	mu   sync.Mutex
	cfg  ManagerConfig
	segs []*Segment // by index; nil = free slot
	free []int      // free slots, reused last-freed first like a VPP pool
	n    int        // live segments
}

// NewManager creates a manager and its first segment.
func NewManager(cfg ManagerConfig) (*Manager, error) {
	if cfg.Name == "" {
		cfg.Name = "segment"
	}
	if cfg.AddSegmentSize == 0 {
		cfg.AddSegmentSize = DefaultSegmentSize
	}
	if cfg.MaxSegments < 0 {
		return nil, fmt.Errorf("fifo: segment manager %q: max segments %d is negative", cfg.Name, cfg.MaxSegments)
	}
	m := &Manager{cfg: cfg}
	if _, err := m.addSegmentLocked(max(cfg.SegmentSize, DefaultSegmentSize), false); err != nil {
		return nil, err
	}
	return m, nil
}

// addSegmentLocked creates a segment (segment_manager_add_segment). Failure
// (cap reached, mapping failed) is ErrSegCreate wrapping the cause.
func (m *Manager) addSegmentLocked(size uint64, notify bool) (*Segment, error) {
	if m.cfg.MaxSegments > 0 && m.n >= m.cfg.MaxSegments {
		return nil, fmt.Errorf("%w: segment manager %q already has its maximum of %d segments", ErrSegCreate, m.cfg.Name, m.cfg.MaxSegments)
	}
	idx := len(m.segs)
	if n := len(m.free); n > 0 {
		idx = m.free[n-1]
	}
	name := m.cfg.Name + "-" + strconv.Itoa(idx)
	var s *Segment
	var err error
	if m.cfg.Heap {
		s, err = NewHeapSegment(name, size)
	} else {
		s, err = NewSegment(name, size)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSegCreate, err)
	}
	if idx == len(m.segs) {
		m.segs = append(m.segs, s)
	} else {
		m.free = m.free[:len(m.free)-1]
		m.segs[idx] = s
	}
	s.mgr, s.index = m, idx
	m.n++
	if notify && m.cfg.OnAddSegment != nil {
		m.cfg.OnAddSegment(s)
	}
	return s, nil
}

// AddSegment creates an additional segment of size bytes (0 = the configured
// add-segment size) regardless of AddSegment, for preallocation.
func (m *Manager) AddSegment(size uint64) (*Segment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if size == 0 {
		size = m.cfg.AddSegmentSize
	}
	return m.addSegmentLocked(size, true)
}

// AllocPair allocates a session's rx and tx fifos
// (segment_manager_alloc_session_fifos). Sizes below DefaultFifoSize are
// raised to it first. The segment chosen is the one with the most available
// bytes, provided it has more than the raised rxSize+txSize−1; failing that,
// ErrSegNoSpace unless AddSegment is set, in which case a segment is created
// (ErrSegCreate if that fails) and the fifos allocated there (ErrSegNoSpace2
// if they still do not fit).
func (m *Manager) AllocPair(rxSize, txSize uint32) (rx, tx *Fifo, err error) {
	// Raise first: VPP's segment choice compares against the sizes the
	// fifos will really have (the props' sizes, already at least 4 KiB).
	rxSize, txSize = max(rxSize, DefaultFifoSize), max(txSize, DefaultFifoSize)
	m.mu.Lock()
	defer m.mu.Unlock()
	rx, tx, err = m.lookupAndAlloc(rxSize, txSize)
	if err == nil {
		return rx, tx, nil
	}
	if !m.cfg.AddSegment {
		return nil, nil, ErrSegNoSpace
	}
	s, err := m.addSegmentLocked(m.cfg.AddSegmentSize, true)
	if err != nil {
		return nil, nil, err
	}
	rx, tx, err = s.AllocPair(rxSize, txSize)
	if err != nil {
		return nil, nil, ErrSegNoSpace2
	}
	return rx, tx, nil
}

// lookupAndAlloc places the pair in the segment with the most available
// bytes, provided it has more than rxSize+txSize−1 (sizes already raised).
func (m *Manager) lookupAndAlloc(rxSize, txSize uint32) (rx, tx *Fifo, err error) {
	need := uint64(rxSize) + uint64(txSize) - 1
	var best *Segment
	bestFree := need
	for _, s := range m.segs {
		if s == nil {
			continue
		}
		if free := s.AvailableBytes(); free > bestFree {
			best, bestFree = s, free
		}
	}
	if best == nil {
		return nil, nil, ErrSegNoSpace
	}
	return best.AllocPair(rxSize, txSize)
}

// FreePair frees a session's fifos (segment_manager_dealloc_fifos). If their
// segment becomes empty it is deleted, unless it is the protected first
// segment.
func (m *Manager) FreePair(rx, tx *Fifo) error {
	if rx == nil || tx == nil {
		return errors.New("fifo: free pair: nil fifo")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := rx.seg
	if s == nil || s.mgr != m || tx.seg != s || s.index < 0 || s.index >= len(m.segs) || m.segs[s.index] != s {
		return fmt.Errorf("fifo: free pair: fifos do not belong to segment manager %q", m.cfg.Name)
	}
	err := s.FreeFifo(rx)
	if err2 := s.FreeFifo(tx); err == nil {
		err = err2
	}
	if s.NumFifos() == 0 && (s.index != 0 || m.cfg.UnprotectedFirst) {
		m.delSegmentLocked(s)
	}
	return err
}

func (m *Manager) delSegmentLocked(s *Segment) {
	if m.cfg.OnDelSegment != nil {
		m.cfg.OnDelSegment(s)
	}
	m.segs[s.index] = nil
	m.free = append(m.free, s.index)
	m.n--
	s.mgr, s.index = nil, -1
	s.Close()
}

// NumSegments returns the number of live segments.
func (m *Manager) NumSegments() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Segment returns the segment with index i, or nil.
func (m *Manager) Segment(i int) *Segment {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || i >= len(m.segs) {
		return nil
	}
	return m.segs[i]
}

// Segments appends the live segments, by index, to dst.
func (m *Manager) Segments(dst []*Segment) []*Segment {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.segs {
		if s != nil {
			dst = append(dst, s)
		}
	}
	return dst
}

// HasFifos reports whether any segment still holds fifos
// (segment_manager_has_fifos).
func (m *Manager) HasFifos() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.segs {
		if s != nil && s.NumFifos() > 0 {
			return true
		}
	}
	return false
}

// Close deletes every segment. Fifos from them must not be used afterwards.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.segs {
		if s != nil {
			m.delSegmentLocked(s)
		}
	}
	return nil
}
