package fifo

import (
	"fmt"
	"io"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// streamBytes is what one benchmark operation streams: 1 GiB (64 MiB with
// -short, to check the benchmarks work without the wait).
func streamBytes() uint64 {
	if testing.Short() {
		return 64 << 20
	}
	return 1 << 30
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// pipeImpl is one way of moving a byte stream from a producer goroutine to a
// consumer goroutine with a given buffer size.
type pipeImpl struct {
	name string
	// open returns the producer's write and the consumer's read functions
	// (both may block) and a cleanup.
	open func(tb testing.TB, bufSize int) (write func([]byte), read func([]byte) int, done func())
}

// chunkHint is the write size of the running benchmark, which sizes the
// channel peer's capacity.
var chunkHint = 1500

var pipeImpls = []pipeImpl{
	{"fifo", openFifo},
	{"chan", openChan},
	{"iopipe", openIOPipe},
	{"socketpair", openSocketpair},
	{"tcp", openTCP},
}

func openFifo(tb testing.TB, size int) (func([]byte), func([]byte) int, func()) {
	seg, err := NewSegment("bench", uint64(4*size))
	if err != nil {
		tb.Fatal(err)
	}
	f, err := seg.AllocFifo(uint32(size), KindRx)
	if err != nil {
		tb.Fatal(err)
	}
	write := func(p []byte) {
		var bo backoff
		for len(p) > 0 {
			n, _ := f.Enqueue(p)
			if n == 0 {
				bo.waitWrite(f, len(p))
				continue
			}
			bo = 0
			p = p[n:]
		}
	}
	read := func(p []byte) int {
		var bo backoff
		for {
			n, err := f.Dequeue(p)
			if err == nil {
				return n
			}
			bo.waitRead(f)
		}
	}
	return write, read, func() { seg.Close() }
}

// openChan is a buffered channel of []byte chunks holding as many
// write-sized chunks as the buffer size allows (at least one); the producer
// copies into a recycled chunk (so the garbage collector is not what is
// measured) and the consumer copies out.
func openChan(tb testing.TB, size int) (func([]byte), func([]byte) int, func()) {
	const chunk = 64 << 10
	n := max(size/chunkHint, 1)
	// n chunks circulate in all (in the channel, being filled, being read),
	// so the channel never holds more data than the fifo it is compared with.
	ch := make(chan []byte, n)
	free := make(chan []byte, n)
	for range n {
		free <- make([]byte, chunk)
	}
	var cur []byte // consumer's partially read chunk
	var curBuf []byte
	write := func(p []byte) {
		for len(p) > 0 {
			b := <-free
			k := copy(b[:min(len(p), chunk)], p)
			ch <- b[:k]
			p = p[k:]
		}
	}
	read := func(p []byte) int {
		if len(cur) == 0 {
			if curBuf != nil {
				free <- curBuf[:chunk]
			}
			curBuf = <-ch
			cur = curBuf
		}
		k := copy(p, cur)
		cur = cur[k:]
		return k
	}
	return write, read, func() {}
}

func openIOPipe(tb testing.TB, size int) (func([]byte), func([]byte) int, func()) {
	r, w := io.Pipe()
	write := func(p []byte) { w.Write(p) }
	read := func(p []byte) int { n, _ := r.Read(p); return n }
	return write, read, func() { r.Close(); w.Close() }
}

func connPair(tb testing.TB, a, b net.Conn) (func([]byte), func([]byte) int, func()) {
	write := func(p []byte) {
		if _, err := a.Write(p); err != nil {
			panic(err)
		}
	}
	read := func(p []byte) int {
		n, err := b.Read(p)
		if err != nil {
			panic(err)
		}
		return n
	}
	return write, read, func() { a.Close(); b.Close() }
}

// openSocketpair is a Unix stream socketpair with the kernel's default
// buffer sizes (what an application gets without tuning).
func openSocketpair(tb testing.TB, size int) (func([]byte), func([]byte) int, func()) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	return connPair(tb, conn(fds[0]), conn(fds[1]))
}

// openTCP is a TCP connection over 127.0.0.1 with default buffers.
func openTCP(tb testing.TB, size int) (func([]byte), func([]byte) int, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			acc <- nil
			return
		}
		acc <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	b := <-acc
	if b == nil {
		tb.Fatal("accept failed")
	}
	return connPair(tb, a, b)
}

