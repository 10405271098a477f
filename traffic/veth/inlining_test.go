package veth

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining asserts that the per-frame helpers stay inlinable: each runs
// once or more for every frame sent or received.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{
		"Probe.Put",
		"ParseProbe",
		"sum",
		"fold",
		"updateChecksum",
		"(*Flow).HeaderLen",
		"(*seqSet).add",
		"(*Pacer).Due",
		"(*Receiver).Received",
	} {
		if !strings.Contains(string(out), "can inline "+fn+"\n") && !strings.Contains(string(out), "can inline "+fn+" ") {
			t.Errorf("%s is no longer inlinable", fn)
		}
	}
}
