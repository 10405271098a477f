package veth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/sessionlab/sessionlab/traffic/internal/netnsutil"
)

// DefaultPrefix starts the name of every namespace and link sessionlab
// creates. Cleanup removes exactly the objects whose names carry it.
const DefaultPrefix = "sl-"

// Side names one end of the veth pair.
type Side int

// The two ends. A is the traffic side (the "host" of VPP's af_packet tests:
// a kernel address, senders); B is sessionlab's side (VPP's position: the
// address belongs to sessionlab, not to the kernel, and the receiver reads
// the interface through AF_PACKET).
const (
	A Side = iota
	B
)

// String returns "a" or "b".
func (s Side) String() string {
	if s == A {
		return "a"
	}
	return "b"
}

// Config describes a topology: two network namespaces joined by one veth
// pair. Zero fields take the defaults noted.
type Config struct {
	// Prefix starts every name (default DefaultPrefix). 1 to 4 characters
	// of [a-z0-9-].
	Prefix string
	// Name makes the topology persistent and addressable (`sessionlab veth
	// up NAME`): 1 to 8 characters of [a-z0-9]. Empty means a fresh random
	// name for this run, so parallel runs never collide.
	Name string
	// MTU of both veth ends (default 1500).
	MTU int
	// AddrA is the kernel address of end A (default 10.201.0.1/24).
	AddrA netip.Prefix
	// AddrB is sessionlab's address at end B (default 10.201.0.2/24). It is
	// not configured in namespace B's kernel unless KernelAddrB is set, so
	// the kernel there never answers traffic meant for sessionlab (no ICMP
	// port unreachable, no RST); sessionlab's responder answers ARP for it.
	AddrB netip.Prefix
	// KernelAddrB also configures AddrB on end B's kernel interface, which
	// makes end B an ordinary kernel host (for ping checks).
	KernelAddrB bool
}

var (
	prefixRE = regexp.MustCompile(`^[a-z0-9-]{1,4}$`)
	nameRE   = regexp.MustCompile(`^[a-z0-9]{1,8}$`)
)

func (c *Config) setDefaults() error {
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !prefixRE.MatchString(c.Prefix) {
		return fmt.Errorf("veth: prefix %q: want 1-4 characters of [a-z0-9-]", c.Prefix)
	}
	if c.Name != "" && !nameRE.MatchString(c.Name) {
		return fmt.Errorf("veth: topology name %q: want 1-8 characters of [a-z0-9]", c.Name)
	}
	if c.MTU == 0 {
		c.MTU = 1500
	}
	if c.MTU < 68 || c.MTU > 65535 {
		return fmt.Errorf("veth: MTU %d: want 68..65535", c.MTU)
	}
	if !c.AddrA.IsValid() {
		c.AddrA = netip.MustParsePrefix("10.201.0.1/24")
	}
	if !c.AddrB.IsValid() {
		c.AddrB = netip.MustParsePrefix("10.201.0.2/24")
	}
	if !c.AddrA.Addr().Is4() || !c.AddrB.Addr().Is4() {
		return fmt.Errorf("veth: addresses %v and %v: IPv4 only", c.AddrA, c.AddrB)
	}
	if c.AddrA.Addr() == c.AddrB.Addr() {
		return fmt.Errorf("veth: AddrA and AddrB are both %v", c.AddrA.Addr())
	}
	return nil
}

// Endpoint is one end of the veth pair.
type Endpoint struct {
	// Namespace is the network namespace's name under /run/netns.
	Namespace string
	// Link is the interface name inside that namespace.
	Link string
	// Index is the interface index inside that namespace.
	Index int
	// MAC is the interface's hardware address.
	MAC net.HardwareAddr
	// Addr is the end's IPv4 address (see Config.AddrB for end B).
	Addr netip.Prefix

	ns netns.NsHandle
}

// Topology is a live pair of namespaces with a veth pair between them.
// Methods are safe for concurrent use.
type Topology struct {
	// Prefix and Name identify the topology; names of its namespaces and
	// links are Prefix+Name+"-a" and Prefix+Name+"-b".
	Prefix, Name string
	// Persistent is true for a named topology: Close then leaves it in
	// place and Destroy removes it.
	Persistent bool
	// MTU of both ends.
	MTU int

	ends [2]Endpoint

	mu      sync.Mutex
	closed  bool
	created bool    // this process created it (Close removes an unnamed one)
	owned   [2]bool // namespace s was created by this Topology value
}

