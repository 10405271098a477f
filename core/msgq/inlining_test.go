package msgq

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// The per-message helpers must inline.
func TestInlining(t *testing.T) {
	// Queue[T]'s methods are generic and only show up where instantiated;
	// they mirror these.
	inlinetest.Check(t,
		"(*Ring).slot", "(*Ring).ready", "(*Ring).peek", "(*Ring).Len",
		"(*Ring).wakeProducers", "(*Ring).wakeConsumer", "slotStride",
		"(*MsgQ).MsgData", "(*MsgQ).IsFull", "(*MsgQ).IsEmpty", "(*MsgQ).TryLock",
		"(*mqRing).alloc", "(*mqRing).full",
	)
}
