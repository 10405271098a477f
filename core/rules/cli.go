package rules

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Op is the verb of a `session rule` command.
type Op uint8

// The verbs of `session rule`.
const (
	OpAdd Op = 1
	OpDel Op = 2
)

// String returns "add" or "del".
func (o Op) String() string {
	if o == OpDel {
		return "del"
	}
	return "add"
}

// Command is a parsed `session rule add|del [appns <id>] proto tcp|udp
// <lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port> action <n|drop|allow>
// [tag <t>] [scope global|local|all]`.
//
// Keywords may come in any order, as in VPP. Rule holds what the command
// says (prefixes as written, not yet normalised); core/session applies it to
// the namespace's tables (spec §4.7).
type Command struct {
	Op       Op
	AppNS    string // namespace id; "" = the default namespace
	Rule     Rule   // protocol, prefixes, ports, action (add), tag, scope
	HasTuple bool   // the 5-tuple was given (a delete may name only a tag)
}

// SyntaxError is a command that does not parse. It names the offending token
// and its column (1-based byte offset in the line), or, for something
// missing, only says what.
type SyntaxError struct {
	Col   int    // column of Token; 0 when something is missing
	Token string // the offending token, "" when something is missing
	Msg   string
}

func (e *SyntaxError) Error() string {
	if e.Col == 0 {
		return e.Msg
	}
	return fmt.Sprintf("column %d: %q: %s", e.Col, e.Token, e.Msg)
}

type token struct {
	s   string
	col int
}

func tokenize(line string) []token {
	var out []token
	i := 0
	for i < len(line) {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		j := i
		for j < len(line) && !isSpace(line[j]) {
			j++
		}
		if j > i {
			out = append(out, token{line[i:j], i + 1})
		}
		i = j
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// argsTokens gives each argument the column it would have in the arguments
// joined by single spaces.
func argsTokens(args []string) []token {
	out := make([]token, 0, len(args))
	col := 1
	for _, a := range args {
		for _, t := range tokenize(a) {
			out = append(out, token{t.s, col + t.col - 1})
		}
		col += len(a) + 1
	}
	return out
}

func errAt(t token, format string, a ...any) error {
	return &SyntaxError{Col: t.col, Token: t.s, Msg: fmt.Sprintf(format, a...)}
}

func errMissing(format string, a ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, a...)}
}

// ParseCommand parses a `session rule` command line. The leading words
// "session rule" are optional, so the CLI may pass the whole line or only
// what follows them.
func ParseCommand(line string) (Command, error) { return parseCommand(tokenize(line)) }

// ParseCommandArgs is ParseCommand for a line already split into arguments.
func ParseCommandArgs(args []string) (Command, error) { return parseCommand(argsTokens(args)) }

