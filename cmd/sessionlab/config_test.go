package main

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// The command prints exactly what core/config's golden files pin.
func TestConfigCheckGolden(t *testing.T) {
	t.Chdir("../..")
	for _, c := range []struct {
		args   []string
		golden string
	}{
		{[]string{"config", "check", "--allow-small-queues=false", "--json=false", "examples/startup.conf"}, "check_example.txt"},
		{[]string{"config", "check", "--allow-small-queues=false", "--json", "examples/startup.conf"}, "check_example.json"},
		{[]string{"config", "defaults", "--json=false"}, "defaults.txt"},
		{[]string{"config", "defaults", "--json"}, "defaults.json"},
	} {
		out, code, err := runConfig(t, "", c.args...)
		if err != nil || code != 0 {
			t.Fatalf("%v: exit %d, %v", c.args, code, err)
		}
		want, err := os.ReadFile("core/config/testdata/" + c.golden)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("%v: output differs from core/config/testdata/%s:\n%s", c.args, c.golden, out)
		}
	}
}

func TestConfigCheckErrors(t *testing.T) {
	bad := "session {\n  v4-session-table-buckets 16k\n}\n"
	_, code, err := runConfig(t, bad, "config", "check", "--json=false", "-")
	if code != 1 || err == nil || err.Error() != "<stdin>:2:30: unknown input `k' (v4-session-table-buckets read the number 16 and stopped at `k': VPP numbers are plain decimal, with no suffix and no hex)" {
		t.Errorf("bad input: exit %d, %v", code, err)
	}
	out, code, _ := runConfig(t, bad, "config", "check", "--json", "-")
	var je struct {
		Error struct {
			File      string
			Line, Col int
			Text      string
			Message   string
		}
	}
	if code != 1 || json.Unmarshal([]byte(out), &je) != nil || je.Error.Line != 2 || je.Error.Col != 30 || je.Error.Text != "k" {
		t.Errorf("--json bad input: exit %d, output %s", code, out)
	}
	if _, code, err := runConfig(t, "", "config", "check", "--json=false", t.TempDir()+"/missing.conf"); code != 1 || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: exit %d, %v", code, err)
	}
	// Small queues: ignored by default, accepted with the flag.
	small := "session { wrk-mq-length 512 }"
	out, code, _ = runConfig(t, small, "config", "check", "--json=false", "--allow-small-queues=false", "-")
	if code != 0 || !strings.Contains(out, "event queue length 512 too small, ignored") {
		t.Errorf("small queue: exit %d\n%s", code, out)
	}
	out, code, _ = runConfig(t, small, "config", "check", "--json=false", "--allow-small-queues", "-")
	if code != 0 || !strings.Contains(out, "worker message queue:  512 entries") {
		t.Errorf("small queue allowed: exit %d\n%s", code, out)
	}
}
