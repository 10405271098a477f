package config

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// TestInlining checks that the per-byte helpers of the reader and the
// scanner inline: flattening and keyword matching call them for every byte
// of a configuration.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "isSpace", "skipBlank", "digit", "(*scanner).skipSpace", "(*scanner).literal", "(*text).add", "RoundBuckets", "Pos.IsValid")
}
