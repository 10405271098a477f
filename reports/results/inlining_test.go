package results

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the accessors compare and the plots call for
// every metric of every repetition inline.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "Direction.Sign", "Value.Equal", "(*Repetition).Duration", "Text", "ShortName")
}
