// Command sessionlab is the one binary of the sessionlab framework: it checks
// VPP startup.conf files, drives the session-layer model from VPP-style CLI
// commands, replays and generates traffic, runs scenarios and sweeps, and turns
// results into reports and CI verdicts.
//
// Each subcommand lives in its own file and registers itself on rootCmd from an
// init function, so adding a command never touches another command's file.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/internal/version"
)

// rootCmd is initialised before any init function runs (package-level
// variables come first), so subcommand files may add themselves to it.
var rootCmd = &cobra.Command{
	Use:           "sessionlab",
	Short:         "Benchmark and simulate VPP's host-stack session layer",
	Long:          "sessionlab re-implements VPP's host-stack session layer in Go and measures it:\nstartup.conf checks, VPP-style CLI, pcap/synthetic/veth traffic, scenario sweeps,\nNDR/PDR search, reports and statistically sound comparisons.",
	Version:       version.String(),
	SilenceUsage:  true,
	SilenceErrors: true,
}

// exitError carries a specific process exit code through cobra's error path.
// Commands return it when the exit status is part of their contract (for
// example `compare` exits 1 on a confirmed regression).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// withExitCode wraps err so that main exits with code. A nil err with a
// non-zero code exits silently with that code (the command already printed).
func withExitCode(code int, err error) error { return &exitError{code: code, err: err} }

func main() {
	rootCmd.SetVersionTemplate("sessionlab {{.Version}}\n")
	err := rootCmd.Execute()
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			os.Exit(code)
		}
	}
	fmt.Fprintln(os.Stderr, "sessionlab:", err)
	os.Exit(code)
}
