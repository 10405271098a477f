package session

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"slices"
)

// DefaultNamespace is the id of the namespace created at enable (§5.2).
const DefaultNamespace = "default"

// namespace is an application namespace (§5.1).
type namespace struct {
	index    uint32
	id       string
	secret   uint64
	sw       uint32    // interface or InvalidIndex
	fib      [2]uint32 // fib index per family, InvalidIndex if unused
	local    uint32    // local table index
	sockName string
}

// NamespaceArgs are the arguments of AddNamespace (VPP's
// vnet_app_namespace_add_del_args_t).
type NamespaceArgs struct {
	// ID names the namespace.
	ID string
	// Secret is what applications must present to attach (when they name
	// the namespace).
	Secret uint64
	// SwIfIndex binds the namespace to an interface (InvalidIndex: none).
	// With an interface the fib ids are taken from it, overriding IP4FibID
	// and IP6FibID.
	SwIfIndex uint32
	// IP4FibID and IP6FibID are table ids (InvalidIndex: family unused).
	IP4FibID, IP6FibID uint32
	// SockName is the app socket name (kept, not used: sessionlab opens no
	// sockets).
	SockName string
}

// NamespaceInfo describes a namespace (a read-only view).
type NamespaceInfo struct {
	Index     uint32
	ID        string
	Secret    uint64
	SwIfIndex uint32
	// FibIndex is the fib index per family (InvalidIndex: unused).
	FibIndex [2]uint32
	// LocalTable is the index of the namespace's local table.
	LocalTable uint32
	SockName   string
	// Apps lists the indices of the applications attached to it.
	Apps []uint32
}

// AddNamespace adds a namespace, or updates it if the id exists (VPP's
// vnet_app_namespace_add_del with is_add). It returns the namespace index.
//
// Errors (all ErrInvalid, as VPP's API reports them): an interface that
// does not exist; no interface and no IPv4 and IPv6 table id; a table id
// that does not name an existing table.
func (l *Layer) AddNamespace(a NamespaceArgs) (uint32, error) {
	if a.ID == "" {
		return InvalidIndex, fmt.Errorf("session: namespace id is empty: %w", l.fail(ErrInvalid))
	}
	if a.SwIfIndex != InvalidIndex {
		if !l.ifaceValid(a.SwIfIndex) {
			return InvalidIndex, fmt.Errorf("session: namespace %q: no interface %d: %w", a.ID, a.SwIfIndex, l.fail(ErrInvalid))
		}
		it := &l.ifaces[a.SwIfIndex]
		a.IP4FibID = l.fibs.tables[fam4][it.fib[fam4]].id
		a.IP6FibID = l.fibs.tables[fam6][it.fib[fam6]].id
	}
	if a.SwIfIndex == InvalidIndex && a.IP4FibID == InvalidIndex && a.IP6FibID == InvalidIndex {
		return InvalidIndex, fmt.Errorf("session: namespace %q needs an interface or a table id: %w", a.ID, l.fail(ErrInvalid))
	}
	var fib [2]uint32
	for f, id := range [2]uint32{a.IP4FibID, a.IP6FibID} {
		fib[f] = InvalidIndex
		if id == InvalidIndex {
			continue
		}
		fi, ok := l.fibs.find(family(f), id)
		if !ok {
			return InvalidIndex, fmt.Errorf("session: namespace %q: %s table %d does not exist: %w", a.ID, family(f), id, l.fail(ErrInvalid))
		}
		fib[f] = fi
	}
	ns := l.nsByIDPtr(a.ID)
	if ns == nil {
		ns = &namespace{id: a.ID, sockName: a.SockName, fib: [2]uint32{InvalidIndex, InvalidIndex}}
		if n := len(l.freeNs); n > 0 {
			ns.index = l.freeNs[n-1]
			l.freeNs = l.freeNs[:n-1]
			l.namespaces[ns.index] = ns
		} else {
			ns.index = uint32(len(l.namespaces))
			l.namespaces = append(l.namespaces, ns)
		}
		lt, err := l.newTable(true, fam4, InvalidIndex, ns.index)
		if err != nil {
			l.namespaces[ns.index] = nil
			l.freeNs = append(l.freeNs, ns.index)
			return InvalidIndex, err
		}
		ns.local = lt.index
		l.nsByID[a.ID] = ns.index
	} else {
		for f := range 2 {
			if ns.fib[f] != InvalidIndex {
				l.unbindTable(family(f), ns.fib[f], ns.index)
			}
		}
	}
	ns.secret = a.Secret
	ns.sw = a.SwIfIndex
	ns.fib = fib
	for f := range 2 {
		if fib[f] != InvalidIndex {
			if err := l.bindTable(family(f), fib[f], ns.index); err != nil {
				return InvalidIndex, err
			}
		}
	}
	return ns.index, nil
}

