package cli

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sessionlab/sessionlab/core/rules"
	"github.com/sessionlab/sessionlab/core/session"
)

// vppCommands are the commands VPP has, with VPP's syntax.
func vppCommands() []*command {
	return []*command{
		{path: []string{"session", "enable"}, help: "session enable [rt-backend rule-table|sdl]",
			doc: "Enable the session layer with a rules engine (plain `session enable` uses the rule-table engine, with a warning).",
			run: cmdSessionEnable},
		{path: []string{"session", "disable"}, help: "session disable",
			doc: "Disable the session layer (its state is kept for a later enable).",
			run: cmdSessionDisable},
		{path: []string{"app", "ns"}, needEnabled: true,
			help: "app ns add|del id <id> [secret <n>] [sw_if_index <n> | if <name>] [ip4-fib-id <n>] [ip6-fib-id <n>] [sock-name <name>]",
			doc:  "Add (or update) or delete an application namespace.",
			run:  cmdAppNs},
		{path: []string{"show", "app", "ns"}, needEnabled: true, help: "show app ns [id <id> [api-clients]]",
			doc: "List the application namespaces, or show one with its local (cut-through) listeners, or its app socket.",
			run: cmdShowAppNs},
		{path: []string{"session", "rule"}, needEnabled: true,
			help: "session rule add|del [appns <id>] proto tcp|udp <lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port> action <n|drop|allow> [tag <tag>] [scope global|local|all]",
			doc:  "Add (or replace) or delete a session rule; a delete may name only the tag.",
			run:  cmdSessionRule},
		{path: []string{"show", "session", "rules"}, needEnabled: true,
			help: "show session rules [proto tcp|udp] [appns <id>] [scope global|local] [<lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port>]",
			doc:  "List a namespace's rules tables, or show the rule that matches a 5-tuple.",
			run:  cmdShowSessionRules},
		{path: []string{"show", "session", "sdl"}, needEnabled: true,
			help: "show session sdl [appns <id>] [<rmt-ip>]",
			doc:  "List the SDL rules of a namespace's global tables, or show the action a remote address gets.",
			run:  cmdShowSessionSDL},
		{path: []string{"show", "session"}, needEnabled: true,
			help: "show session [verbose [<n>]] [thread <n> [index <n>]] [state <state>] [proto tcp|udp|ct] [listeners tcp|udp] [states] [protos]",
			doc:  "Show sessions per thread (with verbose: one line per session; with filters: the matching ones).",
			run:  cmdShowSession},
		{path: []string{"show", "session", "lookup"}, needEnabled: true, help: "show session lookup [table <fib-index>]",
			doc: "Summarise the lookup tables per family, or dump the hashes of one fib's tables.",
			run: cmdShowSessionLookup},
		{path: []string{"show", "app"}, needEnabled: true, help: "show app [<name>|<index>] [listeners]",
			doc: "List the applications, show one, or list listeners.",
			run: cmdShowApp},
		{path: []string{"create", "loopback", "interface"}, help: "create loopback interface",
			doc: "Create a loopback interface loopN (bound to table 0).",
			run: cmdCreateLoopback},
		{path: []string{"delete", "loopback", "interface"}, help: "delete loopback interface intfc <interface>",
			doc: "Delete an interface (namespaces using it keep its index, which stops resolving).",
			run: cmdDeleteLoopback},
		{path: []string{"ip", "table"}, help: "ip table add|del <table-id>",
			doc: "Add or delete an IPv4 table.", run: cmdIPTable(false)},
		{path: []string{"ip6", "table"}, help: "ip6 table add|del <table-id>",
			doc: "Add or delete an IPv6 table.", run: cmdIPTable(true)},
		{path: []string{"set", "interface", "ip", "table"}, help: "set interface ip table <interface> <table-id>",
			doc: "Bind an interface to an IPv4 table (namespaces using it are re-created there, freeing their applications).",
			run: cmdSetIfTable(false)},
		{path: []string{"set", "interface", "ip6", "table"}, help: "set interface ip6 table <interface> <table-id>",
			doc: "Bind an interface to an IPv6 table.", run: cmdSetIfTable(true)},
		{path: []string{"set", "interface", "ip", "address"}, help: "set interface ip address [del] <interface> <address/len>",
			doc: "Add or delete an interface address.", run: cmdSetIfAddress},
		{path: []string{"show", "interface"}, help: "show interface [address]",
			doc: "List the interfaces with their tables and addresses.", run: cmdShowInterface},
	}
}

func cmdSessionEnable(x *Executor, s *scanner, r *Result) *Error {
	engine := session.EngineRuleTable
	plain := true
	for !s.done() {
		switch {
		case s.accept("rt-backend"):
			v, err := s.oneOf("rules engine", "rule-table", "sdl")
			if err != nil {
				return err
			}
			plain = false
			if v == "sdl" {
				engine = session.EngineSDL
			}
		default:
			return s.unknown()
		}
	}
	if err := x.l.Enable(engine); err != nil {
		return asCLIError(err, "")
	}
	if plain {
		r.Warnings = append(r.Warnings, "plain `session enable` uses the rule-table engine (VPP >= 24.10 enables no rules engine: "+
			"write `session enable rt-backend rule-table` there)")
	}
	_, e := x.l.Enabled()
	r.Data = map[string]any{"enabled": true, "engine": e.String()}
	return nil
}

func cmdSessionDisable(x *Executor, s *scanner, r *Result) *Error {
	if err := s.expectEnd(); err != nil {
		return err
	}
	if err := x.l.Disable(); err != nil {
		return asCLIError(err, "")
	}
	r.Data = map[string]any{"enabled": false}
	return nil
}

