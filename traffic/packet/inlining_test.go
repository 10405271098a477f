package packet_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining asserts that the small functions the decoder and the flow
// dispatcher call per packet are inlined: a refactor that pushes one over
// the inlining budget shows up here rather than as a slower benchmark.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{
		"be16", "be32", "be64", "mum", "endpoint",
		"(*Packet).HasL4", "(*Packet).IsTCP", "(*Packet).IsUDP", "(*Packet).IsFragment", "(*Packet).Truncated", "(*Packet).Tuple",
		"FiveTuple.Reverse", "TCPFlags.Has",
		"AddrFrom4", "AddrFromV4", "AddrFrom16", "Addr.Is4", "Addr.V4", "Addr.Less", "Fold",
	} {
		if !strings.Contains(string(out), "can inline "+fn+"\n") && !strings.Contains(string(out), "can inline "+fn+" ") {
			t.Errorf("%s is not inlined", fn)
		}
	}
}
