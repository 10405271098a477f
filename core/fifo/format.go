package fifo

import (
	"fmt"
	"strings"
)

// minAlloc is VPP's growth step for a fifo of this size (size/8 above 32 KiB,
// else 4 KiB, at most 64 KiB). Fifos here never grow; the value is shown so
// that Format prints what VPP's "show" would.
func minAlloc(size uint32) uint32 {
	m := uint32(4096)
	if size > 32<<10 {
		m = size >> 3
	}
	return min(m, 64<<10)
}

// Format renders the fifo like VPP's format_svm_fifo: byte counts, pointers
// and, with verbose > 0, the out-of-order segment list. It reads the producer's
// private state, so call it from the producer's side (or when quiescent).
func (f *Fifo) Format(verbose int) string {
	var b strings.Builder
	ev := 0
	if f.HasEvent() {
		ev = 1
	}
	seg := -1
	if f.seg != nil {
		seg = f.seg.index
	}
	fmt.Fprintf(&b, "cursize %d nitems %d has_event %d min_alloc %d\n", f.MaxDequeue(), f.size, ev, minAlloc(f.size))
	fmt.Fprintf(&b, "head %d tail %d segment %d\n", f.Head(), f.Tail(), seg)
	if verbose > 0 {
		newest := "none"
		if s, ok := f.NewestOOO(); ok {
			newest = fmt.Sprintf("[%d, %d]", s.Start, s.End())
		}
		fmt.Fprintf(&b, "ooo %d segments, newest %s\n", len(f.ooo), newest)
		for _, s := range f.ooo {
			fmt.Fprintf(&b, "  [%d, %d], len %d, offset %d\n", s.Start, s.End(), s.Length, s.Start-f.Tail())
		}
	}
	if verbose > 1 {
		vt, vs := f.VPPSession()
		at, as := f.AppSession()
		fmt.Fprintf(&b, "vpp session %d thread %d app session %d thread %d\n", int32(vs), vt, int32(as), at)
		fmt.Fprintf(&b, "want_deq_ntf %d has_deq_ntf %v deq_thresh %d subscribers %v\n", f.WantDeqNotif(), f.HasDeqNotif(), f.DeqThreshold(), f.Subscribers(nil))
	}
	return b.String()
}