func cmdAppNs(x *Executor, s *scanner, r *Result) *Error {
	a := session.NamespaceArgs{SwIfIndex: session.InvalidIndex, IP4FibID: session.InvalidIndex, IP6FibID: session.InvalidIndex}
	isAdd, secretSet, idSet := true, false, false
	var err *Error
	for !s.done() {
		switch {
		case s.accept("add"):
			isAdd = true
		case s.accept("del"):
			isAdd = false
		case s.accept("id"):
			t, e := s.next("namespace id")
			if e != nil {
				return e
			}
			a.ID, idSet = t.text, true
		case s.accept("secret"):
			if a.Secret, err = s.u64("secret"); err != nil {
				return err
			}
			secretSet = true
		case s.accept("sw_if_index"):
			if a.SwIfIndex, err = s.u32("sw_if_index"); err != nil {
				return err
			}
		case s.accept("if"):
			t, e := s.next("interface name")
			if e != nil {
				return e
			}
			sw, ok := x.l.InterfaceByName(t.text)
			if !ok {
				return errValue(t, "unknown interface '%s'", t.text)
			}
			a.SwIfIndex = sw
		case s.accept("ip4-fib-id"):
			if a.IP4FibID, err = s.u32("ip4-fib-id"); err != nil {
				return err
			}
		case s.accept("ip6-fib-id"):
			if a.IP6FibID, err = s.u32("ip6-fib-id"); err != nil {
				return err
			}
		case s.accept("sock-name"):
			t, e := s.next("socket name")
			if e != nil {
				return e
			}
			a.SockName = t.text
		default:
			return s.unknown()
		}
	}
	if !idSet {
		return errMissing(s.end, "namespace id (id <id>)")
	}
	if !isAdd {
		if _, ok := x.l.NamespaceIndex(a.ID); !ok {
			return errSession(session.ErrInvalid, fmt.Sprintf("unknown namespace '%s'", a.ID))
		}
		if err := x.l.DelNamespace(a.ID); err != nil {
			return asCLIError(err, fmt.Sprintf("namespace '%s'", a.ID))
		}
		r.Data = map[string]any{"deleted": a.ID}
		return nil
	}
	if !secretSet {
		return errMissing(s.end, "secret (secret <n>)")
	}
	if _, err := x.l.AddNamespace(a); err != nil {
		detail := fmt.Sprintf("namespace '%s'", a.ID)
		switch {
		case a.SwIfIndex != session.InvalidIndex && x.ifName(a.SwIfIndex) == "DELETED":
			detail += fmt.Sprintf(": no interface with sw_if_index %d", a.SwIfIndex)
		case a.SwIfIndex == session.InvalidIndex && a.IP4FibID == session.InvalidIndex && a.IP6FibID == session.InvalidIndex:
			detail += ": needs an interface (if <name> | sw_if_index <n>) or a table (ip4-fib-id <n> | ip6-fib-id <n>)"
		default:
			detail += ": a table id does not name an existing table (create it with `ip table add <id>`)"
		}
		return asCLIError(err, detail)
	}
	n, _ := x.l.Namespace(a.ID)
	r.Data = map[string]any{"namespace": x.nsJSON(n)}
	return nil
}

func cmdShowAppNs(x *Executor, s *scanner, r *Result) *Error {
	var id *token
	api := false
	for !s.done() {
		switch {
		case s.accept("id"):
			t, err := s.next("namespace id")
			if err != nil {
				return err
			}
			id = &t
		case s.accept("api-clients"):
			api = true
		default:
			return s.unknown()
		}
	}
	if api {
		return showAppNsAPI(x, id, s.end, r)
	}
	if id == nil {
		tb := &table{header: []string{"Index", "Secret", "Interface", "Id", "Socket"}}
		list := []NamespaceJSON{}
		for _, n := range x.l.Namespaces() {
			ifn, sock := "-", "-"
			if n.SwIfIndex != session.InvalidIndex {
				ifn = x.ifName(n.SwIfIndex)
			}
			if n.SockName != "" {
				sock = n.SockName
			}
			tb.rows = append(tb.rows, []string{strconv.FormatUint(uint64(n.Index), 10), strconv.FormatUint(n.Secret, 10), ifn, n.ID, sock})
			list = append(list, x.nsJSON(n))
		}
		r.text.WriteString(tb.String())
		r.Data = map[string]any{"namespaces": list}
		return nil
	}
	idx, err := x.nsByID(*id)
	if err != nil {
		return err
	}
	var n session.NamespaceInfo
	for _, ni := range x.l.Namespaces() {
		if ni.Index == idx {
			n = ni
		}
	}
	r.printf("Application namespace [%d]\nid:        %s\nsecret:    %d\n", n.Index, n.ID, n.Secret)
	if n.SwIfIndex != session.InvalidIndex {
		r.printf("Interface: %s\n", x.ifName(n.SwIfIndex))
	}
	if n.SockName != "" {
		r.printf("Socket:    %s\n", n.SockName)
	}
	r.printf("ip4 fib:   %s\nip6 fib:   %s\n", fibText(n.FibIndex[0]), fibText(n.FibIndex[1]))
	r.println(strings.TrimRight(fmt.Sprintf("%-30s%-30s", "Listener", "Application"), " "))
	type lj struct {
		Listener string `json:"listener"`
		App      string `json:"app"`
	}
	locals := []lj{}
	for _, a := range x.l.Apps() {
		if a.Namespace != idx {
			continue
		}
		for _, li := range a.Listeners {
			if li.Local == session.InvalidHandle {
				continue
			}
			p := "T"
			if li.Proto == session.ProtoUDP {
				p = "U"
			}
			l := fmt.Sprintf("[%s] %s:%d", p, li.Addr, li.Port)
			r.printf("%s\n", strings.TrimRight(fmt.Sprintf("%-30s%-30s", l, a.Name), " "))
			locals = append(locals, lj{Listener: l, App: a.Name})
		}
	}
	r.Data = map[string]any{"namespace": x.nsJSON(n), "local_listeners": locals}
	return nil
}

