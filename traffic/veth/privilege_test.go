package veth

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// withoutNetAdmin re-runs this test binary with CAP_NET_ADMIN removed from
// the capability bounding set (root keeps every other capability), running
// the tests matching run, and returns the combined output.
func withoutNetAdmin(t *testing.T, run string) string {
	t.Helper()
	requireRoot(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("setpriv (util-linux) not installed")
	}
	cmd := exec.Command(setpriv, "--bounding-set=-net_admin", "--inh-caps=-net_admin", os.Args[0], "-test.run=^"+run+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "SESSIONLAB_PRIV_HELPER=1")
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// TestWithoutNetAdmin checks the two promises for a process that lacks a
// capability: CheckPrivileges names exactly the missing one, and the
// root-only tests skip with that reason instead of failing.
func TestWithoutNetAdmin(t *testing.T) {
	if os.Getenv("SESSIONLAB_PRIV_HELPER") != "" {
		t.Skip("helper process")
	}
	out := withoutNetAdmin(t, "TestPrivilegeHelper")
	if !strings.Contains(out, "missing permission: CAP_NET_ADMIN (create veth links") || strings.Contains(out, "CAP_NET_RAW") {
		t.Fatalf("CheckPrivileges without CAP_NET_ADMIN says:\n%s", out)
	}
	out = withoutNetAdmin(t, "TestIntegration")
	if !strings.Contains(out, "--- SKIP: TestIntegration") || !strings.Contains(out, "CAP_NET_ADMIN") {
		t.Fatalf("TestIntegration without CAP_NET_ADMIN did not skip with the reason:\n%s", out)
	}
}

// TestPrivilegeHelper prints CheckPrivileges' verdict for TestWithoutNetAdmin.
func TestPrivilegeHelper(t *testing.T) {
	if os.Getenv("SESSIONLAB_PRIV_HELPER") == "" {
		t.Skip("runs only as TestWithoutNetAdmin's helper process")
	}
	t.Logf("CheckPrivileges: %v", CheckPrivileges())
}
