package cli

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sessionlab/sessionlab/core/bihash"
	"github.com/sessionlab/sessionlab/core/rules"
	"github.com/sessionlab/sessionlab/core/session"
)

// This file holds the JSON objects of the CLI's public contract
// (docs/cli.md, "JSON output") and the converters that build them from the
// session layer's views. Field names never change meaning; new fields may
// be added.

// RuleJSON is a session rule.
type RuleJSON struct {
	// Index is the rule's index in its table (listings and matches only).
	Index *uint32 `json:"index,omitempty"`
	// Lcl and Rmt are the normalised prefixes ("1.2.0.0/16").
	Lcl string `json:"lcl"`
	Rmt string `json:"rmt"`
	// LclPort and RmtPort are the ports, 0 = any.
	LclPort uint16 `json:"lcl_port"`
	RmtPort uint16 `json:"rmt_port"`
	// Proto is "tcp" or "udp".
	Proto string `json:"proto"`
	// Action is "drop", "allow", "app:N" or "none".
	Action string `json:"action"`
	// Tag is the rule's tag ("" for none).
	Tag string `json:"tag"`
	// Scope is "global", "local" or "all" (as given on add; in listings
	// the table's scope).
	Scope string `json:"scope"`
	// Children are the indices of the rule's children (listings only).
	Children []uint32 `json:"children,omitempty"`
	// Hits counts the lookups this rule decided (listings only).
	Hits *uint64 `json:"hits,omitempty"`
}

func ruleJSON(r rules.Rule) RuleJSON {
	scope := r.Scope.String()
	if r.Scope == 0 {
		scope = "global"
	}
	return RuleJSON{Lcl: r.Lcl.Masked().String(), Rmt: r.Rmt.Masked().String(), LclPort: r.LclPort, RmtPort: r.RmtPort,
		Proto: r.Proto.String(), Action: r.Action.String(), Tag: r.Tag, Scope: scope}
}

func ruleInfoJSON(ri rules.RuleInfo, local bool) RuleJSON {
	j := ruleJSON(ri.Rule)
	j.Scope = "global"
	if local {
		j.Scope = "local"
	}
	idx, hits := ri.Index, ri.Hits
	j.Index, j.Hits = &idx, &hits
	j.Children = ri.Children
	return j
}

// SessionJSON is a session (established, half-open or listener).
type SessionJSON struct {
	Handle hexHandle `json:"handle"`
	Thread uint32    `json:"thread"`
	Index  uint32    `json:"index"`
	// State is VPP's state name (READY, TRANSPORT_CLOSING, ...).
	State string `json:"state"`
	// Proto is "tcp", "udp" or "ct" (cut-through).
	Proto string `json:"proto"`
	// Lcl, LclPort, Rmt, RmtPort are the 5-tuple (with Proto).
	Lcl     string `json:"lcl"`
	LclPort uint16 `json:"lcl_port"`
	Rmt     string `json:"rmt"`
	RmtPort uint16 `json:"rmt_port"`
	Fib     uint32 `json:"fib"`
	// App is the owning application's name, null when detached.
	App *string `json:"app"`
	// Flags are VPP's flag names (RX_READY, APP_CLOSED, HALF_OPEN, ...).
	Flags []string `json:"flags"`
	// RxFifo and TxFifo are the bytes waiting in the fifos.
	RxFifo uint32 `json:"rx_fifo"`
	TxFifo uint32 `json:"tx_fifo"`
}

func (x *Executor) sessionJSON(si session.SessionInfo) SessionJSON {
	j := SessionJSON{Handle: hexHandle(si.Handle), Thread: si.Thread, Index: si.Handle.Index(), State: si.State.String(),
		Proto: si.Type.Proto().String(), Lcl: si.Local.Addr().String(), LclPort: si.Local.Port(),
		Rmt: si.Remote.Addr().String(), RmtPort: si.Remote.Port(), Fib: si.Fib, Flags: []string{},
		RxFifo: si.RxBytes, TxFifo: si.TxBytes}
	if n := x.appName(si.App); n != "" {
		j.App = &n
	}
	if f := si.Flags.String(); f != "" {
		j.Flags = strings.Split(f, "|")
	}
	return j
}

