package session

import (
	"fmt"
	"net/netip"
	"slices"
)

// The interface and FIB model: just enough of VPP's ip4/ip6 FIBs for the
// session layer's decisions — which fib index a table id maps to, which
// addresses are local to a fib, an interface's first address, and which
// interface resolves a route (for a connect's source address, §9.5).

// fibModel holds the IP tables of both families. Table index = position;
// table id 0 is index 0 and always exists, as in VPP.
type fibModel struct {
	tables [2][]fibTable
}

type fibTable struct {
	id     uint32
	inUse  bool
	routes []route // explicit routes (connected routes come from interfaces)
}

type route struct {
	prefix netip.Prefix
	sw     uint32 // resolving interface, InvalidIndex for a route via another table
}

func (m *fibModel) init() {
	for f := range m.tables {
		m.tables[f] = []fibTable{{id: 0, inUse: true}}
	}
}

// find returns the fib index of table id in family f.
func (m *fibModel) find(f family, id uint32) (uint32, bool) {
	for i, t := range m.tables[f] {
		if t.inUse && t.id == id {
			return uint32(i), true
		}
	}
	return InvalidIndex, false
}

// iface is one interface of the model.
type iface struct {
	name  string
	inUse bool
	fib   [2]uint32      // fib index per family
	addrs []netip.Prefix // in configuration order; the first of a family is "the first ip"
}

// InterfaceInfo describes an interface (a read-only view).
type InterfaceInfo struct {
	SwIfIndex uint32
	Name      string
	// FibID is the table id per family (index 0 = IPv4, 1 = IPv6).
	FibID [2]uint32
	// Addrs are the interface's prefixes in configuration order.
	Addrs []netip.Prefix
}

// AddIPTable creates IP table id of the given family (VPP's `ip table add`).
// Adding an existing table is not an error.
func (l *Layer) AddIPTable(ip6 bool, id uint32) error {
	f := famOf(!ip6)
	if id == InvalidIndex {
		return fmt.Errorf("session: table id %d is reserved: %w", id, ErrInvalid)
	}
	if _, ok := l.fibs.find(f, id); ok {
		return nil
	}
	for i := range l.fibs.tables[f] {
		if !l.fibs.tables[f][i].inUse {
			l.fibs.tables[f][i] = fibTable{id: id, inUse: true}
			return nil
		}
	}
	l.fibs.tables[f] = append(l.fibs.tables[f], fibTable{id: id, inUse: true})
	return nil
}

// DelIPTable removes IP table id. Table 0 cannot be removed, nor a table an
// interface is bound to.
func (l *Layer) DelIPTable(ip6 bool, id uint32) error {
	f := famOf(!ip6)
	fi, ok := l.fibs.find(f, id)
	if !ok {
		return fmt.Errorf("session: %s table %d does not exist: %w", f, id, ErrInvalid)
	}
	if fi == 0 {
		return fmt.Errorf("session: %s table 0 cannot be deleted: %w", f, ErrInvalid)
	}
	for sw, it := range l.ifaces {
		if it.inUse && it.fib[f] == fi {
			return fmt.Errorf("session: %s table %d is in use by interface %d (%s): %w", f, id, sw, it.name, ErrInvalid)
		}
	}
	// A namespace locks its fib (VPP's "session lookup" FIB source, §3.1):
	// freeing it would let a later table take its index under the
	// namespace.
	for _, ns := range l.namespaces {
		if ns != nil && ns.fib[f] == fi {
			return fmt.Errorf("session: %s table %d is in use by namespace %q: %w", f, id, ns.id, ErrInvalid)
		}
	}
	l.fibs.tables[f][fi] = fibTable{}
	return nil
}

// FibIndex returns the fib index of table id, or false if the table does
// not exist.
func (l *Layer) FibIndex(ip6 bool, id uint32) (uint32, bool) { return l.fibs.find(famOf(!ip6), id) }

// fibExists reports whether fi is the index of an IP table of family f.
func (l *Layer) fibExists(f family, fi uint32) bool {
	return int(fi) < len(l.fibs.tables[f]) && l.fibs.tables[f][fi].inUse
}

// FibID returns the table id of fib index fi.
func (l *Layer) FibID(ip6 bool, fi uint32) (uint32, bool) {
	f := famOf(!ip6)
	if !l.fibExists(f, fi) {
		return InvalidIndex, false
	}
	return l.fibs.tables[f][fi].id, true
}

