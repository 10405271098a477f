package fifo

import (
	"errors"
	"strconv"
)

// Error is an error with VPP's numeric code. Fifo operations return the
// svm_fifo codes (ErrFull −2, ErrEmpty −3, ErrGrow −4); segment allocation
// returns the session-layer codes (ErrSegNoSpace −23, ErrSegNoSpace2 −24,
// ErrSegCreate −25), so a caller can report exactly what VPP would.
//
// The exported sentinels are interface values built once, so returning one
// does not allocate; compare with errors.Is or ==.
type Error int

// Code returns VPP's number for the error (negative).
func (e Error) Code() int { return int(e) }

func (e Error) Error() string {
	switch e {
	case codeFull:
		return "fifo: full (SVM_FIFO_EFULL)"
	case codeEmpty:
		return "fifo: empty (SVM_FIFO_EEMPTY)"
	case codeGrow:
		return "fifo: cannot grow (SVM_FIFO_EGROW)"
	case codeSegNoSpace:
		return "fifo: no space in segment (SESSION_E_SEG_NO_SPACE)"
	case codeSegNoSpace2:
		return "fifo: no space in new segment (SESSION_E_SEG_NO_SPACE2)"
	case codeSegCreate:
		return "fifo: cannot create segment (SESSION_E_SEG_CREATE)"
	}
	return "fifo: error " + strconv.Itoa(int(e))
}

const (
	codeFull        Error = -2
	codeEmpty       Error = -3
	codeGrow        Error = -4
	codeSegNoSpace  Error = -23
	codeSegNoSpace2 Error = -24
	codeSegCreate   Error = -25
)

// Sentinel errors. Each is an Error; use Code for VPP's number.
var (
	// ErrFull (SVM_FIFO_EFULL, −2): no free space for an in-order enqueue, or
	// an out-of-order write does not fit below size.
	ErrFull error = codeFull
	// ErrEmpty (SVM_FIFO_EEMPTY, −3): nothing to dequeue, drop or peek at the
	// requested offset.
	ErrEmpty error = codeEmpty
	// ErrGrow (SVM_FIFO_EGROW, −4): the fifo could not grow its storage. Fifos
	// here own their whole size from allocation, so fifo operations never
	// return it; it exists so callers can handle VPP's full code set.
	ErrGrow error = codeGrow
	// ErrSegNoSpace (SESSION_E_SEG_NO_SPACE, −23): no segment has room for
	// the fifos and adding segments is not allowed (or a single segment is
	// full).
	ErrSegNoSpace error = codeSegNoSpace
	// ErrSegNoSpace2 (SESSION_E_SEG_NO_SPACE2, −24): a new segment was added
	// but the fifos still did not fit in it.
	ErrSegNoSpace2 error = codeSegNoSpace2
	// ErrSegCreate (SESSION_E_SEG_CREATE, −25): a new segment could not be
	// created (maximum segments reached or the mapping failed).
	ErrSegCreate error = codeSegCreate
)

// Code returns VPP's numeric code for err if err is (or wraps) an Error, −1
// (unknown) for other errors and 0 for nil.
func Code(err error) int {
	if err == nil {
		return 0
	}
	if e, ok := err.(Error); ok {
		return int(e) // the common, allocation-free case
	}
	var e Error
	if errors.As(err, &e) {
		return int(e)
	}
	return -1
}
