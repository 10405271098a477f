package config

import (
	"fmt"
	"sort"
)

// Pos is a position in the original configuration file: 1-based line and
// 1-based byte column (a tab counts as one column, as in Go's own tools).
// The zero Pos means "no position" (a default value, or a value applied by
// [Session.Set]).
type Pos struct {
	Line, Col int
}

// IsValid reports whether p names a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "line:col", or "-" for the zero Pos.
func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Setting is one configuration parameter: its value, and whether and where it
// was set. When Set is false, Value is VPP's default and Pos is zero.
type Setting[T comparable] struct {
	Value T
	// Set reports whether the configuration gave the parameter a value
	// (even a value VPP then treats as "use the default", such as 0 buckets).
	Set bool
	// Pos is where the keyword that set the value starts.
	Pos Pos
	// Keyword is the keyword as written, so an alias such as
	// event-queue-length shows up here when it set wrk-mq-length.
	Keyword string
}

// lineTable maps byte offsets of one source text to positions. It holds the
// offset at which every line starts, so a lookup is a binary search; building
// it is one pass over the text.
type lineTable []int32

func newLineTable(src []byte) lineTable {
	t := lineTable{0}
	for i, c := range src {
		if c == '\n' {
			t = append(t, int32(i+1))
		}
	}
	return t
}

// pos returns the position of byte offset off. A negative offset (a byte that
// VPP's reader synthesised, like the space that joins repeated stanzas) has
// no position.
func (t lineTable) pos(off int32) Pos {
	if off < 0 || len(t) == 0 {
		return Pos{}
	}
	// The line is the last line start <= off.
	l := sort.Search(len(t), func(i int) bool { return t[i] > off }) - 1
	return Pos{Line: l + 1, Col: int(off-t[l]) + 1}
}
