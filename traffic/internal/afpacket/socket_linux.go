package afpacket

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrStopped is returned by a receive call after Stop.
var ErrStopped = errors.New("afpacket: socket stopped")

// ethPAll is ETH_P_ALL in network byte order, the protocol value socket(2)
// and bind(2) want. A socket bound to ETH_P_ALL is a "tap": the kernel hands
// it every frame of the interface before protocol handlers and tc ingress
// see it.
var ethPAll = htons(unix.ETH_P_ALL)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Stats are the kernel's PACKET_STATISTICS counters for one socket,
// accumulated since the socket was opened (the kernel resets its own copy on
// every read).
type Stats struct {
	// Packets counts frames the kernel passed to the socket, including the
	// dropped ones (the kernel's tp_packets already adds tp_drops).
	Packets uint64
	// Drops counts frames lost because the ring or the receive buffer was
	// full.
	Drops uint64
	// FreezeQueue counts how often a TPACKET_V3 ring was frozen because the
	// kernel found no free block (tp_freeze_q_cnt). Always 0 for other sockets.
	FreezeQueue uint64
}

// Add returns the field-wise sum of s and o (for fanout groups).
func (s Stats) Add(o Stats) Stats {
	return Stats{Packets: s.Packets + o.Packets, Drops: s.Drops + o.Drops, FreezeQueue: s.FreezeQueue + o.FreezeQueue}
}

// FanoutMode selects how a PACKET_FANOUT group spreads frames over its
// sockets.
type FanoutMode uint16

// Fanout modes (PACKET_FANOUT_*).
const (
	// FanoutHash sends all frames of a flow (the kernel's flow hash over
	// addresses and ports) to the same socket.
	FanoutHash FanoutMode = unix.PACKET_FANOUT_HASH
	// FanoutLB rotates round-robin.
	FanoutLB FanoutMode = unix.PACKET_FANOUT_LB
	// FanoutCPU picks the socket by the receiving CPU.
	FanoutCPU FanoutMode = unix.PACKET_FANOUT_CPU
)

// Fanout joins a socket to a PACKET_FANOUT group. The zero value means no
// group. Group ids are per network namespace.
type Fanout struct {
	Group uint16
	Mode  FanoutMode
	// Enabled must be set for Group 0 to be joined (0 is a valid id).
	Enabled bool
}

// sock is what every socket type here shares: the descriptor, an eventfd
// that wakes a blocked poll on Stop, and the statistics accumulator.
type sock struct {
	fd      int
	efd     int
	pfd     [2]unix.PollFd
	stopped atomic.Bool
	closed  bool

	statsMu sync.Mutex
	stats   Stats
}

// openSock creates an AF_PACKET SOCK_RAW socket with protocol 0, which
// receives nothing: a socket created with a protocol would start tapping
// every interface of the namespace at once. Receive sockets set their ring up
// and then bind to one interface with ETH_P_ALL (bind(rx=true)), which starts
// delivery; transmit sockets bind with protocol 0 and never receive.
func openSock() (*sock, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("afpacket: socket(AF_PACKET): %w (needs CAP_NET_RAW)", err)
		}
		return nil, os.NewSyscallError("socket(AF_PACKET)", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	s := &sock{fd: fd, efd: efd}
	s.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}
	s.pfd[1] = unix.PollFd{Fd: int32(efd), Events: unix.POLLIN}
	return s, nil
}

func (s *sock) bind(ifindex int, rx bool) error {
	if ifindex <= 0 {
		return fmt.Errorf("afpacket: bind: invalid interface index %d", ifindex)
	}
	sa := &unix.SockaddrLinklayer{Ifindex: ifindex}
	if rx {
		sa.Protocol = ethPAll
	}
	if err := unix.Bind(s.fd, sa); err != nil {
		return fmt.Errorf("afpacket: bind to interface %d: %w", ifindex, err)
	}
	return nil
}

func (s *sock) setInt(level, opt int, v int, name string) error {
	if err := unix.SetsockoptInt(s.fd, level, opt, v); err != nil {
		return fmt.Errorf("afpacket: setsockopt %s=%d: %w", name, v, err)
	}
	return nil
}

func (s *sock) joinFanout(f Fanout) error {
	if !f.Enabled && f.Group == 0 {
		return nil
	}
	return s.setInt(unix.SOL_PACKET, unix.PACKET_FANOUT, int(f.Group)|int(f.Mode)<<16, "PACKET_FANOUT")
}

// wait blocks in poll(2) until the socket is readable (or writable, with
// events = POLLOUT) or Stop is called.
func (s *sock) wait(events int16, timeoutMs int) error {
	s.pfd[0].Events = events | unix.POLLERR
	for {
		if s.stopped.Load() {
			return ErrStopped
		}
		s.pfd[0].Revents, s.pfd[1].Revents = 0, 0
		_, err := unix.Poll(s.pfd[:], timeoutMs)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("poll", err)
		}
		if s.pfd[1].Revents != 0 || s.stopped.Load() {
			return ErrStopped
		}
		if s.pfd[0].Revents&unix.POLLERR != 0 {
			if e, gerr := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && e != 0 {
				return fmt.Errorf("afpacket: socket error: %w", unix.Errno(e))
			}
		}
		return nil
	}
}

// Stop makes a blocked or future receive call return ErrStopped. It is safe
// to call from any goroutine, more than once.
func (s *sock) Stop() {
	if s.stopped.Swap(true) {
		return
	}
	var one = [8]byte{1}
	_, _ = unix.Write(s.efd, one[:])
}

// Stats reads the kernel's PACKET_STATISTICS and returns the totals since
// the socket was opened. Safe to call from any goroutine while the socket is
// open.
func (s *sock) Stats() (Stats, error) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.closed {
		return s.stats, nil
	}
	if err := s.readStatsLocked(); err != nil {
		return s.stats, err
	}
	return s.stats, nil
}

func (s *sock) readStatsLocked() error {
	var st unix.TpacketStatsV3
	l := uint32(unsafe.Sizeof(st))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s.fd), unix.SOL_PACKET, unix.PACKET_STATISTICS,
		uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return fmt.Errorf("afpacket: getsockopt PACKET_STATISTICS: %w", e)
	}
	s.stats.Packets += uint64(st.Packets)
	s.stats.Drops += uint64(st.Drops)
	if l >= uint32(unsafe.Sizeof(st)) {
		s.stats.FreezeQueue += uint64(st.Freeze_q_cnt)
	}
	return nil
}

// close reads the final statistics and releases the descriptors.
func (s *sock) close() error {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.closed {
		return nil
	}
	_ = s.readStatsLocked()
	s.closed = true
	err := unix.Close(s.fd)
	unix.Close(s.efd)
	if err != nil {
		return os.NewSyscallError("close", err)
	}
	return nil
}
