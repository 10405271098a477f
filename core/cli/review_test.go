package cli

import (
	"strings"
	"testing"
)

// textOf runs commands in a fresh executor and returns the text output of
// the last one (or its error).
func textOf(t *testing.T, cmds ...string) (string, *Error) {
	t.Helper()
	x := newTestExecutor(t)
	mustExec(t, x, cmds[:len(cmds)-1]...)
	r := x.Exec(cmds[len(cmds)-1])
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String(), r.Err
}

// VPP's CLI (vlib_cli_sub_command_match) selects a command word by a
// unique prefix: `sh sess`, `sho app ns`, `sess en` work; a prefix two
// words share (`s`: session, set, show) selects nothing, unless it is one
// of them exactly (`ip` among ip and ip6). Arguments are not abbreviated.
func TestReviewCommandWordPrefixes(t *testing.T) {
	enable := "session enable rt-backend rule-table"
	cases := []struct {
		name, line, path, errSub string
	}{
		{"sh sess", "sh sess", "show session", ""},
		{"sho app ns", "sho app ns", "show app ns", ""},
		{"show session r", "sh session r tcp", "show session rules", ""},
		{"sess rul", "sess rul add proto tcp 1.2.3.4/16 1 5.6.7.8/16 2 action 1", "session rule", ""},
		{"ambiguous s", "s sess", "", "unknown input `s'"},
		{"ambiguous app", "app c x", "", "unknown input `c'"},
		{"exact among prefixes", "set int ip table loop9 0", "set interface ip table", "unknown interface"},
		{"case sensitive", "SHOW session", "", "unknown input `SHOW'"},
		{"longer than the word", "showx session", "", "unknown input `showx'"},
		{"arguments stay exact", "show session verb", "show session", "unknown input `verb'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := newTestExecutor(t)
			mustExec(t, x, enable)
			r := x.Exec(c.line)
			if r.Path != c.path {
				t.Errorf("%q selected %q, want %q", c.line, r.Path, c.path)
			}
			switch {
			case c.errSub == "" && r.Err != nil:
				t.Errorf("%q: %v", c.line, r.Err)
			case c.errSub != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), c.errSub)):
				t.Errorf("%q: error %v, want one containing %q", c.line, r.Err, c.errSub)
			}
		})
	}
}

// VPP's show_app_ns_fn: `api-clients` prints the namespace's socket
// ("socket: <name>", then a table only when apps are connected through
// it, which never happens here) and needs `id`; an unknown id with `id`
// alone is "ns <id> not found".
func TestReviewShowAppNsAPIClients(t *testing.T) {
	enable := "session enable rt-backend rule-table"
	add := "app ns add id blue secret 4 ip4-fib-id 0 sock-name blue.sock"
	cases := []struct {
		name   string
		cmds   []string
		out    string
		errSub string
	}{
		{"socket", []string{enable, add, "show app ns id blue api-clients"}, "socket: blue.sock\n", ""},
		{"keyword first", []string{enable, add, "show app ns api-clients id blue"}, "socket: blue.sock\n", ""},
		{"no id", []string{enable, "show app ns api-clients"}, "", "must specify a table for api"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := textOf(t, c.cmds...)
			switch {
			case c.errSub == "" && err != nil:
				t.Fatalf("%v", err)
			case c.errSub != "" && (err == nil || !strings.Contains(err.Error(), c.errSub)):
				t.Fatalf("error %v, want one containing %q", err, c.errSub)
			}
			if c.errSub == "" && out != c.out {
				t.Errorf("output %q, want %q", out, c.out)
			}
		})
	}
}
