// Package veth runs sessionlab against real interfaces: two Linux network
// namespaces joined by a veth pair, with frames sent and received through
// AF_PACKET sockets, the same path VPP's own af_packet host-stack tests use.
//
// # Topology
//
// New creates namespaces Prefix+Name+"-a" and "-b" (Prefix defaults to
// "sl-", Name to a random 5-character run id, so parallel runs never
// collide) and a veth pair with one end in each, created inside namespace A
// with its peer placed straight into B, so nothing ever appears in the
// caller's namespace. End A is the traffic side and carries a kernel address;
// end B is sessionlab's side, like a VPP af_packet interface: its address
// belongs to sessionlab, not to the kernel, so namespace B's kernel never
// answers traffic meant for sessionlab, and the built-in Replier answers ARP
// for it. IPv6 and forwarding are off in both namespaces, so neither kernel
// puts frames of its own on the link. Close removes everything an unnamed
// topology created, also on error paths; Cleanup removes every namespace and
// veth link carrying a prefix, and nothing else. Namespace switches happen on
// locked OS threads that always return to their original namespace
// (traffic/internal/netnsutil); sockets are opened inside the namespace and
// keep it.
//
// # Data flow
//
//	FrameSource ──> Sender (end A) ──veth──> Receiver or Source (end B) ──> Handler / packet.Source consumer
//	 Generator       Pacer: sleep+spin        TPACKET_V3 ring (blocks)       Responder ──> reply ──┐
//	 PacketFrames    Stamp: seq + send time   TPACKET_V2 ring (slots)                              │
//	  (packet.Source) TX ring / sendmmsg      recvmsg (baseline)           Sender's reply ring <───┘ (RTT)
//
// A Sender takes frames from a FrameSource (the built-in Generator, or
// PacketFrames playing any packet.Source such as a pcap reader), writes a
// Probe (sequence number and CLOCK_REALTIME send time) into each frame's
// payload, and sends at a paced rate. A Receiver reads end B with one or more
// workers (a PACKET_FANOUT_HASH group), checks every sequence number arrived
// exactly once, and records one-way latency (the kernel's receive timestamp
// minus the send time; kernel packet timestamps are CLOCK_REALTIME, so the
// probe uses the same clock) and delivery latency (when the worker read the
// frame). A Responder answers frames (RST to a filtered connect, ACK or echo
// for data, UDP echo); the Sender times the replies. Run ties these together
// for a measured run; Source is the same thing behind the packet.Source
// interface, for the simulator.
//
// Per frame, nothing on the send or receive path allocates.
//
// # Choosing the receive path
//
// The TPACKET_V3 ring hands frames over a block at a time: when a block is
// full or its retire timer fires. The timer counts whole milliseconds (1 ms
// at least), so at low rates a frame waits up to a millisecond before the
// application sees it, although its kernel timestamp is taken on arrival.
// The TPACKET_V2 ring hands each frame over on its own and wakes the reader
// per frame: tens of microseconds at low rates, somewhat slower than V3 at
// the highest rates. RingAuto picks V2 up to AutoRingRate frames/s and V3
// above it.
package veth
