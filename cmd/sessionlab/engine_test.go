package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// TestEngineWired: run, sweep and search find the simulator, and compare
// --run its runner; `run` with the real engine writes a valid document of
// the engine's metrics.
func TestEngineWired(t *testing.T) {
	// Other tests replace the hooks with stand-ins; install the real ones
	// as init does.
	oldEngine, oldRunner := engineFor, compareRunner
	t.Cleanup(func() { engineFor, compareRunner = oldEngine, oldRunner })
	installEngine()
	e, err := engineFor(scenario.ModeSim)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.(*sim.Engine); !ok {
		t.Fatalf("engineFor gives %T, want *sim.Engine", e)
	}
	if compareRunner == nil {
		t.Fatal("compare --run has no runner")
	}
	path := writeScenario(t, cliScenario)
	out := filepath.Join(t.TempDir(), "r.json")
	stdout, stderr, code := runCLI(t, context.Background(), "run", path, "-o", out, "--set", "duration=100ms", "--repetitions", "1")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	d, err := results.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(d.MetricNames(), " ")
	for _, m := range []string{"offered_packets", "packets_per_second", "sessions_leaked", "packet_latency_p99"} {
		if !strings.Contains(names, m) {
			t.Errorf("no metric %s in %s", m, names)
		}
	}
}
