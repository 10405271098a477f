package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleOutput = `pkg: example.com/p
BenchmarkCycle/impl=fast-2   	 100	 800 ns/op	 1250000 cycles/s
BenchmarkCycle/impl=slow-2   	 100	 1600 ns/op	 625000 cycles/s
`

func runTargets(t *testing.T, targets string) string {
	t.Helper()
	groups, order, _, err := parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(path, []byte(targets), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := checkTargets(&out, path, groups, order); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestRatioTargets(t *testing.T) {
	out := runTargets(t, "p.Cycle$ fast slow ns/op >= 1.5\np.Cycle$ fast slow ns/op >= 3\n")
	if !strings.Contains(out, "PASS  example.com/p.Cycle: fast vs slow ns/op = 2.00x") ||
		!strings.Contains(out, "MISS  example.com/p.Cycle: fast vs slow ns/op = 2.00x (target >= 3.00)") {
		t.Fatalf("ratio targets:\n%s", out)
	}
}

func TestAbsoluteTargets(t *testing.T) {
	out := runTargets(t, "p.Cycle$ fast - cycles/s >= 1e6\np.Cycle$ slow - cycles/s >= 1e6\np.Cycle$ none - cycles/s >= 1\n")
	for _, want := range []string{
		"PASS  example.com/p.Cycle: fast cycles/s = 1250000 (target >= 1000000)",
		"MISS  example.com/p.Cycle: slow cycles/s = 625000.0 (target >= 1000000)",
		"----  p.Cycle$ none - cycles/s >= 1: not measured",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
