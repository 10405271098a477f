package bihash

import "testing"

// TestBucketWord: the fields round-trip, and every way a writer publishes a
// changed bucket moves the generation on (a reader's validation depends on
// it: an add and a delete in one bucket must not bring its word back).
func TestBucketWord(t *testing.T) {
	w := makeWord(64*12345, 11, true, maxRefcnt, genMask)
	if wordOffset(w) != 64*12345 || wordLog2(w) != 11 || !wordLinear(w) || wordRef(w) != maxRefcnt || w>>genShift != genMask || w&lockBit != 0 {
		t.Fatalf("fields of %#x", w)
	}
	if nextGen(w) != 0 {
		t.Fatalf("generation does not wrap: %d", nextGen(w))
	}
	w = makeWord(64, 1, false, 5, 7)
	for _, c := range []struct {
		name string
		next uint64
		ref  uint64
	}{
		{"withRef", withRef(w|lockBit, 6), 6},
		{"bumped", bumped(w | lockBit), 5},
	} {
		if c.next>>genShift != 8 || wordRef(c.next) != c.ref || c.next&lockBit != 0 ||
			wordOffset(c.next) != 64 || wordLog2(c.next) != 1 {
			t.Errorf("%s: %#x from %#x", c.name, c.next, w)
		}
	}
	// An add then a delete: same reference count, different word.
	if back := withRef(withRef(w, 6), 5); back == w {
		t.Fatalf("add+delete brought the word back: %#x", back)
	}
	// 2^15 changes do bring it back: that is the window the generation
	// closes (see bucket.go).
	x := w
	for range genMask + 1 {
		x = bumped(x)
	}
	if x != w {
		t.Fatalf("generation period is not 2^15: %#x vs %#x", x, w)
	}
}
