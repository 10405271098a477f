package search

import (
	"fmt"
	"math"
)

// finalSteps is how many grid steps the narrowest goal width spans. A
// power of two, so that the split of an interval one to two goals wide
// (and the widths of the intermediate phases, 2^k goals) stay whole steps;
// 64 keeps the rounding of other goals' widths (always down, so never
// wider than asked) within 1/64 of their width.
const finalSteps = 64

// grid maps load indices to loads: index i is min·e^(i·unit), index top is
// exactly max. Everything the search decides — widths, bisection,
// expansion — is integer arithmetic on indices; loads are only computed to
// hand them to the measurer and to report them.
//
// The unit is log(max/min)/top with top the smallest count of steps that
// makes the narrowest goal width at least finalSteps steps, so both limits
// sit exactly on the grid and a width of w steps means a relative width of
// 1 − e^(−w·unit).
type grid struct {
	min, max float64
	unit     float64 // natural log of the ratio between neighbouring loads
	top      int     // index of max
}

// newGrid builds the grid for a load range and the narrowest relative goal
// width.
func newGrid(minLoad, maxLoad, narrowest float64) (grid, error) {
	span := math.Log(maxLoad / minLoad)
	// The unit must not exceed this for the narrowest width to take
	// finalSteps steps. The (1 − 1e-9) margin keeps finalSteps steps
	// strictly inside the width after the rounding of Exp and Log.
	u0 := -math.Log1p(-narrowest) * (1 - 1e-9) / finalSteps
	top := math.Ceil(span / u0)
	if top > 1<<30 || !(top >= 1) {
		return grid{}, fmt.Errorf("search: load range %v..%v is too wide for a goal width of %v", minLoad, maxLoad, narrowest)
	}
	g := grid{min: minLoad, max: maxLoad, top: int(top)}
	g.unit = span / top
	return g, nil
}

// load returns the load at index i, clamped to the range.
func (g *grid) load(i int) float64 {
	switch {
	case i <= 0:
		return g.min
	case i >= g.top:
		return g.max
	}
	return g.min * math.Exp(float64(i)*g.unit)
}

// index returns the grid index nearest to load in logarithmic terms,
// clamped to [0, top].
func (g *grid) index(load float64) int {
	if !(load > g.min) {
		return 0
	}
	f := math.Log(load/g.min) / g.unit
	if f >= float64(g.top) {
		return g.top
	}
	return int(math.Round(f))
}

// floor returns the highest grid index whose load is at most load
// (within rounding), clamped to [0, top]: the initial phase rounds its
// estimates down, never offering more than it measured.
func (g *grid) floor(load float64) int {
	if !(load > g.min) {
		return 0
	}
	f := math.Log(load/g.min)/g.unit + 1e-9
	if f >= float64(g.top) {
		return g.top
	}
	return int(f)
}

// steps returns the number of grid steps of a relative width, rounded
// down so that a width of that many steps never exceeds it.
func (g *grid) steps(width float64) int {
	return max(int(math.Floor(-math.Log1p(-width)*(1-1e-9)/g.unit)), 1)
}

// relWidth returns the relative width (hi − lo)/hi of n steps.
func (g *grid) relWidth(n int) float64 { return -math.Expm1(-float64(n) * g.unit) }

// split returns the index to measure between lo and hi (hi − lo > goal
// steps) when bisecting.
//
// When the interval is at most two goals wide, one measurement in its
// middle must finish it, so it splits evenly. Wider intervals are split so
// that the upper part is the goal times a power of two — the most even such
// split — because then, whenever the new load becomes the lower bound, the
// rest halves down to exactly one goal with no fractional remainder, and
// the search never ends with a needlessly narrow (that is, needlessly
// measured) interval.
func split(lo, hi, goal int) int {
	w := hi - lo
	if w <= 2*goal {
		return lo + w/2
	}
	best, bestProd := goal, 0
	for up := goal; up < w; up *= 2 {
		if p := up * (w - up); p >= bestProd {
			best, bestProd = up, p
		}
	}
	return hi - best
}
