package rules

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining asserts that the small functions on the lookup path inline:
// a call that stops inlining (a function grown past the budget) costs a few
// nanoseconds per probe, several probes per lookup.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH")
	}
	out, err := exec.Command(goTool, "build", "-gcflags=-m", "-o", "/dev/null", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{
		"mix64", "mum", "fpOf", "matchByte", "emptyBytes", "group8", "portSlot", "portsOf",
		"mask128", `u128\.and`, `u128\.less`, `a4\.hash`, `a6\.hash`,
		`Action\.IsNone`, `Action\.AppIndex`, `Scope\.Global`, `Scope\.Local`,
		`\(\*TransportTable\)\.Lookup`, `\(\*TransportTable\)\.Table`,
	} {
		if !regexp.MustCompile(`(?m): can inline ` + fn + `( |$)`).Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
