package netnsutil

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func requireRoot(t *testing.T) {
	t.Helper()
	var hdr unix.CapUserHeader
	hdr.Version = unix.LINUX_CAPABILITY_VERSION_3
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil || data[0].Effective&(1<<unix.CAP_SYS_ADMIN) == 0 {
		t.Skip("needs CAP_SYS_ADMIN (runs in CI as root)")
	}
}

// tempNamespace creates a named namespace (root only, else the test skips)
// that the test's cleanup closes and deletes.
func tempNamespace(t *testing.T) (string, netns.NsHandle) {
	t.Helper()
	requireRoot(t)
	name := fmt.Sprintf("nsu-%d", rand.Uint32())
	ns, err := NewNamed(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ns.Close()
		if err := DeleteNamed(name); err != nil {
			t.Error(err)
		}
	})
	return name, ns
}

// TestDoRestoresNamespace runs code in a fresh namespace many times and
// checks that no goroutine ever sees the namespace afterwards: each Do's
// thread must come back to the original namespace (or die).
func TestDoRestoresNamespace(t *testing.T) {
	name, ns := tempNamespace(t)
	if _, err := NewNamed(name); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second NewNamed: %v, want ErrExist", err)
	}
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	for i := 0; i < 50; i++ {
		var inside netns.NsHandle
		err := Do(ns, func() (err error) {
			inside, err = netns.Get()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !inside.Equal(ns) {
			t.Fatalf("fn ran in %v, want %v", inside, ns)
		}
		inside.Close()
		cur, err := netns.Get()
		if err != nil {
			t.Fatal(err)
		}
		if !cur.Equal(orig) {
			t.Fatalf("after Do the calling thread is in %v, want %v", cur, orig)
		}
		cur.Close()
	}
	if err := Do(ns, func() error { return errors.New("boom") }); err == nil || err.Error() != "boom" {
		t.Fatalf("fn's error not returned: %v", err)
	}
	names, err := ListNamed("nsu-")
	if err != nil || !contains(names, name) {
		t.Fatalf("ListNamed = %v, %v", names, err)
	}
	// /proc/sys/net resolves against the writing thread's namespace: write
	// the opposite of the host's value inside and check the host keeps its.
	read := func() string {
		b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
		return strings.TrimSpace(string(b))
	}
	host := read()
	want := "1"
	if host == "1" {
		want = "0"
	}
	if err := WriteSysctl(ns, "net/ipv4/ip_forward", want); err != nil {
		t.Fatal(err)
	}
	var inNs string
	_ = Do(ns, func() error { inNs = read(); return nil })
	if inNs != want || read() != host {
		t.Fatalf("ip_forward: %q inside (want %q), %q outside (want %q)", inNs, want, read(), host)
	}
	if err := WriteSysctl(ns, "../etc/passwd", "x"); err == nil {
		t.Fatal("path escape accepted")
	}
}

func TestCheckName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", "x\x00"} {
		if err := checkName(bad); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if _, err := OpenNamed("does-not-exist-" + fmt.Sprint(rand.Uint32())); err == nil {
		t.Error("OpenNamed of a missing namespace succeeded")
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// TestSysfs writes an attribute of a device that exists only inside a fresh
// namespace (its own loopback's RPS mask), reads it back, and checks that
// this process's /sys still shows the host's devices afterwards.
func TestSysfs(t *testing.T) {
	_, ns := tempNamespace(t)
	hostBefore, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Skipf("no /sys/class/net here: %v", err)
	}
	const rel = "class/net/lo/queues/rx-0/rps_cpus"
	if err := WriteSysfs(ns, rel, "1"); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			t.Skipf("kernel without RPS: %v", err)
		}
		t.Fatal(err)
	}
	got, err := ReadSysfs(ns, rel)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := strconv.ParseUint(strings.ReplaceAll(got, ",", ""), 16, 64); err != nil || v != 1 {
		t.Fatalf("rps_cpus reads %q after writing 1", got)
	}
	hostAfter, err := os.ReadDir("/sys/class/net")
	if err != nil || len(hostAfter) != len(hostBefore) {
		t.Fatalf("host /sys/class/net changed: %d entries before, %d after (%v)", len(hostBefore), len(hostAfter), err)
	}
	for _, bad := range []string{"", "/class/net", "class/../../etc"} {
		if err := WriteSysfs(ns, bad, "1"); err == nil {
			t.Errorf("WriteSysfs(%q) accepted", bad)
		}
	}
}
