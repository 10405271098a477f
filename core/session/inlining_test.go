package session

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining checks that the functions on the lookup and event hot paths
// inline: key construction, handle arithmetic, table and pool access, the
// rings. A change that pushes one over the compiler's budget shows up here
// instead of as a slowdown.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"key4raw", "key4", "key6", "listenKey4", "listenKey6", "endpointKey", "netPort", "famOf",
		"MakeHandle", "Handle.Thread", "Handle.Index", "establishedResult",
		"(*Layer).lookupTable", "(*Layer).sessionAt", "(*Layer).connOf", "(*Layer).setState",
		"(*sessionPool).at", "(*sessionPool).put",
		// The control queue's ring.
		"(*ring[...session.ctrlEvent]).push",
		"(*ring[...session.ctrlEvent]).pop",
		"(*EventQueue).Pop",
	)
}
