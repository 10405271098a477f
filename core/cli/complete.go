package cli

import (
	"slices"
	"sort"
	"strings"
)

// Complete returns the words that can complete the last (partial) word of
// line, for tab completion: command words while the line is still
// selecting a command, then the keywords of the command's syntax (and
// application names where the syntax takes one). A line ending in white
// space completes a new word.
func (x *Executor) Complete(line string) []string {
	toks := tokenize(line, nil)
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.text
	}
	partial := ""
	if len(line) > 0 && !isSpace(line[len(line)-1]) && len(words) > 0 {
		partial = words[len(words)-1]
		words = words[:len(words)-1]
	}
	var cands []string
	if next := continuations(words); len(next) > 0 {
		cands = next
	}
	if cmd, n := lookupCommand(toks[:len(words)]); cmd != nil && n == len(cmd.path) {
		cands = append(cands, helpKeywords(cmd.help[len(strings.Join(cmd.path, " ")):])...)
		if strings.Contains(cmd.help, "<name>") && x != nil {
			for _, a := range x.l.Apps() {
				cands = append(cands, a.Name)
			}
		}
	}
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, partial) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// helpKeywords returns the literal words of a syntax string (those that
// are not <placeholders>).
func helpKeywords(help string) []string {
	f := strings.FieldsFunc(help, func(r rune) bool {
		return r == ' ' || r == '[' || r == ']' || r == '|' || r == '(' || r == ')'
	})
	var out []string
	for _, w := range f {
		if strings.ContainsAny(w, "<>:/") || w == "" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// ContextHelp returns what vppctl's '?' shows for a partial line: the
// syntax of every command the words typed so far can still select, or of
// the command they already selected when the word at the cursor is one of
// its arguments.
func ContextHelp(line string) string {
	toks := tokenize(line, nil)
	partial := ""
	if len(line) > 0 && !isSpace(line[len(line)-1]) && len(toks) > 0 {
		partial = toks[len(toks)-1].text
		toks = toks[:len(toks)-1]
	}
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = t.text
	}
	var b strings.Builder
	for _, c := range commands {
		if len(c.path) > len(words) && slices.Equal(c.path[:len(words)], words) &&
			strings.HasPrefix(c.path[len(words)], partial) {
			b.WriteString("  " + c.help + "\n")
		}
	}
	if b.Len() > 0 && partial != "" {
		return b.String()
	}
	if cmd, _ := lookupCommand(toks); cmd != nil {
		return "  " + cmd.help + "\n      " + cmd.doc + "\n" + b.String()
	}
	return b.String()
}
