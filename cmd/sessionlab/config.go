package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sessionlab/sessionlab/core/config"
)

// `sessionlab config check|defaults`: what VPP does with a startup.conf's
// session stanza. The rendering lives in core/config (Summary) so the
// output and its golden tests do not depend on this package.

func init() {
	configCmd := &cobra.Command{
		Use:   "config",
		Short: "Check VPP startup.conf files and show the session stanza's defaults",
	}

	var checkJSON, smallQueues bool
	check := &cobra.Command{
		Use:   "check FILE",
		Short: "Print the effective session configuration of a VPP startup.conf",
		Long: `check reads a whole VPP startup.conf with VPP's syntax and prints the effective
session { } configuration: every parameter with its value, whether it was set
(and where) or is VPP's default, table bucket counts after rounding up to a
power of two, memory sizes in bytes and binary units, and the warnings
(deprecated keywords, ignored values, differences between VPP and sessionlab).

On input VPP would refuse (the first unknown keyword, a number with a suffix
where VPP reads plain decimals, a table memory of 4 GiB or more, ...) it prints
the error as file:line:col and exits 1. FILE "-" reads standard input.`,
		Example: `  sessionlab config check /etc/vpp/startup.conf
  sessionlab config check --json startup.conf | jq .session.parameters.wrk_mq_length`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := config.Options{AllowSmallQueues: smallQueues}
			f, err := readConfig(cmd.InOrStdin(), args[0], opt)
			out := cmd.OutOrStdout()
			if err != nil {
				if checkJSON {
					writeJSONError(out, err)
				}
				return withExitCode(1, err)
			}
			return writeSummary(out, f.Summary(), checkJSON)
		},
	}
	check.Flags().BoolVar(&checkJSON, "json", false, "print JSON (fields documented in docs/config.md)")
	check.Flags().BoolVar(&smallQueues, "allow-small-queues", false,
		"accept wrk-mq-length below VPP's minimum of 2048 (a scenario's vpp_limits: false)")

	var defaultsJSON bool
	defaults := &cobra.Command{
		Use:   "defaults",
		Short: "Print VPP's defaults for every session stanza parameter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeSummary(cmd.OutOrStdout(), config.DefaultSummary(), defaultsJSON)
		},
	}
	defaults.Flags().BoolVar(&defaultsJSON, "json", false, "print JSON (fields documented in docs/config.md)")

	configCmd.AddCommand(check, defaults)
	rootCmd.AddCommand(configCmd)
}

// readConfig parses the file at path, or standard input for "-".
func readConfig(stdin io.Reader, path string, opt config.Options) (*config.File, error) {
	if path != "-" {
		return config.ParseFile(path, opt)
	}
	src, err := io.ReadAll(io.LimitReader(stdin, config.MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("<stdin>: %w", err)
	}
	return config.Parse("<stdin>", src, opt)
}

func writeSummary(w io.Writer, sm config.Summary, asJSON bool) error {
	if !asJSON {
		return sm.WriteText(w)
	}
	js, err := sm.JSON()
	if err != nil {
		return err
	}
	_, err = w.Write(js)
	return err
}

// writeJSONError prints {"error": {...}} so that tools reading --json output
// get the position of a refused configuration without parsing stderr.
func writeJSONError(w io.Writer, err error) {
	type jsonError struct {
		File    string `json:"file,omitempty"`
		Line    int    `json:"line,omitempty"`
		Col     int    `json:"col,omitempty"`
		Text    string `json:"text,omitempty"`
		Message string `json:"message"`
	}
	je := jsonError{Message: err.Error()}
	var ce *config.Error
	if errors.As(err, &ce) {
		je = jsonError{File: ce.File, Line: ce.Line, Col: ce.Col, Text: ce.Text, Message: ce.Msg}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(struct {
		Error jsonError `json:"error"`
	}{je})
}
