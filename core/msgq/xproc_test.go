package msgq

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/sessionlab/sessionlab/core/fifo"
	"golang.org/x/sys/unix"
)

const (
	envChild    = "SESSIONLAB_MSGQ_CHILD"     // ring offset in the segment passed as fd 3
	envChildMsg = "SESSIONLAB_MSGQ_CHILD_MSG" // messages to send
)

// TestCrossProcessChild is the producer side of TestCrossProcessRing; run
// directly it does nothing.
func TestCrossProcessChild(t *testing.T) {
	offStr := os.Getenv(envChild)
	if offStr == "" {
		t.Skip("helper for TestCrossProcessRing; runs only in the child process")
	}
	off, _ := strconv.ParseUint(offStr, 10, 64)
	n, _ := strconv.Atoi(os.Getenv(envChildMsg))
	seg, err := fifo.AttachSegment(3)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := RingBytes(64, 18)
	mem, err := seg.Block(off, size)
	if err != nil {
		t.Fatal(err)
	}
	r, err := AttachRing(mem)
	if err != nil {
		t.Fatal(err)
	}
	var m [18]byte
	for i := range n {
		binary.LittleEndian.PutUint64(m[2:], uint64(i))
		if err := r.Enqueue(m[:]); err != nil { // blocks (futex) while full
			t.Fatal(err)
		}
	}
}

// A ring in a shared segment carries messages from a child process to this
// one; both sides block on futexes in the shared memory when the ring is full
// or empty, and every message arrives once, in order.
func TestCrossProcessRing(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	seg, err := fifo.NewSegment("mq-xproc", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	size, _ := RingBytes(64, 18)
	off, err := seg.AllocBlock(size)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := seg.Block(off, size)
	r, err := InitRing(mem, 64, 18)
	if err != nil {
		t.Fatal(err)
	}
	child := startChild(t, seg, "TestCrossProcessChild", envChild+"="+strconv.FormatUint(off, 10), envChildMsg+"="+strconv.Itoa(n))
	buf := make([]byte, 18)
	for i := range n {
		k, err := r.Dequeue(buf)
		if err != nil || k != 18 || binary.LittleEndian.Uint64(buf[2:]) != uint64(i) {
			t.Fatalf("message %d: %d bytes, %v, seq %d", i, k, err, binary.LittleEndian.Uint64(buf[2:]))
		}
	}
	child.wait(t)
	if r.Len() != 0 || r.Drops() != 0 {
		t.Fatalf("len %d drops %d after the stream", r.Len(), r.Drops())
	}
}

// segChild is the test binary re-executed as a child process that maps a
// segment of its parent's (its fd is the child's fd 3).
type segChild struct {
	cmd *exec.Cmd
	out *os.File
}

// startChild starts the child running test, with env added to its
// environment and seg's memfd passed as fd 3.
func startChild(t *testing.T, seg *fifo.Segment, test string, env ...string) *segChild {
	t.Helper()
	fd, err := unix.Dup(seg.Fd())
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "segment")
	defer f.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{f}
	out, err := os.CreateTemp(t.TempDir(), "child")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &segChild{cmd: cmd, out: out}
}

// wait waits for the child and fails the test with its output if it failed.
func (c *segChild) wait(t *testing.T) {
	t.Helper()
	if err := c.cmd.Wait(); err != nil {
		b, _ := os.ReadFile(c.out.Name())
		t.Fatalf("child: %v\n%s", err, b)
	}
}
