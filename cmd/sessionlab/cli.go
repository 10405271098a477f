package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sessionlab/sessionlab/core/cli"
	"github.com/sessionlab/sessionlab/core/config"
)

// `sessionlab cli`: VPP's session commands (and sessionlab's own) over one
// in-process session layer. The language lives in core/cli; this file
// reads the flags, boots the layer and runs the REPL or the scripts.

func init() {
	var (
		cfgPath   string
		execs     []string
		file      string
		jsonOut   bool
		keepGoing bool
		echo      bool
	)
	cmd := &cobra.Command{
		Use:   "cli [flags]",
		Short: "Run VPP's session-layer commands against an in-process session layer",
		Long: `cli runs VPP's session commands (session enable, app ns, session rule,
show session [rules], show app [ns], ...) and sessionlab's own (create interface,
app attach|listen|connect|close, transport ..., session lookup, show bihash, ...)
against one in-process session layer. "sessionlab cli -e help" lists them all;
docs/cli.md documents each with an example.

Where the commands come from:
  -f FILE        a script, one command per line ('#' starts a comment);
                 FILE "-" is standard input
  -e 'CMD; CMD'  commands separated by ';' (repeatable; run after -f)
  neither        a REPL on a terminal (history, tab completion, '?' for help
                 at the cursor, as vppctl), or a script on standard input

A failed command prints "FILE:LINE: COMMAND: ERROR" (VPP error name, code and a
sentence) and stops the run with exit status 1, unless --keep-going (which
still exits 1 at the end).

-c/--config names a VPP startup.conf, as VPP's own -c does: the layer is built
from its session { } stanza (tables, memory, workers, ports) and enabled if the
stanza says enable. Without it the layer has VPP's defaults and starts
disabled: run "session enable" first, as in VPP. Commands are given with -e;
-c also takes them, as in "sessionlab cli -c 'show session; show app'", when
its value is not an existing file and holds a space or a ';'.`,
		Example: `  sessionlab cli
  sessionlab cli -e 'session enable; app ns add id ns1 secret 7 ip4-fib-id 0; show app ns'
  sessionlab cli -c startup.conf -f rules.cli --json
  sessionlab cli --keep-going < testdata/cli/rules.cli`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			opts := cli.Options{}
			if cfgPath != "" && readsAsCommands(cfgPath) {
				// `sessionlab cli -c 'cmd; cmd'` (vppctl's habit) runs
				// commands; -c with a file is a startup.conf.
				execs = append([]string{cfgPath}, execs...)
				cfgPath = ""
			}
			if cfgPath != "" {
				f, err := config.ParseFile(cfgPath, config.Options{})
				if err != nil {
					return withExitCode(2, err)
				}
				// Compatibility notes (sessionlab vs today's VPP) are
				// `sessionlab config check`'s business; the CLI prints
				// what may change the behaviour of the run.
				compat := 0
				for _, w := range f.Warnings {
					if w.Kind == config.KindCompat {
						compat++
						continue
					}
					fmt.Fprintf(c.ErrOrStderr(), "warning: %v\n", w)
				}
				if compat > 0 {
					fmt.Fprintf(c.ErrOrStderr(), "note: %d compatibility notes on %s: see `sessionlab config check %s`\n", compat, cfgPath, cfgPath)
				}
				opts = cli.FromConfig(f)
			}
			x, err := cli.New(opts)
			if err != nil {
				return withExitCode(2, err)
			}
			so := cli.ScriptOptions{Out: c.OutOrStdout(), Err: c.ErrOrStderr(), JSON: jsonOut, KeepGoing: keepGoing, Echo: echo}
			in := c.InOrStdin()
			if file == "" && len(execs) == 0 {
				if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) && !jsonOut {
					return repl(x, c.OutOrStdout())
				}
				file = "-"
			}
			failed := 0
			if file != "" {
				var r io.Reader = in
				so.Name = "<stdin>"
				if file != "-" {
					fh, err := os.Open(file)
					if err != nil {
						return withExitCode(2, err)
					}
					defer fh.Close()
					r, so.Name = fh, file
				}
				n, err := x.RunScript(r, so)
				if err != nil {
					return withExitCode(2, err)
				}
				failed += n
				if n > 0 && !keepGoing {
					return withExitCode(1, nil)
				}
			}
			if len(execs) > 0 {
				var cmds []string
				for _, e := range execs {
					cmds = append(cmds, cli.SplitCommands(e)...)
				}
				so.Name = "-e"
				n, err := x.RunCommands(cmds, so)
				if err != nil {
					return withExitCode(2, err)
				}
				failed += n
			}
			if failed > 0 {
				return withExitCode(1, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfgPath, "config", "c", "", "boot the layer from this VPP startup.conf (its session { } stanza)")
	f.StringArrayVarP(&execs, "exec", "e", nil, "run these commands, separated by ';' (repeatable)")
	f.StringVarP(&file, "file", "f", "", `run the commands of this script ("-" = standard input)`)
	f.BoolVar(&jsonOut, "json", false, "print one JSON object per command (fields in docs/cli.md)")
	f.BoolVar(&keepGoing, "keep-going", false, "run the remaining commands after a failure (exit status still 1)")
	f.BoolVar(&echo, "echo", false, "print each command before its output")
	rootCmd.AddCommand(cmd)
}

// historyFile is $XDG_STATE_HOME/sessionlab/cli_history, or
// ~/.sessionlab_history.
func historyFile() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		dir := filepath.Join(d, "sessionlab")
		if err := os.MkdirAll(dir, 0o700); err == nil {
			return filepath.Join(dir, "cli_history")
		}
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".sessionlab_history")
	}
	return ""
}

