// Package session is the VPP host-stack session layer in Go: session
// records and their per-thread pools, the lookup tables (global per fib,
// local per namespace) and VPP's lookup order, application namespaces,
// applications with their workers and message queues, listeners and
// connects with VPP's scope rules, cut-through (shared-memory) sessions,
// session rules, and the close state machine with its two-phase cleanup.
// Its semantics are spec/vpp-session-layer.md §3, §5, §6, §8 and §9 as
// amended by spec/modelling-decisions.md; docs/session.md describes the
// design and docs/vpp-compatibility.md lists every deliberate difference.
//
// # Data flow
//
// The package is pure: no I/O, no goroutines, no clock. A Layer is driven
// from three sides, each through explicit calls:
//
//   - Applications call the API: Attach, Listen, Connect, AcceptReply,
//     Read, Write, Close, Reset, Shutdown, Unlisten, Detach. They receive
//     events (ACCEPTED, CONNECTED, RX, TX, DISCONNECTED, RESET,
//     TRANSPORT_CLOSED, CLEANUP, HALF_CLEANUP, segment notices) from their
//     worker's EventQueue.
//   - A transport (the simulator's TCP/UDP shim, or TestTransport) looks
//     incoming 5-tuples up (Lookup: established, half-open, global rules,
//     listeners) and reports what happens to its connections: Accept,
//     AcceptNotify, Connected, Enqueue/EnqueueAt, TransportClosing,
//     TransportReset, TransportClosed, TransportDelete, HalfOpenDelete. The
//     layer calls it back through the Transport interface (Listen, Connect,
//     Close, Reset, HalfClose, Send, Cleanup, ...).
//   - The caller runs each VPP thread's nodes: RunCtrlEvents(thread, now)
//     handles the control events queued for the thread (the CLOSE/RESET that
//     an application close queues, TX, cut-through accepts), and
//     FlushAppEvents(thread) delivers the events queued for applications on
//     that thread (the session-input node), applying VPP's delivery filters
//     and congestion rules and freeing the sessions whose cleanup completes.
//     Poll does both.
//
// So a passive open is: the transport's Lookup finds a listener, Accept
// creates the session (CREATED, fifos from the application's segment, in
// the table), AcceptNotify queues ACCEPTED (ACCEPTING), FlushAppEvents
// delivers it, the application's AcceptReply makes it READY. A close is:
// Close (CLOSING, CLOSE queued) → RunCtrlEvents (APP_CLOSED, transport
// Close) → TransportClosed (CLOSED) → TransportDelete (TRANSPORT_DELETED,
// cleanup notifications queued) → FlushAppEvents (the application gets
// CLEANUP(transport) and CLEANUP(session); the session is freed).
//
// # Representation
//
// Sessions are values in per-thread slices addressed by handles
// (thread << 32 | index) with LIFO index reuse, exactly VPP's pools; they
// hold no pointers to each other, so a million sessions cost one
// allocation and freeing one pushes its index. Every queue is a ring that
// stops allocating once it reaches its working size, so with preallocated
// sessions an open-data-close-free cycle allocates nothing in this package
// (see TestCycleAllocs). Lookup tables are core/bihash tables sized by the
// session stanza, rules are core/rules groups, fifos come from core/fifo
// segment managers and queues are core/msgq queues.
//
// # Threads
//
// A Layer is not safe for concurrent use; the caller serialises calls (see
// Layer). State is nevertheless per thread, as in VPP, so thread indices
// mean what they mean in VPP: main = 0, workers 1..n, the transport control
// thread is 1 with workers and 0 without.
package session
