package session

import "net/netip"

// Endpoint is a transport endpoint: protocol, address, port and fib index.
type Endpoint struct {
	Proto Proto
	Addr  netip.Addr
	Port  uint16
	// Fib is the fib index the endpoint lives in.
	Fib uint32
	// SwIfIndex is the namespace's interface (InvalidIndex: none).
	SwIfIndex uint32
}

// Connection is a connection's 5-tuple and fib, as the transport sees it:
// Local is this host's side.
type Connection struct {
	Proto  Proto
	Local  netip.AddrPort
	Remote netip.AddrPort
	Fib    uint32
}

// Transport is what the session layer calls to drive a transport protocol
// (VPP's transport_proto_vft_t). The simulator provides the TCP and UDP
// shims; TestTransport is a recording implementation for tests. CT
// (cut-through) is built into the layer.
//
// Every method is called from the layer's thread context for the
// connection (the listener's thread 0, the control thread for connects,
// the session's thread otherwise). A transport reports back through the
// Layer's notification methods (Accept, AcceptNotify, Connected, Enqueue,
// TransportClosing, TransportReset, TransportClosed, TransportDelete,
// HalfOpenDelete, ...), passing the session handles it was given.
type Transport interface {
	// Listen starts listening on ep for listen session ls and returns the
	// transport listener's index. The layer has already turned a zero
	// address into the namespace interface's address.
	Listen(ls Handle, ep Endpoint) (uint32, Error)
	// Unlisten stops a listener.
	Unlisten(conn uint32)
	// Connect opens a connection for half-open session ho. The local
	// address and port are already chosen (and reserved) by the layer. It
	// returns the transport's half-open index; establishment is reported
	// later with Layer.Connected.
	Connect(ho Handle, c Connection) (uint32, Error)
	// Close closes a connection gracefully (pending data may still be
	// sent); the transport eventually reports TransportClosed and
	// TransportDelete.
	Close(thread, conn uint32)
	// Reset aborts a connection.
	Reset(thread, conn uint32)
	// HalfClose shuts down the sending direction.
	HalfClose(thread, conn uint32)
	// Send tells the transport that the session's tx fifo has data.
	Send(thread, conn uint32)
	// Cleanup frees a connection whose session is going away; the transport
	// must not notify about it again.
	Cleanup(thread, conn uint32)
	// Unlink tells the transport that its session is gone (the application
	// detached while the connection was closing): it finishes closing on
	// its own and must not notify about the connection again.
	Unlink(thread, conn uint32)
	// HalfOpenCleanup frees a half-open connection whose session is going
	// away (the application detached before establishment).
	HalfOpenCleanup(ho uint32)
}

// Connectionless is implemented by transports whose connects complete at
// once (VPP's TRANSPORT_SERVICE_CL, UDP by default): Connect then returns
// the connection itself, and the layer opens the session immediately
// (session_open_cl: OPENED, IS_CLESS, fifos, lookup entry, CONNECTED)
// instead of tracking a half-open.
type Connectionless interface {
	Connectionless() bool
}
