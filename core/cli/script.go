package cli

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Prompt is the interactive prompt, and what an echoed command is prefixed
// with.
const Prompt = "sessionlab# "

// ScriptOptions say how RunScript reports.
type ScriptOptions struct {
	// Name names the script in error lines ("startup.cli", "<stdin>",
	// "-e").
	Name string
	// Out receives each command's output: text, or one JSON object per
	// command with JSON set.
	Out io.Writer
	// Err receives the error lines of failed commands in text mode
	// ("name:line: command: error"); nil means Out.
	Err io.Writer
	// JSON writes one JSON object per command instead of text.
	JSON bool
	// KeepGoing runs the remaining commands after a failure (the script
	// still counts as failed).
	KeepGoing bool
	// Echo prints each command, after Prompt, before its output (text
	// mode only).
	Echo bool
}

// maxLine bounds a script line.
const maxLine = 1 << 20

// RunScript runs the commands of a script, one per line; '#' starts a
// comment and blank lines are skipped. A failed command prints its error
// as "name:line: command: error" and stops the script unless KeepGoing. It
// returns the number of failed commands; err reports a reading or writing
// failure.
func (x *Executor) RunScript(r io.Reader, o ScriptOptions) (failed int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	line := 0
	for sc.Scan() {
		line++
		f, werr := x.runLine(sc.Text(), line, o)
		if werr != nil {
			return failed, werr
		}
		if f {
			failed++
			if !o.KeepGoing {
				return failed, nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return failed, fmt.Errorf("%s:%d: %w", o.Name, line+1, err)
	}
	return failed, nil
}

// RunCommands runs commands given as a list (an -e argument split at ';'),
// numbering them from 1 in error lines and JSON objects.
func (x *Executor) RunCommands(cmds []string, o ScriptOptions) (failed int, err error) {
	for i, c := range cmds {
		f, werr := x.runLine(c, i+1, o)
		if werr != nil {
			return failed, werr
		}
		if f {
			failed++
			if !o.KeepGoing {
				return failed, nil
			}
		}
	}
	return failed, nil
}

// runLine runs one line and reports it; failed is true when the command
// failed.
func (x *Executor) runLine(text string, line int, o ScriptOptions) (failed bool, err error) {
	res := x.Exec(text)
	if res.Empty() {
		return false, nil
	}
	if o.JSON {
		return !res.OK(), res.WriteJSON(o.Out, line)
	}
	if o.Echo {
		if _, err := io.WriteString(o.Out, Prompt+res.Cmd+"\n"); err != nil {
			return false, err
		}
	}
	if err := res.WriteText(o.Out); err != nil {
		return false, err
	}
	if res.OK() {
		return false, nil
	}
	ew := o.Err
	if ew == nil {
		ew = o.Out
	}
	_, err = fmt.Fprintf(ew, "%s:%d: %s: %s\n", o.Name, line, echoCommand(res.Cmd), res.Err)
	return true, err
}

// hasControl reports whether s holds control bytes or invalid UTF-8, which
// an error line shows escaped rather than raw.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// maxEcho bounds how much of a failed command an error line repeats: enough
// to recognise the command (the line number says where it is), never a
// megabyte of garbage from a broken script.
const maxEcho = 80

// echoCommand is cmd as an error line repeats it: cut at maxEcho bytes
// (marked with "..."), and quoted, with control bytes escaped, when it holds
// anything but printable text.
func echoCommand(cmd string) string {
	cut := len(cmd) > maxEcho
	if cut {
		cmd = cmd[:maxEcho]
	}
	if hasControl(cmd) {
		cmd = strconv.Quote(cmd)
	}
	if cut {
		cmd += "..."
	}
	return cmd
}

// ErrorText formats a failed result for the interactive CLI: VPP's
// "<command path>: <error>" (just the error when no command matched).
func ErrorText(r *Result) string {
	if r.Err == nil {
		return ""
	}
	if r.Path == "" {
		return r.Err.Error()
	}
	return r.Path + ": " + r.Err.Error()
}

// trimPrompt removes a leading Prompt from a transcript line.
func trimPrompt(s string) (string, bool) {
	if strings.HasPrefix(s, Prompt) {
		return s[len(Prompt):], true
	}
	return s, false
}
