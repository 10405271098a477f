//go:build linux

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/traffic/veth"
)

func requireVethPrivileges(t *testing.T) {
	t.Helper()
	if err := veth.CheckPrivileges(); err != nil {
		t.Skipf("needs root or CAP_SYS_ADMIN+CAP_NET_ADMIN+CAP_NET_RAW (runs in CI): %v", err)
	}
}

// TestVethCommands walks the lifecycle a user does: up, status, run against
// the persistent topology, down, status again. A random prefix keeps the
// test away from anything else on the machine.
func TestVethCommands(t *testing.T) {
	requireVethPrivileges(t)
	prefix := fmt.Sprintf("c%d-", rand.IntN(100))
	t.Cleanup(func() { _, _ = veth.Cleanup(prefix) })

	out, code, err := runConfig(t, "", "veth", "up", "clitest", "--prefix", prefix, "--mtu", "1500", "--addr-a", "", "--addr-b", "", "--kernel-addr-b=false")
	if code != 0 || !strings.Contains(out, "topology "+prefix+"clitest is up") {
		t.Fatalf("up: code %d, %v\n%s", code, err, out)
	}
	out, code, err = runConfig(t, "", "veth", "status", "--prefix", prefix)
	if code != 0 || !strings.Contains(out, "netns "+prefix+"clitest-a") || !strings.Contains(out, "link "+prefix+"clitest-b") {
		t.Fatalf("status: code %d, %v\n%s", code, err, out)
	}
	out, code, err = runConfig(t, "", "veth", "run", "--prefix", prefix, "--topology", "clitest", "--count", "2000", "--rate", "10000",
		"--proto", "tcp", "--tcp", "syn", "--size", "0", "--flows", "2", "--workers", "1", "--ring", "auto", "--tx", "txring", "--reply", "--drain", "1s")
	if code != 0 || !strings.Contains(out, "received  2000 via tpacketv2") || !strings.Contains(out, "0 lost") || !strings.Contains(out, "replies   2000 sent, 2000 timed") {
		t.Fatalf("run: code %d, %v\n%s", code, err, out)
	}
	out, code, err = runConfig(t, "", "veth", "down", "--prefix", prefix)
	if code != 0 || !strings.Contains(out, "removed netns "+prefix+"clitest-a") {
		t.Fatalf("down: code %d, %v\n%s", code, err, out)
	}
	out, _, _ = runConfig(t, "", "veth", "status", "--prefix", prefix)
	if !strings.Contains(out, "no namespaces or links named "+prefix) {
		t.Fatalf("status after down:\n%s", out)
	}
	_, code, err = runConfig(t, "", "veth", "run", "--prefix", prefix, "--ring", "tpacketv9", "--topology", "", "--tcp", "data", "--tx", "txring")
	if code != 2 || err == nil || !strings.Contains(err.Error(), "tpacketv9") {
		t.Fatalf("bad --ring: code %d, %v", code, err)
	}
}

// TestVethNeedsNetAdmin runs `veth up` in a child without CAP_NET_ADMIN:
// it must fail and name that capability.
func TestVethNeedsNetAdmin(t *testing.T) {
	if os.Getenv("SESSIONLAB_VETH_HELPER") != "" {
		_, code, err := runConfig(t, "", "veth", "up", "x", "--prefix", "c-")
		fmt.Printf("code=%d err=%v\n", code, err)
		return
	}
	requireVethPrivileges(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	cmd := exec.Command(setpriv, "--bounding-set=-net_admin", "--inh-caps=-net_admin", os.Args[0], "-test.run=^TestVethNeedsNetAdmin$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SESSIONLAB_VETH_HELPER=1")
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "code=1 err=veth: missing permission: CAP_NET_ADMIN") {
		t.Fatalf("veth up without CAP_NET_ADMIN:\n%s", out)
	}
}
