package cli

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sessionlab/sessionlab/core/bihash"
	"github.com/sessionlab/sessionlab/core/session"
)

// ourCommands are sessionlab's own commands: they drive the model where
// VPP would have real applications, a real network and a real TCP stack.
func ourCommands() []*command {
	return []*command{
		{path: []string{"help"}, ours: true, help: "help [<command words>]",
			doc: "List the commands (those starting with the given words) with their syntax.",
			run: cmdHelp, noSettle: true},
		{path: []string{"expect"}, ours: true, help: "expect ok|<SESSION_E_NAME|CLI_E_NAME|code> <command>",
			doc: "Run a command that must succeed (ok) or fail with that error: scripts state their expected failures and go on.",
			run: cmdExpect, noSettle: true},
		{path: []string{"create", "interface"}, ours: true,
			help: "create interface <name> [ip4 <a.b.c.d/len>] [ip6 <addr/len>] [fib <table-id>]",
			doc:  "Create an interface, optionally bound to table <table-id> of both families (created if needed), with addresses.",
			run:  cmdCreateInterface},
		{path: []string{"app", "attach"}, ours: true, needEnabled: true,
			help: "app attach <name> [ns <id> [secret <n>]] [scope global|local|all] [proxy [tcp] [udp]] [manual]",
			doc:  "Attach an application (a builtin one: the CLI answers its accepts unless it is manual).",
			run:  cmdAppAttach},
		{path: []string{"app", "detach"}, ours: true, needEnabled: true, help: "app detach <name>",
			doc: "Detach an application: its listeners stop, its sessions are detached.", run: cmdAppDetach},
		{path: []string{"app", "listen"}, ours: true, needEnabled: true, help: "app listen <name> tcp|udp <ip>:<port>",
			doc: "Listen (global and/or local listener, per the application's scope).", run: cmdAppListen(true)},
		{path: []string{"app", "unlisten"}, ours: true, needEnabled: true, help: "app unlisten <name> tcp|udp <ip>:<port>",
			doc: "Stop a listener.", run: cmdAppListen(false)},
		{path: []string{"app", "connect"}, ours: true, needEnabled: true,
			help: "app connect <name> tcp|udp <ip>:<port> [from <ip>:<port>] [context <n>]",
			doc:  "Connect: a cut-through session, or a half-open the transport completes.", run: cmdAppConnect},
		{path: []string{"app", "close"}, ours: true, needEnabled: true, help: "app close <handle>",
			doc: "The application closes the session (DISCONNECT).", run: cmdAppOp("close")},
		{path: []string{"app", "reset"}, ours: true, needEnabled: true, help: "app reset <handle>",
			doc: "The application resets the session (TERMINATE).", run: cmdAppOp("reset")},
		{path: []string{"app", "shutdown"}, ours: true, needEnabled: true, help: "app shutdown <handle>",
			doc: "The application half-closes the session (SHUTDOWN).", run: cmdAppOp("shutdown")},
		{path: []string{"app", "accept"}, ours: true, needEnabled: true, help: "app accept <handle> [reject]",
			doc: "A manual application answers an ACCEPTED event.", run: cmdAppAccept},
		{path: []string{"transport", "connected"}, ours: true, needEnabled: true,
			help: "transport connected <half-open-handle> [thread <n>] [error <SESSION_E_NAME|code>]",
			doc:  "The manual transport completes (or fails) a half-open connection.", run: cmdTransportConnected},
		{path: []string{"transport", "accept"}, ours: true, needEnabled: true,
			help: "transport accept <listener-handle> <lcl-ip>:<port> <rmt-ip>:<port> [thread <n>]",
			doc:  "The manual transport accepts a connection on a listener (the application gets ACCEPTED).",
			run:  cmdTransportAccept},
		{path: []string{"transport", "closing"}, ours: true, needEnabled: true, help: "transport closing <handle>",
			doc: "The peer closed (FIN): the application gets DISCONNECTED.", run: cmdTransportNotify("closing")},
		{path: []string{"transport", "reset"}, ours: true, needEnabled: true, help: "transport reset <handle>",
			doc: "The peer reset (RST): the application gets RESET.", run: cmdTransportNotify("reset")},
		{path: []string{"transport", "closed"}, ours: true, needEnabled: true, help: "transport closed <handle>",
			doc: "No more data either way (loopback connections: forced CLOSED, kept until `transport expire`).",
			run: cmdTransportNotify("closed")},
		{path: []string{"transport", "delete"}, ours: true, needEnabled: true, help: "transport delete <handle>",
			doc: "The transport freed the connection (or the half-open).", run: cmdTransportNotify("delete")},
		{path: []string{"transport", "expire"}, ours: true, needEnabled: true, help: "transport expire",
			doc: "Loopback connections waiting in TIME_WAIT are deleted.", run: cmdTransportExpire},
		{path: []string{"set", "transport"}, ours: true, help: "set transport manual|loopback [time-wait]",
			doc: "Choose who plays the network for new connections: you (manual) or the loopback network.",
			run: cmdSetTransport, noSettle: true},
		{path: []string{"set", "poll"}, ours: true, help: "set poll auto|manual",
			doc: "auto: the model runs to quiescence after every command; manual: only on `poll`.",
			run: cmdSetPoll, noSettle: true},
		{path: []string{"poll"}, ours: true, help: "poll [<rounds>]",
			doc: "Run the model: transport steps, every thread's control events, application events.",
			run: cmdPoll, noSettle: true},
		{path: []string{"session", "lookup"}, ours: true, needEnabled: true,
			help: "session lookup tcp|udp <lcl-ip> <lcl-port> <rmt-ip> <rmt-port> [fib <n>] [thread <n>]",
			doc:  "Look an incoming packet up as the session layer does (session, half-open, rules, listeners).",
			run:  cmdSessionLookup},
		{path: []string{"session", "lookup", "listener"}, ours: true, needEnabled: true,
			help: "session lookup listener tcp|udp <ip> <port> [fib <n>] [wildcard]",
			doc:  "Find a listener in a fib's global table (exact address; with wildcard also 0.0.0.0/::, then proxy).",
			run:  cmdSessionLookupListener},
		{path: []string{"session", "lookup", "local"}, ours: true, needEnabled: true,
			help: "session lookup local [appns <id>] tcp|udp <ip> <port>",
			doc:  "Look a connect up in a namespace's local table (egress rules, local listeners, proxy).",
			run:  cmdSessionLookupLocal},
		{path: []string{"show", "bihash"}, ours: true, needEnabled: true,
			help: "show bihash [<table>] [verbose [<n>]]",
			doc:  "List the lookup tables' hashes, or print one (v4-session fib 0, local ns default, local-endpoints, ...) as VPP's show bihash does.",
			run:  cmdShowBihash},
		{path: []string{"show", "app", "events"}, ours: true, needEnabled: true, help: "show app events <name>",
			doc: "The events the application received, oldest first (the last 1000).", run: cmdShowAppEvents},
		{path: []string{"show", "session", "stats"}, ours: true, needEnabled: true, help: "show session stats",
			doc: "The session layer's counters: closes per path, failures per error, events.", run: cmdShowStats},
		{path: []string{"show", "session", "leaks"}, ours: true, needEnabled: true, help: "show session leaks",
			doc: "What is still allocated (sessions, half-opens, listeners, fifos, ports, queued events).",
			run: cmdShowLeaks},
	}
}

