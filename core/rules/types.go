package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
)

// Proto is a transport protocol, numbered as VPP's transport_proto_t.
// Only TCP and UDP carry session rules.
type Proto uint8

// The transport protocols that session rules apply to.
const (
	ProtoTCP Proto = 0
	ProtoUDP Proto = 1
)

// String returns "tcp" or "udp" (VPP's transport names), or "proto(N)".
func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	}
	return "proto(" + strconv.Itoa(int(p)) + ")"
}

// Valid reports whether p is TCP or UDP.
func (p Proto) Valid() bool { return p == ProtoTCP || p == ProtoUDP }

// Action is what a rule tells the session layer to do, encoded as VPP's
// action_index: an application index (redirect to that application), or one of
// the reserved values below.
type Action uint32

// Reserved action values (VPP's SESSION_RULES_TABLE_ACTION_*).
const (
	// ActionNone means "no rule": VPP's SESSION_RULES_TABLE_INVALID_INDEX.
	// A lookup that matches no rule returns it, and rules whose action is
	// ActionNone are passed over by lookups.
	ActionNone Action = 0xFFFFFFFF
	// ActionInvalid is VPP's name for ActionNone.
	ActionInvalid = ActionNone
	// ActionDrop filters the connection (FILTERED / DROP_HANDLE).
	ActionDrop Action = 0xFFFFFFFE
	// ActionAllow lets the lookup continue as if no rule matched.
	ActionAllow Action = 0xFFFFFFFD
)

// IsNone reports whether a is ActionNone.
func (a Action) IsNone() bool { return a == ActionNone }

// AppIndex returns the application index of a redirect action, and false for
// the reserved actions (drop, allow, none).
func (a Action) AppIndex() (uint32, bool) {
	if a >= ActionAllow {
		return 0, false
	}
	return uint32(a), true
}

// String returns "drop", "allow", "none" or "app:N": the names the CLI's JSON
// output uses.
func (a Action) String() string {
	switch a {
	case ActionDrop:
		return "drop"
	case ActionAllow:
		return "allow"
	case ActionNone:
		return "none"
	}
	return "app:" + strconv.FormatUint(uint64(a), 10)
}

// Scope says which tables a rule goes to: a bit mask of ScopeGlobal and
// ScopeLocal. Zero is treated as global, as VPP does.
type Scope uint8

// Scope bits (VPP's SESSION_RULE_SCOPE_*).
const (
	ScopeGlobal Scope = 1
	ScopeLocal  Scope = 2
	ScopeAll    Scope = ScopeGlobal | ScopeLocal
)

// Global reports whether the rule belongs in the global (per-fib, ingress)
// table: scope 0 or the global bit.
func (s Scope) Global() bool { return s == 0 || s&ScopeGlobal != 0 }

// Local reports whether the rule belongs in the namespace's local (egress)
// table.
func (s Scope) Local() bool { return s&ScopeLocal != 0 }

// Valid reports whether s is at most ScopeAll (VPP rejects larger values).
func (s Scope) Valid() bool { return s <= ScopeAll }

// String returns "global", "local", "all", "default" for 0, or "scope(N)".
func (s Scope) String() string {
	switch s {
	case 0:
		return "default"
	case ScopeGlobal:
		return "global"
	case ScopeLocal:
		return "local"
	case ScopeAll:
		return "all"
	}
	return "scope(" + strconv.Itoa(int(s)) + ")"
}

// MaxTagLen is the longest tag a rule may carry, in bytes
// (VPP's SESSION_RULE_TAG_MAX_LEN).
const MaxTagLen = 64

// ErrInvalid is the class of every rule error: VPP answers all of them with
// SESSION_E_INVALID (-19). Use errors.Is(err, ErrInvalid) to test for it.
var ErrInvalid = errors.New("invalid session rule")

// invalidError is an error that also matches ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// Sentinel errors returned by table operations; each also matches ErrInvalid.
var (
	// ErrTagInUse: an add names a tag that another rule (or the same rule)
	// already carries in this transport table.
	ErrTagInUse error = &invalidError{"tag already in use"}
	// ErrTagTooLong: the tag is longer than MaxTagLen bytes.
	ErrTagTooLong error = &invalidError{"tag longer than 64 bytes"}
	// ErrProto: the protocol is neither TCP nor UDP, or is not the table's.
	ErrProto error = &invalidError{"transport protocol must be tcp or udp"}
	// ErrFamily: the prefixes are invalid, of different address families, or
	// not of the table's family.
	ErrFamily error = &invalidError{"local and remote prefixes must be valid and of the table's address family"}
	// ErrScope: the scope is above ScopeAll.
	ErrScope error = &invalidError{"scope must be global, local or all"}
)

