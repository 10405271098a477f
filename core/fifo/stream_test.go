package fifo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"
	"golang.org/x/sys/unix"
)

// patternPeriod is prime, so the byte at stream position p, pattern[p %
// patternPeriod], differs between any two positions whose distance is not a
// multiple of it: a lost, duplicated or reordered write shows up as a content
// mismatch at a precise offset, not only as a different checksum.
const patternPeriod = 1000003

var pattern = func() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 2*patternPeriod+(1<<20))
	for i := range patternPeriod {
		b[i] = byte(r.Uint32())
	}
	for i := patternPeriod; i < len(b); i++ {
		b[i] = b[i-patternPeriod]
	}
	return b
}()

// streamAt returns the n pattern bytes at stream position pos (n <= 1 MiB).
func streamAt(pos uint64, n int) []byte {
	i := pos % patternPeriod
	return pattern[i : i+uint64(n)]
}

// backoff is the wait strategy of test and benchmark loops: spin briefly (the
// peer may be running on the other core and about to publish), yield a few
// times, then sleep (WaitReadable/WaitWritable) until the peer moves.
//
// The spin is short on purpose. Parking soon lets Go's scheduler run producer
// and consumer back to back on one P, the way a channel hands off, so the
// bytes one side writes are still in that core's cache when the other reads
// them; long spins keep the two sides on two cores and every line of data
// crosses between their caches. Measured on the 2-core CI machine (1 GiB,
// 1500-byte ops, median of 5): spin 64/yield 128 gave 5.1 GB/s through a
// 64 KiB fifo and 1.9 GB/s through 1 MiB; spin 16/yield 16 gave 16.7 and
// 11.9 GB/s, with the channel peer at 10.3 and 7.0 GB/s in the same runs.
type backoff int

const (
	spinTries  = 16
	yieldTries = 16
)

func (b *backoff) pause() bool {
	*b++
	switch {
	case *b < spinTries:
		return true
	case *b < yieldTries:
		runtime.Gosched()
		return true
	}
	return false
}

// waitRead waits for f to have data (consumer side).
func (b *backoff) waitRead(f *Fifo) {
	if !b.pause() {
		f.WaitReadable()
	}
}

// waitWrite waits for f to have room for n more bytes (producer side).
func (b *backoff) waitWrite(f *Fifo, n int) {
	if !b.pause() {
		f.WaitWritableN(uint32(n))
	}
}

// produce writes total bytes of the stream into f in writes of the given
// sizes (cycled), with zero-copy views when zc is set.
func produce(f *Fifo, total uint64, sizes []int, zc bool) {
	var pos uint64
	var bo backoff
	for i := 0; pos < total; i++ {
		n := int(min(uint64(sizes[i%len(sizes)]), total-pos))
		p := streamAt(pos, n)
		for len(p) > 0 {
			var k int
			if zc {
				a, b, err := f.WriteSegments(uint32(len(p)))
				if err == nil {
					k = copy(a, p)
					k += copy(b, p[k:])
					if err := f.Commit(uint32(k)); err != nil {
						panic(err)
					}
				}
			} else {
				k, _ = f.Enqueue(p)
			}
			if k == 0 {
				bo.waitWrite(f, len(p))
				continue
			}
			bo = 0
			p = p[k:]
			pos += uint64(k)
		}
	}
}

// consume reads total bytes from f in reads of the given sizes, checking each
// against the stream, and returns the xxh3 of everything read.
func consume(f *Fifo, total uint64, sizes []int, zc bool) (uint64, error) {
	h := xxh3.New()
	buf := make([]byte, 1<<20)
	var pos uint64
	var bo backoff
	for i := 0; pos < total; i++ {
		want := sizes[i%len(sizes)]
		var got []byte
		if zc {
			a, b, err := f.ReadSegments(0, uint32(want))
			if err != nil {
				bo.waitRead(f)
				continue
			}
			got = append(append(buf[:0], a...), b...)
			if _, err := f.Drop(uint32(len(got))); err != nil {
				return 0, err
			}
		} else {
			n, err := f.Dequeue(buf[:want])
			if err != nil {
				bo.waitRead(f)
				continue
			}
			got = buf[:n]
		}
		bo = 0
		if !bytes.Equal(got, streamAt(pos, len(got))) {
			for j := range got {
				if got[j] != streamAt(pos+uint64(j), 1)[0] {
					return 0, fmt.Errorf("stream byte %d: got %#x, want %#x", pos+uint64(j), got[j], streamAt(pos+uint64(j), 1)[0])
				}
			}
		}
		h.Write(got)
		pos += uint64(len(got))
	}
	return h.Sum64(), nil
}

func streamHash(total uint64) uint64 {
	h := xxh3.New()
	for pos := uint64(0); pos < total; {
		n := int(min(1<<20, total-pos))
		h.Write(streamAt(pos, n))
		pos += uint64(n)
	}
	return h.Sum64()
}

// Producer and consumer goroutines on one fifo, no locks: every byte arrives
// once, in order (the race detector checks the publication protocol for the
// heap-backed fifo).
func TestConcurrentStream(t *testing.T) {
	total := uint64(64 << 20)
	if testing.Short() || raceEnabled {
		total = 4 << 20
	}
	wsizes := []int{1500, 1, 7000, 64 << 10, 333, 4096}
	rsizes := []int{4096, 1, 1500, 65536, 77, 9000}
	seg := mustSegment(t, 4<<20)
	for _, c := range []struct {
		name string
		mk   func() *Fifo
		zc   bool
	}{
		{"heap-4KiB", func() *Fifo { return mustNew(t, 4096) }, false},
		{"heap-odd-size", func() *Fifo { return mustNew(t, 10007) }, false},
		{"segment-64KiB", func() *Fifo { f, _ := seg.AllocFifo(64<<10, KindRx); return f }, false},
		{"segment-64KiB-zerocopy", func() *Fifo { f, _ := seg.AllocFifo(64<<10, KindRx); return f }, true},
		{"heap-zerocopy-wrap", func() *Fifo {
			f := mustNew(t, 8192)
			f.InitPointers(^uint32(0)-5000, ^uint32(0)-5000)
			return f
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.mk()
			done := make(chan struct{})
			go func() {
				defer close(done)
				produce(f, total, wsizes, c.zc)
			}()
			sum, err := consume(f, total, rsizes, c.zc)
			<-done
			if err != nil {
				t.Fatal(err)
			}
			if want := streamHash(total); sum != want {
				t.Fatalf("xxh3 %#x, want %#x", sum, want)
			}
		})
	}
}

