package cost

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// The per-packet helpers must inline: they run several times for every
// packet the engine processes.
func TestInlining(t *testing.T) {
	inlinetest.Check(t, "(*Ledger).Charge", "(*Ledger).ChargeBytes", "(*Ledger).ChargeLookup", "(*Ledger).ChargeInsert", "(*Ledger).NS", "(*Ledger).Reset")
}
