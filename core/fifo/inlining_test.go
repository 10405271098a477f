package fifo

import (
	"os/exec"
	"regexp"
	"testing"
)

// The small hot functions must inline: a call per position comparison or per
// index computation would cost more than the work.
func TestInlining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the package with -gcflags=-m")
	}
	out, err := exec.Command("go", "build", "-gcflags=-m", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build -gcflags=-m: %v\n%s", err, out)
	}
	for _, fn := range []string{
		"posLT", "posLEQ", "posGT",
		"(*Fifo).index", "(*Fifo).writeAt", "(*Fifo).readAt",
		"(*Fifo).producerFree", "(*Fifo).consumerAvail",
		"(*Fifo).MaxDequeue", "(*Fifo).MaxEnqueue", "(*Fifo).Head", "(*Fifo).Tail",
		"(*Fifo).wakeConsumer", "(*Fifo).wakeProducer",
		"(*Fifo).SetEvent", "(*Fifo).HasEvent", "OOOSegment.End",
	} {
		re := regexp.MustCompile(`can inline ` + regexp.QuoteMeta(fn) + `\b`)
		if !re.Match(out) {
			t.Errorf("%s does not inline", fn)
		}
	}
}
