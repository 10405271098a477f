// Package ruleline parses the session rule lines of a scenario — VPP CLI
// `session rule add|del ...` — into core/rules values the engine applies
// through core/session.
//
// The grammar is VPP's session rule command:
//
//	session rule [add|del] [appns <id>] proto <tcp|udp>
//	    <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port>
//	    action <n> [tag <tag>] [scope global|local|all]
//
// with the options in any order, as VPP's unformat loop takes them, and
// VPP's defaults: add, action 0 (application 0), scope global. The
// scenario loader checks the same grammar when a scenario is read (so a
// user sees errors with the file's line and column before a run starts);
// this parser produces the values, and its errors carry the byte column
// of the offending word so the engine can still point at it.
package ruleline

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/sessionlab/sessionlab/core/rules"
)

// Line is one parsed rule line.
type Line struct {
	// Add is false for `session rule del`.
	Add bool
	// AppNs is the namespace id (empty: the default namespace).
	AppNs string
	// Rule is the rule; Lcl and Rmt are unset for a delete by tag.
	Rule rules.Rule
}

// Error is a problem at a byte column (1-based) of the line.
type Error struct {
	Col int
	Msg string
}

// Error formats the problem with its column.
func (e *Error) Error() string { return fmt.Sprintf("column %d: %s", e.Col, e.Msg) }

type tok struct {
	s   string
	off int
}

func tokens(line string) []tok {
	var out []tok
	i := 0
	for i < len(line) {
		for i < len(line) && blank(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !blank(line[j]) {
			j++
		}
		if j > i {
			out = append(out, tok{line[i:j], i})
		}
		i = j
	}
	return out
}

func blank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Parse parses one rule line.
func Parse(line string) (Line, error) {
	out := Line{Add: true}
	toks := tokens(line)
	errAt := func(off int, format string, args ...any) (Line, error) {
		return Line{}, &Error{Col: off + 1, Msg: fmt.Sprintf(format, args...)}
	}
	if len(toks) < 2 || toks[0].s != "session" || toks[1].s != "rule" {
		off := 0
		if len(toks) > 0 {
			off = toks[0].off
		}
		return errAt(off, "want `session rule add|del proto tcp|udp <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port> action <n> ...`")
	}
	proto, conn := false, false
	for i := 2; i < len(toks); i++ {
		t := toks[i]
		arg := func() (tok, bool) {
			if i+1 >= len(toks) {
				return tok{off: len(line)}, false
			}
			i++
			return toks[i], true
		}
		switch t.s {
		case "add":
			out.Add = true
		case "del":
			out.Add = false
		case "appns":
			a, ok := arg()
			if !ok {
				return errAt(a.off, "appns needs a namespace id")
			}
			out.AppNs = a.s
		case "scope":
			a, ok := arg()
			switch {
			case !ok:
				return errAt(a.off, "scope needs global, local or all")
			case a.s == "global":
				out.Rule.Scope = rules.ScopeGlobal
			case a.s == "local":
				out.Rule.Scope = rules.ScopeLocal
			case a.s == "all":
				out.Rule.Scope = rules.ScopeAll
			default:
				return errAt(a.off, "scope %q: want global, local or all", a.s)
			}
		case "proto":
			a, ok := arg()
			switch {
			case !ok:
				return errAt(a.off, "proto needs tcp or udp")
			case a.s == "tcp":
				out.Rule.Proto = rules.ProtoTCP
			case a.s == "udp":
				out.Rule.Proto = rules.ProtoUDP
			default:
				return errAt(a.off, "proto %q: session rules apply to tcp and udp only", a.s)
			}
			proto = true
		case "action":
			a, ok := arg()
			if !ok {
				return errAt(a.off, "action needs a number")
			}
			v, err := strconv.ParseUint(a.s, 10, 32)
			if err != nil {
				return errAt(a.off, "action %q: want a number: an app index, %d (drop) or %d (allow)", a.s, uint32(rules.ActionDrop), uint32(rules.ActionAllow))
			}
			out.Rule.Action = rules.Action(v)
		case "tag":
			a, ok := arg()
			if !ok {
				return errAt(a.off, "tag needs a tag")
			}
			if len(a.s) > rules.MaxTagLen {
				return errAt(a.off, "tag is longer than %d bytes", rules.MaxTagLen)
			}
			out.Rule.Tag = a.s
		default:
			if i+3 >= len(toks) {
				return errAt(t.off, "unknown input %q (a connection is <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port>)", t.s)
			}
			lcl, err := netip.ParsePrefix(t.s)
			if err != nil {
				return errAt(t.off, "unknown input %q: not an address/length prefix", t.s)
			}
			lp, err := strconv.ParseUint(toks[i+1].s, 10, 16)
			if err != nil {
				return errAt(toks[i+1].off, "port %q: want 0 (any) to 65535", toks[i+1].s)
			}
			rmt, err := netip.ParsePrefix(toks[i+2].s)
			if err != nil {
				return errAt(toks[i+2].off, "%q is not an address/length prefix", toks[i+2].s)
			}
			rp, err := strconv.ParseUint(toks[i+3].s, 10, 16)
			if err != nil {
				return errAt(toks[i+3].off, "port %q: want 0 (any) to 65535", toks[i+3].s)
			}
			if lcl.Addr().Is4() != rmt.Addr().Is4() {
				return errAt(toks[i+2].off, "local %s and remote %s are of different address families", lcl, rmt)
			}
			out.Rule.Lcl, out.Rule.Rmt = lcl, rmt
			out.Rule.LclPort, out.Rule.RmtPort = uint16(lp), uint16(rp)
			conn = true
			i += 3
		}
	}
	switch {
	case !proto:
		return errAt(len(line), "proto must be set")
	case out.Add && !conn:
		return errAt(len(line), "a rule to add needs a connection: <lcl-ip/len> <lcl-port> <rmt-ip/len> <rmt-port>")
	case !out.Add && !conn && out.Rule.Tag == "":
		return errAt(len(line), "connection or tag must be set for delete")
	}
	return out, nil
}
