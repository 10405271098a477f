// Package afpacket is the Linux AF_PACKET plumbing under traffic/veth: raw
// packet sockets bound to one interface, a TPACKET_V3 memory-mapped receive
// ring, two fast transmit paths (a TPACKET_V2 transmit ring and sendmmsg),
// PACKET_FANOUT groups, kernel receive timestamps and the kernel's
// PACKET_STATISTICS counters. It knows nothing about namespaces: the caller
// opens sockets on a thread that sits in the right network namespace (a
// packet socket keeps the namespace it was created in).
//
// # Receive
//
// The kernel copies each frame into the ring and the reader walks the ring in
// place, so receiving costs no system call per frame and no allocation at
// all. TPACKET_V3 groups frames into blocks: the kernel hands a block to user
// space (block_status = TP_STATUS_USER) when the next frame does not fit or
// when the block retire timer fires, and wakes poll(2) then. Frames are
// variable-sized inside a block, so small frames pack densely. The price is
// latency at low rates: a lone frame waits for the retire timer, whose unit
// is whole milliseconds (RxConfig.RetireTimeout; the kernel default derived
// from the link speed is 8 ms on a veth). RxConfig.Version selects a
// TPACKET_V2 ring instead: fixed-size slots, each handed over and signalled
// on its own, which is what low-rate latency measurements want.
//
// Data flow: Next returns a Frame whose Data aliases ring memory; the slot
// (V2) or the block (V3) goes back to the kernel on the following call, so a
// caller that keeps bytes copies them first.
//
// # Transmit
//
// TxRing copies frames into a memory-mapped TPACKET_V2 transmit ring and
// kicks the kernel with one send(2) per batch; Batch collects frames in a
// slab and sends them with one sendmmsg(2). Both implement Writer.
// Conn.Send is the plain one-syscall-per-frame path.
//
// # Plain sockets
//
// Conn is an unmapped packet socket read with recvmsg(2) (kernel timestamp
// from SO_TIMESTAMPNS): the baseline the ring is benchmarked against.
package afpacket
