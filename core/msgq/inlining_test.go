package msgq

import (
	"os/exec"
	"regexp"
	"testing"
)

// The per-message helpers must inline.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	// Queue[T]'s methods are generic and only show up where instantiated;
	// they mirror these.
	for _, fn := range []string{
		"(*Ring).slot", "(*Ring).ready", "(*Ring).peek", "(*Ring).Len",
		"(*Ring).wakeProducers", "(*Ring).wakeConsumer", "slotStride",
	} {
		if !regexp.MustCompile(`can inline ` + regexp.QuoteMeta(fn) + `\b`).Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
