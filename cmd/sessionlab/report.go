package main

import (
	"fmt"

	"github.com/spf13/cobra"

	reporthtml "github.com/sessionlab/sessionlab/reports/html"
	"github.com/sessionlab/sessionlab/reports/results"
)

// `sessionlab report RESULTS.json -o DIR`: the HTML report of a results
// document. The work is in reports/html; this file only wires flags.

func init() {
	var outDir string
	cmd := &cobra.Command{
		Use:   "report RESULTS.json",
		Short: "Write a self-contained HTML report with PNG plots of a results document",
		Long: `report reads a results document (schema sessionlab.results/v1, written by run,
sweep or search) and writes into DIR:

  index.html     one self-contained page: summary table (median and 95% bootstrap
                 interval of every metric at every point), warnings, every plot
                 (PNG embedded as data: URIs), scenario, configuration, environment;
                 no scripts, no network access
  NN-*.png       the same plots as files (960x600, deterministic)
  results.csv    one row per point x repetition x metric
  results.bench  Go benchmark format, for benchstat

The plots are those the scenario asked for (its plots: section), or a default set
when it asked for none. A malformed document, or one of another schema or version,
is refused with an error naming the file and the problem (exit status 2).`,
		Example: `  sessionlab report results.json -o out && xdg-open out/index.html
  benchstat base/results.bench out/results.bench`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return withExitCode(2, fmt.Errorf("report: want one RESULTS.json argument, have %d (see sessionlab report --help)", len(args)))
			}
			d, err := results.Load(args[0])
			if err != nil {
				return withExitCode(2, err)
			}
			rep, err := reporthtml.Write(outDir, d)
			if err != nil {
				return withExitCode(1, fmt.Errorf("report: %w", err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d plots, results.csv, results.bench)\n", rep.Index, len(rep.Images))
			return nil
		},
	}
	cmd.Flags().StringVarP(&outDir, "output", "o", "out", "directory to write index.html, the PNGs and the exports into")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return withExitCode(2, err) })
	rootCmd.AddCommand(cmd)
}
