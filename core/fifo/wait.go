package fifo

import (
	"os"
	"sync"
	"sync/atomic"

	"github.com/sessionlab/sessionlab/core/internal/shm"
)

// Blocking is not part of VPP's fifo: VPP apps sleep on their message queue
// and learn about data from io events. Benchmarks, and live-mode apps that
// stream without events, need a way to sleep until the other side moves, in
// the same process or another one, without burning a core.
//
// Protocol: the side going to sleep stores a nonzero mode in its wait word in
// the shared header and then re-checks the fifo; the other side, after every
// publication of head or tail, loads that word (one atomic load of a line that
// is written only when someone goes to sleep) and, if it is set, swaps it to
// zero and wakes the sleeper. Both sides store first and load second with
// sequentially consistent atomics, so at least one of them sees the other: no
// wakeup is lost.
//
// How to sleep depends on where the other side runs. Across processes the
// only shared thing is memory, so the sleeper parks its thread on a futex on
// the wait word (mode futex). Within one process that works too, but it is
// slow when the two goroutines share a busy CPU: every wakeup goes through the
// kernel scheduler. So when the other side's recorded pid is ours, the sleeper
// parks its goroutine on a channel instead (mode channel); the waker's send
// makes it runnable on the waker's own P, the way a Go channel hands off, and
// the pair runs as coroutines. The channel is found through a per-process
// registry keyed by the memory's identity (memfd inode or heap address) and
// the header offset, so every handle and every mapping of a fifo in one
// process agrees on it.

const (
	waitNone    = 0
	waitFutex   = 1
	waitChannel = 2
)

type waitKey struct {
	region [2]uint64
	off    uint64
}

type waitPair struct {
	read  chan struct{} // consumer parks here
	write chan struct{} // producer parks here
}

var (
	selfPid  = uint32(os.Getpid())
	registry = struct {
		sync.Mutex
		m map[waitKey]*waitPair
	}{m: map[waitKey]*waitPair{}}
)

// waitPair returns the channels of this fifo in this process.
func (f *Fifo) waitPair() *waitPair {
	if p := f.wp.Load(); p != nil {
		return p
	}
	registry.Lock()
	p := registry.m[f.key]
	if p == nil {
		p = &waitPair{read: make(chan struct{}, 1), write: make(chan struct{}, 1)}
		registry.m[f.key] = p
	}
	registry.Unlock()
	f.wp.Store(p)
	return p
}

// forgetWaiters drops a freed fifo's channels from the registry.
func forgetWaiters(k waitKey) {
	registry.Lock()
	delete(registry.m, k)
	registry.Unlock()
}

func (f *Fifo) noteProducer() {
	atomic.StoreUint32(&f.h.prodPid, selfPid)
	f.prodSeen = true
}

func (f *Fifo) noteConsumer() {
	atomic.StoreUint32(&f.h.consPid, selfPid)
	f.consSeen = true
}

// WaitReadable blocks the consumer until the fifo has data, and returns at
// once if it has. It may return early (spuriously); callers loop.
func (f *Fifo) WaitReadable() {
	if !f.consSeen {
		f.noteConsumer()
	}
	if f.MaxDequeue() != 0 {
		return
	}
	mode := uint32(waitFutex)
	var ch chan struct{}
	if atomic.LoadUint32(&f.h.prodPid) == selfPid {
		mode, ch = waitChannel, f.waitPair().read
	}
	atomic.StoreUint32(&f.h.consWait, mode)
	if f.MaxDequeue() != 0 {
		// If the producer already swapped the word, its token makes a later
		// wait return early, which callers tolerate.
		atomic.CompareAndSwapUint32(&f.h.consWait, mode, waitNone)
		return
	}
	if ch != nil {
		<-ch
	} else {
		shm.Wait(&f.h.consWait, mode)
	}
}

// WaitWritable blocks the producer until the fifo has free space, and
// returns at once if it has. It may return early; callers loop.
func (f *Fifo) WaitWritable() { f.WaitWritableN(1) }

// WaitWritableN blocks the producer until at least n bytes are free (n is
// capped at the fifo size), and returns at once if they are. It may return
// early; callers loop.
//
// A producer with a large write to finish sleeps until it can make real
// progress, not until the first byte frees: the consumer skips the wakeup
// while less than n is free (VPP's dequeue-notification threshold plays the
// same part for apps), so a full fifo costs one wakeup per n bytes instead
// of one per dequeue.
func (f *Fifo) WaitWritableN(n uint32) {
	if !f.prodSeen {
		f.noteProducer()
	}
	n = max(min(n, f.size), 1)
	if f.MaxEnqueue() >= n {
		return
	}
	mode := uint32(waitFutex)
	var ch chan struct{}
	if atomic.LoadUint32(&f.h.consPid) == selfPid {
		mode, ch = waitChannel, f.waitPair().write
	}
	// prodWant is stored before prodWait, so a consumer that sees the
	// producer asleep also sees what it waits for.
	atomic.StoreUint32(&f.h.prodWant, n)
	atomic.StoreUint32(&f.h.prodWait, mode)
	if f.MaxEnqueue() >= n {
		atomic.CompareAndSwapUint32(&f.h.prodWait, mode, waitNone)
		return
	}
	if ch != nil {
		<-ch
	} else {
		shm.Wait(&f.h.prodWait, mode)
	}
}

// wakeConsumer is called by the producer after publishing the tail.
func (f *Fifo) wakeConsumer() {
	if atomic.LoadUint32(&f.h.consWait) != waitNone {
		f.wake(&f.h.consWait, true)
	}
}

// wakeProducer is called by the consumer after publishing the head.
func (f *Fifo) wakeProducer() {
	if atomic.LoadUint32(&f.h.prodWait) != waitNone {
		f.wakeProducerSlow()
	}
}

// wakeProducerSlow wakes the sleeping producer once the free space reaches
// what it waits for. The consumer's view of the tail may be stale, which can
// only overstate the free space: an early wakeup, never a lost one (an empty
// fifo always has size >= prodWant free).
func (f *Fifo) wakeProducerSlow() {
	head := atomic.LoadUint64(&f.h.head)
	free := uint64(f.size)
	if used := int64(f.tailCache - head); used > 0 {
		free -= min(uint64(used), free)
	}
	if free >= uint64(atomic.LoadUint32(&f.h.prodWant)) {
		f.wake(&f.h.prodWait, false)
	}
}

func (f *Fifo) wake(w *uint32, reader bool) {
	switch atomic.SwapUint32(w, waitNone) {
	case waitFutex:
		shm.Wake(w, 1)
	case waitChannel:
		ch := f.waitPair().write
		if reader {
			ch = f.waitPair().read
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
