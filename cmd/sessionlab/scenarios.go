package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/scenarios"
	"github.com/sessionlab/sessionlab/sim/runner"
	"github.com/sessionlab/sessionlab/sim/scenario"
)

func init() {
	top := &cobra.Command{
		Use:   "scenarios",
		Short: "List, show and validate scenarios",
		Long: `List the built-in scenarios, show one, or validate scenario files (every
field, the startup.conf text, the rules and every sweep point) without
running them. docs/scenarios.md documents the format; scenarios/README.md
the built-ins.`,
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tMODE\tPOINTS\tDESCRIPTION")
			for _, n := range scenarios.Names() {
				s, err := runner.Load(runner.BuiltinPrefix+n, scenario.Options{})
				if err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", n, s.Mode, s.Points(), strings.Join(strings.Fields(s.Description), " "))
			}
			return tw.Flush()
		},
	}
	var points bool
	show := &cobra.Command{
		Use:   "show SCENARIO",
		Short: "Print a scenario's YAML (or, with --points, its sweep points)",
		Long: `Print a scenario's YAML text: a built-in's, to start a scenario of your own
from (a built-in's data files, such as data/default.pcap, live in the binary;
a copy needs its own), or a file's. --points lists the sweep grid instead:
each point's index and parameter values, in the order run and --shard use.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := runner.Load(args[0], scenario.Options{})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if !points {
				_, err := w.Write(s.Text())
				return err
			}
			fmt.Fprintf(w, "%s: %d points x %d repetitions\n", s.SourceName(), s.Points(), s.Repetitions)
			for i := range s.Points() {
				r, err := s.Resolve(i)
				if err != nil {
					return err
				}
				fmt.Fprintln(w, r)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&points, "points", false, "list the sweep points instead of the YAML")
	validate := &cobra.Command{
		Use:   "validate [FILE...]",
		Short: "Validate scenario files (all built-ins without arguments)",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				for _, n := range scenarios.Names() {
					args = append(args, runner.BuiltinPrefix+n)
				}
			}
			failed := 0
			for _, a := range args {
				s, err := runner.Load(a, scenario.Options{})
				if err != nil {
					failed++
					fmt.Fprintln(cmd.ErrOrStderr(), err)
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d points x %d repetitions, mode %s)\n", a, s.Points(), s.Repetitions, s.Mode)
			}
			if failed > 0 {
				return withExitCode(1, fmt.Errorf("%d of %d scenarios are invalid", failed, len(args)))
			}
			return nil
		},
	}
	schema := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of scenario files (for editors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := scenarios.Schema()
			if len(b) == 0 {
				return errors.New("schema.json is not embedded in this build")
			}
			_, err := cmd.OutOrStdout().Write(b)
			return err
		},
	}
	top.AddCommand(list, show, validate, schema)
	rootCmd.AddCommand(top)
}