func cmdHelp(x *Executor, s *scanner, r *Result) *Error {
	var words []string
	for !s.done() {
		t, _ := s.next("")
		words = append(words, t.text)
	}
	h := Help(words...)
	if h == "" {
		return errUnknown(s.toks[len(s.toks)-1])
	}
	r.text.WriteString(h)
	return nil
}

func cmdCreateInterface(x *Executor, s *scanner, r *Result) *Error {
	name, err := s.next("interface name")
	if err != nil {
		return err
	}
	if _, ok := x.l.InterfaceByName(name.text); ok {
		return errValue(name, "interface '%s' already exists", name.text)
	}
	var addrs []netip.Prefix
	var fib *uint32
	for !s.done() {
		switch {
		case s.accept("ip4"), s.accept("ip6"):
			want4 := s.toks[s.i-1].text == "ip4"
			t := s.cur()
			p, e := s.prefix("address/length")
			if e != nil {
				return e
			}
			if p.Addr().Is4() != want4 {
				return errValue(t, "`%s' is not an %s prefix", t.text, map[bool]string{true: "IPv4", false: "IPv6"}[want4])
			}
			addrs = append(addrs, p)
		case s.accept("fib"):
			v, e := s.u32("table id")
			if e != nil {
				return e
			}
			fib = &v
		default:
			return s.unknown()
		}
	}
	sw, e := x.l.AddInterface(name.text)
	if e != nil {
		return asCLIError(e, "interface "+name.text)
	}
	if fib != nil && *fib != 0 {
		for _, ip6 := range []bool{false, true} {
			if e := x.l.AddIPTable(ip6, *fib); e != nil {
				return asCLIError(e, fmt.Sprintf("table %d", *fib))
			}
			if e := x.l.SetInterfaceTable(sw, ip6, *fib); e != nil {
				return asCLIError(e, fmt.Sprintf("table %d", *fib))
			}
		}
	}
	for _, p := range addrs {
		if e := x.l.AddInterfaceAddress(sw, p); e != nil {
			return asCLIError(e, fmt.Sprintf("address %s", p))
		}
	}
	r.println(name.text)
	for _, it := range x.l.Interfaces() {
		if it.SwIfIndex == sw {
			r.Data = map[string]any{"interface": ifaceJSON(it)}
		}
	}
	return nil
}