// showAppNsAPI is `show app ns id <id> api-clients`: VPP prints the
// namespace's socket, then its connected app sockets, of which sessionlab
// has none (applications attach in process).
func showAppNsAPI(x *Executor, id *token, end int, r *Result) *Error {
	if id == nil {
		// VPP's own sentence, as a CLI_E_MISSING error.
		return &Error{Name: NameMissing, Msg: "must specify a table for api (id <id>)", Col: end}
	}
	if _, err := x.nsByID(*id); err != nil {
		return err
	}
	n, _ := x.l.Namespace(id.text)
	sock := n.SockName
	if sock == "" {
		sock = "-"
	}
	r.printf("socket: %s\n", sock)
	r.Data = map[string]any{"namespace": x.nsJSON(n), "api_clients": []any{}}
	return nil
}

func fibText(fi uint32) string {
	if fi == session.InvalidIndex {
		return "-"
	}
	return strconv.FormatUint(uint64(fi), 10)
}

// parseAction reads a rule action: an application index, drop, allow, or
// VPP's raw numbers (-1 none, -2 drop, -3 allow, or their u32 values).
func parseAction(s *scanner) (rules.Action, *Error) {
	t, err := s.next("action (<app-index>|drop|allow)")
	if err != nil {
		return 0, err
	}
	switch t.text {
	case "drop", "deny":
		return rules.ActionDrop, nil
	case "allow":
		return rules.ActionAllow, nil
	}
	v, perr := strconv.ParseInt(t.text, 0, 64)
	if perr != nil || v < math.MinInt32 || v > math.MaxUint32 {
		return 0, errValue(t, "expected action (<app-index>|drop|allow), got `%s'", t.text)
	}
	return rules.Action(uint32(v)), nil
}

func cmdSessionRule(x *Executor, s *scanner, r *Result) *Error {
	var rl rules.Rule
	isAdd, protoSet, connSet, actionSet := true, false, false, false
	nsIdx := uint32(0)
	var nsTok *token
	var err *Error
	for !s.done() {
		switch {
		case s.accept("add"):
			isAdd = true
		case s.accept("del"):
			isAdd = false
		case s.accept("appns"):
			t, e := s.next("namespace id")
			if e != nil {
				return e
			}
			nsTok = &t
		case s.accept("scope"):
			v, e := s.oneOf("scope", "global", "local", "all")
			if e != nil {
				return e
			}
			rl.Scope = map[string]rules.Scope{"global": rules.ScopeGlobal, "local": rules.ScopeLocal, "all": rules.ScopeAll}[v]
		case s.accept("proto"):
			p, e := s.proto()
			if e != nil {
				return e
			}
			rl.Proto, protoSet = rules.Proto(p), true
		case s.accept("action"):
			if rl.Action, err = parseAction(s); err != nil {
				return err
			}
			actionSet = true
		case s.accept("tag"):
			if rl.Tag, err = s.tag(); err != nil {
				return err
			}
		case s.looksLikePrefix():
			if rl.Lcl, rl.LclPort, rl.Rmt, rl.RmtPort, err = s.fiveTuple(); err != nil {
				return err
			}
			connSet = true
		default:
			return s.unknown()
		}
	}
	if !protoSet {
		return errMissing(s.end, "transport protocol (proto tcp|udp)")
	}
	if isAdd && !connSet {
		return errMissing(s.end, "5-tuple (<lcl-ip/plen> <lcl-port> <rmt-ip/plen> <rmt-port>)")
	}
	if isAdd && !actionSet {
		return errMissing(s.end, "action (action <app-index>|drop|allow)")
	}
	if !isAdd && !connSet && rl.Tag == "" {
		return errMissing(s.end, "5-tuple or tag to delete")
	}
	if nsTok != nil {
		if nsIdx, err = x.nsByID(*nsTok); err != nil {
			return err
		}
	} else if i, ok := x.l.NamespaceIndex(session.DefaultNamespace); ok {
		nsIdx = i
	}
	if !isAdd && !connSet {
		rl.Action = rules.ActionNone
	}
	if e := x.l.RuleAddDel(session.RuleArgs{Rule: rl, AppNs: nsIdx, IsAdd: isAdd, FibIndex: session.InvalidIndex}); e != nil {
		var se session.Error
		if errors.As(e, &se) {
			// The layer's context restates the command: give the
			// reason instead, as far as the CLI can tell it.
			return errSession(se, x.ruleFailure(rl, isAdd, nsIdx))
		}
		return asCLIError(e, x.ruleFailure(rl, isAdd, nsIdx))
	}
	r.Data = map[string]any{"rule": ruleJSON(rl), "appns": x.nsID(nsIdx), "is_add": isAdd}
	return nil
}

