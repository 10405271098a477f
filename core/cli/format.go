package cli

import "strings"

// table renders rows as vppinfra's format_table does for `show app ns`:
// header cells centred, body cells left-aligned, columns as wide as their
// widest cell and separated by one space. Trailing blanks are dropped and
// so are the colour escapes and the empty title line VPP prints.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) String() string {
	width := make([]int, len(t.header))
	for i, h := range t.header {
		width[i] = len(h)
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	var b strings.Builder
	line := func(cells []string, centre bool) {
		var l strings.Builder
		for i, c := range cells {
			if i > 0 {
				l.WriteByte(' ')
			}
			pad := width[i] - len(c)
			left := 0
			if centre {
				left = pad / 2
			}
			l.WriteString(strings.Repeat(" ", left))
			l.WriteString(c)
			l.WriteString(strings.Repeat(" ", pad-left))
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(t.header, true)
	for _, r := range t.rows {
		line(r, false)
	}
	return b.String()
}
