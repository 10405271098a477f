package ruleline

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/core/rules"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Line
	}{
		{"session rule add proto tcp 0.0.0.0/0 0 192.168.66.0/24 0 action 4294967294 tag block-66",
			Line{Add: true, Rule: rules.Rule{Lcl: netip.MustParsePrefix("0.0.0.0/0"), Rmt: netip.MustParsePrefix("192.168.66.0/24"),
				Proto: rules.ProtoTCP, Action: rules.ActionDrop, Tag: "block-66"}}},
		{"session rule add appns blue proto tcp 0.0.0.0/0 0 10.9.0.0/16 0 action 4294967294 scope local tag no-10-9",
			Line{Add: true, AppNs: "blue", Rule: rules.Rule{Lcl: netip.MustParsePrefix("0.0.0.0/0"), Rmt: netip.MustParsePrefix("10.9.0.0/16"),
				Proto: rules.ProtoTCP, Action: rules.ActionDrop, Tag: "no-10-9", Scope: rules.ScopeLocal}}},
		// Options in any order, IPv6, ports, default action (app 0).
		{"session rule scope all proto udp fd00::/64 53 ::/0 0 add",
			Line{Add: true, Rule: rules.Rule{Lcl: netip.MustParsePrefix("fd00::/64"), LclPort: 53, Rmt: netip.MustParsePrefix("::/0"),
				Proto: rules.ProtoUDP, Scope: rules.ScopeAll}}},
		{"session rule del proto tcp tag x", Line{Rule: rules.Rule{Proto: rules.ProtoTCP, Tag: "x"}}},
	} {
		got, err := Parse(tc.line)
		if err != nil {
			t.Errorf("%q: %v", tc.line, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.line, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		line string
		col  int
		msg  string
	}{
		{"rule add", 1, "want `session rule"},
		{"session rule add proto icmp 0.0.0.0/0 0 0.0.0.0/0 0", 24, "tcp and udp only"},
		{"session rule add proto tcp 0.0.0.0/0 70000 0.0.0.0/0 0", 38, "port"},
		{"session rule add proto tcp 0.0.0.0/0 0 ::/0 0", 40, "different address families"},
		{"session rule add proto tcp 0.0.0.0/0 0 0.0.0.0/0 0 action drop", 59, "want a number"},
		{"session rule add 0.0.0.0/0 0 0.0.0.0/0 0", 41, "proto must be set"},
		{"session rule add proto tcp", 27, "needs a connection"},
		{"session rule del proto tcp", 27, "connection or tag"},
		{"session rule add proto tcp bogus", 28, "unknown input"},
		{"session rule add proto tcp 0.0.0.0/0 0 0.0.0.0/0 0 scope", 57, "scope needs"},
		{"session rule add proto tcp 0.0.0.0/0 0 0.0.0.0/0 0 tag " + strings.Repeat("x", 65), 56, "longer than"},
	} {
		_, err := Parse(tc.line)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v, want an *Error", tc.line, err)
			continue
		}
		if e.Col != tc.col || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("%q: column %d %q, want column %d containing %q", tc.line, e.Col, e.Msg, tc.col, tc.msg)
		}
	}
}