func cmdAppAttach(x *Executor, s *scanner, r *Result) *Error {
	name, err := s.next("application name")
	if err != nil {
		return err
	}
	a := session.AttachArgs{Name: name.text, Flags: session.AppIsBuiltin}
	manual := false
	var nsTok *token
	for !s.done() {
		switch {
		case s.accept("ns"):
			t, e := s.next("namespace id")
			if e != nil {
				return e
			}
			nsTok = &t
			a.Namespace = t.text
		case s.accept("secret"):
			if a.Secret, err = s.u64("secret"); err != nil {
				return err
			}
		case s.accept("scope"):
			v, e := s.oneOf("scope", "global", "local", "all")
			if e != nil {
				return e
			}
			a.Flags |= map[string]session.AppFlags{"global": session.AppUseGlobalScope,
				"local": session.AppUseLocalScope, "all": session.AppUseLocalAndScope}[v]
		case s.accept("proxy"):
			a.Flags |= session.AppIsProxy
			for s.peek() == "tcp" || s.peek() == "udp" {
				p, _ := s.proto()
				a.ProxyTransports |= 1 << p
			}
			if a.ProxyTransports == 0 {
				a.ProxyTransports = 1 << session.ProtoTCP
			}
		case s.accept("manual"):
			manual = true
		default:
			return s.unknown()
		}
	}
	if nsTok != nil {
		if _, e := x.nsByID(*nsTok); e != nil {
			return e
		}
	}
	idx, e := x.l.Attach(a)
	if e != nil {
		return asCLIError(e, fmt.Sprintf("application '%s'", a.Name))
	}
	x.apps[idx] = &appModel{index: idx, name: a.Name, manual: manual}
	for _, ai := range x.l.Apps() {
		if ai.Index == idx {
			j := x.appJSON(ai)
			r.printf("%s: app-index %d ns %s scope %s\n", a.Name, idx, j.Namespace, j.Scope)
			r.Data = map[string]any{"app": j}
		}
	}
	return nil
}

func cmdAppDetach(x *Executor, s *scanner, r *Result) *Error {
	t, idx, err := x.onlyApp(s)
	if err != nil {
		return err
	}
	if e := x.l.Detach(idx); e != nil {
		return asCLIError(e, "application "+t.text)
	}
	delete(x.apps, idx)
	r.Data = map[string]any{"detached": t.text}
	return nil
}

func cmdAppListen(listen bool) func(x *Executor, s *scanner, r *Result) *Error {
	return func(x *Executor, s *scanner, r *Result) *Error {
		name, err := s.next("application name")
		if err != nil {
			return err
		}
		p, err := s.proto()
		if err != nil {
			return err
		}
		ep, err := s.addrPort("endpoint")
		if err != nil {
			return err
		}
		if err := s.expectEnd(); err != nil {
			return err
		}
		idx, err := x.appByName(name)
		if err != nil {
			return err
		}
		if !listen {
			for _, a := range x.l.Apps() {
				if a.Index != idx {
					continue
				}
				for _, li := range a.Listeners {
					if li.Proto == p && li.Addr == ep.Addr() && li.Port == ep.Port() && !li.Proxy {
						if e := x.l.Unlisten(idx, li.Handle); e != nil {
							return errPlain(e)
						}
						r.Data = map[string]any{"listener": listenerJSON(li)}
						return nil
					}
				}
			}
			return errSession(session.ErrNoListen, fmt.Sprintf("%s is not listening on %s %s", name.text, p, ep))
		}
		h, e := x.l.Listen(session.ListenArgs{App: idx, Proto: p, Addr: ep.Addr(), Port: ep.Port(), FibIndex: session.InvalidIndex})
		if e != nil {
			return errPlain(e)
		}
		for _, a := range x.l.Apps() {
			for _, li := range a.Listeners {
				if a.Index == idx && li.Handle == h {
					r.printf("%s: listener %s\n", name.text, listenerText(li))
					r.Data = map[string]any{"listener": listenerJSON(li)}
				}
			}
		}
		return nil
	}
}

func cmdAppConnect(x *Executor, s *scanner, r *Result) *Error {
	name, err := s.next("application name")
	if err != nil {
		return err
	}
	p, err := s.proto()
	if err != nil {
		return err
	}
	dst, err := s.addrPort("destination")
	if err != nil {
		return err
	}
	a := session.ConnectArgs{Proto: p, Remote: dst, FibIndex: session.InvalidIndex}
	for !s.done() {
		switch {
		case s.accept("from"):
			if a.Local, err = s.addrPort("source"); err != nil {
				return err
			}
		case s.accept("context"):
			if a.Context, err = s.u64("context"); err != nil {
				return err
			}
		default:
			return s.unknown()
		}
	}
	if a.App, err = x.appByName(name); err != nil {
		return err
	}
	h, e := x.l.Connect(a)
	if e != nil {
		return errPlain(e)
	}
	state := ""
	if si, ok := x.l.Session(h); ok {
		state = si.State.String()
		r.printf("%s: half-open %s %s (%s)\n", name.text, h, connID(si), state)
	} else {
		r.printf("%s: half-open %s\n", name.text, h)
	}
	r.Data = map[string]any{"half_open": hexHandle(h), "state": state}
	return nil
}

