package veth

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the per-frame helpers stay inlinable: each runs
// once or more for every frame sent or received.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"Probe.Put",
		"ParseProbe",
		"sum",
		"fold",
		"updateChecksum",
		"(*Flow).HeaderLen",
		"(*seqSet).add",
		"(*Pacer).Due",
		"(*Receiver).Received",
	)
}