// NamespaceJSON is an application namespace.
type NamespaceJSON struct {
	Index  uint32 `json:"index"`
	ID     string `json:"id"`
	Secret uint64 `json:"secret"`
	// SwIfIndex and Interface are the namespace's interface (null: none).
	SwIfIndex *uint32 `json:"sw_if_index"`
	Interface *string `json:"interface"`
	// IP4FibIndex and IP6FibIndex are the fib indices (null: family unused).
	IP4FibIndex *uint32 `json:"ip4_fib_index"`
	IP6FibIndex *uint32 `json:"ip6_fib_index"`
	// SockName is the app socket name given at creation ("" none).
	SockName string `json:"sock_name"`
	// Apps are the names of the applications attached to it.
	Apps []string `json:"apps"`
}

func optU32(v uint32) *uint32 {
	if v == session.InvalidIndex {
		return nil
	}
	return &v
}

func (x *Executor) nsJSON(n session.NamespaceInfo) NamespaceJSON {
	j := NamespaceJSON{Index: n.Index, ID: n.ID, Secret: n.Secret, SwIfIndex: optU32(n.SwIfIndex),
		IP4FibIndex: optU32(n.FibIndex[0]), IP6FibIndex: optU32(n.FibIndex[1]), SockName: n.SockName, Apps: []string{}}
	if n.SwIfIndex != session.InvalidIndex {
		name := x.ifName(n.SwIfIndex)
		j.Interface = &name
	}
	for _, a := range n.Apps {
		j.Apps = append(j.Apps, x.appName(a))
	}
	return j
}

// ifName returns the interface's name, or "DELETED" as VPP prints an index
// that no longer resolves.
func (x *Executor) ifName(sw uint32) string {
	for _, it := range x.l.Interfaces() {
		if it.SwIfIndex == sw {
			return it.Name
		}
	}
	return "DELETED"
}

// ListenerJSON is an application listener.
type ListenerJSON struct {
	// Handle is the handle Listen returned (global listener if any).
	Handle hexHandle `json:"handle"`
	Proto  string    `json:"proto"`
	// Addr is the address listened on as requested; GlobalAddr the global
	// table's (the interface address for a zero bind in a namespace with
	// an interface).
	Addr       string `json:"addr"`
	GlobalAddr string `json:"global_addr,omitempty"`
	Port       uint16 `json:"port"`
	Fib        uint32 `json:"fib"`
	// Global and Local are the global (transport) and local (cut-through)
	// listen sessions, null when absent.
	Global *hexHandle `json:"global"`
	Local  *hexHandle `json:"local"`
	Proxy  bool       `json:"proxy"`
}

func optHandle(h session.Handle) *hexHandle {
	if h == session.InvalidHandle {
		return nil
	}
	v := hexHandle(h)
	return &v
}

func listenerJSON(li session.ListenerInfo) ListenerJSON {
	j := ListenerJSON{Handle: hexHandle(li.Handle), Proto: li.Proto.String(), Addr: li.Addr.String(), Port: li.Port,
		Fib: li.Fib, Global: optHandle(li.Global), Local: optHandle(li.Local), Proxy: li.Proxy}
	if li.Global != session.InvalidHandle && li.GlobalAddr.IsValid() {
		j.GlobalAddr = li.GlobalAddr.String()
	}
	return j
}