// End returns end s. Its ns handle stays owned by the topology.
func (t *Topology) End(s Side) Endpoint {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ends[s]
}

// New creates a topology: namespaces Prefix+Name+"-a" and "-b", IPv6 and
// forwarding off in both, and a veth pair with one end in each, addresses
// and MTU set, both ends up. On any error everything created so far is
// removed again.
//
// An unnamed topology is removed by Close. A named one (Config.Name) stays
// until Destroy or Cleanup, and fails with an error if it already exists.
func New(cfg Config) (t *Topology, err error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = randomName()
	}
	t = &Topology{Prefix: cfg.Prefix, Name: name, Persistent: cfg.Name != "", MTU: cfg.MTU, created: true}
	for s := A; s <= B; s++ {
		t.ends[s] = Endpoint{Namespace: t.objName(s), Link: t.objName(s), ns: netns.None()}
	}
	t.ends[A].Addr, t.ends[B].Addr = cfg.AddrA, cfg.AddrB
	register(t)
	defer func() {
		if err != nil {
			// Roll back only what this call made: a name clash must not
			// remove the topology that already holds the name.
			err = errors.Join(err, t.destroy(false))
			t = nil
		}
	}()
	for s := A; s <= B; s++ {
		ns, err := netnsutil.NewNamed(t.ends[s].Namespace)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return t, fmt.Errorf("veth: namespace %s already exists (remove it with `sessionlab veth down`)", t.ends[s].Namespace)
			}
			return t, fmt.Errorf("veth: %w", err)
		}
		t.ends[s].ns = ns
		t.owned[s] = true
		if err := quietNamespace(ns); err != nil {
			return t, err
		}
	}
	if err := t.createLink(cfg); err != nil {
		return t, err
	}
	return t, nil
}

// quietNamespace turns off what would make a namespace's kernel put frames
// of its own on the veth: IPv6 (router solicitations, DAD, MLD) and
// forwarding (so a frame for an address the kernel does not own is dropped
// silently, never answered or routed).
func quietNamespace(ns netns.NsHandle) error {
	for _, kv := range [][2]string{
		{"net/ipv6/conf/all/disable_ipv6", "1"},
		{"net/ipv6/conf/default/disable_ipv6", "1"},
		{"net/ipv4/ip_forward", "0"},
	} {
		if err := netnsutil.WriteSysctl(ns, kv[0], kv[1]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("veth: %w", err)
		}
	}
	return nil
}

// linkMAC derives a locally administered unicast MAC from the topology name
// and side, so the same persistent topology always gets the same addresses.
func linkMAC(name string, s Side) net.HardwareAddr {
	var h uint32 = 2166136261 // FNV-1a
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return net.HardwareAddr{0x02, 0x73, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(0x0a + s)}
}

func (t *Topology) createLink(cfg Config) error {
	ha, err := netlink.NewHandleAt(t.ends[A].ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("veth: netlink in %s: %w", t.ends[A].Namespace, err)
	}
	defer ha.Close()
	hb, err := netlink.NewHandleAt(t.ends[B].ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("veth: netlink in %s: %w", t.ends[B].Namespace, err)
	}
	defer hb.Close()

	macA, macB := linkMAC(t.Name, A), linkMAC(t.Name, B)
	la := netlink.NewLinkAttrs()
	la.Name = t.ends[A].Link
	la.MTU = cfg.MTU
	la.HardwareAddr = macA
	v := &netlink.Veth{
		LinkAttrs:        la,
		PeerName:         t.ends[B].Link,
		PeerHardwareAddr: macB,
		PeerNamespace:    netlink.NsFd(int(t.ends[B].ns)),
		PeerMTU:          uint32(cfg.MTU),
		PeerTxQLen:       -1,
	}
	// Created inside namespace A with its peer placed straight into B: no
	// end ever appears in the caller's namespace, so nothing can collide
	// with or leak into it.
	if err := ha.LinkAdd(v); err != nil {
		return fmt.Errorf("veth: create veth pair %s/%s: %w", t.ends[A].Link, t.ends[B].Link, err)
	}
	for s, h := range [2]*netlink.Handle{ha, hb} {
		e := &t.ends[s]
		l, err := h.LinkByName(e.Link)
		if err != nil {
			return fmt.Errorf("veth: find %s in %s: %w", e.Link, e.Namespace, err)
		}
		e.Index = l.Attrs().Index
		e.MAC = l.Attrs().HardwareAddr
		if Side(s) == A || cfg.KernelAddrB {
			addr := &netlink.Addr{IPNet: &net.IPNet{IP: e.Addr.Addr().AsSlice(), Mask: net.CIDRMask(e.Addr.Bits(), 32)}}
			if err := h.AddrAdd(l, addr); err != nil {
				return fmt.Errorf("veth: address %v on %s: %w", e.Addr, e.Link, err)
			}
		}
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("veth: set %s up: %w", e.Link, err)
		}
	}
	return nil
}