func parseCommand(toks []token) (Command, error) {
	if len(toks) > 0 && toks[0].s == "session" {
		if len(toks) < 2 || toks[1].s != "rule" {
			if len(toks) < 2 {
				return Command{}, errMissing(`want "session rule ..."`)
			}
			return Command{}, errAt(toks[1], `want "rule" after "session"`)
		}
		toks = toks[2:]
	}
	var c Command
	var seen [8]bool
	once := func(k int, t token) error {
		if seen[k] {
			return errAt(t, "given twice")
		}
		seen[k] = true
		return nil
	}
	const (
		kOp = iota
		kNS
		kProto
		kAction
		kTag
		kScope
		kTuple
	)
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		value := func(what string) (token, error) {
			if i+1 >= len(toks) {
				return token{}, errAt(t, "missing %s after it", what)
			}
			i++
			return toks[i], nil
		}
		var err error
		switch t.s {
		case "add", "del":
			if err = once(kOp, t); err == nil {
				c.Op = OpAdd
				if t.s == "del" {
					c.Op = OpDel
				}
			}
		case "appns":
			var v token
			if v, err = value("namespace id"); err == nil {
				if err = once(kNS, t); err == nil {
					c.AppNS = v.s
				}
			}
		case "proto":
			var v token
			if v, err = value("tcp or udp"); err == nil {
				if err = once(kProto, t); err == nil {
					c.Rule.Proto, err = parseProto(v)
				}
			}
		case "action":
			var v token
			if v, err = value("<n|drop|allow>"); err == nil {
				if err = once(kAction, t); err == nil {
					c.Rule.Action, err = parseAction(v)
				}
			}
		case "tag":
			var v token
			if v, err = value("tag"); err == nil {
				if err = once(kTag, t); err == nil {
					c.Rule.Tag, err = parseTag(v)
				}
			}
		case "scope":
			var v token
			if v, err = value("global, local or all"); err == nil {
				if err = once(kScope, t); err == nil {
					c.Rule.Scope, err = parseScope(v, true)
				}
			}
		default:
			if !looksLikePrefix(t.s) {
				return c, errAt(t, "unknown input (want add, del, appns, proto, <lcl-ip/plen>, action, tag or scope)")
			}
			if err = once(kTuple, t); err == nil {
				var n int
				n, err = parseTuple(toks[i:], &c.Rule.Lcl, &c.Rule.LclPort, &c.Rule.Rmt, &c.Rule.RmtPort)
				i += n - 1
				c.HasTuple = true
			}
		}
		if err != nil {
			return c, err
		}
	}
	if c.Op == 0 {
		c.Op = OpAdd // VPP's default
	}
	if !seen[kProto] {
		return c, errMissing(`missing proto (want "proto tcp" or "proto udp")`)
	}
	switch {
	case c.Op == OpAdd && !c.HasTuple:
		return c, errMissing("add needs <lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port>")
	case c.Op == OpAdd && !seen[kAction]:
		return c, errMissing("add needs action <n|drop|allow>")
	case c.Op == OpDel && !c.HasTuple && c.Rule.Tag == "":
		return c, errMissing("del needs <lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port> or a tag")
	}
	return c, nil
}

// String formats the command in canonical VPP syntax (numeric actions as VPP
// encodes them), which ParseCommand reads back to the same Command.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString("session rule ")
	b.WriteString(c.Op.String())
	if c.AppNS != "" {
		b.WriteString(" appns " + c.AppNS)
	}
	b.WriteString(" proto " + c.Rule.Proto.String())
	if c.HasTuple {
		fmt.Fprintf(&b, " %s %d %s %d", c.Rule.Lcl, c.Rule.LclPort, c.Rule.Rmt, c.Rule.RmtPort)
	}
	if c.Op == OpAdd {
		fmt.Fprintf(&b, " action %d", uint32(c.Rule.Action))
	}
	if c.Rule.Tag != "" {
		b.WriteString(" tag " + c.Rule.Tag)
	}
	if c.Rule.Scope != 0 {
		b.WriteString(" scope " + c.Rule.Scope.String())
	}
	return b.String()
}

func parseProto(t token) (Proto, error) {
	switch t.s {
	case "tcp", "TCP":
		return ProtoTCP, nil
	case "udp", "UDP":
		return ProtoUDP, nil
	}
	return 0, errAt(t, "unknown transport protocol (want tcp or udp)")
}

// parseAction reads "drop", "allow" or a decimal number as VPP's `action %d`
// does: 0..4294967295, or negative down to -2147483648 taken as its 32-bit
// two's complement (-2 is drop, -3 allow).
func parseAction(t token) (Action, error) {
	switch t.s {
	case "drop":
		return ActionDrop, nil
	case "allow":
		return ActionAllow, nil
	}
	v, err := strconv.ParseInt(t.s, 10, 64)
	if err != nil {
		return 0, errAt(t, "bad action (want a number, drop or allow)")
	}
	if v < -1<<31 || v > 1<<32-1 {
		return 0, errAt(t, "action out of range (want -2147483648..4294967295)")
	}
	return Action(uint32(v)), nil
}

