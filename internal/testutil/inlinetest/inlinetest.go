// Package inlinetest checks, from a package's tests, that the functions the
// package relies on being inlined still are: a change that pushes one over
// the compiler's inlining budget then fails a test instead of showing up
// as a slower benchmark.
package inlinetest

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// Check builds the package in the test's working directory (the directory
// of the package under test) with -gcflags=-m and reports a test error for
// every name in fns that the compiler does not say it can inline.
//
// A name is written as the compiler prints it after "can inline": "f",
// "T.M", "(*T).M", and for a generic instantiation its type arguments,
// "(*Table[go.shape.[2]uint64]).bucketAt". In a name, "..." stands for any
// run of characters within the line, so "(*ring[...session.ctrlEvent]).push"
// names that instantiation whatever the package path in front of it.
//
// Check skips the test under -short (it compiles the package) and when
// there is no go command on PATH.
func Check(t *testing.T, fns ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("inlinetest: skipped with -short (builds the package with -gcflags=-m)")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("inlinetest: no go command on PATH, cannot build the package with -gcflags=-m: %v", err)
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", "-o", os.DevNull, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range fns {
		if !pattern(fn).Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}

// pattern returns the expression that finds the compiler's "can inline"
// line for fn: fn to the letter, but for "..." which matches any run of
// characters within a line, and then the end of the line or a space.
func pattern(fn string) *regexp.Regexp {
	parts := strings.Split(fn, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?m): can inline ` + strings.Join(parts, `.*`) + `( |$)`)
}
