package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// runCLISub runs `sessionlab cli args...` with stdin and returns stdout,
// stderr and the exit code main would use. Flags are reset first: cobra
// keeps their values between runs in one process.
func runCLISub(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var cmd *cobra.Command
	for _, c := range rootCmd.Commands() {
		if c.Name() == "cli" {
			cmd = c
		}
	}
	if cmd == nil {
		t.Fatal("no cli command")
	}
	resetFlags(cmd)
	var out, errOut bytes.Buffer
	code, _ := execute(rootCmd, nil, strings.NewReader(stdin), &out, &errOut, append([]string{"cli"}, args...)...)
	return out.String(), errOut.String(), code
}

// TestCLIScriptMatchesGolden runs a testdata script through the binary's
// flags: the output is exactly what core/cli's golden file pins.
func TestCLIScriptMatchesGolden(t *testing.T) {
	t.Chdir("../..")
	for _, name := range []string{"rules", "close_state_machine"} {
		out, _, code := runCLISub(t, "", "-c", "testdata/cli/small.conf", "--echo", "-f", "testdata/cli/"+name+".cli")
		want, err := os.ReadFile("testdata/cli/" + name + ".out")
		if err != nil {
			t.Fatal(err)
		}
		if code != 0 || out != string(want) {
			t.Errorf("%s: exit %d, output differs from testdata/cli/%s.out:\n%s", name, code, name, out)
		}
		out, _, code = runCLISub(t, "", "-c", "testdata/cli/small.conf", "--json", "-f", "testdata/cli/"+name+".cli")
		want, _ = os.ReadFile("testdata/cli/" + name + ".jsonl")
		if code != 0 || out != string(want) {
			t.Errorf("%s --json: exit %d, output differs from testdata/cli/%s.jsonl", name, code, name)
		}
	}
}

func TestCLIExecAndExitCodes(t *testing.T) {
	t.Chdir("../..")
	out, _, code := runCLISub(t, "", "-c", "testdata/cli/small.conf",
		"-e", "session enable rt-backend rule-table; app ns add id blue secret 4 ip4-fib-id 0", "-e", "show app ns")
	if code != 0 || !strings.Contains(out, "4      -         blue") {
		t.Errorf("-e: exit %d:\n%s", code, out)
	}

	// A failure stops the run with exit 1 and names -e, the position, the
	// command and the error.
	out, errOut, code := runCLISub(t, "", "-c", "testdata/cli/small.conf", "-e", "session enable rt-backend rule-table; frob; show session")
	if code != 1 || !strings.Contains(errOut, "-e:2: frob: unknown input `frob'") || strings.Contains(out, "Thread") {
		t.Errorf("failure: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// --keep-going runs the rest and still exits 1.
	out, _, code = runCLISub(t, "", "-c", "testdata/cli/small.conf", "--keep-going", "-e", "session enable rt-backend rule-table; frob; show session")
	if code != 1 || !strings.Contains(out, "Thread 0: no sessions") {
		t.Errorf("keep-going: exit %d, stdout %q", code, out)
	}

	// Standard input is a script when it is not a terminal; --json prints
	// one object per command with the script's line numbers.
	out, _, code = runCLISub(t, "# a script\nsession enable rt-backend rule-table\n\nshow session\n", "--json")
	if code != 0 || !strings.HasPrefix(out, `{"line":2,"cmd":"session enable rt-backend rule-table","ok":true`) ||
		!strings.Contains(out, `{"line":4,"cmd":"show session","ok":true`) {
		t.Errorf("stdin --json: exit %d:\n%s", code, out)
	}

	// Without -c the layer starts disabled, as VPP does.
	_, errOut, code = runCLISub(t, "", "-e", "show session")
	if code != 1 || !strings.Contains(errOut, "session layer is not enabled") {
		t.Errorf("disabled layer: exit %d, stderr %q", code, errOut)
	}

	// An unreadable script or a startup.conf VPP would refuse: exit 2.
	if _, _, code = runCLISub(t, "", "-f", "testdata/cli/no-such-script.cli"); code != 2 {
		t.Errorf("missing script: exit %d, want 2", code)
	}
	bad := t.TempDir() + "/bad.conf"
	if err := os.WriteFile(bad, []byte("session { frobnicate }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code = runCLISub(t, "", "-c", bad, "-e", "show session"); code != 2 {
		t.Errorf("bad startup.conf: exit %d, want 2", code)
	}

	// A startup.conf that enables the layer: no `session enable` needed.
	good := t.TempDir() + "/good.conf"
	if err := os.WriteFile(good, []byte("session { enable rt-backend rule-table\n"+
		"v4-session-table-buckets 64 v4-session-table-memory 64k v4-halfopen-table-buckets 16 v4-halfopen-table-memory 16k\n"+
		"v6-session-table-buckets 64 v6-session-table-memory 64k v6-halfopen-table-buckets 16 v6-halfopen-table-memory 16k\n"+
		"local-endpoints-table-buckets 64 local-endpoints-table-memory 64k }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLISub(t, "", "-c", good, "-e", "show session")
	if code != 0 || !strings.Contains(out, "Thread 0: no sessions") {
		t.Errorf("enabled by startup.conf: exit %d, %q", code, out)
	}
}

// -c takes commands when its value is not a file and reads as commands
// (`sessionlab cli -c 'cmd; cmd'`), and a startup.conf otherwise; a
// missing file stays a missing file.
func TestCLIDashCCommandsOrConfig(t *testing.T) {
	out, _, code := runCLISub(t, "", "-c", "session enable rt-backend rule-table; show session")
	if code != 0 || !strings.Contains(out, "Thread 0: no sessions") {
		t.Errorf("-c commands: exit %d, output %q", code, out)
	}
	conf := filepath.Join(t.TempDir(), "startup.conf")
	if err := os.WriteFile(conf, []byte("session {\n  enable\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code = runCLISub(t, "", "-c", conf, "-e", "show session")
	if code != 0 || !strings.Contains(out, "Thread 0: no sessions") {
		t.Errorf("-c startup.conf: exit %d, output %q", code, out)
	}
	for _, c := range rootCmd.Commands() {
		if c.Name() == "cli" {
			resetFlags(c)
		}
	}
	var sink bytes.Buffer
	code, err := execute(rootCmd, nil, strings.NewReader(""), &sink, &sink, "cli", "-c", "missing.conf", "-e", "show session")
	if code != 2 || err == nil || !strings.Contains(err.Error(), "missing.conf") {
		t.Errorf("-c missing file: exit %d, error %v", code, err)
	}
}
