//go:build linux

package shm

import (
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Create makes a shareable region of size bytes (rounded up to a page): an
// anonymous memfd named name, truncated to size and mapped shared. Another
// process maps the same memory with Attach on the fd (pass it as an extra file
// to a child, or open /proc/<pid>/fd/<fd>).
func Create(name string, size uint64) (*Region, error) {
	if size == 0 {
		return nil, fmt.Errorf("shm: region %q: size must be positive", name)
	}
	size = RoundPage(size)
	if size > 1<<46 {
		return nil, fmt.Errorf("shm: region %q: size %d too large", name, size)
	}
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("shm: memfd_create %q: %w", name, err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("shm: ftruncate %q to %d bytes: %w", name, size, err)
	}
	mem, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("shm: mmap %q (%d bytes): %w", name, size, err)
	}
	r := &Region{mem: mem, fd: fd, mapped: true, owner: true}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err == nil {
		r.id = [2]uint64{uint64(st.Dev) + 1, st.Ino}
	}
	return r, nil
}

// Attach maps the whole file behind fd (a memfd from Create, typically received
// from another process) shared. The region does not own fd: Close unmaps but
// leaves fd open.
func Attach(fd int) (*Region, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("shm: fstat fd %d: %w", fd, err)
	}
	if st.Size <= 0 {
		return nil, fmt.Errorf("shm: fd %d: empty file", fd)
	}
	mem, err := unix.Mmap(fd, 0, int(st.Size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("shm: mmap fd %d (%d bytes): %w", fd, st.Size, err)
	}
	return &Region{mem: mem, fd: fd, mapped: true, id: [2]uint64{uint64(st.Dev) + 1, st.Ino}}, nil
}

// AttachPath opens path (for example /proc/<pid>/fd/<n>) and maps it like
// Attach. The region owns the opened descriptor.
func AttachPath(path string) (*Region, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("shm: %w", err)
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("shm: dup %s: %w", path, err)
	}
	r, err := Attach(fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	r.owner = true
	return r, nil
}

// Close unmaps the region and closes its fd if the region owns it. Any slice
// obtained from Bytes must not be used afterwards.
func (r *Region) Close() error {
	var err error
	if r.mapped && r.mem != nil {
		err = unix.Munmap(r.mem)
	}
	r.mem = nil
	if r.owner && r.fd >= 0 {
		if cerr := unix.Close(r.fd); err == nil {
			err = cerr
		}
	}
	r.fd = -1
	return err
}

// Linux futex operations. The shared (non-private) variants are used so a
// waiter in one process is woken by a store in another that maps the same
// memory.
const (
	futexWait = 0
	futexWake = 1
)

// Wait blocks the calling thread while *addr == val, until Wake is called on
// addr (possibly from another process). It may return spuriously; callers
// re-check their condition in a loop.
func Wait(addr *uint32, val uint32) {
	if atomic.LoadUint32(addr) != val {
		return
	}
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait, uintptr(val), 0, 0, 0)
}

// Wake wakes up to n threads blocked in Wait on addr.
func Wake(addr *uint32, n int) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake, uintptr(n), 0, 0, 0)
}
