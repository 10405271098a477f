package synth

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining asserts that the generator's small per-event helpers inline.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"(*event).before", "(*Generator).at", "(*hostPool).addr", "nthHost"} {
		if !strings.Contains(string(out), "can inline "+fn+"\n") && !strings.Contains(string(out), "can inline "+fn+" ") {
			t.Errorf("%s is not inlined", fn)
		}
	}
}