// AddRoute adds a route to table id. sw is the resolving interface, or
// InvalidIndex for a route that resolves through another table (VPP's
// "via lookup in table", which has no resolving interface).
func (l *Layer) AddRoute(ip6 bool, tableID uint32, p netip.Prefix, sw uint32) error {
	f := famOf(!ip6)
	fi, ok := l.fibs.find(f, tableID)
	if !ok {
		return fmt.Errorf("session: %s table %d does not exist: %w", f, tableID, ErrInvalid)
	}
	if !p.IsValid() || p.Addr().Is4() == ip6 {
		return fmt.Errorf("session: route prefix %v is not an %s prefix: %w", p, f, ErrInvalid)
	}
	if sw != InvalidIndex && !l.ifaceValid(sw) {
		return fmt.Errorf("session: route %v: no interface %d: %w", p, sw, ErrInvalid)
	}
	l.fibs.tables[f][fi].routes = append(l.fibs.tables[f][fi].routes, route{prefix: p.Masked(), sw: sw})
	return nil
}

// DelRoute removes a route added with AddRoute.
func (l *Layer) DelRoute(ip6 bool, tableID uint32, p netip.Prefix, sw uint32) error {
	f := famOf(!ip6)
	fi, ok := l.fibs.find(f, tableID)
	if !ok {
		return fmt.Errorf("session: %s table %d does not exist: %w", f, tableID, ErrInvalid)
	}
	rs := l.fibs.tables[f][fi].routes
	i := slices.Index(rs, route{prefix: p.Masked(), sw: sw})
	if i < 0 {
		return fmt.Errorf("session: no route %v in %s table %d: %w", p, f, tableID, ErrInvalid)
	}
	l.fibs.tables[f][fi].routes = slices.Delete(rs, i, i+1)
	return nil
}

// AddInterface creates an interface (a loopback, say) bound to table 0 of
// both families and returns its sw_if_index.
func (l *Layer) AddInterface(name string) (uint32, error) {
	for sw, it := range l.ifaces {
		if it.inUse && it.name == name {
			return InvalidIndex, fmt.Errorf("session: interface %q already exists (sw_if_index %d): %w", name, sw, ErrInvalid)
		}
	}
	l.ifaces = append(l.ifaces, iface{name: name, inUse: true})
	return uint32(len(l.ifaces) - 1), nil
}

// DelInterface deletes an interface. Namespaces using it keep its index
// (as in VPP, where the index simply stops resolving).
func (l *Layer) DelInterface(sw uint32) error {
	if !l.ifaceValid(sw) {
		return fmt.Errorf("session: no interface %d: %w", sw, ErrInvalid)
	}
	l.ifaces[sw] = iface{}
	return nil
}

func (l *Layer) ifaceValid(sw uint32) bool { return int(sw) < len(l.ifaces) && l.ifaces[sw].inUse }

// InterfaceByName returns the sw_if_index of the named interface.
func (l *Layer) InterfaceByName(name string) (uint32, bool) {
	for sw, it := range l.ifaces {
		if it.inUse && it.name == name {
			return uint32(sw), true
		}
	}
	return InvalidIndex, false
}

// AddInterfaceAddress configures prefix p (address and length) on sw.
func (l *Layer) AddInterfaceAddress(sw uint32, p netip.Prefix) error {
	if !l.ifaceValid(sw) {
		return fmt.Errorf("session: no interface %d: %w", sw, ErrInvalid)
	}
	if !p.IsValid() {
		return fmt.Errorf("session: invalid prefix %v: %w", p, ErrInvalid)
	}
	if slices.Contains(l.ifaces[sw].addrs, p) {
		return nil
	}
	l.ifaces[sw].addrs = append(l.ifaces[sw].addrs, p)
	return nil
}

// DelInterfaceAddress removes prefix p from sw.
func (l *Layer) DelInterfaceAddress(sw uint32, p netip.Prefix) error {
	if !l.ifaceValid(sw) {
		return fmt.Errorf("session: no interface %d: %w", sw, ErrInvalid)
	}
	i := slices.Index(l.ifaces[sw].addrs, p)
	if i < 0 {
		return fmt.Errorf("session: interface %d has no address %v: %w", sw, p, ErrInvalid)
	}
	l.ifaces[sw].addrs = slices.Delete(l.ifaces[sw].addrs, i, i+1)
	return nil
}

