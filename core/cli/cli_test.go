package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
)

// exec runs commands and fails the test on the first failure.
func mustExec(t *testing.T, x *Executor, cmds ...string) *Result {
	t.Helper()
	var r *Result
	for _, c := range cmds {
		r = x.Exec(c)
		if !r.OK() {
			t.Fatalf("%s: %v", c, r.Err)
		}
	}
	return r
}

// TestScriptStopsAtFirstFailure checks the script contract: the error line
// names the file, the line and the command, the script stops (and reports
// one failure) unless KeepGoing, which runs the rest and counts every
// failure.
func TestScriptStopsAtFirstFailure(t *testing.T) {
	script := "# comment only\n\nsession enable rt-backend rule-table\n" +
		"session rule add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 4321 action 0 tag t # a comment\n" +
		"session rule add proto tcp 1.2.3.4/24 1234 5.6.7.8/16 4321 action 0 tag t\n" +
		"show session\n" +
		"frobnicate\n"
	for _, keep := range []bool{false, true} {
		var out, errOut bytes.Buffer
		x := newTestExecutor(t)
		failed, err := x.RunScript(strings.NewReader(script), ScriptOptions{Name: "s.cli", Out: &out, Err: &errOut, KeepGoing: keep})
		if err != nil {
			t.Fatal(err)
		}
		wantLine := "s.cli:5: session rule add proto tcp 1.2.3.4/24 1234 5.6.7.8/16 4321 action 0 tag t: " +
			"SESSION_E_INVALID (-19): invalid value: tag 't' already in use\n"
		if !strings.HasPrefix(errOut.String(), wantLine) {
			t.Errorf("keep=%v: error output %q, want it to start with %q", keep, errOut.String(), wantLine)
		}
		switch keep {
		case false:
			if failed != 1 || strings.Contains(out.String(), "Thread 0") {
				t.Errorf("without keep-going the script must stop: failed %d, output %q", failed, out.String())
			}
		case true:
			if failed != 2 || !strings.Contains(out.String(), "Thread 0: no sessions") ||
				!strings.Contains(errOut.String(), "s.cli:7: frobnicate: unknown input `frobnicate'") {
				t.Errorf("keep-going must run the rest: failed %d, output %q, errors %q", failed, out.String(), errOut.String())
			}
		}
	}
}

// A broken script line (a huge word, control bytes) gets a bounded,
// escaped error line, not an echo of the whole input.
func TestScriptErrorEchoIsBounded(t *testing.T) {
	huge := strings.Repeat("x", 200000)
	script := huge + "\nbo\x01gus \x1b[2J\n"
	var out, errOut bytes.Buffer
	x := newTestExecutor(t)
	failed, err := x.RunScript(strings.NewReader(script), ScriptOptions{Name: "s.cli", Out: &out, Err: &errOut, KeepGoing: true})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
	if failed != 2 || len(lines) != 2 {
		t.Fatalf("failed %d, error lines %d, want 2 and 2", failed, len(lines))
	}
	for _, l := range lines {
		if len(l) > 4*maxEcho {
			t.Errorf("error line of %d bytes: %.120q", len(l), l)
		}
	}
	if !strings.HasPrefix(lines[0], "s.cli:1: "+strings.Repeat("x", maxEcho)+"...: unknown input `"+strings.Repeat("x", maxEcho)+"...'") {
		t.Errorf("huge word: %.200q", lines[0])
	}
	if !strings.HasPrefix(lines[1], `s.cli:2: "bo\x01gus \x1b[2J": unknown input `+"`"+`"bo\x01gus"'`) {
		t.Errorf("control bytes: %q", lines[1])
	}
}

