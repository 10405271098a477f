package afpacket

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn is a plain packet socket on one interface: one recvmsg(2) per
// received frame and one sendto(2) per sent frame, with the kernel receive
// timestamp from SO_TIMESTAMPNS. It is the baseline the rings are measured
// against, and the simplest way to send an occasional frame.
//
// Recv and Send may run on different goroutines; each of them belongs to one
// goroutine at a time. Stop and Stats may be called from any goroutine.
type Conn struct {
	*sock
	rx  bool
	msg unix.Msghdr
	iov unix.Iovec
	oob [64]byte
}

// ConnConfig configures a Conn.
type ConnConfig struct {
	// Receive binds the socket as a tap on the interface so Recv sees its
	// traffic. A send-only Conn leaves it false.
	Receive bool
	// RecvBuffer sets SO_RCVBUF(FORCE) in bytes when non-zero.
	RecvBuffer int
	// IgnoreOutgoing drops frames this host sends on the interface.
	IgnoreOutgoing bool
	// Fanout joins a PACKET_FANOUT group.
	Fanout Fanout
}

// NewConn opens a packet socket bound to interface ifindex. Call it on a
// thread in the interface's network namespace.
func NewConn(ifindex int, cfg ConnConfig) (*Conn, error) {
	s, err := openSock()
	if err != nil {
		return nil, err
	}
	c := &Conn{sock: s, rx: cfg.Receive}
	if err := c.setup(ifindex, cfg); err != nil {
		c.sock.close()
		return nil, err
	}
	c.msg.Iov = &c.iov
	c.msg.SetIovlen(1)
	return c, nil
}

func (c *Conn) setup(ifindex int, cfg ConnConfig) error {
	if cfg.Receive {
		if err := c.setInt(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"); err != nil {
			return err
		}
		if cfg.RecvBuffer > 0 {
			if err := c.setInt(unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, cfg.RecvBuffer, "SO_RCVBUFFORCE"); err != nil {
				return err
			}
		}
		if cfg.IgnoreOutgoing {
			if err := c.setInt(unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING"); err != nil {
				return err
			}
		}
	}
	if err := c.bind(ifindex, cfg.Receive); err != nil {
		return err
	}
	if cfg.Receive {
		return c.joinFanout(cfg.Fanout)
	}
	return nil
}

// Recv reads one frame into buf, waiting in poll(2) while none is queued.
// The returned Frame's Data is buf[:n]; Len is the frame's full length (more
// than len(Data) when buf was too small).
func (c *Conn) Recv(buf []byte) (Frame, error) {
	if !c.rx {
		return Frame{}, fmt.Errorf("afpacket: Recv on a send-only Conn")
	}
	if len(buf) == 0 {
		return Frame{}, fmt.Errorf("afpacket: Recv into an empty buffer")
	}
	for {
		c.iov.Base = &buf[0]
		c.iov.SetLen(len(buf))
		c.msg.Control = &c.oob[0]
		c.msg.SetControllen(len(c.oob))
		n, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(c.fd), uintptr(unsafe.Pointer(&c.msg)), unix.MSG_DONTWAIT|unix.MSG_TRUNC)
		if e == 0 {
			f := Frame{Len: uint32(n), Timestamp: c.timestamp()}
			if int(n) > len(buf) {
				n = uintptr(len(buf))
			}
			f.Data = buf[:n:n]
			return f, nil
		}
		if e == unix.EINTR {
			continue
		}
		if e != unix.EAGAIN {
			return Frame{}, fmt.Errorf("afpacket: recvmsg: %w", e)
		}
		if err := c.wait(unix.POLLIN, -1); err != nil {
			return Frame{}, err
		}
	}
}

// timestamp finds the SCM_TIMESTAMPNS control message of the last recvmsg.
func (c *Conn) timestamp() int64 {
	return parseTimestampNS(c.oob[:c.msg.Controllen])
}

// parseTimestampNS walks control messages looking for SCM_TIMESTAMPNS (a
// struct timespec) and returns it in nanoseconds, or 0. Header fields are
// read through unix.Cmsghdr so cmsg_len has the platform's size_t width.
func parseTimestampNS(oob []byte) int64 {
	const hdr = unix.SizeofCmsghdr
	const word = int(unsafe.Sizeof(uintptr(0)))
	for len(oob) >= hdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hdr || l > len(oob) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l >= hdr+2*word {
			var sec, nsec int64
			if word == 8 {
				sec = int64(binary.NativeEndian.Uint64(oob[hdr:]))
				nsec = int64(binary.NativeEndian.Uint64(oob[hdr+8:]))
			} else {
				sec = int64(int32(binary.NativeEndian.Uint32(oob[hdr:])))
				nsec = int64(int32(binary.NativeEndian.Uint32(oob[hdr+4:])))
			}
			return sec*1e9 + nsec
		}
		step := (l + word - 1) &^ (word - 1)
		if step > len(oob) {
			return 0
		}
		oob = oob[step:]
	}
	return 0
}

// Send transmits one frame with one sendto(2). When the kernel has no buffer
// space (ENOBUFS: the peer's backlog is full) it retries.
func (c *Conn) Send(frame []byte) error {
	if len(frame) == 0 {
		return fmt.Errorf("afpacket: Send of an empty frame")
	}
	for {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(c.fd), uintptr(unsafe.Pointer(&frame[0])), uintptr(len(frame)), 0, 0, 0)
		switch e {
		case 0:
			return nil
		case unix.EINTR, unix.ENOBUFS, unix.EAGAIN:
			if c.stopped.Load() {
				return ErrStopped
			}
			continue
		}
		return fmt.Errorf("afpacket: sendto: %w", e)
	}
}

// Close closes the socket.
func (c *Conn) Close() error {
	c.Stop()
	return c.sock.close()
}
