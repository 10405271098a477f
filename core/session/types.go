package session

import (
	"fmt"
	"strconv"
	"strings"
)

// Handle identifies a session: the thread that owns it in the high 32 bits
// and the index in that thread's pool in the low 32 bits, exactly VPP's
// session_handle_t (spec §9.1). Listeners live on thread 0, so a listener's
// handle equals its index.
type Handle uint64

// Special handle values (VPP's SESSION_INVALID_HANDLE and
// SESSION_DROP_HANDLE).
const (
	InvalidHandle Handle = ^Handle(0)
	DropHandle    Handle = ^Handle(0) - 1
)

// InvalidIndex is VPP's ~0 for 32-bit indices (no interface, no fib, no
// app, ...).
const InvalidIndex = ^uint32(0)

// MakeHandle builds the handle of the session at index on thread.
func MakeHandle(thread, index uint32) Handle { return Handle(thread)<<32 | Handle(index) }

// Thread returns the thread index part of h.
func (h Handle) Thread() uint32 { return uint32(h >> 32) }

// Index returns the pool index part of h.
func (h Handle) Index() uint32 { return uint32(h) }

// String formats h as VPP's `show session` does for handles: hex.
func (h Handle) String() string {
	switch h {
	case InvalidHandle:
		return "invalid"
	case DropHandle:
		return "drop"
	}
	return "0x" + strconv.FormatUint(uint64(h), 16)
}

// Proto is a transport protocol number (transport_types.h).
type Proto uint8

// Transport protocols. Only TCP and UDP carry rules; CT is the cut-through
// (shared memory) transport between applications on the same host.
const (
	ProtoTCP  Proto = 0
	ProtoUDP  Proto = 1
	ProtoCT   Proto = 2
	ProtoTLS  Proto = 3
	ProtoQUIC Proto = 4
	ProtoDTLS Proto = 5
	ProtoSRTP Proto = 6
	ProtoHTTP Proto = 7
	numProtos       = 8
)

var protoNames = [numProtos]string{"tcp", "udp", "ct", "tls", "quic", "dtls", "srtp", "http"}

// String returns the lower-case protocol name.
func (p Proto) String() string {
	if int(p) < len(protoNames) {
		return protoNames[p]
	}
	return "proto" + strconv.Itoa(int(p))
}

// ParseProto parses a protocol name as String prints it.
func ParseProto(s string) (Proto, error) {
	for i, n := range protoNames {
		if strings.EqualFold(n, s) {
			return Proto(i), nil
		}
	}
	return 0, fmt.Errorf("session: unknown transport protocol %q", s)
}

// SessionType is VPP's session type: (proto << 1) | is_ip4.
type SessionType uint8

// MakeSessionType builds a session type from a protocol and family.
func MakeSessionType(p Proto, ip4 bool) SessionType {
	t := SessionType(p) << 1
	if ip4 {
		t |= 1
	}
	return t
}

// Proto returns the transport protocol of the type.
func (t SessionType) Proto() Proto { return Proto(t >> 1) }

// IsIP4 reports whether the type is an IPv4 one.
func (t SessionType) IsIP4() bool { return t&1 != 0 }

// String formats the type as "tcp4", "udp6", ...
func (t SessionType) String() string {
	if t.IsIP4() {
		return t.Proto().String() + "4"
	}
	return t.Proto().String() + "6"
}

// State is a session state with VPP's numbering (spec §6.1). The numeric
// order matters: the state machine compares states with < and >=.
type State uint8

// The twelve session states.
const (
	StateCreated          State = 0
	StateListening        State = 1
	StateConnecting       State = 2
	StateAccepting        State = 3
	StateReady            State = 4
	StateOpened           State = 5
	StateTransportClosing State = 6
	StateClosing          State = 7
	StateAppClosed        State = 8
	StateTransportClosed  State = 9
	StateClosed           State = 10
	StateTransportDeleted State = 11
	// NumStates is the number of states.
	NumStates = 12
)

var stateNames = [NumStates]string{
	"CREATED", "LISTENING", "CONNECTING", "ACCEPTING", "READY", "OPENED",
	"TRANSPORT_CLOSING", "CLOSING", "APP_CLOSED", "TRANSPORT_CLOSED", "CLOSED",
	"TRANSPORT_DELETED",
}

// String returns VPP's state name, for example "TRANSPORT_CLOSING".
func (s State) String() string {
	if int(s) < NumStates {
		return stateNames[s]
	}
	return "STATE_" + strconv.Itoa(int(s))
}

// Flags are the per-session flag bits (spec §6.1).
type Flags uint16

// Session flags with VPP's bit positions.
const (
	FlagRxEvt            Flags = 1 << 0
	FlagProxy            Flags = 1 << 1
	FlagCustomTx         Flags = 1 << 2
	FlagIsMigrating      Flags = 1 << 3
	FlagUnidirectional   Flags = 1 << 4
	FlagCustomFifoTuning Flags = 1 << 5
	FlagHalfOpen         Flags = 1 << 6
	FlagAppClosed        Flags = 1 << 7
	FlagIsCless          Flags = 1 << 8
	FlagRxReady          Flags = 1 << 9
	FlagTptInitClose     Flags = 1 << 10
	FlagStream           Flags = 1 << 11
)

