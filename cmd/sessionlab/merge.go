package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/reports/results"
	"github.com/sessionlab/sessionlab/sim/runner"
)

func init() {
	var out string
	c := &cobra.Command{
		Use:   "merge -o OUT SHARD.json...",
		Short: "Join the results documents of a sharded sweep",
		Long: `Join the results documents that 'sessionlab sweep --shard i/n' wrote into
one. Every document must come from the same run: the same scenario (name,
mode, seed, repetitions, text), the same effective configuration and the
same sweep; the error names the first difference otherwise. A point present
in two documents is an error (overlapping shards). The merged document is
complete when it holds every point with every repetition; otherwise it stays
marked incomplete and lists the points that finished.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("merge: -o OUT is required")
			}
			var ins []runner.Input
			for _, a := range args {
				d, err := results.Load(a)
				if err != nil {
					return err
				}
				ins = append(ins, runner.Input{Name: a, Doc: d})
			}
			m, err := runner.Merge(ins)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := results.Save(out, m); err != nil {
				return err
			}
			state := "complete"
			if m.Incomplete {
				state = fmt.Sprintf("incomplete: %d of %d points finished", len(m.FinishedPoints), m.Sweep.Size())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d documents, %d points; %s)\n", out, len(ins), len(m.Points), state)
			return nil
		},
	}
	c.Flags().StringVarP(&out, "output", "o", "", "merged results document to write")
	rootCmd.AddCommand(c)
}