// AppJSON is an attached application.
type AppJSON struct {
	Index     uint32 `json:"index"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Scope is "global", "local" or "all".
	Scope     string         `json:"scope"`
	Proxy     bool           `json:"proxy"`
	Workers   int            `json:"workers"`
	Listeners []ListenerJSON `json:"listeners"`
	// Sessions is the number of established sessions the app owns.
	Sessions int `json:"sessions"`
	// Segments is the number of fifo segments of its segment manager.
	Segments int `json:"segments"`
}

func scopeName(f session.AppFlags) string {
	g, l := f&session.AppUseGlobalScope != 0, f&session.AppUseLocalScope != 0
	switch {
	case g && l:
		return "all"
	case l:
		return "local"
	}
	return "global"
}

func (x *Executor) appJSON(a session.AppInfo) AppJSON {
	j := AppJSON{Index: a.Index, Name: a.Name, Namespace: x.nsID(a.Namespace), Scope: scopeName(a.Flags),
		Proxy: a.Flags&session.AppIsProxy != 0, Sessions: a.Sessions, Segments: a.Segments,
		Listeners: []ListenerJSON{}}
	for _, w := range a.Workers {
		if w != session.InvalidIndex {
			j.Workers++
		}
	}
	for _, li := range a.Listeners {
		j.Listeners = append(j.Listeners, listenerJSON(li))
	}
	return j
}

// BihashJSON is one lookup table's hash statistics (`show bihash`).
type BihashJSON struct {
	// Name is the table's CLI name ("v4-session fib 0").
	Name          string `json:"name"`
	Buckets       uint64 `json:"buckets"`
	ActiveBuckets uint64 `json:"active_buckets"`
	Elements      uint64 `json:"elements"`
	LinearBuckets uint64 `json:"linear_buckets"`
	ArenaUsed     uint64 `json:"arena_used"`
	ArenaTotal    uint64 `json:"arena_total"`
	Adds          uint64 `json:"adds"`
	Replaces      uint64 `json:"replaces"`
	Deletes       uint64 `json:"deletes"`
	Splits        uint64 `json:"splits"`
	TableFull     uint64 `json:"table_full"`
}

func bihashJSON(name string, s bihash.Stats) BihashJSON {
	return BihashJSON{Name: name, Buckets: s.Buckets, ActiveBuckets: s.ActiveBuckets, Elements: s.Pairs,
		LinearBuckets: s.LinearBuckets, ArenaUsed: s.ArenaUsed, ArenaTotal: s.ArenaTotal, Adds: s.Adds,
		Replaces: s.Replaces, Deletes: s.Deletes, Splits: s.Splits, TableFull: s.TableFull}
}

// InterfaceJSON is an interface.
type InterfaceJSON struct {
	SwIfIndex uint32 `json:"sw_if_index"`
	Name      string `json:"name"`
	// IP4TableID and IP6TableID are the table ids the interface is bound to.
	IP4TableID uint32   `json:"ip4_table_id"`
	IP6TableID uint32   `json:"ip6_table_id"`
	Addrs      []string `json:"addrs"`
}

func ifaceJSON(it session.InterfaceInfo) InterfaceJSON {
	j := InterfaceJSON{SwIfIndex: it.SwIfIndex, Name: it.Name, IP4TableID: it.FibID[0], IP6TableID: it.FibID[1],
		Addrs: []string{}}
	for _, p := range it.Addrs {
		j.Addrs = append(j.Addrs, p.String())
	}
	return j
}

// LookupJSON is what a lookup found (`session lookup`).
type LookupJSON struct {
	// Kind is "session", "half-open", "listener", "filtered",
	// "wrong-thread", "proxy" (local lookups) or "none".
	Kind string `json:"kind"`
	// Handle is the session, half-open or listener found (null for
	// filtered and none).
	Handle *hexHandle `json:"handle"`
	// Session is the session found, when it is a session-layer record.
	Session *SessionJSON `json:"session,omitempty"`
	// App is the application of a local proxy entry.
	App *string `json:"app,omitempty"`
}

// connID formats a session as VPP's transports format a connection:
// [thread:index][T] lcl:port->rmt:port. sessionlab prints the session's
// index where VPP's TCP prints the session index of the connection too.
func connID(si session.SessionInfo) string {
	p := "T"
	switch si.Type.Proto() {
	case session.ProtoUDP:
		p = "U"
	case session.ProtoCT:
		p = "CT"
	}
	return fmt.Sprintf("[%d:%d][%s] %s->%s", si.Thread, si.Handle.Index(), p, addrPort(si.Local), addrPort(si.Remote))
}

// addrPort formats ip:port as VPP does (no brackets around IPv6).
func addrPort(ap netip.AddrPort) string {
	return fmt.Sprintf("%s:%d", ap.Addr(), ap.Port())
}