// ruleFailure says why the session layer refused a rule, as far as the
// CLI can tell (the layer answers every refusal with SESSION_E_INVALID).
func (x *Executor) ruleFailure(rl rules.Rule, isAdd bool, ns uint32) string {
	if on, e := x.l.Enabled(); on && e != session.EngineRuleTable && e != session.EngineSDL {
		return fmt.Sprintf("the %s engine has no rule tables: enable with `session enable rt-backend rule-table`", e)
	}
	if isAdd && rl.Tag != "" {
		for _, t := range x.l.RuleTables() {
			if t.SDL != nil {
				if sdlHasTag(t.SDL, rl.Tag) {
					return fmt.Sprintf("tag '%s' already in use", rl.Tag)
				}
				continue
			}
			if t.Local != (rl.Scope == rules.ScopeLocal) && !(rl.Scope == rules.ScopeAll) {
				continue
			}
			if t.Local && t.Namespace != ns {
				continue
			}
			tt := t.Group.Transport(rl.Proto)
			if tt == nil {
				continue
			}
			for _, is4 := range []bool{true, false} {
				for _, ri := range tt.Table(is4).Rules() {
					if ri.Rule.Tag == rl.Tag {
						return fmt.Sprintf("tag '%s' already in use", rl.Tag)
					}
				}
			}
		}
	}
	if rl.Scope.Global() || rl.Scope == 0 {
		n, _ := x.l.Namespace(x.nsID(ns))
		f := 0
		if rl.Rmt.IsValid() && rl.Rmt.Addr().Is6() {
			f = 1
		}
		if n.FibIndex[f] == session.InvalidIndex {
			return fmt.Sprintf("namespace '%s' has no %s table for a global rule", n.ID, []string{"IPv4", "IPv6"}[f])
		}
	}
	return ""
}

// ruleLine formats a rule as VPP's format_session_rule4/6 does.
func ruleLine(ri rules.RuleInfo) string {
	r := ri.Rule
	tag := r.Tag
	if tag == "" {
		tag = "none"
	}
	s := fmt.Sprintf("[%d] rule: %s/%d %d %s/%d %d action: %d tag: %s", ri.Index,
		r.Lcl.Masked().Addr(), r.Lcl.Bits(), r.LclPort, r.Rmt.Masked().Addr(), r.Rmt.Bits(), r.RmtPort,
		int32(uint32(r.Action)), tag)
	if len(ri.Children) > 0 {
		var b strings.Builder
		b.WriteString("\n    children:")
		for _, c := range ri.Children {
			fmt.Fprintf(&b, " %d", c)
		}
		s += b.String()
	}
	return s
}

// rulesTables returns the rule groups `show session rules` reads for a
// namespace and scope: the global tables of the namespace's fibs (IPv4,
// IPv6) or its local table (both families). Missing groups are nil.
func (x *Executor) rulesTables(ns session.NamespaceInfo, local bool) (v4, v6 *rules.Group) {
	for _, t := range x.l.RuleTables() {
		switch {
		case local && t.Local && t.Namespace == ns.Index:
			return t.Group, t.Group
		case !local && !t.Local && !t.IP6 && t.FibIndex == ns.FibIndex[0]:
			v4 = t.Group
		case !local && !t.Local && t.IP6 && t.FibIndex == ns.FibIndex[1]:
			v6 = t.Group
		}
	}
	return v4, v6
}

func cmdShowSessionRules(x *Executor, s *scanner, r *Result) *Error {
	protos := []rules.Proto{rules.ProtoTCP, rules.ProtoUDP}
	local := false
	var nsTok *token
	var lcl, rmt netip.Prefix
	var lport, rport uint16
	one := false
	var err *Error
	for !s.done() {
		switch {
		case s.accept("proto"):
			p, e := s.proto()
			if e != nil {
				return e
			}
			protos = []rules.Proto{rules.Proto(p)}
		case s.peek() == "tcp" || s.peek() == "udp":
			p, _ := s.proto()
			protos = []rules.Proto{rules.Proto(p)}
		case s.accept("appns"):
			t, e := s.next("namespace id")
			if e != nil {
				return e
			}
			nsTok = &t
		case s.accept("scope"):
			v, e := s.oneOf("scope", "global", "local")
			if e != nil {
				return e
			}
			local = v == "local"
		case s.looksLikePrefix():
			if lcl, lport, rmt, rport, err = s.fiveTuple(); err != nil {
				return err
			}
			one = true
		default:
			return s.unknown()
		}
	}
	ns, err := x.namespaceArg(nsTok)
	if err != nil {
		return err
	}
	scope := "global"
	if local {
		scope = "local"
	}
	v4, v6 := x.rulesTables(ns, local)
	if one {
		g := v4
		if !lcl.Addr().Is4() {
			g = v6
		}
		type matchJSON struct {
			Proto string    `json:"proto"`
			Scope string    `json:"scope"`
			Match *RuleJSON `json:"match"`
			// Action is what a lookup of the 5-tuple returns ("none"
			// when no rule with an action matches).
			Action string `json:"action"`
		}
		out := []matchJSON{}
		for _, p := range protos {
			m := matchJSON{Proto: p.String(), Scope: scope, Action: rules.ActionNone.String()}
			if g != nil {
				t := g.Transport(p).Table(lcl.Addr().Is4())
				ri := t.ShowMatch(lcl.Addr(), rmt.Addr(), lport, rport)
				r.println(ruleLine(ri))
				j := ruleInfoJSON(ri, local)
				m.Match = &j
				if mr, _, ok := t.Match(lcl.Addr(), rmt.Addr(), lport, rport); ok {
					m.Action = mr.Action.String()
				}
			}
			out = append(out, m)
		}
		r.Data = map[string]any{"appns": ns.ID, "matches": out}
		return nil
	}
	type tableJSON struct {
		Proto  string     `json:"proto"`
		Family string     `json:"family"`
		Scope  string     `json:"scope"`
		Rules  []RuleJSON `json:"rules"`
	}
	out := []tableJSON{}
	for _, p := range protos {
		r.printf("%s rules table\n", strings.ToUpper(p.String()))
		for _, fam := range []struct {
			name string
			is4  bool
			g    *rules.Group
		}{{"IP4", true, v4}, {"IP6", false, v6}} {
			r.printf("%s rules\n", fam.name)
			tj := tableJSON{Proto: p.String(), Family: strings.ToLower(fam.name), Scope: scope, Rules: []RuleJSON{}}
			if fam.g != nil {
				for _, ri := range fam.g.Transport(p).Table(fam.is4).Rules() {
					r.println(ruleLine(ri))
					tj.Rules = append(tj.Rules, ruleInfoJSON(ri, local))
				}
			}
			out = append(out, tj)
		}
	}
	r.Data = map[string]any{"appns": ns.ID, "tables": out}
	return nil
}

