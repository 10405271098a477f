package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/search"
)

// `sessionlab search SCENARIO`: the NDR/PDR search (MLRsearch) at every
// point of a scenario. The algorithm and the sweep are in sim/search; this
// file wires flags, the engine, progress and the output.

const searchLong = `Search the throughput of a scenario's configuration: the highest offered load
it carries without loss (NDR) and with at most 0.5% loss (PDR), found together by
one Multiple Loss Ratio search (MLRsearch, IETF draft-ietf-bmwg-mlrsearch, as
FD.io CSIT runs it for VPP), then latency at 10%, 50% and 90% of the PDR.

The load is packets per second (--load-unit pps) or new sessions per second
(cps); each trial runs the scenario at one load for one trial duration on the
simulated clock (deterministic: the same seed gives the same trials and bounds)
or live. A scenario with a sweep is searched at every point (--jobs N points at
a time in sim mode), so NDR and PDR against the swept parameter come out of one
command; 'sessionlab report' draws them and every trial's loss against load.

Precedence: flags, then the scenario's search: block, then CSIT's defaults
(goal width 0.5%, loss ratios 0 and 0.5%, exceed ratio 0.5, 1 s final trials,
21 s duration sum). Ratios are numbers (0.005) or percentages (0.5%).

--timeout is each point's budget of trial time (virtual time in sim mode): a
search that has not converged by then reports its best bounds, marked
irregular. Ctrl-C stops the search and writes the finished points, marked
incomplete (exit status 130). docs/search.md explains the method.`

type searchFlags struct {
	out, mode, goalWidth, lossRatios, exceed, unit, fractions string
	trial, sum, initial, timeout                              time.Duration
	minLoad, maxLoad                                          float64
	sets                                                      []string
	jobs                                                      int
	quiet                                                     bool
}

