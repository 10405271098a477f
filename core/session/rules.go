package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/sessionlab/sessionlab/core/rules"
)

// Rule actions, as the lookups see them (core/rules' encodings).
const (
	ActionNone  = uint32(rules.ActionNone)
	ActionDrop  = uint32(rules.ActionDrop)
	ActionAllow = uint32(rules.ActionAllow)
)

// ruleGroup is a session table's rules (VPP's srtg): a core/rules group
// for the rule-table engine, or an SDL table for the sdl engine (one of the
// two: disabling the engine frees the group).
type ruleGroup struct {
	g   *rules.Group
	sdl *rules.SDL
}

// newRuleGroup returns the rules of a table for engine e.
func newRuleGroup(e Engine, local bool) *ruleGroup {
	if e == EngineSDL {
		return &ruleGroup{sdl: rules.NewSDL()}
	}
	return &ruleGroup{g: rules.NewGroup(local)}
}

// lookup returns the action for (lcl, lport) ↔ (rmt, rport).
func (rg *ruleGroup) lookup(p Proto, f family, lcl, rmt *addr, lport, rport uint16) uint32 {
	if rg.sdl != nil {
		if f == fam4 {
			return uint32(rg.sdl.Lookup4(binary.BigEndian.Uint32(rmt[12:16])))
		}
		return uint32(rg.sdl.Lookup(rmt.netip(false)))
	}
	tt := rg.g.Transport(rules.Proto(p))
	if tt == nil {
		return ActionNone
	}
	if f == fam4 {
		return uint32(tt.Table(true).Lookup4(binary.BigEndian.Uint32(lcl[12:16]), binary.BigEndian.Uint32(rmt[12:16]), lport, rport))
	}
	return uint32(tt.Table(false).Lookup(lcl.netip(false), rmt.netip(false), lport, rport))
}

// rulesActive reports whether lookups consult rules: the layer is enabled
// with the rule-table engine. Without an engine VPP's lookups get ALLOW.
func (l *Layer) rulesActive() bool {
	return l.enabled && (l.engine == EngineRuleTable || l.engine == EngineSDL)
}

// freeNamespaceRules drops the rules of every namespace's local table and
// of the global tables of its fibs, as VPP does when its rules engine is
// disabled. Tables no namespace reaches keep theirs.
func (l *Layer) freeNamespaceRules() {
	for _, ns := range l.namespaces {
		if ns == nil {
			continue
		}
		if t := l.tables[ns.local]; t != nil {
			t.rules = nil
		}
		for _, f := range []family{fam4, fam6} {
			if t := l.lookupTable(f, ns.fib[f]); t != nil {
				t.rules = nil
			}
		}
	}
}

// RuleArgs are the arguments of RuleAddDel (vnet_session_rule_add_del).
type RuleArgs struct {
	// Rule is the rule: prefixes, ports, protocol, action, tag and scope
	// (1 global, 2 local, 3 both, 0 = global). The scope is used as given
	// (VPP's binary API byte-swaps it into "always global": QUIRK, fixed).
	Rule rules.Rule
	// AppNs is the namespace index (the default namespace is 0).
	AppNs uint32
	// FibIndex selects another fib for rules of the default namespace
	// (InvalidIndex or 0: the namespace's).
	FibIndex uint32
	// IsAdd adds (or replaces); false deletes.
	IsAdd bool
}

// RuleAddDel adds or deletes a session rule at namespace level (§4.7). A
// global-scope rule goes to the global table of the namespace's fib for the
// rule's family (its rules are created on first use); a local-scope rule
// goes to the namespace's local table with its local prefix and port forced
// to zero. For scope both, the global result is returned on failure and
// otherwise the local one.
//
// Under the sdl engine only the remote prefix, action and tag count, local
// scope is skipped, and a lookup takes the longest remote prefix (§4.9).
//
// Errors: ErrNoSupport (no rules engine is enabled), ErrInvalidNS,
// ErrInvalid (bad scope, protocol, prefixes, a tag in use, or no global
// table for the fib); under the sdl engine also ErrIPInUse (the prefix has
// a route) and ErrNoRoute (a delete that finds no rule).
func (l *Layer) RuleAddDel(a RuleArgs) error {
	if e := l.ruleAddDel(a); e != ErrNone {
		verb := "del"
		if a.IsAdd {
			verb = "add"
		}
		return fmt.Errorf("session: rule %s %s: %w", verb, a.Rule, l.fail(e))
	}
	return nil
}