// namespaceArg resolves an optional `appns <id>` argument: the named
// namespace, or `default` when tok is nil.
func (x *Executor) namespaceArg(tok *token) (session.NamespaceInfo, *Error) {
	nsID := session.DefaultNamespace
	if tok != nil {
		if _, err := x.nsByID(*tok); err != nil {
			return session.NamespaceInfo{}, err
		}
		nsID = tok.text
	}
	ns, ok := x.l.Namespace(nsID)
	if !ok {
		return session.NamespaceInfo{}, errSession(session.ErrInvalidNS, fmt.Sprintf("unknown namespace '%s'", nsID))
	}
	return ns, nil
}

// sdlHasTag reports whether an SDL table holds a rule tagged tag.
func sdlHasTag(t *rules.SDL, tag string) bool {
	found := false
	for _, ip4 := range []bool{true, false} {
		t.Walk(ip4, func(r rules.Rule) bool {
			found = r.Tag == tag
			return !found
		})
		if found {
			return true
		}
	}
	return false
}

// SDLRuleJSON is an SDL rule in `show session sdl --json`.
type SDLRuleJSON struct {
	// Rmt is the normalised remote prefix ("1.2.0.0/16").
	Rmt string `json:"rmt"`
	// Action is "drop", "allow", "app:N" or "none".
	Action string `json:"action"`
	// Tag is the rule's tag ("" for none).
	Tag string `json:"tag"`
}

// cmdShowSessionSDL lists a namespace's SDL rules as VPP's
// `show session sdl` does ("IP4 rules", the rules, "IP6 rules", the rules),
// or with an address, the action a lookup of it returns.
func cmdShowSessionSDL(x *Executor, s *scanner, r *Result) *Error {
	var nsTok *token
	var rmt netip.Addr
	for !s.done() {
		switch {
		case s.accept("appns"):
			t, e := s.next("namespace id")
			if e != nil {
				return e
			}
			nsTok = &t
		default:
			a, e := s.addr("remote address")
			if e != nil {
				return e
			}
			rmt = a
		}
	}
	ns, err := x.namespaceArg(nsTok)
	if err != nil {
		return err
	}
	var tabs [2]*rules.SDL
	for _, t := range x.l.RuleTables() {
		for f := range 2 {
			if !t.Local && t.IP6 == (f == 1) && t.FibIndex == ns.FibIndex[f] {
				tabs[f] = t.SDL
			}
		}
	}
	if rmt.IsValid() {
		f := 0
		if !rmt.Is4() {
			f = 1
		}
		act := rules.ActionNone
		if tabs[f] != nil {
			act = tabs[f].Lookup(rmt)
		}
		r.printf("%s action: %d\n", rmt, int32(uint32(act)))
		r.Data = map[string]any{"appns": ns.ID, "rmt": rmt.String(), "action": act.String()}
		return nil
	}
	out := map[string][]SDLRuleJSON{"ip4": {}, "ip6": {}}
	for f, name := range []string{"IP4", "IP6"} {
		r.printf("%s rules\n", name)
		if tabs[f] == nil {
			continue
		}
		key := strings.ToLower(name)
		tabs[f].Walk(f == 0, func(rl rules.Rule) bool {
			r.println(rules.FormatSDL(rl))
			out[key] = append(out[key], SDLRuleJSON{Rmt: rl.Rmt.Masked().String(), Action: rl.Action.String(), Tag: rl.Tag})
			return true
		})
	}
	r.Data = map[string]any{"appns": ns.ID, "rules": out}
	return nil
}

// stateByName maps VPP's state names (and lower-case forms) to states.
func parseState(t token) (session.State, *Error) {
	for st := session.State(0); st < session.NumStates; st++ {
		if strings.EqualFold(st.String(), t.text) || strings.EqualFold(strings.ReplaceAll(st.String(), "_", "-"), t.text) {
			return st, nil
		}
	}
	return 0, errValue(t, "unknown session state `%s' (see `show session states`)", t.text)
}