// Environment of the re-executed test binary (the child process).
const (
	envChild      = "SESSIONLAB_FIFO_CHILD"       // "fifo" or "socket"
	envChildOff   = "SESSIONLAB_FIFO_CHILD_OFF"   // fifo header offset
	envChildBytes = "SESSIONLAB_FIFO_CHILD_BYTES" // bytes to stream
	envChildWrite = "SESSIONLAB_FIFO_CHILD_WRITE" // write size
	envChildHash  = "SESSIONLAB_FIFO_CHILD_HASH"  // "0": skip the checksum (benchmarks)
)

// TestCrossProcessChild is the child side of the cross-process tests and
// benchmarks; run directly it does nothing. It maps the segment passed as fd 3,
// attaches to the fifo at the given offset and streams the pattern into it
// (or writes it to the socket passed as fd 3), then prints the xxh3 of what it
// sent.
func TestCrossProcessChild(t *testing.T) {
	mode := os.Getenv(envChild)
	if mode == "" {
		t.Skip("helper for TestCrossProcess; runs only in the child process")
	}
	total, _ := strconv.ParseUint(os.Getenv(envChildBytes), 10, 64)
	wsize, _ := strconv.Atoi(os.Getenv(envChildWrite))
	if total == 0 || wsize <= 0 {
		t.Fatalf("bad child parameters: bytes %q write %q", os.Getenv(envChildBytes), os.Getenv(envChildWrite))
	}
	switch mode {
	case "fifo":
		off, _ := strconv.ParseUint(os.Getenv(envChildOff), 10, 64)
		seg, err := AttachSegment(3)
		if err != nil {
			t.Fatal(err)
		}
		f, err := seg.Fifo(off)
		if err != nil {
			t.Fatal(err)
		}
		produce(f, total, []int{wsize}, false)
	case "socket":
		sock := os.NewFile(3, "socket")
		for pos := uint64(0); pos < total; {
			n := int(min(uint64(wsize), total-pos))
			if _, err := sock.Write(streamAt(pos, n)); err != nil {
				t.Fatal(err)
			}
			pos += uint64(n)
		}
		sock.Close()
	default:
		t.Fatalf("unknown child mode %q", mode)
	}
	if os.Getenv(envChildHash) != "0" {
		fmt.Printf("child-xxh3 %x\n", streamHash(total))
	}
}

// startChild re-executes the test binary as the producer process, handing it
// file extra as fd 3.
func startChild(t testing.TB, mode string, extra *os.File, off, total uint64, wsize int, hash bool) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrossProcessChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envChild+"="+mode,
		envChildOff+"="+strconv.FormatUint(off, 10),
		envChildBytes+"="+strconv.FormatUint(total, 10),
		envChildWrite+"="+strconv.Itoa(wsize),
		envChildHash+"="+map[bool]string{true: "1", false: "0"}[hash],
	)
	cmd.ExtraFiles = []*os.File{extra}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// dupFile returns an *os.File for a duplicate of fd, so handing it to a child
// and closing it leaves fd (owned by a segment) open.
func dupFile(t testing.TB, fd int, name string) *os.File {
	t.Helper()
	d, err := unix.Dup(fd)
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(d), name)
}

func childHash(t testing.TB, out *bytes.Buffer) uint64 {
	t.Helper()
	for _, line := range strings.Split(out.String(), "\n") {
		if h, ok := strings.CutPrefix(line, "child-xxh3 "); ok {
			v, err := strconv.ParseUint(strings.TrimSpace(h), 16, 64)
			if err == nil {
				return v
			}
		}
	}
	t.Fatalf("child printed no checksum; output:\n%s", out.String())
	return 0
}

// A child process maps the segment by fd and streams 1 GiB to this process
// through a fifo; the parent checks every byte against the pattern and the
// running xxh3 against the child's.
func TestCrossProcess(t *testing.T) {
	total := uint64(1 << 30)
	if testing.Short() {
		total = 64 << 20 // the full GiB takes about 5 s under -race
	}
	seg := mustSegment(t, 4<<20)
	f, err := seg.AllocFifo(1<<20, KindRx)
	if err != nil {
		t.Fatal(err)
	}
	segFile := dupFile(t, seg.Fd(), "segment")
	cmd, out := startChild(t, "fifo", segFile, f.Offset(), total, 64<<10, true)
	segFile.Close()
	sum, cerr := consume(f, total, []int{64 << 10, 1500, 100000}, false)
	werr := cmd.Wait()
	if cerr != nil {
		t.Fatal(cerr)
	}
	if werr != nil {
		t.Fatalf("child: %v\n%s", werr, out.String())
	}
	if ch := childHash(t, out); ch != sum {
		t.Fatalf("parent xxh3 %#x, child %#x", sum, ch)
	}
	if f.MaxDequeue() != 0 || f.Head() != uint32(total) {
		t.Fatalf("fifo left with %d bytes, head %d", f.MaxDequeue(), f.Head())
	}
}