// BenchmarkStream streams 1 GiB from one goroutine to another through a
// 64 KiB and a 1 MiB buffer, with 1500-byte and 64 KiB writes and reads: the
// fifo first, then a Go channel of copied chunks, io.Pipe, a Unix socketpair,
// TCP over loopback, and a plain copy() loop into a buffer of the same size
// (one goroutine, one copy per byte: the memory-bandwidth ceiling).
func BenchmarkStream(b *testing.B) {
	total := streamBytes()
	for _, bufSize := range []int{64 << 10, 1 << 20} {
		for _, op := range []int{1500, 64 << 10} {
			prefix := fmt.Sprintf("fifo=%s/op=%s", sizeName(bufSize), sizeName(op))
			for _, impl := range pipeImpls {
				b.Run(prefix+"/impl="+impl.name, func(b *testing.B) {
					chunkHint = op
					write, read, done := impl.open(b, bufSize)
					defer done()
					src := pattern[:1<<20+op]
					dst := make([]byte, op)
					b.SetBytes(int64(total))
					b.ResetTimer()
					for range b.N {
						fin := make(chan struct{})
						go func() {
							defer close(fin)
							var pos uint64
							for pos < total {
								n := int(min(uint64(op), total-pos))
								write(src[pos%(1<<20):][:n])
								pos += uint64(n)
							}
						}()
						for got := uint64(0); got < total; {
							got += uint64(read(dst))
						}
						<-fin
					}
				})
			}
			b.Run(prefix+"/impl=copy", func(b *testing.B) {
				src := pattern[:1<<20+op]
				ring := make([]byte, bufSize)
				b.SetBytes(int64(total))
				for range b.N {
					var pos, off uint64
					for pos < total {
						n := min(uint64(op), total-pos)
						if off+n > uint64(len(ring)) {
							off = 0
						}
						copy(ring[off:off+n], src[pos%(1<<20):])
						off += n
						pos += n
					}
				}
			})
		}
	}
}

// BenchmarkCrossProcess streams 1 GiB from a child process to this one: a
// fifo in a memfd segment both map, beside a Unix socketpair between the same
// two processes. The child is the re-executed test binary.
func BenchmarkCrossProcess(b *testing.B) {
	total := streamBytes()
	for _, op := range []int{1500, 64 << 10} {
		for _, impl := range []string{"fifo", "socketpair"} {
			b.Run(fmt.Sprintf("op=%s/impl=%s", sizeName(op), impl), func(b *testing.B) {
				b.SetBytes(int64(total))
				dst := make([]byte, op)
				for range b.N {
					switch impl {
					case "fifo":
						seg, err := NewSegment("xproc", 4<<20)
						if err != nil {
							b.Fatal(err)
						}
						f, err := seg.AllocFifo(1<<20, KindRx)
						if err != nil {
							b.Fatal(err)
						}
						// Child start-up (exec, runtime, test set-up) is not
						// what is measured: the clock runs from the first byte.
						b.StopTimer()
						sf := dupFile(b, seg.Fd(), "segment")
						cmd, out := startChild(b, "fifo", sf, f.Offset(), total, op, false)
						sf.Close()
						for f.MaxDequeue() == 0 {
							f.WaitReadable()
						}
						b.StartTimer()
						var bo backoff
						for got := uint64(0); got < total; {
							n, err := f.Dequeue(dst)
							if err != nil {
								bo.waitRead(f)
								continue
							}
							bo = 0
							got += uint64(n)
						}
						if err := cmd.Wait(); err != nil {
							b.Fatalf("child: %v\n%s", err, out)
						}
						seg.Close()
					case "socketpair":
						fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
						if err != nil {
							b.Fatal(err)
						}
						b.StopTimer()
						child := os.NewFile(uintptr(fds[1]), "child")
						cmd, out := startChild(b, "socket", child, 0, total, op, false)
						child.Close()
						parent := os.NewFile(uintptr(fds[0]), "parent")
						first, err := parent.Read(dst)
						if err != nil {
							b.Fatalf("first read: %v", err)
						}
						b.StartTimer()
						for got := uint64(first); got < total; {
							n, err := parent.Read(dst)
							if err != nil {
								b.Fatalf("read after %d bytes: %v", got, err)
							}
							got += uint64(n)
						}
						parent.Close()
						if err := cmd.Wait(); err != nil {
							b.Fatalf("child: %v\n%s", err, out)
						}
					}
				}
			})
		}
	}
}

// BenchmarkEnqueueDequeue is the single-goroutine cost of one 1500-byte
// enqueue plus dequeue (allocs/op must be 0).
func BenchmarkEnqueueDequeue(b *testing.B) {
	f := mustNew(b, 64<<10)
	p := pattern[:1500]
	dst := make([]byte, 1500)
	b.SetBytes(1500)
	b.ReportAllocs()
	for range b.N {
		f.Enqueue(p)
		f.Dequeue(dst)
	}
}

// BenchmarkOOO is the cost of an out-of-order write followed by the in-order
// write that collects it (the TCP reassembly pattern).
func BenchmarkOOO(b *testing.B) {
	f := mustNew(b, 64<<10)
	p := pattern[:1460]
	b.SetBytes(2 * 1460)
	b.ReportAllocs()
	for range b.N {
		f.EnqueueAt(1460, p)
		f.Enqueue(p)
		f.Drop(2 * 1460)
	}
}
