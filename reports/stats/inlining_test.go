package stats

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining asserts that the small functions called inside the bootstrap
// loop and by compare for every metric inline (a call there would cost more
// than the arithmetic).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"PercentChange", "Interval.Contains", "Bootstrap.check"} {
		re := regexp.MustCompile(`can inline \(?\*?` + regexp.QuoteMeta(fn) + `\b`)
		if !re.Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