func (t *Topology) objName(s Side) string { return t.Prefix + t.Name + "-" + s.String() }

// Open attaches to an existing persistent topology made by New with a Name
// (for example by `sessionlab veth up NAME`). Close releases the handles and
// leaves the topology in place.
func Open(prefix, name string) (*Topology, error) {
	cfg := Config{Prefix: prefix, Name: name}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	t := &Topology{Prefix: cfg.Prefix, Name: name, Persistent: true}
	for s := A; s <= B; s++ {
		e := &t.ends[s]
		e.Namespace, e.Link, e.ns = t.objName(s), t.objName(s), netns.None()
		ns, err := netnsutil.OpenNamed(e.Namespace)
		if err != nil {
			t.release()
			return nil, fmt.Errorf("veth: topology %s%s: %w", prefix, name, err)
		}
		e.ns = ns
		h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
		if err != nil {
			t.release()
			return nil, fmt.Errorf("veth: netlink in %s: %w", e.Namespace, err)
		}
		l, err := h.LinkByName(e.Link)
		if err != nil {
			h.Close()
			t.release()
			return nil, fmt.Errorf("veth: topology %s%s: link %s: %w", prefix, name, e.Link, err)
		}
		e.Index, e.MAC, t.MTU = l.Attrs().Index, l.Attrs().HardwareAddr, l.Attrs().MTU
		addrs, _ := h.AddrList(l, unix.AF_INET)
		for _, a := range addrs {
			if p, ok := netip.AddrFromSlice(a.IP.To4()); ok {
				ones, _ := a.Mask.Size()
				e.Addr = netip.PrefixFrom(p, ones)
				break
			}
		}
		h.Close()
	}
	if !t.ends[B].Addr.IsValid() && t.ends[A].Addr.IsValid() {
		// End B's address is sessionlab's, not the kernel's: by convention
		// the next address after A's.
		t.ends[B].Addr = netip.PrefixFrom(t.ends[A].Addr.Addr().Next(), t.ends[A].Addr.Bits())
	}
	return t, nil
}

// Do runs fn on a locked OS thread inside end s's namespace (see
// netnsutil.Do). Sockets fn opens stay in that namespace.
func (t *Topology) Do(s Side, fn func() error) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return errors.New("veth: topology closed")
	}
	ns := t.ends[s].ns
	t.mu.Unlock()
	return netnsutil.Do(ns, fn)
}

// Close releases the topology. An unnamed topology this process created is
// removed (links and namespaces); a persistent one is left in place. Close
// is idempotent.
func (t *Topology) Close() error {
	if t.created && !t.Persistent {
		return t.destroy(true)
	}
	t.release()
	return nil
}

// Destroy removes the topology's link and namespaces, persistent or not.
func (t *Topology) Destroy() error { return t.destroy(true) }

func (t *Topology) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	t.closed = true
	for s := range t.ends {
		if t.ends[s].ns.IsOpen() {
			t.ends[s].ns.Close()
		}
		t.ends[s].ns = netns.None()
	}
	unregister(t)
}