// TestBadInputNamesToken checks the errors the issue lists: each is one
// line, names the offending word (Token, Col) and says what is wrong.
func TestBadInputNamesToken(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table")
	long := strings.Repeat("x", 65)
	cases := []struct {
		cmd, name, token, msg string
	}{
		{"bogus command", NameUnknownInput, "bogus", "unknown input `bogus'"},
		{"show session rulez", NameUnknownInput, "rulez", "unknown input `rulez'"},
		{"session rule add proto tcp 1.2.3/16 1 5.6.7.8/16 2 action 1", NameInvalidValue, "1.2.3/16", "`1.2.3'"},
		{"app connect a tcp 1.2.3.4.5:80", NameInvalidValue, "1.2.3.4.5:80", "`1.2.3.4.5'"},
		{"session rule add proto tcp 1.2.3.4/16 65536 5.6.7.8/16 2 action 1", NameInvalidValue, "65536", "port 65536 above 65535"},
		{"session lookup tcp 1.2.3.4 1 5.6.7.8 70000", NameInvalidValue, "70000", "port 70000 above 65535"},
		{"session rule add proto tcp 1.2.3.4/33 1 5.6.7.8/16 2 action 1", NameInvalidValue, "1.2.3.4/33", "prefix length 33 out of range for IPv4"},
		{"session rule add proto tcp ::1/200 1 ::2/16 2 action 1", NameInvalidValue, "::1/200", "prefix length 200 out of range for IPv6"},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 2 action 1 tag " + long, NameInvalidValue, long, "tag longer than 64 bytes"},
		{"session rule add appns foo proto tcp 1.2.3.4/16 1 5.6.7.8/16 2 action 1", "SESSION_E_INVALID_NS", "foo", "unknown namespace 'foo'"},
		{"show session rules appns foo", "SESSION_E_INVALID_NS", "foo", "unknown namespace 'foo'"},
	}
	for _, c := range cases {
		r := x.Exec(c.cmd)
		if r.OK() {
			t.Errorf("%s: succeeded", c.cmd)
			continue
		}
		e := r.Err
		if e.Name != c.name || e.Token != c.token || !strings.Contains(e.Msg, c.msg) || strings.Contains(e.Error(), "\n") {
			t.Errorf("%s:\n got  %s token %q: %s\n want %s token %q containing %q", c.cmd, e.Name, e.Token, e.Msg, c.name, c.token, c.msg)
		}
		if e.Col < 0 || e.Col+len(e.Token) > len(c.cmd) || c.cmd[e.Col:e.Col+len(e.Token)] != e.Token {
			t.Errorf("%s: column %d does not point at %q", c.cmd, e.Col, e.Token)
		}
	}
}

// TestJSONContract decodes the JSON lines of a small run and checks the
// documented members and their types (docs/cli.md, "JSON output").
func TestJSONContract(t *testing.T) {
	script := strings.Join([]string{
		"session enable rt-backend rule-table",
		"session rule add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 4321 action drop tag t1 scope all",
		"app attach srv scope all",
		"app listen srv tcp 0.0.0.0:1234",
		"session lookup tcp 1.2.3.4 1234 5.6.7.8 4321",
		"session lookup tcp 9.9.9.9 1234 5.6.7.8 4321",
		"show session verbose",
		"session rule add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 70000 action 1",
	}, "\n")
	var out bytes.Buffer
	x := newTestExecutor(t)
	failed, err := x.RunScript(strings.NewReader(script), ScriptOptions{Name: "j", Out: &out, JSON: true})
	if err != nil || failed != 1 {
		t.Fatalf("failed %d, err %v", failed, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d JSON lines, want 8:\n%s", len(lines), out.String())
	}
	objs := make([]map[string]any, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &objs[i]); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		if objs[i]["line"] != float64(i+1) || objs[i]["cmd"] == "" {
			t.Errorf("line %d: line/cmd members: %s", i+1, l)
		}
	}
	rule := objs[1]["result"].(map[string]any)["rule"].(map[string]any)
	want := map[string]any{"lcl": "1.2.0.0/16", "rmt": "5.6.0.0/16", "lcl_port": float64(1234), "rmt_port": float64(4321),
		"proto": "tcp", "action": "drop", "tag": "t1", "scope": "all"}
	for k, v := range want {
		if rule[k] != v {
			t.Errorf("rule.%s = %v, want %v", k, rule[k], v)
		}
	}
	lk := objs[4]["result"].(map[string]any)
	if lk["kind"] != "filtered" || lk["handle"] != nil {
		t.Errorf("filtered lookup: %v", lk)
	}
	lk = objs[5]["result"].(map[string]any)
	if lk["kind"] != "listener" || lk["handle"] != "0x1" {
		t.Errorf("listener lookup: %v", lk)
	}
	sess := lk["session"].(map[string]any)
	for _, k := range []string{"handle", "state", "thread", "proto", "lcl", "lcl_port", "rmt", "rmt_port"} {
		if _, ok := sess[k]; !ok {
			t.Errorf("session object lacks %q: %v", k, sess)
		}
	}
	if sess["state"] != "LISTENING" || sess["thread"] != float64(0) {
		t.Errorf("session: %v", sess)
	}
	// Scope all: a global (transport) and a local (cut-through) listener.
	if n := len(objs[6]["result"].(map[string]any)["sessions"].([]any)); n != 2 {
		t.Errorf("show session verbose lists %d sessions, want 2", n)
	}
	last := objs[7]
	e, ok := last["error"].(map[string]any)
	if last["ok"] != false || !ok || e["code"] != float64(0) || e["name"] != NameInvalidValue ||
		e["token"] != "70000" || e["column"] != float64(55) || last["result"] != nil {
		t.Errorf("error object: %v", last)
	}
}

