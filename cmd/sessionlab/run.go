package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/pkg/profile"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

// engineFor returns the engine that runs a scenario's repetitions in the
// given mode. The simulator (package sim) sets it from its own file in
// this package (an init function), so that run, sweep and search find it
// without this file importing the engine; it is nil in builds without one.
var engineFor func(mode scenario.Mode) (runner.Engine, error)

// runFlags are the flags run and sweep share.
type runFlags struct {
	out         string
	sets        []string
	repetitions int
	mode        string
	jobs        int
	shard       string
	cpuprofile  string
	memprofile  string
	trace       string
}

const runLong = `Run a scenario: every sweep point, each repetition, on the simulated clock
(mode sim) or live. SCENARIO is a scenario file, or the name of a built-in
(builtin:default, or plain default when no file of that name exists; see
'sessionlab scenarios list').

The results document (docs/results.md) goes to -o (default out/results.json).
On a terminal a progress bar shows the finished repetitions; otherwise one
line per repetition goes to standard error. Ctrl-C (or SIGTERM) stops the
run: running repetitions are cancelled, everything that finished is written
marked "incomplete", and the exit status is 130.

--jobs N runs N sweep points at the same time in sim mode (repetitions of a
point always run in order). Live mode runs one repetition at a time whatever
--jobs says: concurrent live runs would compete for the same cores and
distort each other's throughput and latency.

--shard i/n runs only the points whose index modulo n is i, so n machines
(a CI matrix, a Kubernetes indexed job with --shard auto/n, which reads i
from JOB_COMPLETION_INDEX) share a large sweep; 'sessionlab merge' joins
their documents.

--set key=value overrides a scenario field (traffic[0].synth.rate=5000) or a
startup.conf parameter (session.wrk-mq-length=8192) before the sweep is
expanded; the value is YAML. See docs/scenarios.md.`

func addRunFlags(c *cobra.Command, f *runFlags) {
	fl := c.Flags()
	fl.StringVarP(&f.out, "output", "o", "out/results.json", "results document to write")
	fl.StringArrayVar(&f.sets, "set", nil, "override `key=value` (a field path or session.<keyword>; repeatable)")
	fl.IntVar(&f.repetitions, "repetitions", 0, "repetitions per point (default: the scenario's)")
	fl.StringVar(&f.mode, "mode", "", "run mode: sim or live (default: the scenario's)")
	fl.IntVar(&f.jobs, "jobs", 1, "sweep points run in parallel (sim mode; live mode always runs one at a time)")
	fl.StringVar(&f.shard, "shard", "", "run only shard `i/n` of the points (auto/n: i from JOB_COMPLETION_INDEX)")
	fl.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile to `file`")
	fl.StringVar(&f.memprofile, "memprofile", "", "write a heap profile to `file`")
	fl.StringVar(&f.trace, "trace", "", "write an execution trace to `file`")
}

func newRunCommand(use, short string) *cobra.Command {
	f := &runFlags{}
	c := &cobra.Command{
		Use:   use + " SCENARIO",
		Short: short,
		Long:  runLong,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenario(cmd, args[0], f)
		},
	}
	addRunFlags(c, f)
	return c
}

func init() {
	rootCmd.AddCommand(newRunCommand("run", "Run a scenario and write its results document"))
}

// loadForRun loads the scenario with the command line's overrides.
func loadForRun(arg string, f *runFlags) (*scenario.Scenario, error) {
	var sets []scenario.Override
	for _, s := range f.sets {
		o, err := scenario.ParseOverride(s)
		if err != nil {
			return nil, err
		}
		sets = append(sets, o)
	}
	if f.mode != "" {
		if f.mode != string(scenario.ModeSim) && f.mode != string(scenario.ModeLive) {
			return nil, fmt.Errorf("--mode %q: want sim or live", f.mode)
		}
		sets = append(sets, scenario.Override{Key: "mode", Value: f.mode})
	}
	if f.repetitions != 0 {
		if f.repetitions < 0 {
			return nil, fmt.Errorf("--repetitions %d: want at least 1", f.repetitions)
		}
		sets = append(sets, scenario.Override{Key: "repetitions", Value: fmt.Sprint(f.repetitions)})
	}
	return runner.Load(arg, scenario.Options{Sets: sets})
}

