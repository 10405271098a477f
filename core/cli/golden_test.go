package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/core/config"
	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/cli/*.out, *.jsonl, docs examples are never rewritten)")

// scriptDir holds the CLI scripts at the repository root.
const scriptDir = "../../testdata/cli"

// testOptions boots layers from testdata/cli/small.conf, the configuration
// the scripts and the examples of docs/cli.md are written for.
func testOptions(t testing.TB) Options {
	t.Helper()
	f, err := config.ParseFile(filepath.Join(scriptDir, "small.conf"), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return FromConfig(f)
}

func newTestExecutor(t testing.TB) *Executor {
	t.Helper()
	x, err := New(testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// runScript runs a script file in a fresh executor and returns its output.
func runScript(t *testing.T, path string, json bool) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	x := newTestExecutor(t)
	failed, err := x.RunScript(f, ScriptOptions{Name: filepath.Base(path), Out: &out, JSON: json, Echo: !json})
	if err != nil {
		t.Fatal(err)
	}
	if failed != 0 {
		t.Errorf("%s: %d commands failed (scripts state expected failures with `expect`):\n%s", path, failed, tail(out.String(), 15))
	}
	return out.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestScripts runs every script of testdata/cli (the reproductions of VPP's
// session_test.c and test_session.py cases, and sessionlab's own) and
// compares the text output (echoed commands) with <script>.out and the
// JSON lines with <script>.jsonl.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scriptDir, "*.cli"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in " + scriptDir)
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".cli")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(src, []byte("#")) {
				t.Errorf("%s: a script starts with a comment saying what it reproduces or shows", path)
			}
			base := strings.TrimSuffix(path, ".cli")
			golden.Check(t, base+".out", runScript(t, path, false), *update)
			golden.Check(t, base+".jsonl", runScript(t, path, true), *update)
		})
	}
}
