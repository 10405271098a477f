package scenario

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/sessionlab/sessionlab/reports/results"
)

// slowEditDistance is the optimal-string-alignment distance by its
// recursive definition: obviously right, exponential, for short strings.
func slowEditDistance(a, b string) int {
	if a == "" {
		return len(b)
	}
	if b == "" {
		return len(a)
	}
	cost := 1
	if a[len(a)-1] == b[len(b)-1] {
		cost = 0
	}
	d := min(slowEditDistance(a[:len(a)-1], b)+1, slowEditDistance(a, b[:len(b)-1])+1,
		slowEditDistance(a[:len(a)-1], b[:len(b)-1])+cost)
	if len(a) > 1 && len(b) > 1 && a[len(a)-1] == b[len(b)-2] && a[len(a)-2] == b[len(b)-1] {
		d = min(d, slowEditDistance(a[:len(a)-2], b[:len(b)-2])+1)
	}
	return d
}

func TestEditDistanceAgainstSlow(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	word := func() string {
		b := make([]byte, rng.IntN(7))
		for i := range b {
			b[i] = "abcd"[rng.IntN(4)]
		}
		return string(b)
	}
	for range 2000 {
		a, b := word(), word()
		if got, want := editDistance(a, b), slowEditDistance(a, b); got != want {
			t.Fatalf("editDistance(%q, %q) = %d, reference %d", a, b, got, want)
		}
	}
}

// slowGrid enumerates a sweep grid with explicit nested loops over the
// groups (first group outermost), the definition the fast index
// arithmetic must reproduce.
func slowGrid(sw results.Sweep) [][]int {
	gs := sw.Groups()
	var out [][]int
	cur := make([]int, len(sw.Axes))
	var rec func(g int)
	rec = func(g int) {
		if g == len(gs) {
			out = append(out, append([]int(nil), cur...))
			return
		}
		for v := range gs[g].Len {
			for _, a := range gs[g].Axes {
				cur[a] = v
			}
			rec(g + 1)
		}
	}
	rec(0)
	return out
}

func netipPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
