package sim

import (
	"os/exec"
	"regexp"
	"testing"
)

// The per-packet helpers must inline: they run several times for every
// packet the engine processes.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"(*model).now", "(*model).workerThread", "(*simWorker).push", "(*simWorker).pop", "flowDirection"} {
		if !regexp.MustCompile(`can inline ` + regexp.QuoteMeta(fn) + `\b`).Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
