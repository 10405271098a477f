package bihash

import (
	"os/exec"
	"regexp"
	"testing"
)

// TestInlining asserts that the helpers of the hot paths inline: the
// compiler's -m output must say "can inline" for each. Lookup itself is too
// big to inline; what matters is that nothing it calls on its fast path is
// a call (hash48, for 48-byte keys, is the one exception: four 128-bit
// multiplies exceed the budget).
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool on PATH: %v", err)
	}
	// The package instantiates itself for the three key types (see
	// instantiate), so building it alone reports the generic helpers too.
	out, err := exec.Command(gobin, "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, fn := range []string{
		"hash16", "hash24", "fold", "avalanche", "xor2", "xor3", "b2u", "bucketStride",
		"load", "store", "word", "wordOffset", "wordLog2", "wordRef",
		"wordLinear", "makeWord", "withRef", "bumped", "nextGen",
	} {
		if !canInline(out, fn) {
			t.Errorf("%s does not inline", fn)
		}
	}
	for _, shape := range []string{"[2]uint64", "[3]uint64", "[6]uint64"} {
		for _, fn := range []string{
			"(*Table[go.shape." + shape + "]).bucketAt",
			"wd[go.shape." + shape + "]",
			"kvAt[go.shape." + shape + "]",
			"isEmpty[go.shape." + shape + "]",
		} {
			if !canInline(out, fn) {
				t.Errorf("%s does not inline", fn)
			}
		}
	}
}

// canInline reports whether the compiler output says fn can inline.
func canInline(out []byte, fn string) bool {
	return regexp.MustCompile(`(?m)can inline ` + regexp.QuoteMeta(fn) + `( |$)`).Match(out)
}