func cmdShowSession(x *Executor, s *scanner, r *Result) *Error {
	verbose := 0
	thread := -1
	index := int64(-1)
	var states []session.State
	proto := -1
	listeners := -1
	var err *Error
	for !s.done() {
		switch {
		case s.accept("verbose"):
			verbose = 1
			if isDigits(s.peek()) {
				v, e := s.u32("verbosity")
				if e != nil {
					return e
				}
				verbose = int(min(v, 3))
			}
		case s.accept("thread"):
			v, e := s.u32("thread")
			if e != nil {
				return e
			}
			thread = int(v)
			if s.accept("index") {
				i, e := s.u32("session index")
				if e != nil {
					return e
				}
				index = int64(i)
			}
		case s.accept("state"):
			t, e := s.next("state")
			if e != nil {
				return e
			}
			st, e := parseState(t)
			if e != nil {
				return e
			}
			states = append(states, st)
		case s.accept("proto"):
			t, e := s.next("transport protocol (tcp|udp|ct)")
			if e != nil {
				return e
			}
			if t.text == "ct" {
				proto = int(session.ProtoCT)
			} else {
				p, e := parseProto(t)
				if e != nil {
					return e
				}
				proto = int(p)
			}
		case s.accept("listeners"):
			p, e := s.proto()
			if e != nil {
				return e
			}
			listeners = int(p)
		case s.accept("states"):
			for st := session.State(0); st < session.NumStates; st++ {
				r.println(st.String())
			}
			return nil
		case s.accept("protos"):
			for _, p := range []string{"TCP", "UDP", "CT"} {
				r.println(p)
			}
			return nil
		default:
			return s.unknown()
		}
	}
	_ = err
	all := x.allSessions()
	if index >= 0 {
		h := session.MakeHandle(uint32(thread), uint32(index))
		si, ok := x.l.Session(h)
		if !ok {
			r.println("session is not allocated")
			r.Data = map[string]any{"session": nil}
			return nil
		}
		r.println(strings.TrimRight(fmt.Sprintf("%-60s%-15s", connID(si), si.State), " "))
		app := x.appName(si.App)
		if app == "" {
			app = "-"
		}
		r.printf(" session: handle %s state: %s flags: %s app: %s rx-fifo: %d tx-fifo: %d\n",
			si.Handle, si.State, flagsText(si.Flags), app, si.RxBytes, si.TxBytes)
		j := x.sessionJSON(si)
		r.Data = map[string]any{"session": j}
		return nil
	}
	if listeners >= 0 {
		r.println(strings.TrimRight(fmt.Sprintf("%-60s%-24s", "Listener", "App"), " "))
		list := []SessionJSON{}
		for _, si := range all {
			if si.State != session.StateListening || si.Type.Proto() != session.Proto(listeners) {
				continue
			}
			r.println(strings.TrimRight(fmt.Sprintf("%-60s%-25s", connID(si), x.appName(si.App)), " "))
			list = append(list, x.sessionJSON(si))
		}
		r.Data = map[string]any{"listeners": list}
		return nil
	}
	type threadJSON struct {
		Thread   int            `json:"thread"`
		Sessions int            `json:"sessions"`
		Closed   int            `json:"closed"`
		States   map[string]int `json:"states"`
	}
	threads := []threadJSON{}
	list := []SessionJSON{}
	filter := len(states) > 0 || proto >= 0
	if thread >= x.l.NumThreads() {
		r.printf("invalid thread index %d\n", thread)
		r.Data = map[string]any{"threads": []any{}}
		return nil
	}
	for th := 0; th < x.l.NumThreads(); th++ {
		if thread >= 0 && th != thread {
			continue
		}
		tj := threadJSON{Thread: th, States: map[string]int{}}
		var mine []session.SessionInfo
		for _, si := range all {
			if int(si.Thread) != th {
				continue
			}
			if filter && !matchFilter(si, states, proto) {
				continue
			}
			mine = append(mine, si)
			tj.States[si.State.String()]++
			if si.State >= session.StateTransportDeleted {
				tj.Closed++
			}
		}
		tj.Sessions = len(mine)
		threads = append(threads, tj)
		if verbose > 0 || filter {
			for _, si := range mine {
				list = append(list, x.sessionJSON(si))
			}
		}
		switch {
		case filter:
			shown := 0
			if verbose > 0 {
				for _, si := range mine {
					if shown == maxVerbose {
						break
					}
					if si.State < session.StateTransportDeleted {
						r.println(sessionLine(si))
						shown++
					}
				}
			}
			if shown < len(mine) && verbose > 0 {
				r.printf("Thread %d: %d sessions matched filter. Not all shown. Use finer grained filter.\n", th, len(mine))
			} else {
				r.printf("Thread %d: %d sessions matched filter\n", th, len(mine))
			}
		case len(mine) == 0:
			r.printf("Thread %d: no sessions\n", th)
		case verbose == 0:
			r.printf("Thread %d: %d sessions\n", th, len(mine))
		case len(mine) > maxVerbose:
			r.printf("Thread %d: %d sessions. Verbose output suppressed. For more details use filters.\n", th, len(mine))
		default:
			if th > 0 {
				r.println("")
			}
			r.println(strings.TrimRight(fmt.Sprintf("%-60s%-15s%-10s%-10s", "Connection", "State", "Rx-f", "Tx-f"), " "))
			for _, si := range mine {
				if si.State < session.StateTransportDeleted {
					r.println(sessionLine(si))
				}
			}
			if tj.Closed == 0 {
				r.printf("Thread %d: active sessions %d\n", th, len(mine))
			} else {
				r.printf("Thread %d: active sessions %d closed %d\n", th, len(mine)-tj.Closed, tj.Closed)
			}
		}
	}
	// Counts per state over the threads shown (sessionlab's addition).
	var counts [session.NumStates]int
	for _, tj := range threads {
		for st := session.State(0); st < session.NumStates; st++ {
			counts[st] += tj.States[st.String()]
		}
	}
	var parts []string
	for st := session.State(0); st < session.NumStates; st++ {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", st, counts[st]))
		}
	}
	if len(parts) > 0 {
		r.printf("States: %s\n", strings.Join(parts, ", "))
	}
	data := map[string]any{"threads": threads}
	if verbose > 0 || filter {
		data["sessions"] = list
	}
	r.Data = data
	return nil
}

// maxVerbose is how many sessions per thread `show session verbose` prints
// before VPP suppresses the listing (the JSON result still has them all).
const maxVerbose = 50