func (l *Layer) ruleAddDel(a RuleArgs) Error {
	ns := l.nsAt(a.AppNs)
	if ns == nil {
		return ErrInvalidNS
	}
	r := a.Rule
	if !r.Scope.Valid() || !r.Proto.Valid() {
		return ErrInvalid
	}
	if !r.Rmt.IsValid() && (a.IsAdd || r.Tag == "") {
		return ErrInvalid
	}
	f := fam4
	if r.Rmt.IsValid() && !r.Rmt.Addr().Is4() {
		f = fam6
	}
	// The engine answers at the table-level add/del, after the namespace,
	// scope, protocol and table checks (spec §4.1, §4.7).
	apply := func(t *table, local bool) Error {
		if !l.rulesActive() {
			return ErrNoSupport
		}
		if l.engine == EngineSDL {
			return l.sdlAddDel(t, local, r, a.IsAdd)
		}
		if t.rules == nil {
			if !a.IsAdd {
				return ErrNone
			}
			t.rules = newRuleGroup(l.engine, local)
		}
		var err error
		if a.IsAdd {
			err = t.rules.g.Add(r)
		} else {
			err = t.rules.g.Del(r)
		}
		if err != nil {
			// Every table-level failure (tag in use, bad prefixes) is
			// VPP's INVALID.
			return ErrInvalid
		}
		return ErrNone
	}
	if r.Scope.Global() {
		fib := ns.fib[f]
		if a.AppNs == l.defaultNSIndex() && a.FibIndex != InvalidIndex && a.FibIndex != 0 {
			fib = a.FibIndex
		}
		t := l.lookupTable(f, fib)
		if t == nil {
			return ErrInvalid
		}
		if e := apply(t, false); e != ErrNone {
			return e
		}
	}
	if r.Scope.Local() {
		return apply(l.tables[ns.local], true)
	}
	return ErrNone
}

// sdlAddDel applies a rule to table t under the sdl engine (spec §4.9):
// local tables are skipped; a global table's SDL table is created on first
// use, for deletes too (a delete of a missing rule is then NOROUTE).
func (l *Layer) sdlAddDel(t *table, local bool, r rules.Rule, isAdd bool) Error {
	if local {
		return ErrNone
	}
	if t.rules == nil {
		t.rules = newRuleGroup(EngineSDL, false)
	}
	var err error
	if isAdd {
		err = t.rules.sdl.Add(r)
	} else {
		err = t.rules.sdl.Del(r)
	}
	switch {
	case err == nil:
		return ErrNone
	case errors.Is(err, rules.ErrSDLIPInUse):
		return ErrIPInUse
	case errors.Is(err, rules.ErrSDLNoRoute):
		return ErrNoRoute
	}
	return ErrInvalid
}

// RuleTableInfo describes a session table that has rules (a read-only
// view for `show session rules`).
type RuleTableInfo struct {
	// Table is the session table index.
	Table uint32
	// Local is true for a namespace's local table.
	Local bool
	// IP6 and FibIndex identify a global table.
	IP6      bool
	FibIndex uint32
	// Namespace is the owner of a local table.
	Namespace uint32
	// Namespaces are the namespaces bound to a global table (VPP's
	// appns_index list), in bind order.
	Namespaces []uint32
	// Group holds the rules of the rule-table engine; list them with its
	// transport tables. Nil for an SDL table.
	Group *rules.Group
	// SDL holds the rules of the sdl engine (nil otherwise).
	SDL *rules.SDL
}

// RuleTables lists the session tables that have rules, by table index.
func (l *Layer) RuleTables() []RuleTableInfo {
	var out []RuleTableInfo
	for _, t := range l.tables {
		if t == nil || t.rules == nil {
			continue
		}
		info := RuleTableInfo{Table: t.index, Local: t.isLocal, IP6: t.fam == fam6, FibIndex: t.fib, Namespace: t.ns,
			Group: t.rules.g, SDL: t.rules.sdl}
		if t.isLocal {
			info.FibIndex = InvalidIndex
			info.Namespaces = []uint32{t.ns}
		} else {
			info.Namespace = InvalidIndex
			info.Namespaces = slices.Clone(t.nsList)
		}
		out = append(out, info)
	}
	return out
}

// RuleAction returns the raw action the global rules of fib give the
// connection (lcl, lport) ↔ (rmt, rport): an application index,
// ActionDrop, ActionAllow, or ActionNone when no rule matches or the table
// has no rules.
func (l *Layer) RuleAction(fib uint32, p Proto, lcl, rmt netip.Addr, lport, rport uint16) uint32 {
	f := famOf(rmt.Is4())
	t := l.lookupTable(f, fib)
	if t == nil || t.rules == nil {
		return ActionNone
	}
	la, ra := addrFrom(lcl), addrFrom(rmt)
	return t.rules.lookup(p, f, &la, &ra, lport, rport)
}

// LocalRuleAction returns the raw action namespace ns's local (egress)
// rules give a connect to (rmt, rport).
func (l *Layer) LocalRuleAction(ns uint32, p Proto, rmt netip.Addr, rport uint16) uint32 {
	n := l.nsAt(ns)
	if n == nil {
		return ActionNone
	}
	t := l.tables[n.local]
	if t == nil || t.rules == nil {
		return ActionNone
	}
	var zero addr
	ra := addrFrom(rmt)
	return t.rules.lookup(p, famOf(rmt.Is4()), &zero, &ra, 0, rport)
}
