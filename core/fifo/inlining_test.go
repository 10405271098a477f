package fifo

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/inlinetest"
)

// The small hot functions must inline: a call per position comparison or per
// index computation would cost more than the work.
func TestInlining(t *testing.T) {
	inlinetest.Check(t,
		"posLT", "posLEQ", "posGT",
		"(*Fifo).index", "(*Fifo).writeAt", "(*Fifo).readAt",
		"(*Fifo).producerFree", "(*Fifo).consumerAvail",
		"(*Fifo).MaxDequeue", "(*Fifo).MaxEnqueue", "(*Fifo).Head", "(*Fifo).Tail",
		"(*Fifo).wakeConsumer", "(*Fifo).wakeProducer",
		"(*Fifo).SetEvent", "(*Fifo).HasEvent", "OOOSegment.End",
	)
}
