package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstDiff(t *testing.T) {
	for _, c := range []struct{ got, want, out string }{
		{"a\nb\nc", "a\nx\nc", "line 2:\n  got:  b\n  want: x"},
		{"a\nb", "a\nb\nc", "line 3:\n  got:  \n  want: c"},
		{"a\nb", "a\nb", "(no line differs)"},
	} {
		if got := FirstDiff(c.got, c.want); got != c.out {
			t.Errorf("FirstDiff(%q, %q) = %q, want %q", c.got, c.want, got, c.out)
		}
	}
}

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	Check(t, path, "one\ntwo\n", true)
	if b, err := os.ReadFile(path); err != nil || string(b) != "one\ntwo\n" {
		t.Fatalf("update wrote %q, %v", b, err)
	}
	Check(t, path, []byte("one\ntwo\n"), false)
}
