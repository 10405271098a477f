package session

import "strconv"

// Error is a session-layer error code with VPP's numbering (session_types.h,
// spec §9.6): zero is success and every failure is the negative of its
// position in VPP's list, so a code printed by sessionlab means the same as
// the one VPP's API returns. The zero value is ErrNone.
//
// Error implements the error interface; a function that can fail with a
// session error returns it as a plain error whose dynamic type is Error, so
// callers can switch on it with errors.As or a type assertion:
//
//	if e, ok := err.(session.Error); ok && e == session.ErrFiltered { ... }
type Error int32

// The session error codes, in VPP's order.
const (
	ErrNone             Error = 0
	ErrUnknown          Error = -1
	ErrRefused          Error = -2
	ErrTimedOut         Error = -3
	ErrAlloc            Error = -4
	ErrOwner            Error = -5
	ErrNoRoute          Error = -6
	ErrNoIntf           Error = -7
	ErrNoIP             Error = -8
	ErrNoPort           Error = -9
	ErrNoSupport        Error = -10
	ErrNoListen         Error = -11
	ErrNoSession        Error = -12
	ErrNoApp            Error = -13
	ErrAppAttached      Error = -14
	ErrPortInUse        Error = -15
	ErrIPInUse          Error = -16
	ErrAlreadyListening Error = -17
	ErrAddrNotInUse     Error = -18
	ErrInvalid          Error = -19
	ErrInvalidRmtIP     Error = -20
	ErrInvalidAppWrk    Error = -21
	ErrInvalidNS        Error = -22
	ErrSegNoSpace       Error = -23
	ErrSegNoSpace2      Error = -24
	ErrSegCreate        Error = -25
	ErrFiltered         Error = -26
	ErrScope            Error = -27
	ErrBapiNoFD         Error = -28
	ErrBapiSendFD       Error = -29
	ErrBapiNoReg        Error = -30
	ErrMQMsgAlloc       Error = -31
	ErrTLSHandshake     Error = -32
	ErrEventfdAlloc     Error = -33
	ErrNoExtCfg         Error = -34
	ErrNoCryptoEng      Error = -35
	ErrNoCryptoCkp      Error = -36
	ErrLocalConnect     Error = -37
	ErrWrongNSSecret    Error = -38
	ErrSyscall          Error = -39
	ErrTransportNoReg   Error = -40
	ErrMaxStreamsHit    Error = -41
)

// NumErrors is the number of error codes (ErrNone included).
const NumErrors = 42

var errNames = [NumErrors]string{
	"NONE", "UNKNOWN", "REFUSED", "TIMEDOUT", "ALLOC", "OWNER", "NOROUTE",
	"NOINTF", "NOIP", "NOPORT", "NOSUPPORT", "NOLISTEN", "NOSESSION", "NOAPP",
	"APP_ATTACHED", "PORTINUSE", "IPINUSE", "ALREADY_LISTENING",
	"ADDR_NOT_IN_USE", "INVALID", "INVALID_RMT_IP", "INVALID_APPWRK",
	"INVALID_NS", "SEG_NO_SPACE", "SEG_NO_SPACE2", "SEG_CREATE", "FILTERED",
	"SCOPE", "BAPI_NO_FD", "BAPI_SEND_FD", "BAPI_NO_REG", "MQ_MSG_ALLOC",
	"TLS_HANDSHAKE", "EVENTFD_ALLOC", "NOEXTCFG", "NOCRYPTOENG", "NOCRYPTOCKP",
	"LOCAL_CONNECT", "WRONG_NS_SECRET", "SYSCALL", "TRANSPORT_NO_REG",
	"MAX_STREAMS_HIT",
}

// errText holds a sentence per code: what went wrong, in words a user of
// the CLI understands without reading VPP's source.
var errText = [NumErrors]string{
	"no error",
	"unknown error",
	"connection refused (the peer or a congested application queue refused it)",
	"timed out",
	"out of resources: a session, table or memory allocation failed",
	"the session is not owned by this application",
	"no route to the destination",
	"no interface resolves the route to the destination",
	"the local interface has no IP address of that family",
	"no free local port",
	"not supported (for rules: no rule-table engine is enabled)",
	"not listening",
	"the session does not exist",
	"the application is not attached",
	"the application is already attached",
	"the local port is already in use",
	"the IP address is already in use",
	"the IP and port are already being listened on",
	"the address is not in use",
	"invalid value",
	"invalid remote IP address (zero)",
	"invalid application worker",
	"invalid namespace (unknown id, or the address does not belong to it)",
	"no space in the application's segments for a fifo pair",
	"a new segment was created but a fifo pair still did not fit",
	"could not create a new segment",
	"filtered by a session rule",
	"the application's scope does not allow this",
	"the binary API has no socket descriptor",
	"could not send a descriptor over the binary API socket",
	"the application's binary API registration was not found",
	"could not allocate a message queue message",
	"TLS handshake failed",
	"could not allocate an eventfd",
	"no extended transport configuration",
	"no crypto engine",
	"certificate/key pair not found",
	"no listener reachable with local scope",
	"wrong namespace secret",
	"system call failed",
	"the transport protocol is not registered",
	"maximum number of streams reached",
}

// Code returns the numeric code (0 or negative), as VPP's API reports it.
func (e Error) Code() int32 { return int32(e) }

// Valid reports whether e is one of the defined codes.
func (e Error) Valid() bool { return e <= 0 && e > -NumErrors }

// Name returns VPP's symbolic name, for example "SESSION_E_FILTERED".
func (e Error) Name() string {
	if !e.Valid() {
		return "SESSION_E_" + strconv.Itoa(int(e))
	}
	return "SESSION_E_" + errNames[-e]
}

// Error returns a sentence describing the failure followed by the VPP name,
// for example "filtered by a session rule (SESSION_E_FILTERED)".
func (e Error) Error() string {
	if !e.Valid() {
		return "session error " + strconv.Itoa(int(e))
	}
	return errText[-e] + " (" + e.Name() + ")"
}
