package fifo

import "sync/atomic"

// DeqNotif is the set of dequeue notifications a producer asks for
// (svm_fifo_deq_ntf_t): the consumer checks NeedsDeqNotif after dequeuing and,
// if true, sends the producer an event and calls ClearDeqNotif.
type DeqNotif uint32

// Dequeue notification flags (VPP's values).
const (
	// WantDeqNotif: notify after a dequeue that leaves at least the dequeue
	// threshold free (threshold 0 = every dequeue). One-shot: ClearDeqNotif
	// removes it.
	WantDeqNotif DeqNotif = 1
	// WantDeqNotifIfFull: notify on the transition out of full (the fifo was
	// full before the last dequeue and is not now), once until the producer
	// calls ResetHasDeqNotif.
	WantDeqNotifIfFull DeqNotif = 2
	// WantDeqNotifIfEmpty: notify when the fifo is empty, once until the
	// producer calls ResetHasDeqNotif.
	WantDeqNotifIfEmpty DeqNotif = 4
)

// MaxSubscribers is how many extra io-event subscribers a fifo records
// (SVM_FIFO_MAX_EVT_SUBSCRIBERS); further ones are silently ignored, as in VPP.
const MaxSubscribers = 7

// SetEvent marks that an io event for this fifo is pending and reports whether
// this call made the 0→1 transition, i.e. whether the caller should send the
// event. One event per burst: later calls return false until UnsetEvent.
func (f *Fifo) SetEvent() bool { return atomic.SwapUint32(&f.h.hasEvent, 1) == 0 }

// UnsetEvent clears the pending-event mark; the receiver calls it before
// draining the fifo.
func (f *Fifo) UnsetEvent() { atomic.StoreUint32(&f.h.hasEvent, 0) }

// HasEvent reports whether an io event is pending.
func (f *Fifo) HasEvent() bool { return atomic.LoadUint32(&f.h.hasEvent) != 0 }

// AddWantDeqNotif adds notification requests (svm_fifo_add_want_deq_ntf).
func (f *Fifo) AddWantDeqNotif(n DeqNotif) { atomic.OrUint32(&f.h.wantDeqNtf, uint32(n)) }

// DelWantDeqNotif removes notification requests (svm_fifo_del_want_deq_ntf).
func (f *Fifo) DelWantDeqNotif(n DeqNotif) { atomic.AndUint32(&f.h.wantDeqNtf, ^uint32(n)) }

// WantDeqNotif returns the requested notifications.
func (f *Fifo) WantDeqNotif() DeqNotif { return DeqNotif(atomic.LoadUint32(&f.h.wantDeqNtf)) }

// HasDeqNotif reports whether an IF_FULL/IF_EMPTY notification was sent and
// not yet re-armed.
func (f *Fifo) HasDeqNotif() bool { return atomic.LoadUint32(&f.h.hasDeqNtf) != 0 }

// ClearDeqNotif is called after sending a dequeue notification
// (svm_fifo_clear_deq_ntf). Like VPP it assigns has-notification rather than
// setting it: set when IF_FULL or IF_EMPTY is requested (spec §7.4), so they
// stay quiet until the producer re-arms them with ResetHasDeqNotif, and clear
// otherwise. It then removes the one-shot WantDeqNotif.
func (f *Fifo) ClearDeqNotif() {
	var has uint32
	if DeqNotif(atomic.LoadUint32(&f.h.wantDeqNtf))&(WantDeqNotifIfFull|WantDeqNotifIfEmpty) != 0 {
		has = 1
	}
	atomic.StoreUint32(&f.h.hasDeqNtf, has)
	f.DelWantDeqNotif(WantDeqNotif)
}

// ResetHasDeqNotif re-arms IF_FULL/IF_EMPTY notifications
// (svm_fifo_reset_has_deq_ntf).
func (f *Fifo) ResetHasDeqNotif() { atomic.StoreUint32(&f.h.hasDeqNtf, 0) }

// SetDeqThreshold sets the free space WantDeqNotif waits for
// (svm_fifo_set_deq_thresh); 0 notifies on every dequeue.
func (f *Fifo) SetDeqThreshold(n uint32) { atomic.StoreUint32(&f.h.deqThresh, n) }

// DeqThreshold returns the dequeue notification threshold.
func (f *Fifo) DeqThreshold() uint32 { return atomic.LoadUint32(&f.h.deqThresh) }

// NeedsDeqNotif reports whether the consumer should notify the producer after
// dequeuing nLastDeq bytes (svm_fifo_needs_deq_ntf). The checks are VPP's, in
// VPP's order: with WantDeqNotif set the answer is "free >= threshold" and the
// other flags are not consulted.
func (f *Fifo) NeedsDeqNotif(nLastDeq uint32) bool {
	want := DeqNotif(atomic.LoadUint32(&f.h.wantDeqNtf))
	if want == 0 {
		return false
	}
	if want&WantDeqNotif != 0 {
		return f.MaxEnqueue() >= atomic.LoadUint32(&f.h.deqThresh)
	}
	has := atomic.LoadUint32(&f.h.hasDeqNtf) != 0
	if want&WantDeqNotifIfFull != 0 {
		maxDeq := f.MaxDequeue()
		if !has && maxDeq < f.size && uint64(maxDeq)+uint64(nLastDeq) >= uint64(f.size) {
			return true
		}
	}
	if want&WantDeqNotifIfEmpty != 0 {
		if !has && f.MaxDequeue() == 0 {
			return true
		}
	}
	return false
}

// AddSubscriber records an extra app worker to notify of io events
// (svm_fifo_add_subscriber). Beyond MaxSubscribers it is silently ignored.
// Subscriber changes must not race with each other.
func (f *Fifo) AddSubscriber(sub uint8) {
	n := atomic.LoadUint32(&f.h.nSubs)
	if n >= MaxSubscribers {
		return
	}
	f.h.subs[n] = sub
	atomic.StoreUint32(&f.h.nSubs, n+1)
}

// DelSubscriber removes a subscriber (svm_fifo_del_subscriber), moving the
// last one into its place.
func (f *Fifo) DelSubscriber(sub uint8) {
	n := atomic.LoadUint32(&f.h.nSubs)
	for i := uint32(0); i < n; i++ {
		if f.h.subs[i] != sub {
			continue
		}
		f.h.subs[i] = f.h.subs[n-1]
		atomic.StoreUint32(&f.h.nSubs, n-1)
		return
	}
}

// Subscribers appends the recorded subscribers to dst.
func (f *Fifo) Subscribers(dst []uint8) []uint8 {
	n := min(atomic.LoadUint32(&f.h.nSubs), MaxSubscribers)
	return append(dst, f.h.subs[:n]...)
}
