package veth

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

func init() { sleep = nanosleep }

// nanosleep sleeps with the kernel's high-resolution timer. The calling
// goroutine keeps its thread for the duration; the runtime hands the
// thread's P to other goroutines meanwhile.
func nanosleep(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for {
		err := unix.Nanosleep(&ts, &ts)
		if err != unix.EINTR {
			return
		}
	}
}

// lockForPacing pins the calling goroutine to its thread and sets the
// thread's timer slack to 1 ns, so nanosleep wakes within microseconds
// instead of the default 50 µs slack. The returned function undoes both.
func lockForPacing() (undo func()) {
	runtime.LockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		return runtime.UnlockOSThread
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0); err != nil {
		return runtime.UnlockOSThread
	}
	return func() {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0)
		runtime.UnlockOSThread()
	}
}
