// Package golden compares a test's output with a golden file kept in the
// repository, or rewrites the file when the test runs with -update.
package golden

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// Check compares got with the golden file at path. With update (the test
// package's -update flag) it writes got to path instead. A missing file
// fails the test at once; a difference is a test error that names the
// file and shows the first line that differs.
func Check[T ~string | ~[]byte](t testing.TB, path string, got T, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (rerun with -update if the change is intended):\n%s", path, FirstDiff(string(got), string(want)))
	}
}

// FirstDiff describes the first line where got and want differ, or says
// that no line does (they may still differ in a final newline).
func FirstDiff(got, want string) string {
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(gl), len(wl)) {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + g + "\n  want: " + w
		}
	}
	return "(no line differs)"
}
