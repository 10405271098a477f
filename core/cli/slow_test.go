package cli

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// slowTokenize is the obviously right tokenizer: cut the comment, then
// split at white space, finding each word's column by searching from the
// end of the previous one.
func slowTokenize(line string) []token {
	var out []token
	pos := 0
	for {
		rest := line[pos:]
		trimmed := strings.TrimLeft(rest, " \t\r\n")
		if trimmed == "" || trimmed[0] == '#' {
			return out
		}
		start := pos + len(rest) - len(trimmed)
		end := strings.IndexAny(trimmed, " \t\r\n")
		if end < 0 {
			end = len(trimmed)
		}
		out = append(out, token{text: trimmed[:end], col: start})
		pos = start + end
	}
}

// TestTokenizeMatchesSlow checks tokenize against slowTokenize on random
// lines built from the bytes that matter (white space, '#', words).
func TestTokenizeMatchesSlow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{" ", "\t", "\r", "\n", "#", "a", "b", "1", "/", ":", "session", "x#y", "é"}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := r.IntN(12); n > 0; n-- {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		line := b.String()
		got, want := tokenize(line, nil), slowTokenize(line)
		if len(got) != len(want) {
			t.Fatalf("%q: %v, want %v", line, got, want)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("%q: token %d %v, want %v", line, j, got[j], want[j])
			}
		}
	}
}

// TestTokenizeAllocs checks that tokenizing into a reused slice does not
// allocate: the tokens point into the line.
func TestTokenizeAllocs(t *testing.T) {
	buf := make([]token, 0, 32)
	line := "session rule add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 4321 action drop tag t # comment"
	if n := testing.AllocsPerRun(100, func() { buf = tokenize(line, buf[:0]) }); n != 0 {
		t.Errorf("tokenize allocates %v times per line", n)
	}
}
