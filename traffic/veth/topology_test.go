package veth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/sessionlab/sessionlab/traffic/internal/netnsutil"
)

func names(rs []Resource) []string {
	var out []string
	for _, r := range rs {
		n := r.Kind + " " + r.Name
		if r.Namespace != "" {
			n += "@" + r.Namespace
		}
		out = append(out, n)
	}
	return out
}

// testPrefix returns a prefix no other test run uses, so Cleanup in one test
// cannot touch another run's objects.
func testPrefix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return fmt.Sprintf("t%c%c-", alphabet[rand.IntN(36)], alphabet[rand.IntN(36)])
}

func TestTopologyLifecycle(t *testing.T) {
	requireRoot(t)
	prefix := testPrefix()
	topo := newTopology(t, Config{Prefix: prefix, MTU: 9000})
	a, b := topo.End(A), topo.End(B)
	if a.Namespace != prefix+topo.Name+"-a" || b.Link != prefix+topo.Name+"-b" {
		t.Fatalf("names %q %q", a.Namespace, b.Link)
	}
	if a.Index == 0 || b.Index == 0 || len(a.MAC) != 6 || a.Addr != netip.MustParsePrefix("10.201.0.1/24") {
		t.Fatalf("endpoints %+v %+v", a, b)
	}
	got, err := List(prefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"netns " + a.Namespace, "link " + a.Link + "@" + a.Namespace, "netns " + b.Namespace, "link " + b.Link + "@" + b.Namespace}
	if !slices.Equal(names(got), want) {
		t.Fatalf("List = %v, want %v", names(got), want)
	}
	for _, r := range got {
		if r.Kind == "link" && (!strings.Contains(r.Detail, "mtu 9000") || !strings.Contains(r.Detail, "veth")) {
			t.Errorf("link detail %q", r.Detail)
		}
	}
	// End A carries its kernel address, end B none (sessionlab owns it).
	if !strings.Contains(got[1].Detail, "10.201.0.1/24") || strings.Contains(got[3].Detail, "inet") {
		t.Errorf("addresses: A %q, B %q", got[1].Detail, got[3].Detail)
	}
	// Nothing appears in the caller's namespace.
	if l, err := netlink.LinkByName(a.Link); err == nil {
		t.Errorf("link %s visible in the root namespace (index %d)", a.Link, l.Attrs().Index)
	}
	if err := topo.Close(); err != nil {
		t.Fatal(err)
	}
	if err := topo.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if got, _ := List(prefix); len(got) != 0 {
		t.Fatalf("after Close: %v", names(got))
	}
	if err := topo.Do(A, func() error { return nil }); err == nil {
		t.Fatal("Do on a closed topology succeeded")
	}
}

// TestPersistentAndCleanup covers `veth up` / `veth down`: a named topology
// survives Close, can be opened again, refuses a second New, and Cleanup
// removes it and nothing else: not a namespace whose name merely resembles
// the prefix, not a link of another type.
func TestPersistentAndCleanup(t *testing.T) {
	requireRoot(t)
	prefix := testPrefix()
	other := strings.TrimSuffix(prefix, "-") + "x-keep" // shares the letters, not the prefix
	ns, err := netnsutil.NewNamed(other)
	if err != nil {
		t.Fatal(err)
	}
	ns.Close()
	t.Cleanup(func() { _ = netnsutil.DeleteNamed(other) })

	topo, err := New(Config{Prefix: prefix, Name: "lab"})
	if err != nil {
		t.Fatal(err)
	}
	createdMu.Lock()
	created = append(created, prefix+"lab")
	createdMu.Unlock()
	if err := topo.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{Prefix: prefix, Name: "lab"}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second New of a persistent topology: %v", err)
	}
	again, err := Open(prefix, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if again.End(A).Index != topo.End(A).Index || again.End(B).Addr != topo.End(B).Addr || again.MTU != 1500 {
		t.Fatalf("Open gives %+v / %+v, New gave %+v / %+v", again.End(A), again.End(B), topo.End(A), topo.End(B))
	}
	if err := again.Do(B, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	again.Close()
	if _, err := Open(prefix, "nope"); err == nil {
		t.Fatal("Open of a missing topology succeeded")
	}

	removed, err := Cleanup(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"netns " + prefix + "lab-a", "netns " + prefix + "lab-b"}; !slices.Equal(names(removed), want) {
		t.Fatalf("Cleanup removed %v, want %v", names(removed), want)
	}
	if left, _ := netnsutil.ListNamed(other); len(left) != 1 {
		t.Fatalf("Cleanup removed an unrelated namespace %s", other)
	}
	if got, _ := List(prefix); len(got) != 0 {
		t.Fatalf("after Cleanup: %v", names(got))
	}
	if _, err := Cleanup(""); err == nil {
		t.Fatal("Cleanup with an empty prefix accepted")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Prefix: "toolong-"},
		{Prefix: "UP"},
		{Name: "has-dash"},
		{Name: "waytoolong"},
		{MTU: 10},
		{AddrA: netip.MustParsePrefix("::1/128")},
		{AddrA: netip.MustParsePrefix("10.0.0.1/24"), AddrB: netip.MustParsePrefix("10.0.0.1/24")},
	} {
		if err := c.setDefaults(); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
}

func TestCPUMask(t *testing.T) {
	for cpu, want := range map[int]string{-1: "0", 0: "00000001", 1: "00000002", 31: "80000000", 32: "00000001,00000000", 65: "00000002,00000000,00000000"} {
		if got := cpuMask(cpu); got != want {
			t.Errorf("cpuMask(%d) = %q, want %q", cpu, got, want)
		}
	}
}

// TestSteerReceive sets end B's RPS mask and reads it back through the
// namespace's own sysfs; out-of-range CPUs are refused before any write.
func TestSteerReceive(t *testing.T) {
	topo := newTopology(t, Config{})
	if err := topo.SteerReceive(B, runtime.NumCPU()); err == nil {
		t.Errorf("SteerReceive to CPU %d (NumCPU) accepted", runtime.NumCPU())
	}
	cpu := runtime.NumCPU() - 1
	if err := topo.SteerReceive(B, cpu); err != nil {
		t.Fatal(err)
	}
	e := topo.End(B)
	got, err := netnsutil.ReadSysfs(e.ns, "class/net/"+e.Link+"/queues/rx-0/rps_cpus")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimLeft(strings.ReplaceAll(got, ",", ""), "0") != strings.TrimLeft(strings.ReplaceAll(cpuMask(cpu), ",", ""), "0") {
		t.Errorf("rps_cpus = %q after steering to CPU %d (want %s)", got, cpu, cpuMask(cpu))
	}
	if err := topo.SteerReceive(B, -1); err != nil {
		t.Fatal(err)
	}
}
