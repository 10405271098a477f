package search

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining asserts that the functions the search calls for every load
// of every target on every iteration inline: the trial-time split, the
// classification sums, the bound checks and the nomination order.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"(*Sums).Add", "classifySums", "(*loadStat).sums", "worth", "done", "split",
		"nomination.before", "(*TrialOutput).LossRatio",
	)
}
