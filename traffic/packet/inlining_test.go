package packet_test

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the small functions the decoder and the flow
// dispatcher call per packet are inlined: a refactor that pushes one over
// the inlining budget shows up here rather than as a slower benchmark.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"be16", "be32", "be64", "mum", "endpoint",
		"(*Packet).HasL4", "(*Packet).IsTCP", "(*Packet).IsUDP", "(*Packet).IsFragment", "(*Packet).Truncated", "(*Packet).Tuple",
		"FiveTuple.Reverse", "TCPFlags.Has",
		"AddrFrom4", "AddrFromV4", "AddrFrom16", "Addr.Is4", "Addr.V4", "Addr.Less", "Fold",
	)
}
