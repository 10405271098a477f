package fifo

// OOOSegment is an out-of-order segment: Length bytes written at absolute
// position Start (a free-running u32 like Head and Tail) that the tail has not
// reached yet. VPP's ooo_segment_t without the list links.
type OOOSegment struct {
	Start  uint32
	Length uint32
}

// End returns the position just past the segment.
func (s OOOSegment) End() uint32 { return s.Start + s.Length }

// The out-of-order list is kept as a sorted slice rather than VPP's pool +
// doubly linked list. The rules are the same (§7.3); a slice keeps the
// segments contiguous in memory, so the scan to the insertion point walks one
// cache line per four segments, and reuses its backing array, so steady-state
// out-of-order traffic does not allocate.

// oooAdd records [start, start+length) (VPP's ooo_segment_add). Segments never
// overlap and never touch: a new segment that overlaps or touches neighbours is
// merged with them.
func (f *Fifo) oooAdd(start, length uint32) {
	end := start + length
	f.newest = -1
	segs := f.ooo
	if len(segs) == 0 {
		f.ooo = append(segs, OOOSegment{start, length})
		f.newest = 0
		return
	}

	// First segment that starts at or after start, or the last one.
	i := 0
	for i < len(segs)-1 && posLT(segs[i].Start, start) {
		i++
	}

	// Overlapping or touching the previous one: extend from there.
	if i > 0 && posLEQ(start, segs[i-1].End()) {
		f.oooExtendTail(i-1, end)
		return
	}

	s := segs[i]
	switch {
	case posLT(end, s.Start):
		// Entirely before segs[i], with a gap: insert.
		f.ooo = append(segs, OOOSegment{})
		copy(f.ooo[i+1:], f.ooo[i:])
		f.ooo[i] = OOOSegment{start, length}
		f.newest = i
		return
	case posGT(start, s.End()):
		// Entirely after segs[i] (then the last), with a gap: append.
		f.ooo = append(segs, OOOSegment{start, length})
		f.newest = i + 1
		return
	}

	// Merge at the head of segs[i].
	if posLT(start, s.Start) {
		segs[i] = OOOSegment{start, s.End() - start}
		f.newest = i
	}
	f.oooExtendTail(i, end)
}

// oooExtendTail extends segs[i] to end if end lies beyond it, swallowing the
// following segments it covers and merging one it overlaps or touches.
func (f *Fifo) oooExtendTail(i int, end uint32) {
	segs := f.ooo
	s := &segs[i]
	if !posGT(end, s.End()) {
		return
	}
	s.Length = end - s.Start
	j := i + 1
	for j < len(segs) && posLEQ(segs[j].End(), end) {
		j++
	}
	if j < len(segs) && posLEQ(segs[j].Start, end) {
		s.Length = segs[j].End() - s.Start
		j++
	}
	if j > i+1 {
		n := copy(segs[i+1:], segs[j:])
		f.ooo = segs[:i+1+n]
	}
	f.newest = i
}

// collect removes the segments the tail has reached and returns the new tail
// (VPP's ooo_segment_try_collect): segments ending at or below the tail are
// deleted; the first one that straddles the tail moves the tail to its end and
// is deleted; the scan stops there, because the next segment starts at least
// one byte further (segments never touch).
func (f *Fifo) collect(tail uint64) uint64 {
	t := uint32(tail)
	segs := f.ooo
	i := 0
	for i < len(segs) {
		s := segs[i]
		if posGT(s.Start, t) {
			break
		}
		i++
		if end := s.End(); posGT(end, t) {
			tail += uint64(end - t)
			break
		}
	}
	if i > 0 {
		n := copy(segs, segs[i:])
		f.ooo = segs[:n]
		// Keep "newest" pointing at the same segment (Commit collects
		// without resetting it, like VPP's enqueue_nocopy).
		if f.newest -= i; f.newest < 0 {
			f.newest = -1
		}
	}
	return tail
}

// OOOCount returns the number of out-of-order segments
// (svm_fifo_n_ooo_segments). Producer side.
func (f *Fifo) OOOCount() int { return len(f.ooo) }

// HasOOOData reports whether any out-of-order segment is pending
// (svm_fifo_has_ooo_data). Producer side.
func (f *Fifo) HasOOOData() bool { return len(f.ooo) != 0 }

// FirstOOO returns the lowest out-of-order segment (svm_fifo_first_ooo_segment).
func (f *Fifo) FirstOOO() (OOOSegment, bool) {
	if len(f.ooo) == 0 {
		return OOOSegment{}, false
	}
	return f.ooo[0], true
}

// NewestOOO returns the segment the last out-of-order write created or grew
// (svm_fifo_newest_ooo_segment, used for TCP SACK). Any enqueue resets it, and
// a write that falls entirely inside an existing segment leaves it unset.
func (f *Fifo) NewestOOO() (OOOSegment, bool) {
	if f.newest < 0 || f.newest >= len(f.ooo) {
		return OOOSegment{}, false
	}
	return f.ooo[f.newest], true
}

// ResetNewestOOO forgets the newest segment (svm_fifo_newest_ooo_segment_reset).
func (f *Fifo) ResetNewestOOO() { f.newest = -1 }

// AppendOOO appends the out-of-order segments, lowest first, to dst.
func (f *Fifo) AppendOOO(dst []OOOSegment) []OOOSegment { return append(dst, f.ooo...) }

// OOOOffset returns s's distance from the tail (ooo_segment_offset_prod).
func (f *Fifo) OOOOffset(s OOOSegment) uint32 { return s.Start - f.Tail() }
