package search

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining asserts that the functions the search calls for every load
// of every target on every iteration inline: the trial-time split, the
// classification sums, the bound checks and the nomination order.
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
	for _, fn := range []string{
		"(*Sums).Add", "classifySums", "(*loadStat).sums", "worth", "done", "split",
		"nomination.before", "(*TrialOutput).LossRatio",
	} {
		re := regexp.MustCompile(`can inline ` + regexp.QuoteMeta(fn) + `\b`)
		if !re.Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
