package synth

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the generator's small per-event helpers inline.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "(*event).before", "(*Generator).at", "(*hostPool).addr", "nthHost")
}