// SetInterfaceTable binds interface sw to IP table id of one family (VPP's
// `set interface ip[6] table`). As in VPP the interface must have no
// address of that family. Every namespace using the interface is deleted
// and re-added (same id, secret and socket name), which moves it to the new
// table and frees all applications attached to it (§5.5).
func (l *Layer) SetInterfaceTable(sw uint32, ip6 bool, id uint32) error {
	if !l.ifaceValid(sw) {
		return fmt.Errorf("session: no interface %d: %w", sw, ErrInvalid)
	}
	f := famOf(!ip6)
	fi, ok := l.fibs.find(f, id)
	if !ok {
		return fmt.Errorf("session: %s table %d does not exist: %w", f, id, ErrInvalid)
	}
	for _, p := range l.ifaces[sw].addrs {
		if p.Addr().Is4() == !ip6 {
			return fmt.Errorf("session: interface %d has %s address %v; remove it before moving the interface to table %d: %w", sw, f, p, id, ErrInvalid)
		}
	}
	if l.ifaces[sw].fib[f] == fi {
		return nil
	}
	l.ifaces[sw].fib[f] = fi
	l.rebindNamespaces(sw)
	return nil
}

// Interfaces lists the interfaces.
func (l *Layer) Interfaces() []InterfaceInfo {
	var out []InterfaceInfo
	for sw, it := range l.ifaces {
		if !it.inUse {
			continue
		}
		info := InterfaceInfo{SwIfIndex: uint32(sw), Name: it.name, Addrs: slices.Clone(it.addrs)}
		for f := range 2 {
			info.FibID[f] = l.fibs.tables[f][it.fib[f]].id
		}
		out = append(out, info)
	}
	return out
}

// firstIP returns the first address of family f on sw (VPP's
// ip_interface_get_first_ip).
func (l *Layer) firstIP(sw uint32, f family) (addr, bool) {
	if !l.ifaceValid(sw) {
		return addr{}, false
	}
	for _, p := range l.ifaces[sw].addrs {
		if p.Addr().Is4() == (f == fam4) {
			return addrFrom(p.Addr()), true
		}
	}
	return addr{}, false
}

// ifaceHasIP reports whether ip is configured on sw.
func (l *Layer) ifaceHasIP(sw uint32, ip addr, f family) bool {
	if !l.ifaceValid(sw) {
		return false
	}
	for _, p := range l.ifaces[sw].addrs {
		if p.Addr().Is4() == (f == fam4) && addrFrom(p.Addr()) == ip {
			return true
		}
	}
	return false
}

// isLocalIP reports whether ip is an address of an interface bound to fib
// fi (VPP's "local in the fib" check of session_endpoint_in_ns).
func (l *Layer) isLocalIP(fi uint32, ip addr, f family) bool {
	for sw, it := range l.ifaces {
		if it.inUse && it.fib[f] == fi && l.ifaceHasIP(uint32(sw), ip, f) {
			return true
		}
	}
	return false
}

// resolveInterface finds the interface resolving a route to dst in fib fi
// (fib_table_lookup + fib_entry_get_resolving_interface): the longest
// matching connected or explicit route. VPP's FIB always has a default
// route (drop), whose resolving interface is ~0, so a destination nothing
// covers yields NOINTF, as does a route via another table.
func (l *Layer) resolveInterface(fi uint32, dst addr, f family) (uint32, Error) {
	if int(fi) >= len(l.fibs.tables[f]) || !l.fibs.tables[f][fi].inUse {
		return InvalidIndex, ErrNoRoute
	}
	d := dst.netip(f == fam4)
	best, bestLen := InvalidIndex, -1
	for sw, it := range l.ifaces {
		if !it.inUse || it.fib[f] != fi {
			continue
		}
		for _, p := range it.addrs {
			if p.Addr().Is4() == (f == fam4) && p.Masked().Contains(d) && p.Bits() > bestLen {
				best, bestLen = uint32(sw), p.Bits()
			}
		}
	}
	for _, r := range l.fibs.tables[f][fi].routes {
		if r.prefix.Contains(d) && r.prefix.Bits() > bestLen {
			best, bestLen = r.sw, r.prefix.Bits()
		}
	}
	if best == InvalidIndex {
		return InvalidIndex, ErrNoIntf
	}
	return best, ErrNone
}
