package cli

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining checks that the per-byte and per-word helpers of the
// tokenizer and the scanner inline: every command line goes through them,
// and a script replays thousands of lines.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "isSpace", "isDigits", "(*scanner).done", "(*scanner).peek",
		"(*scanner).cur", "(*scanner).accept")
}
