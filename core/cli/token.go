package cli

// token is one word of a command line and the byte column (0-based) where it
// starts, so an error can point at it.
type token struct {
	text string
	col  int
}

// isSpace reports whether c separates words. VPP's unformat treats space,
// tab, CR and LF as white space; so do we.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// tokenize splits line into words. A '#' that begins a word starts a
// comment running to the end of the line (inside a word it is an ordinary
// byte, so a tag may contain one). The tokens share line's memory: a
// command line is short-lived and copying each word would only cost.
func tokenize(line string, dst []token) []token {
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) || line[i] == '#' {
			break
		}
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		dst = append(dst, token{text: line[start:i], col: start})
	}
	return dst
}

// stripComment returns line without its comment (see tokenize) and without
// trailing white space.
func stripComment(line string) string {
	toks := tokenize(line, nil)
	if len(toks) == 0 {
		return ""
	}
	last := toks[len(toks)-1]
	return line[toks[0].col : last.col+len(last.text)]
}

// SplitCommands splits an -e argument into commands at ';' (a command line
// itself never contains one: no VPP session command takes a ';').
func SplitCommands(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ';' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