// destroy deletes the link and the namespaces: all of them, or with all
// false only the namespaces this value created.
func (t *Topology) destroy(all bool) error {
	var errs []error
	t.mu.Lock()
	if !t.closed && t.ends[A].ns.IsOpen() && (all || t.owned[A]) {
		// Deleting end A deletes its peer too; do it explicitly so the links
		// are gone when Destroy returns, not when the kernel gets round to
		// dismantling the namespaces.
		if h, err := netlink.NewHandleAt(t.ends[A].ns, unix.NETLINK_ROUTE); err == nil {
			if l, err := h.LinkByName(t.ends[A].Link); err == nil {
				if err := h.LinkDel(l); err != nil {
					errs = append(errs, fmt.Errorf("veth: delete link %s: %w", t.ends[A].Link, err))
				}
			}
			h.Close()
		}
	}
	t.mu.Unlock()
	t.release()
	for s := A; s <= B; s++ {
		if !all && !t.owned[s] {
			continue
		}
		if err := netnsutil.DeleteNamed(t.objName(s)); err != nil {
			errs = append(errs, fmt.Errorf("veth: %w", err))
		}
	}
	return errors.Join(errs...)
}

// randomName returns 5 random characters of [a-z0-9] (36^5 ≈ 6e7 names).
func randomName() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// Process-wide registry of open topologies, so tests (and a signal handler)
// can find what is still open.
var (
	liveMu sync.Mutex
	live   = map[*Topology]struct{}{}
)

func register(t *Topology) {
	liveMu.Lock()
	live[t] = struct{}{}
	liveMu.Unlock()
}

func unregister(t *Topology) {
	liveMu.Lock()
	delete(live, t)
	liveMu.Unlock()
}

// Live returns the names (Prefix+Name) of topologies this process has
// opened and not yet closed, sorted.
func Live() []string {
	liveMu.Lock()
	defer liveMu.Unlock()
	var names []string
	for t := range live {
		names = append(names, t.Prefix+t.Name)
	}
	sort.Strings(names)
	return names
}