// appSession reads a handle and returns the session and its application.
func (x *Executor) appSession(s *scanner) (session.SessionInfo, *Error) {
	t := s.cur()
	h, err := s.handle("session handle")
	if err != nil {
		return session.SessionInfo{}, err
	}
	si, err := x.session(t, h)
	if err != nil {
		return si, err
	}
	if si.App == session.InvalidIndex {
		e := errSession(session.ErrNoApp, fmt.Sprintf("session %s has no application", h))
		e.Token, e.Col = t.text, t.col
		return si, e
	}
	return si, nil
}

func cmdAppOp(op string) func(x *Executor, s *scanner, r *Result) *Error {
	return func(x *Executor, s *scanner, r *Result) *Error {
		si, err := x.appSession(s)
		if err != nil {
			return err
		}
		if err := s.expectEnd(); err != nil {
			return err
		}
		var e error
		switch op {
		case "close":
			e = x.l.Close(si.App, si.Handle)
		case "reset":
			e = x.l.Reset(si.App, si.Handle)
		default:
			e = x.l.Shutdown(si.App, si.Handle)
		}
		if e != nil {
			return asCLIError(e, fmt.Sprintf("%s %s", op, si.Handle))
		}
		return x.reportState(r, si.Handle)
	}
}

// reportState prints and returns the state of session h after an
// operation (before the model runs).
func (x *Executor) reportState(r *Result, h session.Handle) *Error {
	if si, ok := x.l.Session(h); ok {
		r.printf("%s %s", h, si.State)
		if si.Flags&session.FlagAppClosed != 0 {
			r.printf(" (flag APP_CLOSED)")
		}
		r.printf("\n")
		r.Data = map[string]any{"handle": hexHandle(h), "state": si.State.String()}
	} else {
		r.printf("%s freed\n", h)
		r.Data = map[string]any{"handle": hexHandle(h), "state": nil}
	}
	return nil
}

