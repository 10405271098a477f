// Package netnsutil runs code inside Linux network namespaces without leaking
// the namespace switch into the rest of the program.
//
// A network namespace belongs to an OS thread, not to a goroutine: setns(2)
// changes only the calling thread. Go moves goroutines between threads at
// will, so every switch here happens on a fresh goroutine that has locked its
// thread (runtime.LockOSThread), switches, runs the caller's function and
// switches back. If switching back fails the goroutine exits while still
// locked, which makes the Go runtime terminate that thread instead of handing
// a thread in the wrong namespace to some other goroutine.
//
// Objects created inside the namespace keep it after the thread leaves:
// a socket opened by fn stays in the namespace it was opened in, which is how
// the AF_PACKET sockets of traffic/veth are made.
package netnsutil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Dir is where named network namespaces are bind-mounted, the same place
// iproute2 (`ip netns`) uses, so namespaces made here are visible to it.
const Dir = "/run/netns"

// Do runs fn on a locked OS thread that has joined the network namespace ns,
// then restores the thread's original namespace. fn must not start goroutines
// that expect to inherit the namespace (they will not: new goroutines run on
// other threads).
func Do(ns netns.NsHandle, fn func() error) error {
	type result struct{ err error }
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{fmt.Errorf("netns: open current namespace: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			done <- result{fmt.Errorf("netns: enter namespace: %w", err)}
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			done <- result{errors.Join(ferr, fmt.Errorf("netns: restore original namespace: %w", err))}
			return
		}
		runtime.UnlockOSThread()
		done <- result{ferr}
	}()
	return (<-done).err
}

// NewNamed creates the network namespace Dir/name and returns a handle to it.
// The calling goroutine's namespace is not changed. It fails if the name is
// already taken.
func NewNamed(name string) (netns.NsHandle, error) {
	if err := checkName(name); err != nil {
		return netns.None(), err
	}
	h := netns.None()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: open current namespace: %w", err)
			return
		}
		defer orig.Close()
		ns, err := netns.NewNamed(name) // unshare + bind mount; this thread is now in ns
		if err != nil {
			// NewNamed may have unshared before failing: restore or discard the thread.
			if serr := netns.Set(orig); serr != nil {
				errc <- fmt.Errorf("netns: create %s: %w", name, err)
				return
			}
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: create %s: %w", name, err)
			return
		}
		if err := netns.Set(orig); err != nil {
			ns.Close()
			errc <- fmt.Errorf("netns: restore original namespace after creating %s: %w", name, err)
			return
		}
		runtime.UnlockOSThread()
		h = ns
		errc <- nil
	}()
	if err := <-errc; err != nil {
		return netns.None(), err
	}
	return h, nil
}

// OpenNamed returns a handle to the existing namespace Dir/name.
func OpenNamed(name string) (netns.NsHandle, error) {
	if err := checkName(name); err != nil {
		return netns.None(), err
	}
	h, err := netns.GetFromPath(filepath.Join(Dir, name))
	if err != nil {
		return netns.None(), fmt.Errorf("netns: open %s: %w", name, err)
	}
	return h, nil
}

// DeleteNamed unmounts and removes Dir/name. The namespace itself disappears
// once no process, thread or open handle refers to it any more; its network
// devices are destroyed with it (a veth end takes its peer along).
func DeleteNamed(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	p := filepath.Join(Dir, name)
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("netns: unmount %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("netns: remove %s: %w", p, err)
	}
	return nil
}

// ListNamed returns the names in Dir that start with prefix, sorted.
func ListNamed(prefix string) ([]string, error) {
	ents, err := os.ReadDir(Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("netns: list %s: %w", Dir, err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// WriteSysctl writes value to /proc/sys/<key> (key with slashes, for example
// "net/ipv6/conf/default/disable_ipv6") inside namespace ns. /proc/sys/net is
// resolved against the namespace of the thread that opens it, so the write
// happens inside Do.
func WriteSysctl(ns netns.NsHandle, key, value string) error {
	if strings.Contains(key, "..") {
		return fmt.Errorf("netns: sysctl key %q must not contain \"..\"", key)
	}
	return Do(ns, func() error {
		p := filepath.Join("/proc/sys", key)
		if err := os.WriteFile(p, []byte(value), 0); err != nil {
			return fmt.Errorf("netns: sysctl %s=%s: %w", key, value, err)
		}
		return nil
	})
}

func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') || strings.ContainsRune(name, 0) {
		return fmt.Errorf("netns: invalid namespace name %q", name)
	}
	return nil
}

// WriteSysfs writes value to the sysfs attribute rel (relative to /sys, for
// example "class/net/eth0/queues/rx-0/rps_cpus") as namespace ns sees it.
func WriteSysfs(ns netns.NsHandle, rel, value string) error {
	return inSysfs(ns, rel, func(p string) error {
		if err := os.WriteFile(p, []byte(value), 0); err != nil {
			return fmt.Errorf("netns: write %s=%s: %w", p, value, err)
		}
		return nil
	})
}

// ReadSysfs reads the sysfs attribute rel as namespace ns sees it, without
// the trailing newline.
func ReadSysfs(ns netns.NsHandle, rel string) (string, error) {
	var out string
	err := inSysfs(ns, rel, func(p string) error {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("netns: read %s: %w", p, err)
		}
		out = strings.TrimRight(string(b), "\n")
		return nil
	})
	return out, err
}

// inSysfs runs fn with the path of /sys/rel in a sysfs that belongs to ns.
//
// sysfs shows the network devices of the namespace that mounted it, so this
// process's /sys cannot reach a device in another namespace. fn runs on a
// locked thread that joins ns, unshares its mount namespace, makes every
// mount private (nothing propagates back) and mounts a fresh sysfs over /sys.
// That thread is never handed back to the Go runtime: its goroutine exits
// still locked, so the runtime terminates it, and its mounts with it.
func inSysfs(ns netns.NsHandle, rel string, fn func(path string) error) error {
	if rel == "" || strings.Contains(rel, "..") || strings.HasPrefix(rel, "/") {
		return fmt.Errorf("netns: sysfs path %q: want a path below /sys, without \"..\"", rel)
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		done <- func() error {
			if err := netns.Set(ns); err != nil {
				return fmt.Errorf("netns: enter namespace: %w", err)
			}
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("netns: unshare mount namespace: %w", err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return fmt.Errorf("netns: make mounts private: %w", err)
			}
			if err := unix.Mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
				return fmt.Errorf("netns: mount sysfs: %w", err)
			}
			return fn(filepath.Join("/sys", rel))
		}()
	}()
	return <-done
}
