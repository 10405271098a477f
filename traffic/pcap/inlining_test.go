package pcap_test

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the per-packet helpers of the read path and the
// pacer inline.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"(*Reader).fill", "(*Reader).advance", "(*Reader).u16", "(*Reader).u32", "(*Reader).count",
		"(*iface).nanos", "wallClock.Now", "(*Pacer).adapt", "clientIsSrc", "(*Scheduler).shift",
	)
}
