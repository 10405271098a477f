package scenarios_test

import (
	"slices"
	"testing"

	"github.com/sessionlab/sessionlab/scenarios"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// TestBuiltinsValidate loads every built-in scenario exactly as `sessionlab
// run NAME` does (embedded files, every sweep point resolved).
func TestBuiltinsValidate(t *testing.T) {
	want := []string{"bucket-sweep", "close-storm", "cut-through", "default", "queue-sweep", "rules-scale", "veth-live"}
	if got := scenarios.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	for _, name := range scenarios.Names() {
		b, ok := scenarios.Read(name)
		if !ok {
			t.Fatalf("Read(%q) failed", name)
		}
		s, err := scenario.Parse("builtin:"+name, b, scenario.Options{Files: scenarios.FS()})
		if err != nil {
			t.Errorf("%s:\n%v", name, err)
			continue
		}
		if s.Name != name {
			t.Errorf("%s: name is %q, want the file's name", name, s.Name)
		}
		if s.Description == "" {
			t.Errorf("%s: no description", name)
		}
	}
}

func TestRead(t *testing.T) {
	if _, ok := scenarios.Read("../go.mod"); ok {
		t.Error("Read accepted a path")
	}
	if _, ok := scenarios.Read("nope"); ok {
		t.Error("Read found a scenario that does not exist")
	}
	if len(scenarios.Schema()) < 100 {
		t.Error("schema.json is not embedded")
	}
}
