package msgq

import "unsafe"

// unsafeBytes returns the n bytes of r's memory (header and slots).
func unsafeBytes(r *Ring, n uint64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(r.h)), n)
}
