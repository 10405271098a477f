package msgq

import (
	"encoding/binary"
	"os"
	"strconv"
	"testing"

	"github.com/sessionlab/sessionlab/core/fifo"
)

const (
	envMsgQChild    = "SESSIONLAB_SVMQ_CHILD"     // queue offset in the segment passed as fd 3
	envMsgQChildMsg = "SESSIONLAB_SVMQ_CHILD_MSG" // messages to send
)

// xprocMsgQCfg is small so that both producers keep finding the queue and
// the rings full and sleep on the shared futexes.
var xprocMsgQCfg = MsgQCfg{QNitems: 8, Rings: []MsgQRingCfg{{Nitems: 4, Elsize: 18}, {Nitems: 4, Elsize: 64}}}

// TestCrossProcessMsgQChild is the child producer of TestCrossProcessMsgQ;
// run directly it does nothing.
func TestCrossProcessMsgQChild(t *testing.T) {
	offStr := os.Getenv(envMsgQChild)
	if offStr == "" {
		t.Skip("helper for TestCrossProcessMsgQ; runs only in the child process")
	}
	off, _ := strconv.ParseUint(offStr, 10, 64)
	n, _ := strconv.Atoi(os.Getenv(envMsgQChildMsg))
	seg, err := fifo.AttachSegment(3)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := MsgQBytes(xprocMsgQCfg)
	mem, err := seg.Block(off, size)
	if err != nil {
		t.Fatal(err)
	}
	q, err := AttachMsgQ(mem)
	if err != nil {
		t.Fatal(err)
	}
	if err := produceMsgQ(q, 1, n); err != nil {
		t.Fatal(err)
	}
}

// produceMsgQ sends n messages {producer, seq} from producer id, alternating
// rings, waiting whenever the queue or the ring is full.
func produceMsgQ(q *MsgQ, id uint32, n int) error {
	for i := range n {
		m, err := q.LockAndAllocMsgWRing(i%2, false)
		if err != nil {
			return err
		}
		d := q.MsgData(m)
		binary.LittleEndian.PutUint32(d, id)
		binary.LittleEndian.PutUint64(d[4:], uint64(i))
		if err := q.AddAndUnlock(m); err != nil {
			return err
		}
	}
	return nil
}

// A MsgQ in a shared segment: a child process attaches it and produces
// while a goroutine of this process does too, so the producers' lock and the
// space and data futexes work across processes. Every message arrives once,
// in each producer's order.
func TestCrossProcessMsgQ(t *testing.T) {
	n := 50000
	if testing.Short() || raceEnabled {
		n = 5000
	}
	seg, err := fifo.NewSegment("svmq-xproc", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	size, _ := MsgQBytes(xprocMsgQCfg)
	off, err := seg.AllocBlock(size)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := seg.Block(off, size)
	q, err := InitMsgQ(mem, xprocMsgQCfg)
	if err != nil {
		t.Fatal(err)
	}
	child := startChild(t, seg, "TestCrossProcessMsgQChild", envMsgQChild+"="+strconv.FormatUint(off, 10), envMsgQChildMsg+"="+strconv.Itoa(n))
	local := make(chan error, 1)
	go func() { local <- produceMsgQ(q, 0, n) }()

	var next [2]uint64
	for k := range 2 * n {
		m, err := q.Sub(false)
		if err != nil {
			t.Fatal(err)
		}
		d := q.MsgData(m)
		if d == nil {
			t.Fatalf("message %d: bad handle %+v", k, m)
		}
		id, seq := binary.LittleEndian.Uint32(d), binary.LittleEndian.Uint64(d[4:])
		if id > 1 || seq != next[id] || m.RingIndex != uint32(seq%2) {
			t.Fatalf("message %d: producer %d seq %d in ring %d, want seq %d", k, id, seq, m.RingIndex, next[min(id, 1)])
		}
		next[id]++
		if err := q.FreeMsg(m); err != nil {
			t.Fatalf("message %d: %v", k, err)
		}
	}
	if err := <-local; err != nil {
		t.Fatal(err)
	}
	child.wait(t)
	if !q.IsEmpty() || q.RingCursize(0) != 0 || q.RingCursize(1) != 0 {
		t.Fatalf("left over: len %d cursizes %d %d", q.Len(), q.RingCursize(0), q.RingCursize(1))
	}
}