// TestSessionErrorJSON checks a session-layer failure's code and name.
func TestSessionErrorJSON(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table")
	r := x.Exec("app attach a ns default secret 5")
	var b bytes.Buffer
	if err := r.WriteJSON(&b, 3); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Line  int
		OK    bool
		Error struct {
			Code int
			Name string
		}
	}
	if err := json.Unmarshal(b.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j.Line != 3 || j.OK || j.Error.Code != int(session.ErrWrongNSSecret) || j.Error.Name != "SESSION_E_WRONG_NS_SECRET" {
		t.Errorf("%s", b.String())
	}
}

// TestHandleForms checks that every printed handle form is accepted.
func TestHandleForms(t *testing.T) {
	for in, want := range map[string]session.Handle{
		"0x100000002": session.MakeHandle(1, 2), "1:2": session.MakeHandle(1, 2), "[1:2]": session.MakeHandle(1, 2),
		"5": 5, "0": 0,
	} {
		h, err := parseHandle(token{text: in}, "handle")
		if err != nil || h != want {
			t.Errorf("%q: %v %v, want %v", in, h, err, want)
		}
	}
	for _, in := range []string{"", "x", "1:", ":2", "1:2:3", "0x", "-1"} {
		if _, err := parseHandle(token{text: in}, "handle"); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestManualTransportWalk drives one session through an active close by
// hand and checks the states the layer reports at each step (spec §6.6).
func TestManualTransportWalk(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table", "create interface eth0 ip4 10.0.0.1/24",
		"app attach c", "set poll manual")
	r := mustExec(t, x, "app connect c tcp 10.0.0.2:80")
	ho := r.Data.(map[string]any)["half_open"].(hexHandle)
	if calls := r.TransportCalls(); len(calls) != 1 || calls[0].Op != "connect" {
		t.Fatalf("transport calls %v", calls)
	}
	r = mustExec(t, x, "transport connected "+session.Handle(ho).String())
	h := session.Handle(r.Data.(map[string]any)["session"].(hexHandle))
	state := func() session.State {
		si, ok := x.Layer().Session(h)
		if !ok {
			return session.NumStates
		}
		return si.State
	}
	steps := []struct {
		cmd  string
		want session.State
	}{
		{"poll", session.StateReady},
		{"app close " + h.String(), session.StateClosing},
		{"poll", session.StateAppClosed},
		{"transport closed " + h.String(), session.StateClosed},
		{"transport delete " + h.String(), session.StateTransportDeleted},
		{"poll", session.NumStates}, // freed
	}
	for _, s := range steps {
		r := mustExec(t, x, s.cmd)
		if got := state(); got != s.want {
			t.Fatalf("after %q: state %v, want %v\n%s", s.cmd, got, s.want, r.Text())
		}
	}
	r = mustExec(t, x, "app detach c", "poll", "show session leaks")
	if !strings.Contains(r.Text(), "no leaks") {
		t.Errorf("leaks: %s", r.Text())
	}
}

// TestLoopbackRefusesNotifications checks that a connection the loopback
// network plays cannot be notified by hand (except a forced close).
func TestLoopbackRefusesNotifications(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table", "create interface eth0 ip4 10.0.0.1/24",
		"set transport loopback", "app attach s", "app attach c", "app listen s tcp 10.0.0.1:80",
		"app connect c tcp 10.0.0.1:80")
	var established session.Handle
	x.Layer().Sessions(func(si session.SessionInfo) bool {
		if si.State == session.StateReady {
			established = si.Handle
			return false
		}
		return true
	})
	r := x.Exec("transport closing " + established.String())
	if r.OK() || r.Err.Name != NameMode {
		t.Fatalf("transport closing on a loopback connection: %v", r.Err)
	}
	mustExec(t, x, "transport closed "+established.String())
}