func cmdAppAccept(x *Executor, s *scanner, r *Result) *Error {
	si, err := x.appSession(s)
	if err != nil {
		return err
	}
	retval := session.ErrNone
	if s.accept("reject") {
		retval = session.ErrRefused
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	if e := x.l.AcceptReply(si.App, si.Handle, retval); e != nil {
		return asCLIError(e, fmt.Sprintf("accept %s", si.Handle))
	}
	return x.reportState(r, si.Handle)
}

// parseSessionError reads a session error by name (SESSION_E_REFUSED or
// REFUSED) or code (-2).
func parseSessionError(t token) (session.Error, *Error) {
	if v, err := strconv.Atoi(t.text); err == nil {
		if e := session.Error(v); e.Valid() && e != session.ErrNone {
			return e, nil
		}
	}
	for e := session.Error(-1); e.Valid(); e-- {
		if strings.EqualFold(t.text, e.Name()) || strings.EqualFold("SESSION_E_"+t.text, e.Name()) {
			return e, nil
		}
	}
	return 0, errValue(t, "unknown session error `%s' (expected a SESSION_E_* name or a code from -1 to -41)", t.text)
}

// transportFor returns the CLI transport of a session's protocol, or an
// error for cut-through and other sessions no transport plays.
func (x *Executor) transportFor(t token, si session.SessionInfo) (*transport, *Error) {
	p := si.Type.Proto()
	if p != session.ProtoTCP && p != session.ProtoUDP {
		return nil, errValue(t, "session %s is a %s session: no transport plays it", si.Handle, p)
	}
	return x.tr[p], nil
}

func cmdTransportConnected(x *Executor, s *scanner, r *Result) *Error {
	t := s.cur()
	ho, err := s.handle("half-open handle")
	if err != nil {
		return err
	}
	si, err := x.session(t, ho)
	if err != nil {
		return err
	}
	th := x.l.CtrlThread()
	result := session.ErrNone
	for !s.done() {
		switch {
		case s.accept("thread"):
			v, e := s.u32("thread")
			if e != nil {
				return e
			}
			if int(v) >= x.l.NumThreads() {
				return errValue(s.toks[s.i-1], "thread %d out of range (the layer has %d)", v, x.l.NumThreads())
			}
			th = v
		case s.accept("error"):
			et, e := s.next("session error")
			if e != nil {
				return e
			}
			if result, e = parseSessionError(et); e != nil {
				return e
			}
		default:
			return s.unknown()
		}
	}
	if si.Flags&session.FlagHalfOpen == 0 || si.State != session.StateConnecting {
		return errValue(t, "session %s is not a pending half-open (state %s)", ho, si.State)
	}
	tr, err := x.transportFor(t, si)
	if err != nil {
		return err
	}
	if !tr.manualHO[ho] {
		return errCLI(NameMode, "half-open %s belongs to the loopback network, which completes it itself", ho)
	}
	conn := tr.newConn()
	h, e := x.l.Connected(ho, th, conn, result)
	if e != nil {
		return asCLIError(e, fmt.Sprintf("connected %s", ho))
	}
	if result == session.ErrNone && h != session.InvalidHandle {
		tr.manual[conn] = h
	}
	delete(tr.manualHO, ho)
	if e := x.l.HalfOpenDelete(ho); e != nil {
		return asCLIError(e, fmt.Sprintf("half-open delete %s", ho))
	}
	data := map[string]any{"half_open": hexHandle(ho), "session": nil}
	if result == session.ErrNone && h != session.InvalidHandle {
		if ns, ok := x.l.Session(h); ok {
			r.printf("session %s %s (%s)\n", h, connID(ns), ns.State)
			data["session"] = hexHandle(h)
			data["state"] = ns.State.String()
		}
	} else {
		r.printf("half-open %s failed: %s\n", ho, result.Name())
	}
	r.Data = data
	return nil
}

func cmdTransportAccept(x *Executor, s *scanner, r *Result) *Error {
	t := s.cur()
	lh, err := s.handle("listener handle")
	if err != nil {
		return err
	}
	ls, err := x.session(t, lh)
	if err != nil {
		return err
	}
	lcl, err := s.addrPort("local endpoint")
	if err != nil {
		return err
	}
	rmtTok := s.cur()
	rmt, err := s.addrPort("remote endpoint")
	if err != nil {
		return err
	}
	th := x.l.CtrlThread()
	for !s.done() {
		switch {
		case s.accept("thread"):
			v, e := s.u32("thread")
			if e != nil {
				return e
			}
			if int(v) >= x.l.NumThreads() {
				return errValue(s.toks[s.i-1], "thread %d out of range (the layer has %d)", v, x.l.NumThreads())
			}
			th = v
		default:
			return s.unknown()
		}
	}
	if ls.State != session.StateListening {
		return errValue(t, "session %s is not a listener (state %s)", lh, ls.State)
	}
	if lcl.Addr().Is4() != rmt.Addr().Is4() || lcl.Addr().Is4() != ls.Type.IsIP4() {
		return errValue(rmtTok, "endpoints must be of the listener's address family")
	}
	tr, err := x.transportFor(t, ls)
	if err != nil {
		return err
	}
	conn := tr.newConn()
	c := session.Connection{Proto: ls.Type.Proto(), Local: lcl, Remote: rmt, Fib: ls.Fib}
	h, e := x.l.Accept(th, lh, conn, c, false)
	if e != nil {
		return asCLIError(e, fmt.Sprintf("accept on %s", lh))
	}
	tr.manual[conn] = h
	if e := x.l.AcceptNotify(h); e != nil {
		return asCLIError(e, fmt.Sprintf("accept notify %s", h))
	}
	si, _ := x.l.Session(h)
	r.printf("session %s %s (%s)\n", h, connID(si), si.State)
	r.Data = map[string]any{"session": hexHandle(h), "state": si.State.String()}
	return nil
}

func cmdTransportNotify(op string) func(x *Executor, s *scanner, r *Result) *Error {
	return func(x *Executor, s *scanner, r *Result) *Error {
		t := s.cur()
		h, err := s.handle("session handle")
		if err != nil {
			return err
		}
		if err := s.expectEnd(); err != nil {
			return err
		}
		si, err := x.session(t, h)
		if err != nil {
			return err
		}
		if si.State == session.StateListening {
			return errValue(t, "session %s is a listener: listeners only go with `app unlisten`", h)
		}
		tr, err := x.transportFor(t, si)
		if err != nil {
			return err
		}
		halfOpen := si.Flags&session.FlagHalfOpen != 0
		loop := false
		switch {
		case halfOpen:
			loop = !tr.manualHO[h] && si.State == session.StateConnecting
		case si.Conn < manualBase:
			loop = tr.tt.ConnSession(si.Conn) == h
		}
		if loop {
			if op != "closed" || halfOpen {
				return errCLI(NameMode, "%s belongs to the loopback network, which sends its notifications itself "+
					"(only `transport closed` applies: it forces the connection CLOSED)", h)
			}
			tr.tt.ForceClosed(si.Conn)
			return x.reportState(r, h)
		}
		var e error
		switch {
		case halfOpen && op == "delete":
			e = x.l.HalfOpenDelete(h)
			delete(tr.manualHO, h)
		case halfOpen:
			return errValue(t, "%s is a half-open: use `transport connected` (or `transport delete`)", h)
		case op == "closing":
			e = x.l.TransportClosing(h)
		case op == "reset":
			e = x.l.TransportReset(h)
		case op == "closed":
			e = x.l.TransportClosed(h)
		default:
			e = x.l.TransportDelete(h)
		}
		if e != nil {
			return asCLIError(e, fmt.Sprintf("transport %s %s", op, h))
		}
		return x.reportState(r, h)
	}
}

func cmdTransportExpire(x *Executor, s *scanner, r *Result) *Error {
	if err := s.expectEnd(); err != nil {
		return err
	}
	for _, t := range x.tr {
		t.tt.ExpireTimeWait()
	}
	return nil
}

func cmdSetTransport(x *Executor, s *scanner, r *Result) *Error {
	v, err := s.oneOf("transport mode", "manual", "loopback")
	if err != nil {
		return err
	}
	tw := s.accept("time-wait")
	if err := s.expectEnd(); err != nil {
		return err
	}
	mode := ModeManual
	if v == "loopback" {
		mode = ModeLoopback
	}
	x.SetTransportMode(mode, tw)
	r.Data = map[string]any{"mode": mode.String(), "time_wait": tw}
	return nil
}

func cmdSetPoll(x *Executor, s *scanner, r *Result) *Error {
	v, err := s.oneOf("poll mode", "auto", "manual")
	if err != nil {
		return err
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	x.autoPoll = v == "auto"
	r.Data = map[string]any{"poll": v}
	return nil
}

func cmdPoll(x *Executor, s *scanner, r *Result) *Error {
	rounds := uint32(maxSettleRounds)
	if !s.done() {
		v, err := s.u32("rounds")
		if err != nil {
			return err
		}
		rounds = min(v, maxSettleRounds)
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	n := x.settle(int(rounds))
	r.Data = map[string]any{"events": n}
	return nil
}

// lookupText describes what a lookup found.
func (x *Executor) lookupResult(r *Result, kind string, h session.Handle, extra string) {
	j := LookupJSON{Kind: kind}
	line := kind
	if h != session.InvalidHandle && h != session.DropHandle {
		j.Handle = optHandle(h)
		line += " " + h.String()
		if si, ok := x.l.Session(h); ok {
			sj := x.sessionJSON(si)
			j.Session = &sj
			line += fmt.Sprintf(" %s %s", si.State, connID(si))
			if n := x.appName(si.App); n != "" {
				line += " app " + n
			}
		}
	}
	if extra != "" {
		line += " " + extra
	}
	r.println(line)
	r.Data = j
}

func cmdSessionLookup(x *Executor, s *scanner, r *Result) *Error {
	p, err := s.proto()
	if err != nil {
		return err
	}
	lcl, err := s.addr("local address")
	if err != nil {
		return err
	}
	lport, err := s.port("local port")
	if err != nil {
		return err
	}
	rt := s.cur()
	rmt, err := s.addr("remote address")
	if err != nil {
		return err
	}
	rport, err := s.port("remote port")
	if err != nil {
		return err
	}
	if lcl.Is4() != rmt.Is4() {
		return errValue(rt, "remote address `%s' is not of the local address's family", rt.text)
	}
	fib, th := uint32(0), uint32(0)
	for !s.done() {
		switch {
		case s.accept("fib"):
			if fib, err = s.u32("fib index"); err != nil {
				return err
			}
		case s.accept("thread"):
			if th, err = s.u32("thread"); err != nil {
				return err
			}
			if int(th) >= x.l.NumThreads() {
				return errValue(s.toks[s.i-1], "thread %d out of range (the layer has %d)", th, x.l.NumThreads())
			}
		default:
			return s.unknown()
		}
	}
	res := x.l.Lookup(th, fib, p, lcl, rmt, lport, rport)
	switch res.Kind {
	case session.LookupSession:
		x.lookupResult(r, "session", res.Handle, "")
	case session.LookupHalfOpen:
		x.lookupResult(r, "half-open", res.Handle, "")
	case session.LookupListener:
		x.lookupResult(r, "listener", res.Handle, "")
	case session.LookupFiltered:
		x.lookupResult(r, "filtered", session.InvalidHandle, "(a drop rule matches)")
	case session.LookupWrongThread:
		x.lookupResult(r, "wrong-thread", res.Handle, fmt.Sprintf("(owned by thread %d)", res.Handle.Thread()))
	default:
		x.lookupResult(r, "none", session.InvalidHandle, "")
	}
	return nil
}

func cmdSessionLookupListener(x *Executor, s *scanner, r *Result) *Error {
	p, err := s.proto()
	if err != nil {
		return err
	}
	ip, err := s.addr("address")
	if err != nil {
		return err
	}
	port, err := s.port("port")
	if err != nil {
		return err
	}
	fib, wild := uint32(0), false
	for !s.done() {
		switch {
		case s.accept("fib"):
			if fib, err = s.u32("fib index"); err != nil {
				return err
			}
		case s.accept("wildcard"):
			wild = true
		default:
			return s.unknown()
		}
	}
	h := x.l.LookupListener(fib, p, ip, port, wild)
	if h == session.InvalidHandle {
		x.lookupResult(r, "none", h, "")
	} else {
		x.lookupResult(r, "listener", h, "")
	}
	return nil
}

func cmdSessionLookupLocal(x *Executor, s *scanner, r *Result) *Error {
	ns, _ := x.l.NamespaceIndex(session.DefaultNamespace)
	if s.accept("appns") {
		t, err := s.next("namespace id")
		if err != nil {
			return err
		}
		if ns, err = x.nsByID(t); err != nil {
			return err
		}
	}
	p, err := s.proto()
	if err != nil {
		return err
	}
	ip, err := s.addr("address")
	if err != nil {
		return err
	}
	port, err := s.port("port")
	if err != nil {
		return err
	}
	if err := s.expectEnd(); err != nil {
		return err
	}
	res := x.l.LookupLocal(ns, p, ip, port)
	switch res.Kind {
	case session.LocalFiltered:
		x.lookupResult(r, "filtered", session.InvalidHandle, "(a drop rule matches)")
	case session.LocalListener:
		x.lookupResult(r, "listener", res.Handle, "")
	case session.LocalProxy:
		name := x.appName(res.App)
		x.lookupResult(r, "proxy", session.InvalidHandle, "app "+name)
		j := r.Data.(LookupJSON)
		j.App = &name
		r.Data = j
	default:
		x.lookupResult(r, "none", session.InvalidHandle, "")
	}
	return nil
}

// bihashEntry is one hash `show bihash` can print.
type bihashEntry struct {
	name   string
	stats  bihash.Stats
	format func(verbose int) string
}

// bihashes lists the layer's hashes under their CLI names: for each global
// table "<v4|v6>-session fib <n>" and "<v4|v6>-halfopen fib <n>", for each
// namespace's local table "local ns <id> v4|v6", and "local-endpoints".
func (x *Executor) bihashes() []bihashEntry {
	var out []bihashEntry
	for _, t := range x.l.Tables() {
		for _, h := range t.Hashes {
			kind := map[string]string{"v4 session table": "v4-session", "v4 half-open table": "v4-halfopen",
				"v6 session table": "v6-session", "v6 half-open table": "v6-halfopen",
				"v4 session table-local": "v4", "v6 session table-local": "v6"}[h.Name]
			if kind == "" {
				kind = strings.ReplaceAll(h.Name, " ", "-")
			}
			name := fmt.Sprintf("%s fib %d", kind, t.FibIndex)
			if t.Local {
				name = fmt.Sprintf("local ns %s %s", x.nsID(t.Namespace), kind)
			}
			out = append(out, bihashEntry{name: name, stats: h.Stats, format: h.Format})
		}
	}
	if st, ok := x.l.PortTableStats(); ok {
		out = append(out, bihashEntry{name: "local-endpoints", stats: st, format: func(int) string {
			return bihash.FormatStats("local endpoints table", st)
		}})
	}
	return out
}

func cmdShowBihash(x *Executor, s *scanner, r *Result) *Error {
	var words []string
	verbose := 0
	for !s.done() {
		if s.accept("verbose") {
			verbose = 1
			if isDigits(s.peek()) {
				v, err := s.u32("verbosity")
				if err != nil {
					return err
				}
				verbose = int(min(v, 2))
			}
			continue
		}
		t, _ := s.next("")
		words = append(words, t.text)
	}
	all := x.bihashes()
	if len(words) == 0 {
		r.println(strings.TrimRight(fmt.Sprintf("%-30s%10s%10s%10s%14s%14s", "Table", "Buckets", "Active", "Elements", "Used", "Memory"), " "))
		out := []BihashJSON{}
		for _, e := range all {
			r.printf("%-30s%10d%10d%10d%14d%14d\n", e.name, e.stats.Buckets, e.stats.ActiveBuckets, e.stats.Pairs,
				e.stats.ArenaUsed, e.stats.ArenaTotal)
			out = append(out, bihashJSON(e.name, e.stats))
		}
		r.Data = map[string]any{"tables": out}
		return nil
	}
	want := strings.Join(words, " ")
	out := []BihashJSON{}
	for _, e := range all {
		if e.name == want || strings.HasPrefix(e.name, want+" ") {
			r.text.WriteString(e.format(verbose))
			out = append(out, bihashJSON(e.name, e.stats))
		}
	}
	if len(out) == 0 {
		names := make([]string, len(all))
		for i, e := range all {
			names[i] = e.name
		}
		first := s.toks[len(s.toks)-len(words)]
		return errValue(first, "no lookup table '%s' (tables: %s)", want, strings.Join(names, ", "))
	}
	r.Data = map[string]any{"tables": out}
	return nil
}

func cmdShowAppEvents(x *Executor, s *scanner, r *Result) *Error {
	t, idx, err := x.onlyApp(s)
	if err != nil {
		return err
	}
	m := x.apps[idx]
	events := []Event{}
	if m != nil {
		if m.seen > len(m.history) {
			r.printf("(%d older events dropped)\n", m.seen-len(m.history))
		}
		for _, e := range m.history {
			r.println(e.String())
		}
		events = append(events, m.history...)
	}
	r.Data = map[string]any{"app": t.text, "events": events}
	return nil
}

func cmdShowStats(x *Executor, s *scanner, r *Result) *Error {
	if err := s.expectEnd(); err != nil {
		return err
	}
	st := x.l.Stats()
	counters := []struct {
		name string
		v    uint64
	}{
		{"accepted", st.Accepted}, {"established", st.Established}, {"connects", st.Connects},
		{"ct-connects", st.CTConnects}, {"freed", st.Freed},
		{"closes-app", st.ClosesApp}, {"closes-transport", st.ClosesTransport}, {"closes-reset", st.ClosesReset},
		{"filtered", st.Filtered}, {"table-full", st.TableFull}, {"pool-exhausted", st.PoolExhausted},
		{"port-exhausted", st.PortExhausted}, {"fifo-alloc-failures", st.FifoAllocFailures},
		{"ctrl-queue-full", st.CtrlQueueFull}, {"congestions", st.Congestions},
		{"accepts-refused", st.AcceptsRefused}, {"events-filtered", st.EventsFiltered},
		{"events-no-app", st.EventsNoApp}, {"stale-events", st.StaleEvents},
		{"unexpected-deletes", st.UnexpectedDeletes},
	}
	data := map[string]any{}
	for _, c := range counters {
		r.printf("%-24s%d\n", c.name, c.v)
		data[strings.ReplaceAll(c.name, "-", "_")] = c.v
	}
	errs := map[string]uint64{}
	for i := 1; i < session.NumErrors; i++ {
		if st.Errors[i] != 0 {
			e := session.Error(-i)
			r.printf("%-24s%d\n", e.Name(), st.Errors[i])
			errs[e.Name()] = st.Errors[i]
		}
	}
	data["errors"] = errs
	r.Data = data
	return nil
}

func cmdShowLeaks(x *Executor, s *scanner, r *Result) *Error {
	if err := s.expectEnd(); err != nil {
		return err
	}
	k := x.l.LeakCheck()
	handles := make([]hexHandle, len(k.Handles))
	for i, h := range k.Handles {
		handles[i] = hexHandle(h)
	}
	r.Data = map[string]any{"empty": k.Empty(), "sessions": k.Sessions, "half_opens": k.HalfOpens,
		"listeners": k.Listeners, "fifos": k.Fifos, "local_endpoints": k.LocalEndpoints,
		"ctrl_events": k.CtrlEvents, "app_events": k.AppEvents, "handles": handles}
	if k.Empty() {
		r.println("no leaks")
		return nil
	}
	r.printf("sessions %d half-opens %d listeners %d fifos %d local-endpoints %d ctrl-events %d app-events %d\n",
		k.Sessions, k.HalfOpens, k.Listeners, k.Fifos, k.LocalEndpoints, k.CtrlEvents, k.AppEvents)
	if len(k.Handles) > 0 {
		hs := make([]string, len(k.Handles))
		for i, h := range k.Handles {
			hs[i] = h.String()
		}
		r.printf("handles: %s\n", strings.Join(hs, " "))
	}
	return nil
}

// cmdExpect runs the rest of the line as a command and checks its outcome:
// success for "ok", otherwise a failure with the given error name or code.
// The command's output, events and notes become this command's.
func cmdExpect(x *Executor, s *scanner, r *Result) *Error {
	want, err := s.next("expected outcome (ok or an error name)")
	if err != nil {
		return err
	}
	if s.done() {
		return errMissing(s.end, "command to run")
	}
	inner := s.line[s.cur().col:]
	saved := x.cur
	res := x.Exec(inner)
	x.cur = saved
	r.text.WriteString(res.text.String())
	r.notes = append(r.notes, res.notes...)
	r.Warnings = append(r.Warnings, res.Warnings...)
	got := "ok"
	var gotJSON any
	if res.Err != nil {
		got = res.Err.Name
		gotJSON = &jsonError{Code: res.Err.Code.Code(), Name: res.Err.Name, Message: res.Err.Msg, Token: res.Err.Token}
		r.printf("expected failure: %s\n", res.Err)
	}
	matches := strings.EqualFold(want.text, got)
	if !matches && res.Err != nil {
		if v, perr := strconv.Atoi(want.text); perr == nil && res.Err.Code != session.ErrNone && int(res.Err.Code) == v {
			matches = true
		}
		if strings.EqualFold("SESSION_E_"+want.text, got) {
			matches = true
		}
	}
	if !matches {
		msg := fmt.Sprintf("expected %s, got %s", want.text, got)
		if res.Err != nil {
			msg += ": " + res.Err.Error()
		}
		e := errValue(want, "%s", msg)
		e.Name = NameExpect
		return e
	}
	r.Data = map[string]any{"expected": want.text, "error": gotJSON, "result": res.Data}
	return nil
}
