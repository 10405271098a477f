// Package msgq implements VPP-style message queues: bounded rings of
// fixed-size slots with many producers and one consumer, used for the session
// layer's event queues (each worker's queue of event-queue-length events, each
// app's event queue).
//
// Data flow: producers (transports, other workers, apps) call TryEnqueue,
// which copies the message into the next free slot and publishes it, or fails
// with ErrFull when the ring is full and counts the drop (vpp's worker queues
// never block); app senders that may wait use Enqueue. The single consumer
// (the worker or app that owns the queue) takes messages out one at a time
// with TryDequeue/Dequeue or in batches with Drain/DequeueBatch, as VPP's
// session queue node moves everything pending into its own lists. A producer
// with a burst of events can claim all their slots at once
// (Queue.TryEnqueueBatch).
//
// Two forms share one algorithm. Producers claim a position with one
// compare-and-swap on the tail counter, after checking against the consumer's
// published head that the position's slot is free (the ring is full when the
// tail is a whole lap ahead: the capacity is exact and every drop is counted).
// A producer copies its message into the slot and publishes it by storing the
// slot's sequence number, position+1, which is unique to that lap. The
// consumer reads slots while their sequence matches its head and hands a whole
// batch back to the producers with a single store of the head. So a message
// costs the producer one CAS and one store, and the consumer one load, which
// is what lets a queue move events faster than a channel, whose sender and
// receiver both take a lock per message.
//
//   - Ring holds byte messages up to a chosen slot size (an 18-byte session
//     event fits the smallest slot) in a caller-provided block of memory laid
//     out with offsets only, so it can live in a shared-memory segment and be
//     used from several processes (InitRing in the creator, AttachRing in the
//     others). Blocking waits use a futex in that memory.
//   - Queue[T] holds values of a type T on the Go heap, for in-process use; it
//     avoids the byte encoding and parks blocked goroutines on condition
//     variables, the way channels do.
//
// MsgQ is VPP's svm_msg_q itself, with its own, locked algorithm: a queue of
// 8-byte descriptors {ring, element} plus rings of fixed-size elements (an io
// ring and a ctrl ring in VPP), in one block of memory laid out with offsets
// only (InitMsgQ in the creator, AttachMsgQ in the others). Producers
// serialize on a lock word in that memory: lock, allocate an element in a ring
// (AllocMsg, AllocMsgWRing or LockAndAllocMsgWRing: svm_msg_q_alloc_msg,
// _alloc_msg_w_ring, _lock_and_alloc_msg_w_ring), fill it (MsgData: _msg_data),
// enqueue its descriptor and unlock (AddAndUnlock: _add_and_unlock; Add is
// _add). The single consumer takes descriptors with Sub (_sub) and returns
// the elements with FreeMsg (_free_msg), in allocation order. Non-blocking
// producers get ErrLockBusy or ErrFull (VPP's −1 and −2); blocking ones sleep
// on futex words that are signalled when the queue goes empty→non-empty or the
// queue or a ring goes full→not-full, where VPP signals its condvar.
//
// VPP couples an io ring and a ctrl ring under one queue of descriptors and a
// mutex, which MsgQ reproduces. The session layer's own worker and app event
// queues (core/session) use Queue[T] instead, Ring being the shared-memory
// form of the same design: each ring is its own queue (use two: io events and
// control messages), which keeps the producers lock-free. VPP's session node drains control messages before io
// events anyway, so the per-ring order is the order that matters; see
// docs/fifo.md.
package msgq
