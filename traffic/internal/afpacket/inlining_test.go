package afpacket

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the per-frame helpers stay inlinable: each is
// called once or more per received or sent frame, and a call costs more
// than the helper's body.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"htons",
		"statusWord",
		"(*RxRing).block",
		"(*RxRing).blockStatus",
		"(*RxRing).slot",
		"(*TxRing).slot",
		"(*Frame).Losing",
	)
}
