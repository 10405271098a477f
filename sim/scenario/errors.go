package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/sessionlab/sessionlab/core/config"
)

// Pos is a position in a scenario file: 1-based line and column (columns
// count bytes). The zero Pos means "no position". It is core/config's
// position type, so a startup.conf position mapped into the scenario file
// is a Pos too.
type Pos = config.Pos

// Error is one problem with a scenario: where it is (file, line, column),
// which field (its path, e.g. "traffic[0].synth.rate") and what is wrong.
type Error struct {
	// File is the scenario's name as given to Parse ("scenarios/x.yaml",
	// "builtin:default", "--set").
	File string
	// Pos locates the offending text; zero when the problem has no single
	// place (then the message names the field).
	Pos Pos
	// Path is the field path ("" for the document itself).
	Path string
	// Msg says what is wrong, and how to fix it when that is clear.
	Msg string
}

// Error returns "file:line:col: path: msg".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Pos.IsValid() {
		fmt.Fprintf(&b, ":%d:%d", e.Pos.Line, e.Pos.Col)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a scenario, in file order. Decoding
// and validation report all problems at once rather than the first only.
type ErrorList []*Error

// maxListed bounds how many errors Error prints.
const maxListed = 25

// Error returns one error per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i == maxListed {
			fmt.Fprintf(&b, "\n... and %d more errors", len(l)-maxListed)
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors, so errors.As finds an *Error.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// sorted orders the list by position (errors without one last, in the
// order found), dropping exact duplicates.
func (l ErrorList) sorted() ErrorList {
	slices.SortStableFunc(l, func(a, b *Error) int {
		switch {
		case a.Pos.IsValid() && !b.Pos.IsValid():
			return -1
		case !a.Pos.IsValid() && b.Pos.IsValid():
			return 1
		}
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	return slices.CompactFunc(l, func(a, b *Error) bool { return *a == *b })
}

// err returns the list as an error, nil when empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}

// suggest returns ` (did you mean "x"?)` for the candidate closest to s in
// edit distance, when it is close enough to be a plausible typo: at most
// one edit for short names, a third of the length for longer ones.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(1, min(len(s), len(best))/3)
	if best == "" || bestD > limit {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance: insertions, deletions, substitutions and transpositions of
// adjacent bytes each cost 1, so "nmae" is one edit from "name".
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Field names are short; a long key is no typo of one.
		return 1 << 20
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