// completer adapts the executor's completion to readline.
type completer struct{ x *cli.Executor }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	prefix := string(line[:pos])
	partial := ""
	if i := strings.LastIndexAny(prefix, " \t"); i < len(prefix)-1 {
		partial = prefix[i+1:]
	}
	var out [][]rune
	for _, w := range c.x.Complete(prefix) {
		out = append(out, []rune(w[len(partial):]+" "))
	}
	return out, len([]rune(partial))
}

// repl runs the interactive loop until EOF, quit or exit.
func repl(x *cli.Executor, out io.Writer) error {
	var rl *readline.Instance
	cfg := &readline.Config{
		Prompt:          cli.Prompt,
		HistoryFile:     historyFile(),
		AutoComplete:    completer{x},
		InterruptPrompt: "^C",
		EOFPrompt:       "",
	}
	// '?' shows the syntax of what can follow the cursor, as vppctl does,
	// and is not inserted.
	cfg.SetListener(func(line []rune, pos int, key rune) ([]rune, int, bool) {
		if key != '?' || pos == 0 || line[pos-1] != '?' {
			return nil, 0, false
		}
		nl := append(append([]rune{}, line[:pos-1]...), line[pos:]...)
		fmt.Fprintf(rl.Stdout(), "\n%s", cli.ContextHelp(string(nl[:pos-1])))
		return nl, pos - 1, true
	})
	var err error
	rl, err = readline.NewEx(cfg)
	if err != nil {
		return err
	}
	defer rl.Close()
	fmt.Fprintln(out, `sessionlab cli: VPP session commands over an in-process session layer ("help", "?", Tab; "quit" to leave)`)
	for {
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			continue
		}
		if err != nil {
			return nil // io.EOF
		}
		switch strings.TrimSpace(line) {
		case "quit", "exit", "q":
			return nil
		}
		r := x.Exec(line)
		if r.Empty() {
			continue
		}
		_ = r.WriteText(rl.Stdout())
		if !r.OK() {
			fmt.Fprintln(rl.Stdout(), cli.ErrorText(r))
		}
	}
}

// readsAsCommands reports whether a -c value is commands rather than a
// startup.conf path: it names no existing file and holds a space or a ';'
// (a path with neither, existing or not, stays a path, so a mistyped file
// name is reported as a missing file, not as an unknown command).
func readsAsCommands(v string) bool {
	if _, err := os.Stat(v); err == nil {
		return false
	}
	return strings.ContainsAny(v, " \t;")
}
