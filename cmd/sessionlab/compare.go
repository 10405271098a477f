package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/reports/compare"
	"github.com/sessionlab/sessionlab/reports/plot"
	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/reports/stats"
)

// `sessionlab compare`: the CI gate. Statistics and formatting live in
// reports/compare; this file parses flags and maps outcomes to exit codes:
// 0 no confirmed regression, 1 regression or simulated-count mismatch,
// 2 usage or input error.

// compareRunner runs one repetition of a scenario for `compare --run`. The
// simulator (sim/) sets it from an init function; until then --run
// reports that it needs the simulator.
var compareRunner compare.Runner

func init() {
	var (
		alpha     float64
		threshold string
		metrics   []string
		format    string
		plotFile  string
		resamples int
		run       bool
		reps      int
	)
	cmd := &cobra.Command{
		Use:   "compare BASE.json HEAD.json | compare --run A.yaml B.yaml",
		Short: "Compare two results documents and exit 1 on a confirmed regression",
		Long: `compare decides, per metric and sweep point, whether HEAD is better, worse or
indistinguishable from BASE:

  - medians of the repetitions and the change in percent, with a 95% percentile-
    bootstrap confidence interval of that change;
  - a two-sided Mann-Whitney U test (exact for up to 40 samples, ties handled),
    p-values adjusted with Holm-Bonferroni across every test of the comparison;
  - verdict "worse"/"better" only when the adjusted p is below --alpha AND the
    median moved by at least --threshold; otherwise "~" (no confirmed change).
  - In simulated mode "count" metrics must be identical for every repetition seed:
    any difference is a "mismatch".

Documents of another schema, another scenario, another mode, another seed (in
simulated mode) or another sweep are refused with an error, never compared.

Exit status: 0 no confirmed regression; 1 a metric is worse or a simulated count
mismatches; 2 usage or input error.

With --run, A.yaml and B.yaml are run interleaved (A B A B ...) --reps times each
so that slow drift of the machine affects both alike, then compared. They are two
configurations on purpose: their names may differ, and a simulated count that
differs is judged by its direction and --threshold instead of being a mismatch.`,
		Example: `  sessionlab compare base.json head.json
  sessionlab compare --threshold 3% --metric throughput --metric latency_p99 base.json head.json
  sessionlab compare --format markdown base.json head.json >> "$GITHUB_STEP_SUMMARY"
  sessionlab compare --run --reps 10 a.yaml b.yaml`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return withExitCode(2, fmt.Errorf("compare: want two arguments (BASE.json HEAD.json, or A.yaml B.yaml with --run), have %d", len(args)))
			}
			opt := compare.DefaultOptions()
			opt.Alpha = alpha
			opt.Metrics = metrics
			opt.Bootstrap = stats.Bootstrap{Resamples: resamples, Confidence: 0.95, Seed: 1}
			t, err := parseThreshold(threshold)
			if err != nil {
				return withExitCode(2, err)
			}
			opt.Threshold = t
			switch format {
			case "text", "markdown", "md", "json":
			default:
				return withExitCode(2, fmt.Errorf("--format %q: want text, markdown or json", format))
			}

			var base, head *results.Document
			if run {
				if compareRunner == nil {
					return withExitCode(2, errors.New("compare --run needs the simulator to run scenarios, and this build has none; run both scenarios with `sessionlab run` and compare the results files"))
				}
				if reps < 1 {
					return withExitCode(2, fmt.Errorf("--reps %d: want at least 1", reps))
				}
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
				defer stop()
				base, head, err = compare.RunInterleaved(ctx, compareRunner, args[0], args[1], reps)
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return withExitCode(2, errors.New("compare --run: interrupted"))
					}
					return withExitCode(2, err)
				}
			} else {
				if base, err = results.Load(args[0]); err != nil {
					return withExitCode(2, err)
				}
				if head, err = results.Load(args[1]); err != nil {
					return withExitCode(2, err)
				}
			}
			opt.BaseName, opt.HeadName = args[0], args[1]
			opt.Configurations = run
			rep, err := compare.Compare(base, head, opt)
			if err != nil {
				return withExitCode(2, err)
			}
			if err := writeCompare(cmd.OutOrStdout(), rep, format); err != nil {
				return withExitCode(2, err)
			}
			if plotFile != "" {
				img, err := plot.CompareChanges(rep)
				if err != nil {
					fmt.Fprintln(cmd.ErrOrStderr(), "sessionlab: no compare plot:", err)
				} else if err := os.WriteFile(plotFile, img.PNG, 0o644); err != nil {
					return withExitCode(2, err)
				}
			}
			if code := rep.ExitCode(); code != 0 {
				return withExitCode(code, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Float64Var(&alpha, "alpha", 0.05, "family-wise significance level (Holm-Bonferroni over all tests)")
	f.StringVar(&threshold, "threshold", "5%", "smallest change of the median that counts as better or worse (\"5%\", or a number of percent)")
	f.StringSliceVar(&metrics, "metric", nil, "compare only this metric (repeat, or separate with commas)")
	f.StringVar(&format, "format", "text", "output format: text, markdown (for CI job summaries) or json (schema sessionlab.compare/v1)")
	f.StringVar(&plotFile, "plot", "", "also write a PNG of every change with its confidence interval to this file")
	f.IntVar(&resamples, "resamples", stats.DefaultBootstrap.Resamples, "bootstrap resamples for the confidence intervals (at least 2000)")
	f.BoolVar(&run, "run", false, "arguments are two scenarios: run them interleaved, then compare")
	f.IntVar(&reps, "reps", 10, "with --run: repetitions of each scenario")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	rootCmd.AddCommand(cmd)
}

// parseThreshold reads "5%", "0.5%" or "5" (percent either way).
func parseThreshold(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v != v || v > 1e6 {
		return 0, fmt.Errorf("--threshold %q: want a percentage such as 5%% or 0.5%%", s)
	}
	return v, nil
}

func writeCompare(w io.Writer, rep *compare.Report, format string) error {
	switch format {
	case "markdown", "md":
		return rep.WriteMarkdown(w)
	case "json":
		return rep.WriteJSON(w)
	}
	return rep.WriteText(w)
}
