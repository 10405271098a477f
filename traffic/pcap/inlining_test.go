package pcap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining asserts that the per-packet helpers of the read path and the
// pacer inline.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{
		"(*Reader).fill", "(*Reader).advance", "(*Reader).u16", "(*Reader).u32", "(*Reader).count",
		"(*iface).nanos", "wallClock.Now", "(*Pacer).adapt", "clientIsSrc", "(*Scheduler).shift",
	} {
		if !strings.Contains(string(out), "can inline "+fn+"\n") && !strings.Contains(string(out), "can inline "+fn+" ") {
			t.Errorf("%s is not inlined", fn)
		}
	}
}
