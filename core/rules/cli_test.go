package rules

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParseCommand(t *testing.T) {
	for _, c := range []struct {
		line string
		want Command
		str  string // canonical form; "" = line itself
	}{
		{
			line: "session rule add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 4321 action 5",
			want: Command{Op: OpAdd, HasTuple: true, Rule: Rule{Proto: ProtoTCP, Lcl: pfx("1.2.3.4/16"), LclPort: 1234, Rmt: pfx("5.6.7.8/16"), RmtPort: 4321, Action: 5}},
		},
		{
			line: "session rule add appns ns1 proto udp 0.0.0.0/0 0 10.0.0.0/8 53 action drop tag dns scope local",
			want: Command{Op: OpAdd, AppNS: "ns1", HasTuple: true, Rule: Rule{Proto: ProtoUDP, Lcl: pfx("0.0.0.0/0"), Rmt: pfx("10.0.0.0/8"), RmtPort: 53, Action: ActionDrop, Tag: "dns", Scope: ScopeLocal}},
			str:  "session rule add appns ns1 proto udp 0.0.0.0/0 0 10.0.0.0/8 53 action 4294967294 tag dns scope local",
		},
		{
			// keywords in any order, numeric actions as VPP encodes them,
			// negative numbers as VPP's %d reads them
			line: "add scope all action -3 ::/0 0 2001:db8::/32 443 proto tcp",
			want: Command{Op: OpAdd, HasTuple: true, Rule: Rule{Proto: ProtoTCP, Lcl: pfx("::/0"), Rmt: pfx("2001:db8::/32"), RmtPort: 443, Action: ActionAllow, Scope: ScopeAll}},
			str:  "session rule add proto tcp ::/0 0 2001:db8::/32 443 action 4294967293 scope all",
		},
		{
			line: "add proto tcp 1.1.1.1/32 1 2.2.2.2/32 2 action 4294967294",
			want: Command{Op: OpAdd, HasTuple: true, Rule: Rule{Proto: ProtoTCP, Lcl: pfx("1.1.1.1/32"), LclPort: 1, Rmt: pfx("2.2.2.2/32"), RmtPort: 2, Action: ActionDrop}},
			str:  "session rule add proto tcp 1.1.1.1/32 1 2.2.2.2/32 2 action 4294967294",
		},
		{
			line: "session rule del proto tcp tag web",
			want: Command{Op: OpDel, Rule: Rule{Proto: ProtoTCP, Tag: "web"}},
		},
		{
			line: "session rule del proto udp 1.2.3.4/24 0 5.6.7.8/24 0",
			want: Command{Op: OpDel, HasTuple: true, Rule: Rule{Proto: ProtoUDP, Lcl: pfx("1.2.3.4/24"), Rmt: pfx("5.6.7.8/24")}},
		},
		{
			// VPP: no verb means add
			line: "session rule proto tcp 1.2.3.4/16 1 5.6.7.8/16 2 action 0",
			want: Command{Op: OpAdd, HasTuple: true, Rule: Rule{Proto: ProtoTCP, Lcl: pfx("1.2.3.4/16"), LclPort: 1, Rmt: pfx("5.6.7.8/16"), RmtPort: 2}},
			str:  "session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 2 action 0",
		},
	} {
		got, err := ParseCommand(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q:\n got %+v\nwant %+v", c.line, got, c.want)
		}
		str := c.str
		if str == "" {
			str = c.line
		}
		if got.String() != str {
			t.Errorf("%q: String() = %q, want %q", c.line, got.String(), str)
		}
		again, err := ParseCommandArgs(strings.Fields(got.String()))
		if err != nil || again != got {
			t.Errorf("%q: round trip %+v, %v", c.line, again, err)
		}
	}
}

func TestParseCommandErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"session rule add proto tcp 1.2.3.4/16 70000 5.6.7.8/16 1 action 1", `column 39: "70000": port 70000 above 65535`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 -1 action 1", `"-1": bad port`},
		{"session rule add proto tcp 1.2.3.4/33 1 5.6.7.8/16 1 action 1", `column 28: "1.2.3.4/33": prefix length 33 out of range 0-32`},
		{"session rule add proto tcp ::/129 1 ::/0 1 action 1", `"::/129": prefix length 129 out of range 0-128`},
		{"session rule add proto tcp 1.2.3.4/x 1 5.6.7.8/16 1 action 1", `"1.2.3.4/x": bad prefix length "x"`},
		{"session rule add proto tcp 1.2.3/16 1 5.6.7.8/16 1 action 1", `"1.2.3/16": bad IP address "1.2.3"`},
		{"session rule add proto tcp 1.2.3.4 1 5.6.7.8/16 1 action 1", `"1.2.3.4": want <ip>/<prefix length>`},
		{"session rule add proto tcp 1.2.3.4/16 1 ::/0 1 action 1", `"::/0": address family differs`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16", `"5.6.7.8/16": missing <rmt-port> after it`},
		{"session rule add 1.2.3.4/16 1 5.6.7.8/16 1 action 1", "missing proto"},
		{"session rule add proto sctp 1.2.3.4/16 1 5.6.7.8/16 1 action 1", `"sctp": unknown transport protocol`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 1 action 1 tag " + strings.Repeat("x", 65), "tag too long (65 bytes, max 64)"},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 1 action 1 scope both", `"both": unknown scope`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 1 action forward", `"forward": bad action`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 1 action 4294967296", `"4294967296": action out of range`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 1", "add needs action"},
		{"session rule add proto tcp action 1", "add needs <lcl-ip/plen>"},
		{"session rule del proto tcp", "del needs"},
		{"session rule add proto tcp proto udp 1.2.3.4/16 1 5.6.7.8/16 1 action 1", `column 28: "proto": given twice`},
		{"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 1 action 1 bogus", `"bogus": unknown input`},
		{"session rule add proto", `"proto": missing tcp or udp after it`},
		{"session rules add", `"rules": want "rule" after "session"`},
		{"session", `want "session rule ..."`},
		{"session rule add proto tcp fe80::1%eth0/64 1 ::/0 1 action 1", "bad IP address"},
	} {
		_, err := ParseCommand(c.line)
		var se *SyntaxError
		if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.line, err, c.want)
		}
	}
}

func TestParseShowCommand(t *testing.T) {
	for _, c := range []struct {
		line string
		want ShowCommand
	}{
		{"show session rules tcp", ShowCommand{Proto: ProtoTCP, HasProto: true}},
		{"show session rules", ShowCommand{}},
		{"proto udp appns ns1 scope local", ShowCommand{Proto: ProtoUDP, HasProto: true, AppNS: "ns1", Scope: ScopeLocal}},
		{"show session rules tcp 1.2.3.4/32 1234 5.6.7.8/32 4321 scope global", ShowCommand{Proto: ProtoTCP, HasProto: true, Scope: ScopeGlobal,
			HasTuple: true, Lcl: pfx("1.2.3.4/32"), LclPort: 1234, Rmt: pfx("5.6.7.8/32"), RmtPort: 4321}},
	} {
		got, err := ParseShowCommand(c.line)
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.line, got, err, c.want)
		}
		if again, err := ParseShowCommandArgs(strings.Fields(c.line)); err != nil || again != got {
			t.Errorf("%q: args form %+v, %v", c.line, again, err)
		}
	}
	for _, c := range []struct{ line, want string }{
		{"show session rules tcp scope all", `"all": unknown scope (want global or local)`},
		{"show session rules tcp udp", `"udp": given twice`},
		{"show session rules tcp 1.2.3.4/32 99999 5.6.7.8/32 1", `"99999": port 99999 above 65535`},
		{"show session rules verbose", `"verbose": unknown input`},
		{"show session rules appns", `missing namespace id`},
	} {
		if _, err := ParseShowCommand(c.line); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.line, err, c.want)
		}
	}
}

// TestListing checks `show session rules` output against a golden file. The
// table is the end state of VPP's rule-table test plus tagged IPv6 rules.
func TestListing(t *testing.T) {
	tt := NewTransportTable(ProtoTCP, false)
	for _, line := range []string{
		"add proto tcp 1.2.3.4/16 1234 5.6.7.8/16 4321 action 1",
		"add proto tcp 1.2.3.4/24 1234 5.6.7.8/16 4321 action 2",
		"add proto tcp 1.2.3.4/24 1234 5.6.7.8/24 4321 action 3",
		"add proto tcp 2.2.2.2/24 1234 6.6.6.6/16 4321 action drop tag two",
		"add proto tcp 0.0.0.0/0 0 0.0.0.0/0 80 action allow",
		"add proto tcp 1.2.0.0/16 0 5.6.0.0/16 0 action 8",
		"del proto tcp 1.2.3.4/24 1234 5.6.7.8/16 4321",
		"add proto tcp ::/0 0 2001:db8::/32 443 action 4294967295 tag v6none",
		"add proto tcp 2001:db8::1/128 22 2001:db8:1::/48 0 action 3",
	} {
		c, err := ParseCommand(line)
		if err != nil {
			t.Fatal(err)
		}
		if c.Op == OpAdd {
			err = tt.Add(c.Rule)
		} else {
			err = tt.Del(c.Rule)
		}
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	var b bytes.Buffer
	if err := tt.WriteListing(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString("--- show session rules tcp 1.2.3.4/32 1234 5.6.7.8/32 4321\n")
	b.WriteString(FormatRule(tt.Table(true).ShowMatch(ip("1.2.3.4"), ip("5.6.7.8"), 1234, 4321)) + "\n")
	golden(t, "listing.golden", b.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}
