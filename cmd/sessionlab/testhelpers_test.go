package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// The helpers the command tests share: running a command in process, and
// putting cobra's flags and contexts back between runs.

// execute runs c with args, stdin and the output streams (nil for each:
// cobra's default), with ctx when it is not nil, and returns the exit code
// main would use with the command's error. c's args and streams are reset
// afterwards.
func execute(c *cobra.Command, ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, args ...string) (int, error) {
	c.SetArgs(args)
	c.SetIn(stdin)
	c.SetOut(stdout)
	c.SetErr(stderr)
	defer func() { c.SetArgs(nil); c.SetIn(nil); c.SetOut(nil); c.SetErr(nil) }()
	var err error
	if ctx != nil {
		err = c.ExecuteContext(ctx)
	} else {
		err = c.Execute()
	}
	if err == nil {
		return 0, nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, err
	}
	return 1, err
}

// runCLI runs `sessionlab args...` with ctx and returns stdout, stderr and
// the exit code main would use. Every flag is reset first.
func runCLI(t *testing.T, ctx context.Context, args ...string) (string, string, int) {
	t.Helper()
	resetAllFlags(rootCmd)
	setContext(rootCmd, ctx)
	var out, errb strings.Builder
	code, err := execute(rootCmd, ctx, nil, &out, &errb, args...)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

// runConfig runs `sessionlab args...` with stdin and returns stdout and the
// exit code main would use.
func runConfig(t *testing.T, stdin string, args ...string) (string, int, error) {
	t.Helper()
	var out strings.Builder
	code, err := execute(rootCmd, nil, strings.NewReader(stdin), &out, nil, args...)
	return out.String(), code, err
}

// resetFlags puts every flag of c back to its default.
func resetFlags(c *cobra.Command) {
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			_ = sv.Replace(nil)
		} else {
			_ = f.Value.Set(f.DefValue)
		}
		f.Changed = false
	})
}

// resetAllFlags puts every flag of the command tree back to its default,
// so tests sharing rootCmd do not see each other's flags.
func resetAllFlags(c *cobra.Command) {
	resetFlags(c)
	for _, sub := range c.Commands() {
		resetAllFlags(sub)
	}
}

// setContext gives every command of the tree ctx: cobra hands a
// subcommand the root's context only when it has none yet, so a context
// from an earlier test would otherwise stick.
func setContext(c *cobra.Command, ctx context.Context) {
	c.SetContext(ctx)
	for _, sub := range c.Commands() {
		setContext(sub, ctx)
	}
}

// useEngine makes run, sweep and search use e for the rest of the test.
func useEngine(t *testing.T, e runner.Engine) {
	t.Helper()
	old := engineFor
	engineFor = func(scenario.Mode) (runner.Engine, error) { return e, nil }
	t.Cleanup(func() { engineFor = old })
}

// writeScenario writes text to a scenario file in a temporary directory
// and returns its path.
func writeScenario(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cli.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
