package stats

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the small functions called inside the bootstrap
// loop and by compare for every metric inline (a call there would cost more
// than the arithmetic).
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "PercentChange", "Interval.Contains", "Bootstrap.check")
}
