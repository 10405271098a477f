// Package fifo implements VPP's shared-memory byte fifos (svm_fifo), the
// segments they are allocated from (fifo_segment) and the segment manager that
// places a session's fifo pair (segment_manager).
//
// Every session moves its bytes through an rx and a tx Fifo. A Fifo is a
// single-producer single-consumer ring with VPP's arithmetic: head and tail
// are free-running u32 byte positions, Enqueue takes what fits (ErrFull when
// nothing does), EnqueueAt places out-of-order data at an offset past the tail
// (all or nothing) and records it in a sorted list of out-of-order segments
// that an in-order Enqueue collects when it reaches them, Dequeue/Peek/Drop
// consume, and the notification flags (SetEvent, NeedsDeqNotif and friends)
// tell the two sides when to send each other events. Errors carry VPP's codes
// (Error.Code).
//
// Data flow: a transport (or an app) is the producer of a fifo and writes at
// the tail; the other side is the consumer and reads at the head. The bytes
// are copied once in and once out, or not at all with the zero-copy views
// (WriteSegments + Commit, ReadSegments + Drop), which expose the at most two
// contiguous regions of the ring. Producer and consumer synchronise only
// through atomic loads and stores of tail and head, which sit on separate
// cache lines of a header in shared memory; nothing else is shared, so they
// can run on two cores or in two processes without locks.
//
// Memory: a Segment is a memfd mapped shared (NewSegment), or Go heap memory
// (NewHeapSegment). Its header, freelists, fifo headers and fifo data are all
// addressed by offsets, never Go pointers, so another process that maps the
// segment (AttachSegment on the fd, or /proc/<pid>/fd/<n>) finds a fifo by its
// offset (Segment.Fifo) and reads exactly what the creator writes. Fifo data
// blocks come from power-of-two size classes with freelists in the segment;
// a full segment fails with ErrSegNoSpace. A Manager owns a set of segments and
// follows VPP's placement rules (most available bytes first, add a segment when
// allowed, delete empty non-first segments).
//
// Differences from VPP are deliberate and listed in docs/fifo.md: a fifo owns
// its whole size in one contiguous block from allocation (VPP grows a chunk
// list on demand), so ErrGrow never occurs and a segment holds as many fifos
// as their full sizes allow.
package fifo
