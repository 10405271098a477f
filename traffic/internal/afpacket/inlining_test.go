package afpacket

import (
	"os/exec"
	"strings"
	"testing"
)

// TestInlining asserts that the per-frame helpers stay inlinable: each is
// called once or more per received or sent frame, and a call costs more
// than the helper's body.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the package")
	}
	want := []string{
		"htons",
		"statusWord",
		"(*RxRing).block",
		"(*RxRing).blockStatus",
		"(*RxRing).slot",
		"(*TxRing).slot",
		"(*Frame).Losing",
	}
	checkInlined(t, ".", want)
}

func checkInlined(t *testing.T, pkg string, want []string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command on PATH: %v", err)
	}
	out, err := exec.Command(goBin, "build", "-gcflags=-m", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range want {
		if !strings.Contains(string(out), "can inline "+fn+"\n") && !strings.Contains(string(out), "can inline "+fn+" ") {
			t.Errorf("%s is no longer inlinable", fn)
		}
	}
}