// Rule is one session rule. Prefixes are normalised (host bits cleared) when
// the rule enters a table; ports are compared as the numbers users write and
// packets carry, 0 meaning any port.
type Rule struct {
	Lcl     netip.Prefix // local prefix (forced to 0/0 in local tables)
	Rmt     netip.Prefix // remote prefix
	LclPort uint16       // local port, 0 = any (forced to 0 in local tables)
	RmtPort uint16       // remote port, 0 = any
	Proto   Proto        // ProtoTCP or ProtoUDP
	Action  Action       // ActionDrop, ActionAllow, ActionNone or an app index
	Tag     string       // optional name, at most MaxTagLen bytes, unique per transport table
	Scope   Scope        // ScopeGlobal, ScopeLocal, ScopeAll (0 = global)
}

// Is4 reports whether the rule's remote prefix is IPv4 (the family VPP uses to
// pick the table).
func (r Rule) Is4() bool { return r.Rmt.Addr().Is4() }

// Normalize returns r with both prefixes masked to their lengths, and an error
// (matching ErrInvalid) if the rule cannot enter a table: prefixes invalid or
// of different families, protocol not TCP/UDP, tag too long, scope above all.
func (r Rule) Normalize() (Rule, error) {
	if !r.Proto.Valid() {
		return r, ErrProto
	}
	if !r.Lcl.IsValid() || !r.Rmt.IsValid() || r.Lcl.Addr().Is4() != r.Rmt.Addr().Is4() ||
		r.Lcl.Addr().Zone() != "" || r.Rmt.Addr().Zone() != "" {
		return r, ErrFamily
	}
	if len(r.Tag) > MaxTagLen {
		return r, ErrTagTooLong
	}
	if !r.Scope.Valid() {
		return r, ErrScope
	}
	r.Lcl = r.Lcl.Masked()
	r.Rmt = r.Rmt.Masked()
	return r, nil
}

// ForLocalTable returns the rule as a namespace's local table stores it: the
// local prefix becomes the all-zero prefix of the remote prefix's family and
// the local port becomes 0 (VPP §4.7 step 3).
func (r Rule) ForLocalTable() Rule {
	if r.Rmt.Addr().Is4() {
		r.Lcl = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	} else {
		r.Lcl = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	r.LclPort = 0
	return r
}

// SameMatch reports whether r and o have the same match and mask (normalised
// prefixes and ports): adding o to a table holding r replaces r's action and
// tag.
func (r Rule) SameMatch(o Rule) bool {
	return r.Lcl.Masked() == o.Lcl.Masked() && r.Rmt.Masked() == o.Rmt.Masked() &&
		r.LclPort == o.LclPort && r.RmtPort == o.RmtPort
}

// Contains reports whether every 5-tuple that o matches is matched by r
// (r's whole range contains o's).
func (r Rule) Contains(o Rule) bool {
	return prefixContains(r.Lcl, o.Lcl) && prefixContains(r.Rmt, o.Rmt) &&
		(r.LclPort == 0 || r.LclPort == o.LclPort) && (r.RmtPort == 0 || r.RmtPort == o.RmtPort)
}

func prefixContains(outer, inner netip.Prefix) bool {
	return outer.Addr().Is4() == inner.Addr().Is4() && outer.Bits() <= inner.Bits() &&
		outer.Contains(inner.Addr())
}

// Matches reports whether the rule matches the connection (lcl, lclPort) ↔
// (rmt, rmtPort).
func (r Rule) Matches(lcl, rmt netip.Addr, lclPort, rmtPort uint16) bool {
	return r.Lcl.Contains(lcl) && r.Rmt.Contains(rmt) &&
		(r.LclPort == 0 || r.LclPort == lclPort) && (r.RmtPort == 0 || r.RmtPort == rmtPort)
}

// String formats the rule in `session rule add` syntax (without the command
// words), e.g. "proto tcp 10.0.0.0/8 0 1.2.3.4/32 80 action 4294967294".
func (r Rule) String() string {
	s := fmt.Sprintf("proto %s %s %d %s %d action %d", r.Proto, r.Lcl, r.LclPort, r.Rmt, r.RmtPort, uint32(r.Action))
	if r.Tag != "" {
		s += " tag " + r.Tag
	}
	if r.Scope != 0 {
		s += " scope " + r.Scope.String()
	}
	return s
}