func parseTag(t token) (string, error) {
	if len(t.s) > MaxTagLen {
		return "", errAt(t, "tag too long (%d bytes, max %d)", len(t.s), MaxTagLen)
	}
	return t.s, nil
}

func parseScope(t token, all bool) (Scope, error) {
	switch t.s {
	case "global":
		return ScopeGlobal, nil
	case "local":
		return ScopeLocal, nil
	case "all":
		if all {
			return ScopeAll, nil
		}
		return 0, errAt(t, "unknown scope (want global or local)")
	}
	if all {
		return 0, errAt(t, "unknown scope (want global, local or all)")
	}
	return 0, errAt(t, "unknown scope (want global or local)")
}

// looksLikePrefix reports whether a token that is not a keyword starts a
// 5-tuple (it has a slash or is an address), so that errors about it can be
// about the address rather than "unknown input".
func looksLikePrefix(s string) bool {
	if strings.Contains(s, "/") {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// parseTuple reads <lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port>; both
// prefixes must be of one family. It returns the tokens consumed.
func parseTuple(toks []token, lcl *netip.Prefix, lport *uint16, rmt *netip.Prefix, rport *uint16) (int, error) {
	names := [4]string{"<lcl-ip/plen>", "<lcl-port>", "<rmt-ip/plen>", "<rmt-port>"}
	for k := 0; k < 4; k++ {
		if k >= len(toks) {
			return k, errAt(toks[k-1], "missing %s after it", names[k])
		}
		t := toks[k]
		var err error
		switch k {
		case 0:
			*lcl, err = parsePrefix(t)
		case 1:
			*lport, err = parsePort(t)
		case 2:
			if *rmt, err = parsePrefix(t); err == nil && rmt.Addr().Is4() != lcl.Addr().Is4() {
				err = errAt(t, "address family differs from the local prefix's")
			}
		case 3:
			*rport, err = parsePort(t)
		}
		if err != nil {
			return k + 1, err
		}
	}
	return 4, nil
}

func parsePrefix(t token) (netip.Prefix, error) {
	addr, plen, ok := strings.Cut(t.s, "/")
	if !ok {
		return netip.Prefix{}, errAt(t, "want <ip>/<prefix length>")
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, errAt(t, "bad IP address %q", addr)
	}
	n, err := strconv.Atoi(plen)
	if err != nil || plen == "" || plen[0] == '+' || plen[0] == '-' {
		return netip.Prefix{}, errAt(t, "bad prefix length %q", plen)
	}
	if n < 0 || n > a.BitLen() {
		return netip.Prefix{}, errAt(t, "prefix length %d out of range 0-%d", n, a.BitLen())
	}
	return netip.PrefixFrom(a, n), nil
}

func parsePort(t token) (uint16, error) {
	n, err := strconv.ParseUint(t.s, 10, 64)
	if err != nil {
		return 0, errAt(t, "bad port (want 0-65535, 0 = any)")
	}
	if n > 65535 {
		return 0, errAt(t, "port %d above 65535", n)
	}
	return uint16(n), nil
}

// ShowCommand is a parsed `show session rules [tcp|udp | proto tcp|udp]
// [appns <id>] [scope global|local] [<lcl-ip/plen> <lcl-port> <rmt-ip/plen>
// <rmt-port>]`. With a 5-tuple VPP prints the rule that matches it; without,
// the whole table.
type ShowCommand struct {
	Proto    Proto
	HasProto bool
	AppNS    string // "" = the default namespace
	Scope    Scope  // 0 or ScopeGlobal: the global table; ScopeLocal: the local one
	HasTuple bool
	Lcl, Rmt netip.Prefix
	LclPort  uint16
	RmtPort  uint16
}

// ParseShowCommand parses a `show session rules` line; the leading words are
// optional.
func ParseShowCommand(line string) (ShowCommand, error) { return parseShow(tokenize(line)) }

// ParseShowCommandArgs is ParseShowCommand for a line already split.
func ParseShowCommandArgs(args []string) (ShowCommand, error) { return parseShow(argsTokens(args)) }

func parseShow(toks []token) (ShowCommand, error) {
	var c ShowCommand
	for _, w := range []string{"show", "session", "rules"} {
		if len(toks) > 0 && toks[0].s == w {
			toks = toks[1:]
		}
	}
	var seen [4]bool
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		once := func(k int) error {
			if seen[k] {
				return errAt(t, "given twice")
			}
			seen[k] = true
			return nil
		}
		value := func(what string) (token, error) {
			if i+1 >= len(toks) {
				return token{}, errAt(t, "missing %s after it", what)
			}
			i++
			return toks[i], nil
		}
		var err error
		switch t.s {
		case "tcp", "TCP", "udp", "UDP":
			if err = once(0); err == nil {
				c.Proto, err = parseProto(t)
				c.HasProto = true
			}
		case "proto":
			var v token
			if v, err = value("tcp or udp"); err == nil {
				if err = once(0); err == nil {
					c.Proto, err = parseProto(v)
					c.HasProto = true
				}
			}
		case "appns":
			var v token
			if v, err = value("namespace id"); err == nil {
				if err = once(1); err == nil {
					c.AppNS = v.s
				}
			}
		case "scope":
			var v token
			if v, err = value("global or local"); err == nil {
				if err = once(2); err == nil {
					c.Scope, err = parseScope(v, false)
				}
			}
		default:
			if !looksLikePrefix(t.s) {
				return c, errAt(t, "unknown input (want tcp, udp, appns, scope or <lcl-ip/plen>)")
			}
			if err = once(3); err == nil {
				var n int
				n, err = parseTuple(toks[i:], &c.Lcl, &c.LclPort, &c.Rmt, &c.RmtPort)
				i += n - 1
				c.HasTuple = true
			}
		}
		if err != nil {
			return c, err
		}
	}
	return c, nil
}

// FormatRule formats one rule as VPP's `show session rules` prints it
// (format_session_rule4/6): "[index] rule: lcl/plen lport rmt/plen rport
// action: N tag: t", the action as a signed number (drop -2, allow -3, none
// -1), a missing tag as "none", and, for a rule with children, a second line
// "    children: i j " listing them in sibling order.
func FormatRule(ri RuleInfo) string {
	r := &ri.Rule
	tag := r.Tag
	if tag == "" {
		tag = "none"
	}
	s := fmt.Sprintf("[%d] rule: %s/%d %d %s/%d %d action: %d tag: %s", ri.Index,
		r.Lcl.Addr(), r.Lcl.Bits(), r.LclPort, r.Rmt.Addr(), r.Rmt.Bits(), r.RmtPort, int32(r.Action), tag)
	if len(ri.Children) > 0 {
		var b strings.Builder
		b.WriteString(s)
		b.WriteString("\n    children: ")
		for _, c := range ri.Children {
			b.WriteString(strconv.FormatUint(uint64(c), 10))
			b.WriteByte(' ')
		}
		s = b.String()
	}
	return s
}

// WriteListing writes the table as VPP's `show session rules` lists one
// family: "IP4 rules" (or "IP6 rules") and every rule in index order.
func (t *Table) WriteListing(w io.Writer) error {
	fam := "IP6"
	if t.is4 {
		fam = "IP4"
	}
	if _, err := fmt.Fprintf(w, "%s rules\n", fam); err != nil {
		return err
	}
	for _, ri := range t.Rules() {
		if _, err := fmt.Fprintln(w, FormatRule(ri)); err != nil {
			return err
		}
	}
	return nil
}

// WriteListing writes both families as VPP's `show session rules <proto>`
// does: "<proto> rules table", then the IPv4 and the IPv6 listing.
func (tt *TransportTable) WriteListing(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%s rules table\n", tt.proto); err != nil {
		return err
	}
	if err := tt.v4.WriteListing(w); err != nil {
		return err
	}
	return tt.v6.WriteListing(w)
}
