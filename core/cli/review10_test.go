package cli

import (
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/core/session"
)

// Conformance review of spec §10 items 5 and 11 at the CLI.

// TestReview10PlainSessionEnable: §10 item 5 — VPP's CLI `session enable`
// without rt-backend enables no rules engine (rule adds fail NOSUPPORT);
// sessionlab follows the wiki's design instead (modelling decision): the
// rule-table engine, with a warning naming the VPP spelling, so rules
// work. Enabling again with another engine fails until disabled, as in VPP.
func TestReview10PlainSessionEnable(t *testing.T) {
	x := newTestExecutor(t)
	r := mustExec(t, x, "session enable")
	if on, e := x.l.Enabled(); !on || e != session.EngineRuleTable {
		t.Fatalf("plain session enable: enabled %v engine %s, want the rule-table engine", on, e)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "session enable rt-backend rule-table") {
		t.Fatalf("warnings %q: want one naming `session enable rt-backend rule-table`", r.Warnings)
	}
	mustExec(t, x, "session rule add proto tcp 0.0.0.0/0 0 10.0.0.0/8 0 action drop scope all",
		"session enable rt-backend rule-table") // same engine: nothing to do
	if r := x.Exec("session enable rt-backend sdl"); r.OK() {
		t.Fatal("switching engines without a disable must fail")
	}
}

// TestReview10NoNetns: §10 item 11 — namespaces keep no netns; VPP's
// `app ns` CLI has no netns word (only the v3 binary API folds a netns into
// an abstract socket name, and sessionlab has no binary API).
func TestReview10NoNetns(t *testing.T) {
	x := newTestExecutor(t)
	mustExec(t, x, "session enable rt-backend rule-table")
	r := x.Exec("app ns add id blue secret 4 ip4-fib-id 0 netns red")
	if r.OK() || !strings.Contains(r.Err.Error(), "unknown input `netns") {
		t.Fatalf("netns: %v, want unknown input `netns'", r.Err)
	}
}
