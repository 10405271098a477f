package fifo

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/testutil/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestFormatGolden renders fifo states along VPP's fifo5 scenario (and a
// segment fifo with bookkeeping) and compares with testdata/format.golden.
func TestFormatGolden(t *testing.T) {
	var b strings.Builder
	step := func(title string, f *Fifo, verbose int) {
		b.WriteString("== " + title + "\n")
		b.WriteString(f.Format(verbose))
	}
	data := pattern400()
	f := mustNew(t, 401)
	f.InitPointers(200, 200)
	step("new, pointers at 200", f, 1)
	f.EnqueueAt(100, data[100:200])
	f.EnqueueAt(300, data[300:400])
	f.EnqueueAt(225, data[225:275])
	step("ooo [100,200) [300,400) [225,275)", f, 1)
	f.EnqueueAt(190, data[190:310])
	step("ooo [190,310) bridges all", f, 1)
	f.Enqueue(data[:150])
	f.SetEvent()
	step("in-order [0,150) collects", f, 1)

	seg := mustSegment(t, 1<<20)
	rx, _, err := seg.AllocPair(6000, 4096)
	if err != nil {
		t.Fatal(err)
	}
	rx.SetVPPSession(1, 42)
	rx.SetAppSession(0, 7)
	rx.AddWantDeqNotif(WantDeqNotifIfFull)
	rx.SetDeqThreshold(1024)
	rx.AddSubscriber(3)
	rx.InitPointers(^uint32(0)-10, ^uint32(0)-10)
	rx.Enqueue(data[:20])
	step("segment fifo across the u32 wrap", rx, 2)

	golden.Check(t, filepath.Join("testdata", "format.golden"), b.String(), *update)
}
