package rules

import "testing"

// FuzzSDL is the SDL's differential test: random adds and deletes (by
// prefix, by tag with 0/0, another prefix or none; both families; duplicate
// and over-long tags; the FIB's own routes) must give the reference's
// results, lookups at and around every route's boundaries, and walks.
func FuzzSDL(f *testing.F) {
	f.Add(uint64(1), uint16(300), []byte{})
	f.Add(uint64(2), uint16(1000), []byte{0, 1, 2, 3})
	f.Add(uint64(3), uint16(50), []byte("\xff\x00\xff\x00"))
	f.Add(uint64(4), uint16(1500), []byte{})
	f.Fuzz(func(t *testing.T, seed uint64, n uint16, data []byte) {
		runSDL(t, seed, min(int(n), 1500), data)
	})
}
