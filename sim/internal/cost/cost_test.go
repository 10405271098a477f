package cost

import (
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/sim/scenario"
)

func TestBuiltin(t *testing.T) {
	m := BuiltinModel()
	for op := range NumOps {
		if m.PS[op] <= 0 {
			t.Errorf("%s costs %d ps", op, m.PS[op])
		}
		if op.String() == "" || strings.HasPrefix(op.String(), "op") {
			t.Errorf("op %d has no name", op)
		}
	}
	if m.Source != Builtin || !strings.Contains(m.Describe(), "built-in") {
		t.Errorf("source %v, %q", m.Source, m.Describe())
	}
}

func TestApply(t *testing.T) {
	v, neg := 12.5, -3.0
	m := BuiltinModel().Apply(scenario.Costs{LookupNS: &v, AcceptNS: &neg})
	if m.PS[Lookup] != 12500 || m.PS[Accept] != 0 {
		t.Errorf("lookup %d ps, accept %d ps", m.PS[Lookup], m.PS[Accept])
	}
	if len(m.Overridden) != 2 || !strings.Contains(m.Describe(), "overridden by the scenario for lookup accept") {
		t.Errorf("overridden %v: %q", m.Overridden, m.Describe())
	}
	if b := BuiltinModel(); b.PS[Insert] != m.PS[Insert] {
		t.Error("an unset cost changed")
	}
}

func TestLedger(t *testing.T) {
	m := BuiltinModel()
	l := NewLedger(&m)
	l.Charge(Lookup, 3)
	l.ChargeBytes(Enqueue, 1000)
	want := 3*m.PS[Lookup] + m.PS[Enqueue] + 1000*m.PS[EnqueueByte]
	if got := l.NS(); got != (want+999)/1000 {
		t.Errorf("%d ns, want %d", got, (want+999)/1000)
	}
	l.Reset()
	if l.NS() != 0 {
		t.Errorf("%d ns after Reset", l.NS())
	}
	// One picosecond of work is a whole nanosecond of time.
	l.ps = 1
	if l.NS() != 1 {
		t.Errorf("1 ps rounds to %d ns", l.NS())
	}
	l.Reset()
	l.SetStructure(2, 0.5)
	l.ChargeLookup(1)
	l.ChargeInsert()
	want = m.PS[Lookup] + 2*m.PS[LinearKey] + m.PS[Insert] + m.PS[SplitKey]/2
	if l.ps != want {
		t.Errorf("structure surcharges: %d ps, want %d", l.ps, want)
	}
	var off Ledger
	off.Charge(Accept, 5)
	off.ChargeLookup(2)
	if off.NS() != 0 || off.Active() {
		t.Error("a ledger without a model charged")
	}
}

func TestCalibrate(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("times the core (slow and meaningless under the race detector)")
	}
	m, err := Calibrate()
	if err != nil {
		t.Fatal(err)
	}
	if m.Source != Calibrated || !strings.Contains(m.Describe(), "calibrated") {
		t.Errorf("source %v %q", m.Source, m.Describe())
	}
	for op := range NumOps {
		if m.PS[op] <= 0 {
			t.Errorf("%s calibrated to %d ps", op, m.PS[op])
		}
	}
	// Once per process.
	if m2, _ := Calibrate(); m2.PS != m.PS {
		t.Error("a second calibration differs")
	}
}
