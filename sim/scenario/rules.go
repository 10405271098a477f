package scenario

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
)

// Rule lines are VPP CLI: `session rule [add|del] [appns <id>] proto
// <tcp|udp> <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port> action <n>
// [tag <tag>] [scope global|local|all]`, options in any order as VPP's
// unformat loop takes them. checkRule reads a line with that grammar so a
// scenario's rules are checked (with the column of the offending word) when
// the scenario is loaded; the engine applies them through core/session.

// ruleErr is a rule problem at a byte offset of its line.
type ruleErr struct {
	off int
	msg string
}

// ruleInfo is what validation needs from a rule line.
type ruleInfo struct {
	appns    string
	appnsOff int
}

// Reserved rule actions (VPP's SESSION_RULES_TABLE_ACTION_*).
const (
	ActionDrop  = 4294967294
	ActionAllow = 4294967293
)

type ruleTok struct {
	s   string
	off int
}

func ruleTokens(line string) []ruleTok {
	var out []ruleTok
	i := 0
	for i < len(line) {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		if j > i {
			out = append(out, ruleTok{line[i:j], i})
		}
		i = j
	}
	return out
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// checkRule checks one `session rule` line.
func checkRule(line string) (ruleInfo, *ruleErr) {
	var info ruleInfo
	toks := ruleTokens(line)
	if len(toks) < 2 || toks[0].s != "session" || toks[1].s != "rule" {
		off := 0
		if len(toks) > 0 {
			off = toks[0].off
		}
		return info, &ruleErr{off, "want a VPP CLI line `session rule add|del proto tcp|udp <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port> action <n> ...`"}
	}
	isAdd, proto, conn, tag := true, false, false, false
	errAt := func(t ruleTok, format string, args ...any) (ruleInfo, *ruleErr) {
		return info, &ruleErr{t.off, fmt.Sprintf(format, args...)}
	}
	unknown := func(t ruleTok) (ruleInfo, *ruleErr) {
		rest := line[t.off:]
		if len(rest) > 30 {
			rest = rest[:30] + "..."
		}
		return errAt(t, "unknown input `%s'", rest)
	}
	arg := func(i int, what string) (ruleTok, *ruleErr) {
		if i+1 >= len(toks) {
			return ruleTok{}, &ruleErr{len(line), fmt.Sprintf("%s needs %s", toks[i].s, what)}
		}
		return toks[i+1], nil
	}
	for i := 2; i < len(toks); i++ {
		t := toks[i]
		switch t.s {
		case "add":
			isAdd = true
		case "del":
			isAdd = false
		case "appns", "scope", "proto", "action", "tag":
			a, err := arg(i, map[string]string{"appns": "a namespace id", "scope": "global, local or all",
				"proto": "tcp or udp", "action": "a number", "tag": "a tag"}[t.s])
			if err != nil {
				return info, err
			}
			i++
			switch t.s {
			case "appns":
				info.appns, info.appnsOff = a.s, a.off
			case "scope":
				if a.s != "global" && a.s != "local" && a.s != "all" {
					return unknown(t)
				}
			case "proto":
				if a.s != "tcp" && a.s != "udp" {
					return errAt(a, "proto %q: session rules apply to tcp and udp only", a.s)
				}
				proto = true
			case "action":
				if _, err := strconv.ParseUint(a.s, 10, 32); err != nil {
					return errAt(a, "action %q: want a number: an app index, %d (drop) or %d (allow)", a.s, ActionDrop, ActionAllow)
				}
			case "tag":
				if len(a.s) > 64 {
					return errAt(a, "tag is longer than 64 bytes")
				}
				tag = true
			}
		default:
			if !strings.Contains(t.s, "/") {
				return unknown(t)
			}
			// <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port>
			if i+3 >= len(toks) {
				return errAt(t, "a connection is <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port>")
			}
			lcl, err := rulePrefix(toks[i])
			if err != nil {
				return info, err
			}
			if err := rulePort(toks[i+1]); err != nil {
				return info, err
			}
			rmt, err := rulePrefix(toks[i+2])
			if err != nil {
				return info, err
			}
			if err := rulePort(toks[i+3]); err != nil {
				return info, err
			}
			if lcl.Addr().Is4() != rmt.Addr().Is4() {
				return errAt(toks[i+2], "local %s and remote %s are of different address families", lcl, rmt)
			}
			conn = true
			i += 3
		}
	}
	switch {
	case !proto:
		return info, &ruleErr{len(line), "proto must be set"}
	case !isAdd && !conn && !tag:
		return info, &ruleErr{len(line), "connection or tag must be set for delete"}
	}
	return info, nil
}

func rulePrefix(t ruleTok) (netip.Prefix, *ruleErr) {
	p, err := netip.ParsePrefix(t.s)
	if err != nil {
		return p, &ruleErr{t.off, fmt.Sprintf("%q is not an address/length prefix", t.s)}
	}
	return p, nil
}

func rulePort(t ruleTok) *ruleErr {
	if _, err := strconv.ParseUint(t.s, 10, 16); err != nil {
		return &ruleErr{t.off, fmt.Sprintf("port %q: want 0 (any) to 65535", t.s)}
	}
	return nil
}

// servicePorts are the ports generated rules name.
var servicePorts = []uint16{22, 25, 53, 80, 110, 123, 143, 443, 993, 3306, 5432, 6379, 8080, 8443}

// Lines generates the rule lines. The same seed (the block's, or
// scenarioSeed when it has none) gives the same lines; rules are distinct
// (no two share a match), so Count rules end up in the tables.
//
// Shape acl: remote prefixes of /8 to /32 inside Prefix (longer prefixes
// more likely, as in real access lists), any port four times in five,
// otherwise a service port; drop 70%, allow 30%. Shape fw: nine in ten
// rules allow one remote host to a service port; the rest drop a /16 to
// /24 of Prefix.
func (g *RulesGen) Lines(scenarioSeed uint64) []string {
	seed := scenarioSeed
	if g.Seed != nil {
		seed = *g.Seed
	}
	rng := rand.New(rand.NewPCG(DeriveSeed(seed, 0x72756c6573), 0x67656e))
	base := g.Prefix
	if !base.IsValid() {
		base = defaultRulesNet
	}
	base = base.Masked()
	bits := base.Addr().BitLen()
	minLen := max(base.Bits(), 8)
	if minLen > bits {
		minLen = bits
	}
	type key struct {
		addr netip.Addr
		plen int
		port uint16
		udp  bool
	}
	seen := make(map[key]struct{}, g.Count)
	out := make([]string, 0, g.Count)
	var b strings.Builder
	for attempts := 0; len(out) < g.Count && attempts < 50*g.Count+1000; attempts++ {
		udp := g.Proto == "udp" || g.Proto == "both" && rng.IntN(2) == 1
		var plen int
		var port uint16
		action := uint64(ActionDrop)
		switch g.Shape {
		case ShapeFW:
			if rng.IntN(10) < 9 {
				plen, port, action = bits, servicePorts[rng.IntN(len(servicePorts))], ActionAllow
			} else {
				plen = min(bits, max(minLen, 16+rng.IntN(9)))
			}
		default:
			// Longer prefixes more likely: the larger of two draws.
			span := bits - minLen + 1
			plen = minLen + max(rng.IntN(span), rng.IntN(span))
			if rng.IntN(5) == 0 {
				port = servicePorts[rng.IntN(len(servicePorts))]
			}
			if rng.IntN(10) < 3 {
				action = ActionAllow
			}
		}
		addr := randomIn(rng, base)
		pfx, _ := addr.Prefix(plen)
		k := key{pfx.Addr(), plen, port, udp}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		b.Reset()
		b.WriteString("session rule add")
		if g.Namespace != "" && g.Namespace != DefaultNamespace {
			b.WriteString(" appns ")
			b.WriteString(g.Namespace)
		}
		proto := "tcp"
		if udp {
			proto = "udp"
		}
		wild := "0.0.0.0/0"
		if bits == 128 {
			wild = "::/0"
		}
		fmt.Fprintf(&b, " proto %s %s 0 %s %d action %d", proto, wild, pfx, port, action)
		if g.Scope != "" && g.Scope != ScopeGlobal {
			b.WriteString(" scope ")
			b.WriteString(string(g.Scope))
		}
		out = append(out, b.String())
	}
	return out
}

// randomIn returns a uniformly random address inside p.
func randomIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	a := p.Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 12
	}
	hostBits := p.Addr().BitLen() - p.Bits()
	for i := 15; i >= off && hostBits > 0; i-- {
		n := min(hostBits, 8)
		mask := byte(1<<n - 1)
		a[i] = a[i]&^mask | byte(rng.UintN(256))&mask
		hostBits -= n
	}
	if p.Addr().Is4() {
		return netip.AddrFrom4([4]byte(a[12:]))
	}
	return netip.AddrFrom16(a)
}
