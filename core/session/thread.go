package session

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

// ctrlQueue is a thread's vpp event queue (wrk-mq-length entries) with an
// overflow list. VPP drops a control event silently when the queue is full
// (QUIRK); sessionlab never loses one (modelling decision): an event that
// finds the queue full waits in the overflow list, in order, is counted
// (Stats.CtrlQueueFull), and enters the queue as soon as there is room.
type ctrlQueue struct {
	q        ring[ctrlEvent]
	capacity int
	overflow ring[ctrlEvent]
}

func (c *ctrlQueue) init(capacity int) {
	c.capacity = capacity
}

// push appends ev; it reports false when the bounded queue was full (the
// event then waits in the overflow list).
func (c *ctrlQueue) push(ev ctrlEvent) bool {
	if c.overflow.len() > 0 || c.q.len() >= c.capacity {
		c.overflow.push(ev)
		return false
	}
	c.q.push(ev)
	return true
}

func (c *ctrlQueue) pop() (ctrlEvent, bool) {
	ev, ok := c.q.pop()
	if ok && c.overflow.len() > 0 {
		o, _ := c.overflow.pop()
		c.q.push(o)
	}
	return ev, ok
}

func (c *ctrlQueue) len() int { return c.q.len() + c.overflow.len() }

// EventQueue is an application worker's message queue: a bounded ring of
// AppEvent values (VPP's app event queue, evt_q_size entries). The layer is
// the producer; the application pops. When it is full the layer marks the
// worker congested and keeps the events pending (§7.6).
type EventQueue struct {
	r        ring[AppEvent]
	capacity int
	drops    uint64
}

func newEventQueue(capacity int) *EventQueue {
	q := &EventQueue{capacity: capacity}
	q.r.reserve(capacity)
	return q
}

// Pop removes and returns the oldest event.
func (q *EventQueue) Pop() (AppEvent, bool) { return q.r.pop() }

// Len returns the number of queued events.
func (q *EventQueue) Len() int { return q.r.len() }

// Cap returns the queue's capacity.
func (q *EventQueue) Cap() int { return q.capacity }

func (q *EventQueue) full() bool { return q.r.len() >= q.capacity }

func (q *EventQueue) push(ev AppEvent) bool {
	if q.full() {
		q.drops++
		return false
	}
	q.r.push(ev)
	return true
}