// DelNamespace deletes a namespace: its applications are freed at once
// (proxies first; they are not notified), its local table and rules go,
// and its tables are unbound (§5.3). An unknown id is ErrInvalid.
func (l *Layer) DelNamespace(id string) error {
	ns := l.nsByIDPtr(id)
	if ns == nil {
		return fmt.Errorf("session: no namespace %q: %w", id, l.fail(ErrInvalid))
	}
	l.delNamespace(ns)
	return nil
}

func (l *Layer) delNamespace(ns *namespace) {
	// Proxies first, then every other application of the namespace.
	for pass := range 2 {
		for _, app := range l.apps {
			if app == nil || app.ns != ns.index || (pass == 0) != app.isProxy() {
				continue
			}
			l.freeApp(app)
		}
	}
	if lt := l.tables[ns.local]; lt != nil {
		l.freeTable(lt)
	}
	for f := range 2 {
		if ns.fib[f] != InvalidIndex {
			l.unbindTable(family(f), ns.fib[f], ns.index)
		}
	}
	delete(l.nsByID, ns.id)
	l.namespaces[ns.index] = nil
	l.freeNs = append(l.freeNs, ns.index)
}

// rebindNamespaces deletes and re-adds every namespace bound to interface
// sw (after the interface moved to another table, §5.5).
func (l *Layer) rebindNamespaces(sw uint32) {
	for i := range l.namespaces {
		ns := l.namespaces[i]
		if ns == nil || ns.sw != sw {
			continue
		}
		args := NamespaceArgs{ID: ns.id, Secret: ns.secret, SwIfIndex: sw, SockName: ns.sockName}
		l.delNamespace(ns)
		_, _ = l.AddNamespace(args)
	}
}

func (l *Layer) nsByIDPtr(id string) *namespace {
	i, ok := l.nsByID[id]
	if !ok {
		return nil
	}
	return l.namespaces[i]
}

func (l *Layer) nsAt(i uint32) *namespace {
	if int(i) >= len(l.namespaces) {
		return nil
	}
	return l.namespaces[i]
}

// NamespaceIndex returns the index of the namespace with the given id.
func (l *Layer) NamespaceIndex(id string) (uint32, bool) {
	i, ok := l.nsByID[id]
	return i, ok
}

// Namespace returns a view of the namespace with the given id.
func (l *Layer) Namespace(id string) (NamespaceInfo, bool) {
	ns := l.nsByIDPtr(id)
	if ns == nil {
		return NamespaceInfo{}, false
	}
	return l.nsInfo(ns), true
}

// Namespaces lists every namespace, by index.
func (l *Layer) Namespaces() []NamespaceInfo {
	var out []NamespaceInfo
	for _, ns := range l.namespaces {
		if ns != nil {
			out = append(out, l.nsInfo(ns))
		}
	}
	return out
}

func (l *Layer) nsInfo(ns *namespace) NamespaceInfo {
	info := NamespaceInfo{Index: ns.index, ID: ns.id, Secret: ns.secret, SwIfIndex: ns.sw, FibIndex: ns.fib,
		LocalTable: ns.local, SockName: ns.sockName}
	for _, app := range l.apps {
		if app != nil && app.ns == ns.index {
			info.Apps = append(info.Apps, app.index)
		}
	}
	return info
}

// secretOK compares secrets in constant time (modelling decision: a secret
// is a credential, so its comparison must not leak through timing).
func secretOK(want, got uint64) bool {
	var a, b [8]byte
	binary.LittleEndian.PutUint64(a[:], want)
	binary.LittleEndian.PutUint64(b[:], got)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// TableNamespaces returns the indices of the namespaces bound to the global
// table of (family, fib index), in bind order (what VPP's rules dump lists
// as appns_index), or false if there is no such table.
func (l *Layer) TableNamespaces(ip6 bool, fib uint32) ([]uint32, bool) {
	t := l.lookupTable(famOf(!ip6), fib)
	if t == nil {
		return nil, false
	}
	return slices.Clone(t.nsList), true
}