func TestCompleteAndHelp(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table", "app attach webserver")
	for line, want := range map[string]string{
		"sh":                 "show",
		"show ses":           "session",
		"session rule add p": "proto",
		"app listen web":     "webserver",
		"session rule a":     "add",
	} {
		got := x.Complete(line)
		found := false
		for _, g := range got {
			if g == want {
				found = true
			}
		}
		if !found {
			t.Errorf("Complete(%q) = %v, want it to offer %q", line, got, want)
		}
	}
	if h := ContextHelp("show session ru"); !strings.Contains(h, "show session rules [proto") {
		t.Errorf("ContextHelp: %q", h)
	}
	if h := ContextHelp("session rule add proto tcp"); !strings.Contains(h, "action <n|drop|allow>") {
		t.Errorf("ContextHelp of a selected command: %q", h)
	}
	all := Help()
	for _, c := range commands {
		if c.help == "" || c.doc == "" || !strings.HasPrefix(c.help, strings.Join(c.path, " ")) {
			t.Errorf("command %v: help %q doc %q", c.path, c.help, c.doc)
		}
		if !strings.Contains(all, c.help) {
			t.Errorf("Help() lacks %q", c.help)
		}
	}
}

// TestSplitAndComments checks -e splitting and comment stripping.
func TestSplitAndComments(t *testing.T) {
	if got := SplitCommands("a; b ;;c"); strings.Join(got, "|") != "a| b ||c" {
		t.Errorf("SplitCommands: %q", got)
	}
	for in, want := range map[string]string{
		"  show session  # all of them": "show session",
		"# nothing":                     "",
		"session rule add tag a#b":      "session rule add tag a#b",
		"\t\n":                          "",
	} {
		if got := stripComment(in); got != want {
			t.Errorf("stripComment(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExpect checks expect's outcomes.
func TestExpect(t *testing.T) {
	x := newTestExecutor(t)
	for _, c := range []struct {
		cmd string
		ok  bool
	}{
		{"expect CLI_E_NOT_ENABLED show session", true},
		{"expect ok session enable rt-backend rule-table", true},
		{"expect SESSION_E_INVALID_NS app attach a ns x", true},
		{"expect INVALID_NS app attach a ns x", true},
		{"expect -22 app attach a ns x", true},
		{"expect -21 app attach a ns x", false},
		{"expect ok app attach a ns x", false},
		{"expect SESSION_E_NOAPP app attach b", false},
		{"expect", false},
		{"expect ok", false},
	} {
		if r := x.Exec(c.cmd); r.OK() != c.ok {
			t.Errorf("%s: ok %v, want %v (%v)", c.cmd, r.OK(), c.ok, r.Err)
		}
	}
}

// TestShowSessionVerboseSuppressed checks VPP's limit of 50 sessions per
// thread in the verbose text (the JSON result lists every session).
func TestShowSessionVerboseSuppressed(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table", "create interface eth0 ip4 10.0.0.1/24",
		"app attach srv", "app listen srv tcp 10.0.0.1:80")
	for i := 0; i < 60; i++ {
		mustExec(t, x, fmt.Sprintf("transport accept 0x0 10.0.0.1:80 10.9.0.%d:1000", i+1))
	}
	r := mustExec(t, x, "show session verbose")
	if !strings.Contains(r.Text(), "Thread 0: 61 sessions. Verbose output suppressed.") {
		t.Errorf("%s", r.Text())
	}
	if n := len(r.Data.(map[string]any)["sessions"].([]SessionJSON)); n != 61 {
		t.Errorf("JSON lists %d sessions, want 61", n)
	}
	r = mustExec(t, x, "show session verbose state READY")
	if !strings.Contains(r.Text(), "Thread 0: 60 sessions matched filter. Not all shown.") || strings.Count(r.Text(), "READY") < 50 {
		t.Errorf("%s", r.Text())
	}
	r = mustExec(t, x, "show session thread 0")
	if strings.TrimSpace(r.Text()) != "Thread 0: 61 sessions\nStates: LISTENING 1, READY 60" {
		t.Errorf("%q", r.Text())
	}
}
