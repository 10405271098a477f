package config

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining checks that the per-byte helpers of the reader and the
// scanner inline: flattening and keyword matching call them for every byte
// of a configuration.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{"isSpace", "skipBlank", "digit", `\(\*scanner\)\.skipSpace`, `\(\*scanner\)\.literal`, `\(\*text\)\.add`, "RoundBuckets", `Pos\.IsValid`} {
		if !regexp.MustCompile(`can inline ` + fn + `\b`).Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