func matchFilter(si session.SessionInfo, states []session.State, proto int) bool {
	if len(states) > 0 {
		found := false
		for _, st := range states {
			if si.State == st {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return proto < 0 || si.Type.Proto() == session.Proto(proto)
}

// sessionLine formats a session as `show session verbose` does:
// connection, state, rx and tx fifo bytes.
func sessionLine(si session.SessionInfo) string {
	return strings.TrimRight(fmt.Sprintf("%-60s%-15s%-10d%-10d", connID(si), si.State, si.RxBytes, si.TxBytes), " ")
}

func flagsText(f session.Flags) string {
	if f == 0 {
		return "-"
	}
	return strings.ReplaceAll(f.String(), "|", ", ")
}

// allSessions lists every live session record.
func (x *Executor) allSessions() []session.SessionInfo {
	var out []session.SessionInfo
	x.l.Sessions(func(si session.SessionInfo) bool {
		out = append(out, si)
		return true
	})
	return out
}

func cmdShowSessionLookup(x *Executor, s *scanner, r *Result) *Error {
	fib := int64(-1)
	for !s.done() {
		switch {
		case s.accept("table"):
			v, err := s.u32("fib index")
			if err != nil {
				return err
			}
			fib = int64(v)
		default:
			return s.unknown()
		}
	}
	tables := x.l.Tables()
	if fib >= 0 {
		var out []BihashJSON
		for f, fam := range []string{"ip4", "ip6"} {
			found := false
			for _, t := range tables {
				if t.Local || t.IP6 != (f == 1) || t.FibIndex != uint32(fib) {
					continue
				}
				found = true
				for _, h := range t.Hashes {
					r.text.WriteString(h.Format(0))
					out = append(out, bihashJSON(h.Name, h.Stats))
				}
			}
			if !found {
				r.printf("no %s table for fib-index %d\n", fam, fib)
			}
		}
		r.Data = map[string]any{"hashes": out}
		return nil
	}
	active := x.l.ActiveFibs()
	type famJSON struct {
		ActiveFibs  int    `json:"active_fibs"`
		MaxFib      int64  `json:"max_fib_index"`
		TableMemory uint64 `json:"table_memory"`
		// Namespaces are the ids of the namespaces bound to each fib's
		// table, by fib index, in bind order.
		Namespaces map[string][]string `json:"namespaces"`
	}
	data := map[string]famJSON{}
	for f, fam := range []string{"ip4", "ip6"} {
		var mem uint64
		maxFib := int64(-1)
		for _, t := range tables {
			if t.Local || t.IP6 != (f == 1) {
				continue
			}
			maxFib = max(maxFib, int64(t.FibIndex))
			for _, h := range t.Hashes {
				mem += h.Stats.ArenaTotal
			}
		}
		r.printf("%s fib lookup tables:\n active fibs:\t%d\n max fib-index:\t%d\n table memory:\t%s\n",
			fam, len(active[f]), maxFib, memSize(mem))
		fj := famJSON{ActiveFibs: len(active[f]), MaxFib: maxFib, TableMemory: mem, Namespaces: map[string][]string{}}
		// The namespaces bound to each fib's table (sessionlab's
		// addition: VPP shows them in its rules API dump).
		for _, fi := range active[f] {
			ids, _ := x.l.TableNamespaces(f == 1, fi)
			names := make([]string, len(ids))
			for i, n := range ids {
				names[i] = x.nsID(n)
			}
			r.printf(" fib %d namespaces:\t%s\n", fi, strings.Join(names, " "))
			fj.Namespaces[strconv.FormatUint(uint64(fi), 10)] = names
		}
		data[fam] = fj
	}
	r.Data = data
	return nil
}

// memSize formats a byte count as VPP's format_memory_size does.
func memSize(v uint64) string {
	units := []string{"", "K", "M", "G", "T"}
	i := 0
	f := float64(v)
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d", v)
	}
	return fmt.Sprintf("%.2f%s", f, units[i])
}

func cmdShowApp(x *Executor, s *scanner, r *Result) *Error {
	var which *token
	listeners := false
	for !s.done() {
		switch {
		case s.accept("listeners"), s.accept("server"):
			listeners = true
		default:
			t, _ := s.next("")
			if which != nil {
				return errUnknown(t)
			}
			which = &t
		}
	}
	apps := x.l.Apps()
	var sel []session.AppInfo
	if which != nil {
		for _, a := range apps {
			if a.Name == which.text || strconv.FormatUint(uint64(a.Index), 10) == which.text {
				sel = append(sel, a)
			}
		}
		if len(sel) == 0 {
			e := errSession(session.ErrNoApp, fmt.Sprintf("no application '%s'", which.text))
			e.Token, e.Col = which.text, which.col
			return e
		}
	} else {
		sel = apps
	}
	out := []AppJSON{}
	for _, a := range sel {
		out = append(out, x.appJSON(a))
	}
	r.Data = map[string]any{"apps": out}
	if listeners {
		if len(apps) == 0 {
			r.println("No active server bindings")
			return nil
		}
		r.println(strings.TrimRight(fmt.Sprintf("%-60s%-25s%-10s", "Connection", "App", "Wrk"), " "))
		for _, a := range sel {
			for _, li := range a.Listeners {
				for _, h := range []session.Handle{li.Global, li.Local} {
					if si, ok := x.l.Session(h); ok && h != session.InvalidHandle {
						r.println(strings.TrimRight(fmt.Sprintf("%-60s%-25s%-10d", connID(si), a.Name, 0), " "))
					}
				}
			}
		}
		return nil
	}
	if which == nil {
		r.println(strings.TrimRight(fmt.Sprintf("%-10s%-20s%-40s", "Index", "Name", "Namespace"), " "))
		for _, a := range sel {
			r.println(strings.TrimRight(fmt.Sprintf("%-10d%-20s%-40s", a.Index, a.Name, x.nsID(a.Namespace)), " "))
		}
		return nil
	}
	for _, a := range sel {
		j := x.appJSON(a)
		r.printf("app-name %s app-index %d ns-index %d (%s) scope %s", a.Name, a.Index, a.Namespace, j.Namespace, j.Scope)
		if j.Proxy {
			r.printf(" proxy")
		}
		r.printf("\nsessions %d segments %d workers:\n", a.Sessions, a.Segments)
		for m, w := range a.Workers {
			if w != session.InvalidIndex {
				r.printf("   wrk-index %d app-index %d map-index %d\n", w, a.Index, m)
			}
		}
		if len(a.Listeners) > 0 {
			r.println("listeners:")
			for _, li := range a.Listeners {
				r.printf("   %s\n", listenerText(li))
			}
		}
	}
	return nil
}

// listenerText describes an application listener on one line.
func listenerText(li session.ListenerInfo) string {
	s := fmt.Sprintf("%s %s %s:%d", li.Handle, li.Proto, li.Addr, li.Port)
	if li.Global != session.InvalidHandle {
		s += fmt.Sprintf(" global %s", li.Global)
		if li.GlobalAddr.IsValid() && li.GlobalAddr != li.Addr {
			s += fmt.Sprintf(" (%s)", li.GlobalAddr)
		}
	}
	if li.Local != session.InvalidHandle {
		s += fmt.Sprintf(" local %s", li.Local)
	}
	if li.Proxy {
		s += " proxy"
	}
	return s
}

func cmdCreateLoopback(x *Executor, s *scanner, r *Result) *Error {
	if err := s.expectEnd(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		name := fmt.Sprintf("loop%d", i)
		if _, ok := x.l.InterfaceByName(name); ok {
			continue
		}
		sw, err := x.l.AddInterface(name)
		if err != nil {
			return asCLIError(err, "")
		}
		r.println(name)
		r.Data = map[string]any{"sw_if_index": sw, "name": name}
		return nil
	}
}

func cmdDeleteLoopback(x *Executor, s *scanner, r *Result) *Error {
	if !s.accept("intfc") {
		if s.done() {
			return errMissing(s.end, "intfc <interface>")
		}
		return s.unknown()
	}
	sw, err := x.iface(s)
	if err != nil {
		return err
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	if e := x.l.DelInterface(sw); e != nil {
		return asCLIError(e, "interface "+x.ifName(sw))
	}
	r.Data = map[string]any{"sw_if_index": sw}
	return nil
}

func cmdIPTable(ip6 bool) func(x *Executor, s *scanner, r *Result) *Error {
	return func(x *Executor, s *scanner, r *Result) *Error {
		isAdd := true
		var id *uint32
		for !s.done() {
			switch {
			case s.accept("add"):
				isAdd = true
			case s.accept("del"):
				isAdd = false
			default:
				if id != nil {
					return s.unknown()
				}
				v, err := s.u32("table id")
				if err != nil {
					return err
				}
				id = &v
			}
		}
		if id == nil {
			return errMissing(s.end, "table id")
		}
		var err error
		if isAdd {
			err = x.l.AddIPTable(ip6, *id)
		} else {
			err = x.l.DelIPTable(ip6, *id)
		}
		if err != nil {
			return asCLIError(err, fmt.Sprintf("table %d", *id))
		}
		r.Data = map[string]any{"table_id": *id, "ip6": ip6, "is_add": isAdd}
		return nil
	}
}

// iface reads an interface name.
func (x *Executor) iface(s *scanner) (uint32, *Error) {
	t, err := s.next("interface name")
	if err != nil {
		return 0, err
	}
	sw, ok := x.l.InterfaceByName(t.text)
	if !ok {
		return 0, errValue(t, "unknown interface '%s'", t.text)
	}
	return sw, nil
}

func cmdSetIfTable(ip6 bool) func(x *Executor, s *scanner, r *Result) *Error {
	return func(x *Executor, s *scanner, r *Result) *Error {
		sw, err := x.iface(s)
		if err != nil {
			return err
		}
		id, err := s.u32("table id")
		if err != nil {
			return err
		}
		if err := s.expectEnd(); err != nil {
			return err
		}
		if e := x.l.SetInterfaceTable(sw, ip6, id); e != nil {
			return asCLIError(e, fmt.Sprintf("interface %s table %d", x.ifName(sw), id))
		}
		r.Data = map[string]any{"sw_if_index": sw, "table_id": id, "ip6": ip6}
		return nil
	}
}

func cmdSetIfAddress(x *Executor, s *scanner, r *Result) *Error {
	del := s.accept("del")
	sw, err := x.iface(s)
	if err != nil {
		return err
	}
	p, err := s.prefix("address/length")
	if err != nil {
		return err
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	var e error
	if del {
		e = x.l.DelInterfaceAddress(sw, p)
	} else {
		e = x.l.AddInterfaceAddress(sw, p)
	}
	if e != nil {
		return asCLIError(e, fmt.Sprintf("interface %s address %s", x.ifName(sw), p))
	}
	r.Data = map[string]any{"sw_if_index": sw, "addr": p.String(), "is_add": !del}
	return nil
}

func cmdShowInterface(x *Executor, s *scanner, r *Result) *Error {
	s.accept("address")
	if err := s.expectEnd(); err != nil {
		return err
	}
	out := []InterfaceJSON{}
	for _, it := range x.l.Interfaces() {
		r.printf("%s (up):\n", it.Name)
		for _, p := range it.Addrs {
			f := 0
			if p.Addr().Is6() {
				f = 1
			}
			fi, _ := x.l.FibIndex(f == 1, it.FibID[f])
			r.printf("  L3 %s %s table-id %d fib-idx %d\n", p, []string{"ip4", "ip6"}[f], it.FibID[f], fi)
		}
		out = append(out, ifaceJSON(it))
	}
	r.Data = map[string]any{"interfaces": out}
	return nil
}