func runScenario(cmd *cobra.Command, arg string, f *runFlags) (err error) {
	s, err := loadForRun(arg, f)
	if err != nil {
		return err
	}
	shard, err := runner.ParseShard(f.shard, os.Getenv)
	if err != nil {
		return err
	}
	if f.jobs < 1 {
		return fmt.Errorf("--jobs %d: want at least 1", f.jobs)
	}
	eng, err := scenarioEngine(s.Mode)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.out), 0o755); err != nil {
		return err
	}
	stopProfile, err := startProfile(f)
	if err != nil {
		return err
	}
	defer func() {
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}()

	ctx, stop := interruptible(cmd.Context())
	defer stop()
	stderr := cmd.ErrOrStderr()
	doc, runErr := runner.Run(ctx, eng, s, runner.Options{Jobs: f.jobs, Shard: shard, Progress: progressFor(stderr)})
	if doc != nil {
		if err := results.Save(f.out, doc); err != nil {
			return errors.Join(runErr, err)
		}
		reps := 0
		for _, p := range doc.Points {
			reps += len(p.Repetitions)
		}
		state := "complete"
		if doc.Incomplete {
			state = fmt.Sprintf("incomplete: %d of %d points finished", len(doc.FinishedPoints), s.Points())
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d points, %d repetitions; %s)\n", f.out, len(doc.Points), reps, state)
	}
	return interruptedExit(runErr)
}

// scenarioEngine returns the engine for a scenario's mode (see engineFor),
// or an error in a build without one.
func scenarioEngine(mode scenario.Mode) (runner.Engine, error) {
	if engineFor == nil {
		return nil, errors.New("this build has no engine to run scenarios with (the simulator, package sim, registers itself in cmd/sessionlab)")
	}
	return engineFor(mode)
}

// interruptible returns a context that Ctrl-C (or SIGTERM) cancels; after
// that first signal, a second one kills the process the default way,
// should cancelling hang. stop releases the signals.
func interruptible(parent context.Context) (ctx context.Context, stop context.CancelFunc) {
	ctx, stop = signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// interruptedExit returns a run's or a search's error, with exit status
// 130 when it was interrupted.
func interruptedExit(runErr error) error {
	if errors.Is(runErr, runner.ErrInterrupted) {
		return withExitCode(130, runErr)
	}
	return runErr
}

// progressFor picks a bar for a terminal and plain lines otherwise.
func progressFor(w io.Writer) runner.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return runner.Bar(w)
	}
	return runner.Lines(w)
}

// startProfile starts the one profile the flags ask for (pkg/profile runs
// one profiler at a time) and returns the function that stops it and moves
// the file where the flag said.
func startProfile(f *runFlags) (func() error, error) {
	type req struct {
		flag, path, file string
		mode             func(*profile.Profile)
	}
	var rs []req
	if f.cpuprofile != "" {
		rs = append(rs, req{"--cpuprofile", f.cpuprofile, "cpu.pprof", profile.CPUProfile})
	}
	if f.memprofile != "" {
		rs = append(rs, req{"--memprofile", f.memprofile, "mem.pprof", profile.MemProfile})
	}
	if f.trace != "" {
		rs = append(rs, req{"--trace", f.trace, "trace.out", profile.TraceProfile})
	}
	switch len(rs) {
	case 0:
		return func() error { return nil }, nil
	case 1:
	default:
		return nil, errors.New("give one of --cpuprofile, --memprofile and --trace at a time (one profiler runs at a time)")
	}
	r := rs[0]
	dir, err := os.MkdirTemp(filepath.Dir(r.path), ".sessionlab-profile-")
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", r.flag, r.path, err)
	}
	p := profile.Start(r.mode, profile.ProfilePath(dir), profile.NoShutdownHook, profile.Quiet)
	return func() error {
		p.Stop()
		defer os.RemoveAll(dir)
		return os.Rename(filepath.Join(dir, r.file), r.path)
	}, nil
}
