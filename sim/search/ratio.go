package search

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseRatio parses a ratio in [0, 1] written as a number ("0.005") or a
// percentage ("0.5%"), as the command line and scenario files write loss
// ratios, goal widths and exceed ratios. Errors quote the offending text.
func ParseRatio(s string) (float64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if rest, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = strings.TrimSpace(rest), 100
	}
	if t == "" || strings.ContainsAny(t, "_xXpP") {
		// Go's ParseFloat accepts hex floats and underscores in some forms;
		// a ratio is plain decimal.
		return 0, fmt.Errorf("invalid ratio %q: want a number in [0, 1] or a percentage such as \"0.5%%\"", s)
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid ratio %q: want a number in [0, 1] or a percentage such as \"0.5%%\"", s)
	}
	v /= scale
	if !(v >= 0 && v <= 1) {
		return 0, fmt.Errorf("ratio %q is outside [0, 1]", s)
	}
	return v, nil
}

// ParseRatioList parses a comma-separated list of ratios ("0,0.5%"). An
// error names the position (1-based) and text of the bad item.
func ParseRatioList(s string) ([]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty list of ratios")
	}
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		v, err := ParseRatio(p)
		if err != nil {
			return nil, fmt.Errorf("item %d of %q: %w", i+1, s, err)
		}
		out[i] = v
	}
	return out, nil
}

// FormatRatio writes a ratio as the shortest percentage that reads back
// to it ("0.5%", "0%", "12.5%").
func FormatRatio(r float64) string {
	return strconv.FormatFloat(r*100, 'g', -1, 64) + "%"
}