var flagNames = [...]string{
	"RX_EVT", "PROXY", "CUSTOM_TX", "IS_MIGRATING", "UNIDIRECTIONAL",
	"CUSTOM_FIFO_TUNING", "HALF_OPEN", "APP_CLOSED", "IS_CLESS", "RX_READY",
	"TPT_INIT_CLOSE", "STREAM",
}

// String lists the set flags separated by "|" ("" when none is set).
func (f Flags) String() string {
	var b strings.Builder
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(n)
		}
	}
	return b.String()
}

// EventType is a session event type with VPP's numbering (spec §8). The
// io events are below EventRPC; control events start at EventRPC.
type EventType uint8

// Session event types.
const (
	EventRx                EventType = 0
	EventTx                EventType = 1
	EventTxFlush           EventType = 2
	EventBuiltinRx         EventType = 3
	EventTxMain            EventType = 4
	EventRPC               EventType = 5
	EventHalfClose         EventType = 6
	EventClose             EventType = 7
	EventReset             EventType = 8
	EventBound             EventType = 9
	EventUnlistenReply     EventType = 10
	EventAccepted          EventType = 11
	EventAcceptedReply     EventType = 12
	EventConnected         EventType = 13
	EventDisconnected      EventType = 14
	EventDisconnectedReply EventType = 15
	EventResetReply        EventType = 16
	EventReqWorkerUpdate   EventType = 17
	EventWorkerUpdate      EventType = 18
	EventWorkerUpdateReply EventType = 19
	EventShutdown          EventType = 20
	EventDisconnect        EventType = 21
	EventConnect           EventType = 22
	EventConnectURI        EventType = 23
	EventListen            EventType = 24
	EventListenURI         EventType = 25
	EventUnlisten          EventType = 26
	EventAppDetach         EventType = 27
	EventAppAddSegment     EventType = 28
	EventAppDelSegment     EventType = 29
	EventMigrated          EventType = 30
	EventCleanup           EventType = 31
	EventAppWrkRPC         EventType = 32
	EventTransportAttr     EventType = 33
	EventTransportAttrRepl EventType = 34
	EventTransportClosed   EventType = 35
	EventHalfCleanup       EventType = 36
	EventConnectStream     EventType = 37
	EventTerminate         EventType = 38
	numEventTypes                    = 39
)

var eventNames = [numEventTypes]string{
	"RX", "TX", "TX_FLUSH", "BUILTIN_RX", "TX_MAIN", "RPC", "HALF_CLOSE",
	"CLOSE", "RESET", "BOUND", "UNLISTEN_REPLY", "ACCEPTED", "ACCEPTED_REPLY",
	"CONNECTED", "DISCONNECTED", "DISCONNECTED_REPLY", "RESET_REPLY",
	"REQ_WORKER_UPDATE", "WORKER_UPDATE", "WORKER_UPDATE_REPLY", "SHUTDOWN",
	"DISCONNECT", "CONNECT", "CONNECT_URI", "LISTEN", "LISTEN_URI", "UNLISTEN",
	"APP_DETACH", "APP_ADD_SEGMENT", "APP_DEL_SEGMENT", "MIGRATED", "CLEANUP",
	"APP_WRK_RPC", "TRANSPORT_ATTR", "TRANSPORT_ATTR_REPLY", "TRANSPORT_CLOSED",
	"HALF_CLEANUP", "CONNECT_STREAM", "TERMINATE",
}

// String returns VPP's event name, for example "DISCONNECTED".
func (t EventType) String() string {
	if int(t) < numEventTypes {
		return eventNames[t]
	}
	return "EVT_" + strconv.Itoa(int(t))
}

// IsCtrl reports whether the event travels on the control ring (type >=
// RPC); io events use the io ring.
func (t EventType) IsCtrl() bool { return t >= EventRPC }

// CleanupType says which half of a session a CLEANUP event concerns:
// the transport (the session stays) or the session itself (it is freed).
type CleanupType uint8

// Cleanup notification types (session_cleanup_ntf_t).
const (
	CleanupTransport CleanupType = 0
	CleanupSession   CleanupType = 1
)

// String returns "transport" or "session".
func (c CleanupType) String() string {
	if c == CleanupTransport {
		return "transport"
	}
	return "session"
}

// AppEvent is one message an application worker receives in its message
// queue. It is a small value (no pointers), so a queue of them is a flat
// ring the garbage collector never scans.
type AppEvent struct {
	// Type is the event type (§8 numbering).
	Type EventType
	// Cleanup is the cleanup type of an EventCleanup.
	Cleanup CleanupType
	// Err is the result of an EventConnected (ErrNone on success).
	Err Error
	// Handle is the session the event is about (the half-open handle for
	// EventHalfCleanup, InvalidHandle for a failed EventConnected).
	Handle Handle
	// Listener is the listener handle of an EventAccepted.
	Listener Handle
	// Context is the application's connect context (api_context /
	// opaque) of an EventConnected, or the segment handle of
	// EventAppAddSegment / EventAppDelSegment.
	Context uint64
}

// String formats the event for logs and test failures.
func (e AppEvent) String() string {
	s := e.Type.String() + " " + e.Handle.String()
	switch e.Type {
	case EventAccepted:
		s += " listener " + e.Listener.String()
	case EventConnected:
		s += fmt.Sprintf(" ctx %d err %s", e.Context, e.Err.Name())
	case EventCleanup:
		s += " " + e.Cleanup.String()
	case EventAppAddSegment, EventAppDelSegment:
		s += fmt.Sprintf(" segment %#x", e.Context)
	}
	return s
}
