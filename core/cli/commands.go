package cli

import (
	"slices"
	"sort"
	"strings"
)

// command is one entry of the command table: the words that select it,
// VPP-style short help, and the function that parses the rest of the line
// and runs it.
type command struct {
	path []string
	// help is the syntax, as VPP's .short_help.
	help string
	// doc is one sentence saying what the command does.
	doc string
	// ours marks sessionlab's own commands (not in VPP).
	ours bool
	// needEnabled refuses the command before `session enable` (VPP's
	// session_cli_return_if_not_enabled).
	needEnabled bool
	// noSettle skips the settle after the command (it manages polling
	// itself).
	noSettle bool
	run      func(x *Executor, s *scanner, r *Result) *Error
}

// commands is the command table, sorted by path (init).
var commands []*command

func init() {
	commands = append(commands, vppCommands()...)
	commands = append(commands, ourCommands()...)
	sort.Slice(commands, func(i, j int) bool {
		return strings.Join(commands[i].path, " ") < strings.Join(commands[j].path, " ")
	})
}

// lookupCommand finds the command with the longest path that prefixes
// toks. When there is none it returns the index of the first word that
// continues no command path (len(toks) when the line is only a prefix
// such as "app").
func lookupCommand(toks []token) (*command, int) {
	var best *command
	bestN := 0
	deepest := 0 // words matched by some command path prefix
	for _, c := range commands {
		n := 0
		for n < len(c.path) && n < len(toks) && c.path[n] == toks[n].text {
			n++
		}
		if n > deepest {
			deepest = n
		}
		if n == len(c.path) && n > bestN {
			best, bestN = c, n
		}
	}
	if best != nil {
		return best, bestN
	}
	return nil, deepest
}

// resolvePath expands the leading words of toks that abbreviate command
// words, as VPP's vlib_cli_sub_command_match does: at each level a word
// selects the command word it equals, else the only one it prefixes
// (case-sensitive); a word two command words share, or none, ends the
// path, and the words after it are the command's arguments, untouched.
// It returns toks itself when nothing was expanded.
func resolvePath(toks []token) []token {
	out := toks
	words := make([]string, 0, 4)
	for i, t := range toks {
		next := continuations(words)
		w, ok := matchWord(next, t.text)
		if !ok {
			break
		}
		if w != t.text {
			if &out[0] == &toks[0] {
				out = slices.Clone(toks)
			}
			out[i].text = w
		}
		words = append(words, w)
	}
	return out
}

// matchWord returns the command word of cands that word selects.
func matchWord(cands []string, word string) (string, bool) {
	found := ""
	for _, c := range cands {
		if c == word {
			return c, true
		}
		if word != "" && strings.HasPrefix(c, word) {
			if found != "" {
				return "", false
			}
			found = c
		}
	}
	return found, found != ""
}

// continuations returns the words that may follow the given words in the
// command table, sorted.
func continuations(words []string) []string {
	set := map[string]bool{}
	for _, c := range commands {
		if len(c.path) <= len(words) || !slices.Equal(c.path[:len(words)], words) {
			continue
		}
		set[c.path[len(words)]] = true
	}
	out := make([]string, 0, len(set))
	for w := range set {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// Help returns the help for the commands whose paths start with the given
// words (all commands for none), one "syntax" line followed by an indented
// description per command, VPP's own commands first.
func Help(words ...string) string {
	var b strings.Builder
	for _, ours := range []bool{false, true} {
		first := true
		for _, c := range commands {
			if c.ours != ours || len(words) > len(c.path) || !slices.Equal(c.path[:len(words)], words) {
				continue
			}
			if first && len(words) == 0 {
				if ours {
					b.WriteString("\nsessionlab's own commands:\n")
				} else {
					b.WriteString("VPP commands:\n")
				}
			}
			first = false
			b.WriteString("  ")
			b.WriteString(c.help)
			b.WriteString("\n      ")
			b.WriteString(c.doc)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Commands returns the syntax line of every command, VPP's first, for
// documentation and completion.
func Commands() []string {
	var out []string
	for _, ours := range []bool{false, true} {
		for _, c := range commands {
			if c.ours == ours {
				out = append(out, c.help)
			}
		}
	}
	return out
}
