package apps

import (
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
	"github.com/sessionlab/sessionlab/sim/internal/cost"
	"github.com/sessionlab/sessionlab/sim/internal/metrics"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// pair attaches a cut-through sink and a client in one namespace (no
// transport needed) and returns the set and a function that runs the
// layer and the models to quiescence.
func pair(t *testing.T, client scenario.App) (*Set, *App, func()) {
	t.Helper()
	l, err := session.New(session.Options{Config: session.Config{HeapSegments: true,
		V4SessionBuckets: 1024, V4SessionMemory: 4 << 20, V6SessionBuckets: 1024, V6SessionMemory: 4 << 20,
		V4HalfOpenBuckets: 1024, V4HalfOpenMemory: 1 << 20, V6HalfOpenBuckets: 1024, V6HalfOpenMemory: 1 << 20,
		LocalEndpointsBuckets: 1024, LocalEndpointsMemory: 8 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	if err := l.Enable(session.EngineRuleTable); err != nil {
		t.Fatal(err)
	}
	rec := metrics.New(true)
	rec.StartMeasuring()
	now := int64(0)
	s := NewSet(Env{Layer: l, Ledger: cost.NewLedger(nil), Rec: rec, Sessions: metrics.NewSessions(l.NumThreads()), Now: func() int64 { return now }})
	sink := scenario.App{Name: "sink", Kind: scenario.AppSink, Namespace: scenario.DefaultNamespace, Scope: scenario.ScopeLocal,
		RxFifo: 4096, TxFifo: 4096}
	ep, _ := scenario.ParseEndpoint("tcp://0.0.0.0:7000")
	sink.Listen = []scenario.Endpoint{ep}
	if _, err := s.Attach(&sink); err != nil {
		t.Fatal(err)
	}
	client.Name, client.Kind, client.Namespace, client.Scope = "client", scenario.AppClient, scenario.DefaultNamespace, scenario.ScopeLocal
	to, _ := scenario.ParseEndpoint("tcp://127.0.0.1:7000")
	client.Connect = &to
	client.RxFifo, client.TxFifo = 4096, 4096
	c, err := s.Attach(&client)
	if err != nil {
		t.Fatal(err)
	}
	settle := func() {
		for range 10000 {
			if l.PollAll(now, 4)+s.Run() == 0 {
				return
			}
		}
		t.Fatal("did not settle")
	}
	return s, c, settle
}

// TestClientPacing: a client opens its sessions at its rate, never more
// than its concurrency at once, and stops at its session count.
func TestClientPacing(t *testing.T) {
	s, c, settle := pair(t, scenario.App{Rate: 1000, Concurrency: 2, Sessions: 5, Request: 10000})
	c.Start(0)
	if d := c.NextDue(); d != 0 {
		t.Fatalf("first connect due at %d, want 0", d)
	}
	if n := c.Tick(2_500_000); n != 2 {
		t.Fatalf("at 2.5 ms with concurrency 2: %d connects, want 2", n)
	}
	if c.NextDue() != -1 {
		t.Fatal("a connect is due with the concurrency used up")
	}
	settle()
	// 10000 bytes through a 4 KiB cut-through fifo: the sink's reads wake
	// the blocked writer until the request is through; the client closes.
	if c.open != 0 || s.env.Rec.Get(metrics.AppBytes) != 2*10000 {
		t.Fatalf("after settling: %d open, %d bytes read; want 0 and 20000", c.open, s.env.Rec.Get(metrics.AppBytes))
	}
	// The schedule continues from where it was (1 ms apart), not from now.
	if d := c.NextDue(); d != 2_000_000 {
		t.Fatalf("next connect due at %d, want 2 ms", d)
	}
	total := 2
	for now := int64(2_000_000); c.NextDue() >= 0; now += 1_000_000 {
		total += c.Tick(now)
		settle()
	}
	if total != 5 || !s.ClientsDone() {
		t.Fatalf("%d sessions opened, done %v; want 5 and done", total, s.ClientsDone())
	}
	if n := s.CloseAll(); n != 0 {
		t.Fatalf("CloseAll closed %d sessions of a finished client", n)
	}
	if err := s.DetachAll(); err != nil {
		t.Fatal(err)
	}
	settle()
	if k := s.env.Layer.LeakCheck(); !k.Empty() {
		t.Fatalf("leaks %+v", k)
	}
}

// TestScaleRate: the NDR/PDR search's load changes a client's rate.
func TestScaleRate(t *testing.T) {
	_, c, _ := pair(t, scenario.App{Rate: 100, Concurrency: 1000})
	c.ScaleRate(1000)
	c.Start(0)
	if n := c.Tick(999_999_999); n != 1000 {
		t.Fatalf("%d connects in a second at 1000/s", n)
	}
	if !c.IsClient() || c.Rate() != 1000 {
		t.Fatalf("client %v rate %v", c.IsClient(), c.Rate())
	}
}