func init() {
	f := &searchFlags{}
	c := &cobra.Command{
		Use:   "search SCENARIO",
		Short: "Find NDR and PDR (MLRsearch) at every point of a scenario, and latency at fractions of PDR",
		Long:  searchLong,
		Example: `  sessionlab search queue-sweep --jobs 2 -o out/search.json && sessionlab report out/search.json -o out
  sessionlab search default --load-unit pps --max-load 2e6 --goal-width 1% --trial 500ms --duration-sum 5s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSearch(cmd, args[0], f) },
	}
	fl := c.Flags()
	fl.StringVarP(&f.out, "output", "o", "out/search.json", "results document to write")
	fl.StringArrayVar(&f.sets, "set", nil, "override `key=value` (a field path or session.<keyword>; repeatable)")
	fl.StringVar(&f.mode, "mode", "", "run mode: sim or live (default: the scenario's)")
	fl.IntVar(&f.jobs, "jobs", 1, "sweep points searched in parallel (sim mode)")
	fl.StringVar(&f.goalWidth, "goal-width", "", "relative goal width: bounds this close end a goal (default 0.5%)")
	fl.StringVar(&f.lossRatios, "loss-ratios", "", "comma-separated goal loss ratios, NDR first (default 0,0.5%)")
	fl.StringVar(&f.exceed, "exceed-ratio", "", "share of a load's trial time allowed above the loss ratio (default 0.5)")
	fl.DurationVar(&f.trial, "trial", 0, "final trial duration (default 1s)")
	fl.DurationVar(&f.sum, "duration-sum", 0, "trial time that decides a load (default 21s)")
	fl.DurationVar(&f.initial, "initial-trial", 0, "trial duration of the first intermediate phase (default trial/10)")
	fl.Float64Var(&f.minLoad, "min-load", 0, "lowest load tried (default 1000)")
	fl.Float64Var(&f.maxLoad, "max-load", 0, "highest load tried (default 4x the scenario's own offered load)")
	fl.StringVar(&f.unit, "load-unit", "", "pps (packets/s) or cps (new sessions/s) (default pps)")
	fl.DurationVar(&f.timeout, "timeout", 0, "trial-time budget per point (default 10m)")
	fl.StringVar(&f.fractions, "latency-fractions", "", "fractions of PDR to measure latency at; \"none\" for none (default 0.1,0.5,0.9)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on standard error")
	rootCmd.AddCommand(c)
}

// searchSettings merges the flags that were given over the scenario's
// settings.
func searchSettings(cmd *cobra.Command, set search.Settings, f *searchFlags) (search.Settings, error) {
	fl := cmd.Flags()
	ratio := func(name, v string, dst *float64) error {
		if !fl.Changed(name) {
			return nil
		}
		r, err := search.ParseRatio(v)
		if err != nil {
			return fmt.Errorf("--%s: %w", name, err)
		}
		*dst = r
		return nil
	}
	if err := ratio("goal-width", f.goalWidth, &set.GoalWidth); err != nil {
		return set, err
	}
	if err := ratio("exceed-ratio", f.exceed, &set.ExceedRatio); err != nil {
		return set, err
	}
	if fl.Changed("loss-ratios") {
		rs, err := search.ParseRatioList(f.lossRatios)
		if err != nil {
			return set, fmt.Errorf("--loss-ratios: %w", err)
		}
		set.LossRatios = rs
	}
	if fl.Changed("latency-fractions") {
		set.LatencyFractions = nil
		if strings.TrimSpace(f.fractions) != "none" {
			rs, err := search.ParseRatioList(f.fractions)
			if err != nil {
				return set, fmt.Errorf("--latency-fractions: %w", err)
			}
			set.LatencyFractions = rs
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
		dst  *time.Duration
	}{{"trial", f.trial, &set.Trial}, {"duration-sum", f.sum, &set.DurationSum}, {"initial-trial", f.initial, &set.InitialTrial}, {"timeout", f.timeout, &set.Timeout}} {
		if fl.Changed(d.name) {
			*d.dst = d.v
		}
	}
	if fl.Changed("min-load") {
		set.MinLoad = f.minLoad
	}
	if fl.Changed("max-load") {
		set.MaxLoad = f.maxLoad
	}
	if fl.Changed("load-unit") {
		set.LoadUnit = f.unit
	}
	if err := set.Check(); err != nil {
		return set, fmt.Errorf("search: %w", err)
	}
	return set, nil
}

func runSearch(cmd *cobra.Command, arg string, f *searchFlags) error {
	if f.jobs < 1 {
		return fmt.Errorf("--jobs %d: want at least 1", f.jobs)
	}
	s, err := loadForRun(arg, &runFlags{sets: f.sets, mode: f.mode})
	if err != nil {
		return err
	}
	set, err := searchSettings(cmd, search.SettingsFrom(s.SearchSettings()), f)
	if err != nil {
		return err
	}
	eng, err := scenarioEngine(s.Mode)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.out), 0o755); err != nil {
		return err
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	opt := search.Options{Jobs: f.jobs}
	if !f.quiet {
		opt.Progress = searchProgress(cmd.ErrOrStderr(), set.LoadUnit)
	}
	doc, runErr := search.RunScenario(ctx, eng, s, set, opt)
	if doc != nil {
		if err := results.Save(f.out, doc); err != nil {
			return errors.Join(runErr, err)
		}
		printSearchSummary(cmd.OutOrStdout(), doc)
		state := "complete"
		if doc.Incomplete {
			state = fmt.Sprintf("incomplete: %d of %d points finished", len(doc.Points), s.Points())
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d points; %s)\n", f.out, len(doc.Points), state)
	}
	return interruptedExit(runErr)
}

// searchProgress writes one line per trial, per finished point and per
// latency run: a search takes tens of trials per point, each worth seeing.
//
//	point 1/7 (session.wrk-mq-length=64) trial 12 (NDR final, bisect): 20.41k cps for 1s: loss 0.000%
func searchProgress(w io.Writer, unit string) func(search.Event) {
	var mu sync.Mutex
	return func(ev search.Event) {
		mu.Lock()
		defer mu.Unlock()
		label := fmt.Sprintf("point %d/%d", ev.Point.Index+1, ev.Points)
		if s := ev.Point.String(); strings.Contains(s, "(") {
			label += s[strings.Index(s, " ("):]
		}
		switch {
		case ev.Trial != nil:
			t := ev.Trial
			why := "initial"
			if t.Goal != "" {
				phase := "final"
				if t.Phase > 0 {
					phase = fmt.Sprintf("phase -%d", t.Phase)
				}
				why = fmt.Sprintf("%s %s, %s", t.Goal, phase, t.Strategy)
			}
			fmt.Fprintf(w, "%s trial %d (%s): %s %s for %v: loss %.3f%%\n", label, t.Index, why, si(t.Load), unit, t.Duration, 100*t.LossRatio)
		case ev.Result != nil:
			for _, g := range ev.Result.Goals {
				fmt.Fprintf(w, "%s %s: %s\n", label, g.Goal.Name, goalText(g.Lower, g.Upper, g.HasUpper, unit, g.Note))
			}
		case ev.Latency != nil:
			l := ev.Latency
			fmt.Fprintf(w, "%s latency at %g%% of %s (%s %s) measured\n", label, 100*l.Fraction, l.Goal, si(l.Load), unit)
		}
	}
}

func goalText(lo, hi float64, hasHi bool, unit, note string) string {
	s := fmt.Sprintf("%s %s", si(lo), unit)
	if hasHi {
		s = fmt.Sprintf("%s %s (upper bound %s)", si(lo), unit, si(hi))
	}
	if note != "" {
		s += " — irregular: " + note
	}
	return s
}

// si writes a load with an SI prefix and four significant digits.
func si(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.4gG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.4gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.4gk", v/1e3)
	}
	return fmt.Sprintf("%.4g", v)
}

// printSearchSummary prints one row per point: each goal's lower bound
// (the throughput) and the trial count.
func printSearchSummary(w io.Writer, d *results.Document) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := []string{"point"}
	if len(d.Points) > 0 && d.Points[0].Search != nil {
		for _, g := range d.Points[0].Search.Goals {
			header = append(header, g.Name+" ("+d.Points[0].Search.LoadUnit+")")
		}
	}
	header = append(header, "trials", "warnings")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i := range d.Points {
		pt := &d.Points[i]
		if pt.Search == nil {
			continue
		}
		row := []string{pt.Label()}
		for _, g := range pt.Search.Goals {
			row = append(row, fmt.Sprintf("%s..%s", si(g.LowerBound), si(g.UpperBound)))
		}
		row = append(row, fmt.Sprint(len(pt.Search.Trials)), fmt.Sprint(len(pt.Warnings)))
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}
