package bihash

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the helpers of the hot paths inline: the
// compiler's -m output must say "can inline" for each. Lookup itself is too
// big to inline; what matters is that nothing it calls on its fast path is
// a call (hash48, for 48-byte keys, is the one exception: four 128-bit
// multiplies exceed the budget).
func TestInlining(t *testing.T) {
	fns := []string{
		"hash16", "hash24", "fold", "avalanche", "xor2", "xor3", "b2u", "bucketStride",
		"load", "store", "word", "wordOffset", "wordLog2", "wordRef",
		"wordLinear", "makeWord", "withRef", "bumped", "nextGen",
	}
	// The package instantiates itself for the three key types (see
	// instantiate), so building it alone reports the generic helpers too.
	for _, shape := range []string{"[2]uint64", "[3]uint64", "[6]uint64"} {
		fns = append(fns,
			"(*Table[go.shape."+shape+"]).bucketAt",
			"wd[go.shape."+shape+"]",
			"kvAt[go.shape."+shape+"]",
			"isEmpty[go.shape."+shape+"]",
		)
	}
	inlinetest.Check(t, fns...)
}
