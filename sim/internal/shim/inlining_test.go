package shim

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// The per-packet helpers must inline: they run several times for every
// packet the engine processes.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "seqLT", "(*Shim).connOf", "(*Shim).drop", "(*Shim).count", "(*Shim).conn", "(*Shim).defer_", "timerLess", "netipPort")
}
