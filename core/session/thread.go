package session

import "github.com/sessionlab/sessionlab/core/msgq"

// thread is the per-thread state of the layer (VPP's session_worker_t): the
// session pool, the queue of control events waiting for this thread's
// session-queue run, and the list of application workers with events
// waiting for this thread's session-input run.
type thread struct {
	index uint32
	pool  sessionPool
	ctrl  ctrlQueue
	now   int64

	pendingWrks []uint32 // app workers with events pending on this thread
	nextWrks    []uint32 // scratch for FlushAppEvents

	states [NumStates]int64 // live sessions per state
}

// ctrlEvent is an event for a thread's session-queue run: a control event
// (CLOSE, RESET, HALF_CLOSE), an io TX, or an RPC. gen is the generation of
// the target session when the event was posted, so an event for a session
// that has since been freed (and its slot reused) is recognised and
// ignored instead of hitting the new session.
type ctrlEvent struct {
	typ EventType
	gen uint32
	h   Handle
}

// ctrlQueue is a thread's vpp event queue: a bounded core/msgq queue of
// wrk-mq-length entries, with an overflow list. VPP drops a control event
// silently when the queue is full (QUIRK); sessionlab never loses one
// (modelling decision): an event that finds the queue full waits in the
// overflow list, in order, is counted (Stats.CtrlQueueFull), and enters the
// queue as soon as a slot frees.
type ctrlQueue struct {
	q        *msgq.Queue[ctrlEvent]
	overflow ring[ctrlEvent]
}

func (c *ctrlQueue) init(capacity int) error {
	q, err := msgq.NewQueue[ctrlEvent](capacity)
	if err != nil {
		return err
	}
	c.q = q
	return nil
}

// push appends ev; it reports false when the bounded queue was full (the
// event then waits in the overflow list).
func (c *ctrlQueue) push(ev ctrlEvent) bool {
	if c.overflow.len() > 0 || c.q.TryEnqueue(ev) != nil {
		c.overflow.push(ev)
		return false
	}
	return true
}

func (c *ctrlQueue) pop() (ctrlEvent, bool) {
	ev, err := c.q.TryDequeue()
	if err != nil {
		return ev, false
	}
	if c.overflow.len() > 0 {
		o, _ := c.overflow.pop()
		if c.q.TryEnqueue(o) != nil {
			// Cannot happen (a slot was just freed and this is the only
			// producer); keep the event rather than lose it.
			c.overflow.push(o)
		}
	}
	return ev, true
}

func (c *ctrlQueue) len() int { return c.q.Len() + c.overflow.len() }

// EventQueue is an application worker's message queue (VPP's app event
// queue, evt_q_size entries): a bounded core/msgq queue of AppEvent values
// (small, pointer-free). The layer is its only producer and the
// application its single consumer, which may run on another goroutine.
//
// VPP's queue is one ordered queue of evt_q_size message slots whose bodies
// live in two rings: io events (types below RPC) in one of evt_q_size
// entries, control events in one of max(16, evt_q_size/16) (spec §7.6,
// §8). The order is the queue's; fullness is per ring. So this is one
// ordered queue, and the producer remembers the queue positions of the
// control events it pushed: those at or past the consumer's position are
// still in the queue. The consumer's side stays a plain dequeue. When the
// ring an event needs is full the layer marks the worker congested and
// keeps the events pending.
type EventQueue struct {
	q *msgq.Queue[AppEvent]
	// Producer only: events pushed so far, and the positions of the
	// control events not yet known to be consumed (a FIFO in ctrlPos of
	// ctrlN entries from ctrlHead; at most the control ring's size).
	pushed   uint64
	ctrlPos  []uint64
	ctrlHead int
	ctrlN    int
}

// CtrlRingSize is the control ring's size for a queue of n slots:
// max(16, n/16) (segment_manager_alloc_queue's notif_q_size).
func CtrlRingSize(n int) int { return max(16, n>>4) }

func newEventQueue(capacity int) (*EventQueue, error) {
	q, err := msgq.NewQueue[AppEvent](capacity)
	if err != nil {
		return nil, err
	}
	return &EventQueue{q: q, ctrlPos: make([]uint64, CtrlRingSize(capacity))}, nil
}

// Pop removes and returns the oldest event, if any. Single consumer.
func (q *EventQueue) Pop() (AppEvent, bool) {
	ev, err := q.q.TryDequeue()
	return ev, err == nil
}

// PopBatch moves up to len(dst) events into dst and returns how many.
func (q *EventQueue) PopBatch(dst []AppEvent) int { return q.q.DequeueBatch(dst) }

// Wait removes and returns the oldest event, blocking until there is one
// (for applications running on their own goroutine). It fails once the
// queue is closed (the worker was freed) and empty.
func (q *EventQueue) Wait() (AppEvent, error) { return q.q.Dequeue() }

// Len returns the number of queued events.
func (q *EventQueue) Len() int { return q.q.Len() }

// Cap returns the queue's capacity.
func (q *EventQueue) Cap() int { return q.q.Cap() }

// ctrlQueued returns how many control events are still in the queue,
// forgetting the positions the consumer has passed. The consumer only moves
// forward, so a stale view can only overstate the count.
func (q *EventQueue) ctrlQueued() int {
	consumed := q.pushed - uint64(q.q.Len())
	for q.ctrlN > 0 && q.ctrlPos[q.ctrlHead] < consumed {
		q.ctrlHead++
		if q.ctrlHead == len(q.ctrlPos) {
			q.ctrlHead = 0
		}
		q.ctrlN--
	}
	return q.ctrlN
}

// fullFor reports whether an event of type t finds no slot: the queue is
// full, or t is a control event and the control ring is. The layer is the
// only producer, so a false answer guarantees that the next push of such an
// event succeeds.
func (q *EventQueue) fullFor(t EventType) bool {
	return q.q.Len() >= q.q.Cap() || t.IsCtrl() && q.ctrlQueued() >= len(q.ctrlPos)
}

// push adds ev; it reports false when the queue or, for a control event,
// the control ring is full.
func (q *EventQueue) push(ev AppEvent) bool {
	ctrl := ev.Type.IsCtrl()
	if ctrl && q.ctrlQueued() >= len(q.ctrlPos) {
		return false
	}
	if q.q.TryEnqueue(ev) != nil {
		return false
	}
	if ctrl {
		i := q.ctrlHead + q.ctrlN
		if i >= len(q.ctrlPos) {
			i -= len(q.ctrlPos)
		}
		q.ctrlPos[i] = q.pushed
		q.ctrlN++
	}
	q.pushed++
	return true
}

func (q *EventQueue) close() { q.q.Close() }
