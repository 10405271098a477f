package cli

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining checks that the per-byte and per-word helpers of the
// tokenizer and the scanner inline: every command line goes through them,
// and a script replays thousands of lines.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"isSpace", "isDigits", `\(\*scanner\)\.done`, `\(\*scanner\)\.peek`,
		`\(\*scanner\)\.cur`, `\(\*scanner\)\.accept`} {
		if !regexp.MustCompile(`can inline ` + fn + `\b`).Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
