package veth

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/sessionlab/sessionlab/traffic/internal/netnsutil"
)

// privileged is nil when this process may build topologies; otherwise it
// says which permission is missing, and root-only tests skip with it.
var privileged = CheckPrivileges()

// requireRoot skips t unless the process holds the capabilities topologies
// need.
func requireRoot(t testing.TB) {
	t.Helper()
	if privileged != nil {
		t.Skipf("needs root or CAP_SYS_ADMIN+CAP_NET_ADMIN+CAP_NET_RAW (runs in CI): %v", privileged)
	}
}

var (
	createdMu sync.Mutex
	created   []string // Prefix+Name of every topology the tests made
)

// newTopology builds a fresh topology for t and removes it when t ends.
func newTopology(t testing.TB, cfg Config) *Topology {
	t.Helper()
	requireRoot(t)
	topo, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	createdMu.Lock()
	created = append(created, topo.Prefix+topo.Name)
	createdMu.Unlock()
	t.Cleanup(func() {
		if err := topo.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return topo
}

// leftovers lists namespaces and links (in this namespace) whose names start
// with one of the given name stems.
func leftovers(stems []string) []string {
	var out []string
	ns, _ := netnsutil.ListNamed("")
	links, _ := netlink.LinkList()
	for _, s := range stems {
		for _, n := range ns {
			if strings.HasPrefix(n, s) {
				out = append(out, "netns "+n)
			}
		}
		for _, l := range links {
			if strings.HasPrefix(l.Attrs().Name, s) {
				out = append(out, "link "+l.Attrs().Name)
			}
		}
	}
	return out
}

// TestMain runs the tests and then checks that nothing they created is
// left: no open topology, no namespace and no link with a name any test
// topology used. It checks only this process's names, so it stays correct
// while other test binaries build topologies of their own in parallel.
//
// An interrupted test run (Ctrl-C, SIGTERM from a CI timeout) closes every
// open topology before it exits, so it too leaves nothing behind.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		// A fuzz worker builds no topologies, and its coordinator owns
		// interrupt handling.
		os.Exit(m.Run())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "veth tests: %v: removing open topologies %v\n", s, Live())
		if err := CloseAll(); err != nil {
			fmt.Fprintln(os.Stderr, "veth tests:", err)
		}
		os.Exit(130)
	}()
	code := m.Run()
	if live := Live(); len(live) > 0 {
		fmt.Fprintf(os.Stderr, "veth tests: topologies still open after the tests: %v\n", live)
		code = 1
	}
	if left := leftovers(created); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "veth tests: left behind: %v\n", left)
		code = 1
	}
	os.Exit(code)
}
