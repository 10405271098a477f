package scenario

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/sessionlab/sessionlab/core/rules"
)

// Rule lines are VPP CLI: `session rule [add|del] [appns <id>] proto
// <tcp|udp> <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port> action <n>
// [tag <tag>] [scope global|local|all]`, options in any order as VPP's
// unformat loop takes them. checkRule reads each line with core/rules'
// parser when the scenario is loaded, so a bad rule is reported with the
// file position of the offending word before a run starts.

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

// checkRule checks one `session rule` line with core/rules' CLI parser
// (the one the engine and `sessionlab cli` use), translating its column
// into a byte offset of the line.
func checkRule(line string) (ruleInfo, *ruleErr) {
	var info ruleInfo
	cmd, err := rules.ParseCommand(line)
	if err != nil {
		var se *rules.SyntaxError
		if errors.As(err, &se) {
			off, msg := len(line), se.Msg
			if se.Col > 0 {
				off = se.Col - 1
			}
			if se.Token != "" {
				msg = fmt.Sprintf("%q: %s", se.Token, se.Msg)
			}
			return info, &ruleErr{off, msg}
		}
		return info, &ruleErr{0, err.Error()}
	}
	info.appns = cmd.AppNS
	toks := ruleTokens(line)
	for i, t := range toks {
		if t.s == "appns" && i+1 < len(toks) && toks[i+1].s == cmd.AppNS {
			info.appnsOff = toks[i+1].off
		}
	}
	return info, nil
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