// CloseAll closes every topology this process has open (removing the
// unnamed ones). It is meant for signal handlers: an interrupted program
// calls it before exiting so it leaves nothing behind.
func CloseAll() error {
	liveMu.Lock()
	ts := make([]*Topology, 0, len(live))
	for t := range live {
		ts = append(ts, t)
	}
	liveMu.Unlock()
	var errs []error
	for _, t := range ts {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}

// Resource is a namespace or link found by List.
type Resource struct {
	// Kind is "netns" or "link".
	Kind string
	// Name is the namespace or interface name.
	Name string
	// Namespace is where a link lives ("" for the caller's namespace).
	Namespace string
	// Detail is a short description (link type, state, addresses, MTU).
	Detail string
}

// List returns the namespaces under /run/netns whose names start with
// prefix, the links inside each, and links in the caller's own namespace
// whose names start with prefix.
func List(prefix string) ([]Resource, error) {
	if prefix == "" {
		return nil, errors.New("veth: empty prefix would match everything")
	}
	names, err := netnsutil.ListNamed(prefix)
	if err != nil {
		return nil, err
	}
	var out []Resource
	for _, n := range names {
		out = append(out, Resource{Kind: "netns", Name: n})
		ns, err := netnsutil.OpenNamed(n)
		if err != nil {
			out[len(out)-1].Detail = "unreadable: " + err.Error()
			continue
		}
		links, lerr := linksIn(ns, "")
		ns.Close()
		if lerr != nil {
			out[len(out)-1].Detail = "unreadable: " + lerr.Error()
			continue
		}
		for _, l := range links {
			l.Namespace = n
			out = append(out, l)
		}
	}
	root, err := linksIn(netns.None(), prefix)
	if err != nil {
		return out, err
	}
	return append(out, root...), nil
}

// linksIn lists links of namespace ns (netns.None() = the caller's) whose
// names start with prefix, leaving out loopback.
func linksIn(ns netns.NsHandle, prefix string) ([]Resource, error) {
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	var links []netlink.Link
	for try := 0; ; try++ {
		links, err = h.LinkList()
		if err == nil || !errors.Is(err, netlink.ErrDumpInterrupted) || try == 3 {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	var out []Resource
	for _, l := range links {
		a := l.Attrs()
		if !strings.HasPrefix(a.Name, prefix) || a.Flags&net.FlagLoopback != 0 {
			continue
		}
		var addrs []string
		if al, err := h.AddrList(l, unix.AF_INET); err == nil {
			for _, x := range al {
				addrs = append(addrs, x.IPNet.String())
			}
		}
		d := fmt.Sprintf("%s %s mtu %d mac %s", l.Type(), a.OperState, a.MTU, a.HardwareAddr)
		if len(addrs) > 0 {
			d += " inet " + strings.Join(addrs, ",")
		}
		out = append(out, Resource{Kind: "link", Name: a.Name, Detail: d})
	}
	return out, nil
}

// Cleanup removes every namespace under /run/netns whose name starts with
// prefix (their links go with them) and every veth link in the caller's
// namespace whose name starts with prefix. Nothing else is touched: other
// namespaces, other links and links of other types keep running. It returns
// what it removed.
func Cleanup(prefix string) ([]Resource, error) {
	if !prefixRE.MatchString(prefix) {
		return nil, fmt.Errorf("veth: prefix %q: want 1-4 characters of [a-z0-9-]", prefix)
	}
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	var removed []Resource
	var errs []error
	names, err := netnsutil.ListNamed(prefix)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		// Delete the namespace's own links first so they are gone now, not
		// after the kernel's asynchronous namespace teardown.
		if ns, err := netnsutil.OpenNamed(n); err == nil {
			if h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE); err == nil {
				if links, err := h.LinkList(); err == nil {
					for _, l := range links {
						if l.Type() == "veth" && strings.HasPrefix(l.Attrs().Name, prefix) {
							_ = h.LinkDel(l)
						}
					}
				}
				h.Close()
			}
			ns.Close()
		}
		if err := netnsutil.DeleteNamed(n); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, Resource{Kind: "netns", Name: n})
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return removed, errors.Join(append(errs, err)...)
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return removed, errors.Join(append(errs, err)...)
	}
	for _, l := range links {
		a := l.Attrs()
		if l.Type() != "veth" || !strings.HasPrefix(a.Name, prefix) {
			continue
		}
		if err := h.LinkDel(l); err != nil {
			errs = append(errs, fmt.Errorf("veth: delete link %s: %w", a.Name, err))
			continue
		}
		removed = append(removed, Resource{Kind: "link", Name: a.Name})
	}
	return removed, errors.Join(errs...)
}

// SteerReceive makes the kernel run end s's receive processing (the softirq
// that hands each frame to AF_PACKET sockets and the IP stack) on CPU cpu,
// with Receive Packet Steering on the link's receive queue.
//
// A veth has no interrupt: by default the frame a sender puts on end A is
// received on end B by the sending CPU itself, inside the send call, so
// receive-side kernel work (copying into a ring, queueing for recvfrom) is
// charged to the sender. On a host fed by a NIC that work runs on the CPU
// that takes the NIC's interrupt. Steering end B to a CPU of its own
// reproduces that, and is how BenchmarkThroughput compares receive paths.
// cpu -1 turns steering off again.
func (t *Topology) SteerReceive(s Side, cpu int) error {
	if cpu < -1 || cpu >= runtime.NumCPU() {
		return fmt.Errorf("veth: steer receive to CPU %d: this machine has CPUs 0-%d", cpu, runtime.NumCPU()-1)
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return errors.New("veth: topology closed")
	}
	e := t.ends[s]
	t.mu.Unlock()
	rel := "class/net/" + e.Link + "/queues/rx-0/rps_cpus"
	if err := netnsutil.WriteSysfs(e.ns, rel, cpuMask(cpu)); err != nil {
		return fmt.Errorf("veth: steer receive of %s to CPU %d: %w", e.Link, cpu, err)
	}
	return nil
}

// cpuMask formats the sysfs CPU mask with only cpu set (none for -1): hex
// words of 32 CPUs, most significant first, separated by commas.
func cpuMask(cpu int) string {
	if cpu < 0 {
		return "0"
	}
	words := make([]string, cpu/32+1)
	for i := range words {
		words[i] = "00000000"
	}
	words[0] = fmt.Sprintf("%08x", uint32(1)<<(cpu%32))
	return strings.Join(words, ",")
}
