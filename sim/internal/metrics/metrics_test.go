package metrics

import (
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
)

func TestCauses(t *testing.T) {
	seen := map[string]bool{}
	for c := range NumCauses {
		if c.String() == "" || c.Metric() == "" || seen[c.String()] || seen[c.Metric()] {
			t.Fatalf("cause %d: %q %q", c, c.String(), c.Metric())
		}
		seen[c.String()], seen[c.Metric()] = true, true
	}
	// The causes results document by name are spelled as results spells them.
	for c, want := range map[Cause]string{QueueFull: results.DropQueueFull, FifoFull: results.DropFifoFull,
		TableFull: results.DropTableFull, RuleDrop: results.DropRule, PoolExhausted: results.DropPoolExhausted} {
		if c.String() != want {
			t.Errorf("%d: %q, want %q", c, c.String(), want)
		}
	}
}

func TestRecorder(t *testing.T) {
	r := New(true)
	r.Drop(RuleDrop)
	r.Drop(RuleDrop)
	r.DropAtomic(QueueFull)
	if r.TotalDrops() != 3 || r.Drops(RuleDrop) != 2 || r.Drops(QueueFull) != 1 {
		t.Fatalf("drops %v", r.DropList())
	}
	if got := r.DropList(); len(got) != 2 || got[0].Cause != results.DropQueueFull || got[1].Count != 2 {
		t.Fatalf("drop list %v", got)
	}
	r.Sample(0, "sessions", "state", "ready", "sessions", 1)
	r.Sample(0, "sessions", "state", "closed", "sessions", 0)
	r.Sample(0, "fifo_fill", "", "", "B", 0)
	r.Sample(10, "sessions", "state", "ready", "sessions", 3)
	r.Sample(10, "sessions", "state", "closed", "sessions", 0)
	r.Sample(10, "fifo_fill", "", "", "B", 0)
	ss := r.Series()
	// An all-zero per-state series is left out; an unlabelled one stays.
	if len(ss) != 2 || ss[0].Name != "fifo_fill" || ss[1].Labels["state"] != "ready" || len(ss[1].Points) != 2 {
		t.Fatalf("series %+v", ss)
	}
	if r.Max("sessions") != 3 {
		t.Fatalf("max %v", r.Max("sessions"))
	}
	if hs := r.Histograms(); len(hs) != 3 || hs[0].Name != "packet" || hs[0].Count != 0 || hs[0].CDF != nil {
		t.Fatalf("empty histograms %+v", hs)
	}
}
