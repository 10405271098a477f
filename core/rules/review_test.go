package rules

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Conformance review of spec §4.2-4.7 with the fixes of
// modelling-decisions.md, written from the spec and VPP's mma_template.c /
// session_rules_table.c rather than from this package's code.

// kids returns the children of rule index i of the table of is4.
func kids(tt *TransportTable, is4 bool, i uint32) string {
	ri, ok := tt.Table(is4).Rule(i)
	if !ok {
		return "missing"
	}
	return fmt.Sprint(ri.Children)
}

// TestReviewPlacement: VPP's add_rule loop (§4.4 step 4): walking the
// parent's children in order, the new rule takes the place of the first child
// it contains, or goes before the first child it does not contain that sorts
// after it, or last; contained children move under it in order. Ties sort
// after the existing rule.
func TestReviewPlacement(t *testing.T) {
	t.Run("placed at the first adopted child even when it sorts last", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "1.0.0.0/8", 0, 1))  // 1
		c.add(rule("0.0.0.0/0", 0, "2.0.0.0/8", 80, 2)) // 2
		c.add(rule("0.0.0.0/0", 0, "3.0.0.0/8", 0, 3))  // 3
		// Contains only rule 2 (port 80), sorts after all (max rmt = /0's).
		c.add(rule("0.0.0.0/0", 0, "0.0.0.0/0", 80, 4)) // 4
		if got := kids(c.tt, true, 0); got != "[1 4 3]" {
			t.Fatalf("root children %s, want [1 4 3]", got)
		}
		if got := kids(c.tt, true, 4); got != "[2]" {
			t.Fatalf("rule 4 children %s, want [2]", got)
		}
		// Depth first: rule 4 comes before rule 3 and decides port 80.
		c.lookup("9.9.9.9", 1, "3.1.1.1", 80, 4)
		c.lookup("9.9.9.9", 1, "3.1.1.1", 81, 3)
		c.lookup("9.9.9.9", 1, "2.1.1.1", 80, 2)
	})
	t.Run("equal upper bounds keep insertion order", func(t *testing.T) {
		// Neither contains the other; both end at 10.255.255.255 /
		// 255.255.255.255 with wildcard ports.
		a := rule("128.0.0.0/1", 0, "10.0.0.0/8", 0, 1)
		b := rule("0.0.0.0/0", 0, "10.128.0.0/9", 0, 2)
		for _, order := range [][2]Rule{{a, b}, {b, a}} {
			c := newChecked(t)
			c.add(order[0])
			c.add(order[1])
			if got := kids(c.tt, true, 0); got != "[1 2]" {
				t.Fatalf("root children %s, want [1 2] (a tie goes after)", got)
			}
			// Both match this key; the first sibling wins.
			c.lookup("200.0.0.1", 1, "10.200.0.1", 2, order[0].Action)
		}
	})
	t.Run("sort keys: rmt, lcl, rmt port, lcl port", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "5.0.0.0/8", 0, 1))      // 1: rmt max 5.255.255.255
		c.add(rule("1.0.0.0/8", 0, "0.0.0.0/0", 0, 2))      // 2: rmt max all, lcl 1.255...
		c.add(rule("0.0.0.0/0", 7, "0.0.0.0/0", 9, 3))      // 3: rmt max all, lcl all, rport 9
		c.add(rule("0.0.0.0/0", 8, "0.0.0.0/0", 0, 4))      // 4: rport wild, lport 8
		c.add(rule("0.0.0.0/0", 0, "4.0.0.0/8", 0, 5))      // 5: before 1
		c.add(rule("2.0.0.0/8", 0, "255.0.0.0/8", 0, 6))    // 6: rmt max all, lcl 2.255 -> after 2
		c.add(rule("0.0.0.0/0", 6, "255.255.0.0/16", 9, 7)) // 7: ties 3 on addresses, rport 9, lport 6 < 7
		if got := kids(c.tt, true, 0); got != "[5 1 2 6 7 3 4]" {
			t.Fatalf("root children %s, want [5 1 2 6 7 3 4]", got)
		}
	})
	t.Run("parent is the first containing child", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 1)) // 1
		c.add(rule("0.0.0.0/0", 0, "0.0.0.0/0", 80, 2)) // 2: overlaps 1, contains neither
		// Contained by both 1 and 2; 1 comes first.
		c.add(rule("0.0.0.0/0", 0, "10.1.0.0/16", 80, 3))
		if got := kids(c.tt, true, 1); got != "[3]" {
			t.Fatalf("rule 1 children %s, want [3]", got)
		}
		if got := kids(c.tt, true, 2); got != "[]" {
			t.Fatalf("rule 2 children %s, want none", got)
		}
	})
}

// TestReviewReplaceAndTags: §4.6: replace keeps the rule (index, children),
// changes the action and the tag (an empty tag untags it); an add naming a tag
// in use fails INVALID, even for the same rule; tags are shared by v4 and v6
// of a transport table but not between transport tables or groups.
func TestReviewReplaceAndTags(t *testing.T) {
	tt := NewTransportTable(ProtoTCP, false)
	add := func(r Rule, tag string, want error) {
		t.Helper()
		r.Tag = tag
		if err := tt.Add(r); err != want {
			t.Fatalf("add %v: %v, want %v", r, err, want)
		}
	}
	wide := rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 1)
	narrow := rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, 2)
	add(narrow, "n", nil)
	add(wide, "w", nil) // adopts narrow
	add(rule("0.0.0.0/0", 0, "10.9.9.9/8", 0, ActionDrop), "w2", nil)
	v4 := tt.Table(true)
	ri, _ := v4.Rule(2)
	if tt.Len() != 2 || ri.Rule.Action != ActionDrop || ri.Rule.Tag != "w2" || fmt.Sprint(ri.Children) != "[1]" {
		t.Fatalf("replace: %d rules, rule 2 = %+v", tt.Len(), ri)
	}
	add(wide, "w2", ErrTagInUse)                                  // same rule, same tag
	add(rule("::/0", 0, "2001:db8::/32", 0, 1), "n", ErrTagInUse) // other family
	add(wide, "", nil)                                            // untag
	if ri, _ := v4.Rule(2); ri.Rule.Tag != "" || ri.Rule.Action != 1 {
		t.Fatalf("replace without tag: %+v", ri.Rule)
	}
	add(rule("::/0", 0, "2001:db8::/32", 0, 1), "w2", nil) // w2 was freed
	// UDP and a local group have tags of their own.
	udp := rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 1)
	udp.Proto, udp.Tag = ProtoUDP, "n"
	g := NewGroup(false)
	if err := g.Add(udp); err != nil {
		t.Fatalf("udp tag n: %v", err)
	}
	loc := NewGroup(true)
	r := narrow
	r.Tag = "n"
	if err := loc.Add(r); err != nil {
		t.Fatalf("local tag n: %v", err)
	}
	// Delete by tag ignores the 5-tuple given with it, whatever its family.
	if err := tt.Del(Rule{Proto: ProtoTCP, Tag: "w2", Lcl: pfx("1.0.0.0/8"), Rmt: pfx("2.0.0.0/8")}); err != nil {
		t.Fatal(err)
	}
	if tt.Table(false).Len() != 0 || tt.Len() != 2 {
		t.Fatalf("delete by tag: v6 %d, total %d", tt.Table(false).Len(), tt.Len())
	}
	// Delete by 5-tuple of a tagged rule frees its tag.
	if err := tt.Del(narrow); err != nil {
		t.Fatal(err)
	}
	add(wide, "n", nil)
	// Deleting what is not there succeeds and changes nothing.
	for _, d := range []Rule{
		rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, 0),
		{Proto: ProtoTCP, Tag: "nope"},
		rule("::/0", 0, "2001:db8::/48", 0, 0),
	} {
		if err := tt.Del(d); err != nil || tt.Len() != 1 {
			t.Fatalf("del missing %v: %v, %d rules", d, err, tt.Len())
		}
	}
}

// TestReviewDeleteSplice: §4.5: the deleted rule's children take its place,
// in order, between its siblings; its index is reused first.
func TestReviewDeleteSplice(t *testing.T) {
	c := newChecked(t)
	c.add(rule("0.0.0.0/0", 0, "1.0.0.0/8", 0, 1))   // 1
	c.add(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 2))  // 2
	c.add(rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, 3)) // 3 under 2
	c.add(rule("0.0.0.0/0", 0, "10.2.0.0/16", 0, 4)) // 4 under 2
	c.add(rule("0.0.0.0/0", 0, "20.0.0.0/8", 0, 5))  // 5
	c.add(rule("0.0.0.0/0", 0, "10.2.3.0/24", 0, 6)) // 6 under 4
	c.del(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 0))
	if got := kids(c.tt, true, 0); got != "[1 3 4 5]" {
		t.Fatalf("root children %s, want [1 3 4 5]", got)
	}
	if got := kids(c.tt, true, 4); got != "[6]" {
		t.Fatalf("rule 4 children %s, want [6]", got)
	}
	c.lookup("9.9.9.9", 1, "10.3.0.1", 2, ActionNone)
	c.add(rule("0.0.0.0/0", 0, "30.0.0.0/8", 0, 7))
	if ri, ok := c.tt.Table(true).Rule(2); !ok || ri.Rule.Action != 7 {
		t.Fatalf("freed index 2 not reused: %+v", ri)
	}
}

// TestReviewNormaliseAndLocal: prefixes lose their host bits (§4.2); a local
// table stores every rule with lcl 0/0 and lcl port 0 (§4.7 step 3), so
// rules that differ only on the local side are one rule there.
func TestReviewNormaliseAndLocal(t *testing.T) {
	g := NewGroup(true)
	tt := g.Transport(ProtoTCP)
	for _, r := range []Rule{
		rule("1.2.3.4/32", 1234, "5.6.7.8/16", 4321, 1),
		rule("9.9.9.9/8", 99, "5.6.255.255/16", 4321, 2), // same after zeroing: replaces
		rule("2001:db8::1/128", 5, "2001:db8:ffff::1/32", 0, 3),
	} {
		if err := g.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := tt.WriteListing(&b); err != nil {
		t.Fatal(err)
	}
	want := `tcp rules table
IP4 rules
[0] rule: 0.0.0.0/0 0 0.0.0.0/0 0 action: -1 tag: none
    children: 1 
[1] rule: 0.0.0.0/0 0 5.6.0.0/16 4321 action: 2 tag: none
IP6 rules
[0] rule: ::/0 0 ::/0 0 action: -1 tag: none
    children: 1 
[1] rule: ::/0 0 2001:db8::/32 0 action: 3 tag: none
`
	if b.String() != want {
		t.Fatalf("local listing:\n%s\nwant:\n%s", b.String(), want)
	}
	if ri, _ := tt.Table(true).Rule(1); ri.Rule.Scope != ScopeLocal {
		t.Fatalf("local rule scope %v", ri.Rule.Scope)
	}
	// Any lcl side deletes it.
	if err := g.Del(rule("7.7.7.7/32", 7, "5.6.0.0/16", 4321, 0)); err != nil || tt.Len() != 1 {
		t.Fatalf("local delete: %v, %d left", err, tt.Len())
	}
}

// TestReviewListingActions: `show session rules` prints action_index with
// VPP's %d (a signed int): drop -2, allow -3, none -1, app indices as they
// are (those at 2^31 and above wrap negative too), the tag or "none", and a
// children line with a trailing blank.
func TestReviewListingActions(t *testing.T) {
	for _, c := range []struct {
		a    Action
		want string
	}{
		{0, "action: 0 "}, {7, "action: 7 "}, {ActionDrop, "action: -2 "}, {ActionAllow, "action: -3 "},
		{ActionNone, "action: -1 "}, {1<<31 - 1, "action: 2147483647 "}, {1 << 31, "action: -2147483648 "},
	} {
		ri := RuleInfo{Index: 3, Rule: rule("1.2.3.0/24", 1, "5.6.7.0/24", 2, c.a)}
		s := FormatRule(ri)
		if !strings.Contains(s, c.want) || !strings.HasPrefix(s, "[3] rule: 1.2.3.0/24 1 5.6.7.0/24 2 action: ") || !strings.HasSuffix(s, " tag: none") {
			t.Errorf("action %d: %q, want %q", uint32(c.a), s, c.want)
		}
	}
	ri := RuleInfo{Index: 0, Rule: rule("0.0.0.0/0", 0, "0.0.0.0/0", 0, ActionNone), Children: []uint32{4, 2}}
	ri.Rule.Tag = "t"
	if s := FormatRule(ri); s != "[0] rule: 0.0.0.0/0 0 0.0.0.0/0 0 action: -1 tag: t\n    children: 4 2 " {
		t.Errorf("children line: %q", s)
	}
}

// TestReviewCLIActions: CLI actions are VPP's encodings (drop 4294967294,
// allow 4294967293, app indices), read as %d reads them, plus the names.
func TestReviewCLIActions(t *testing.T) {
	for _, c := range []struct {
		tok  string
		want Action
		ok   bool
	}{
		{"0", 0, true}, {"12", 12, true}, {"4294967294", ActionDrop, true}, {"4294967293", ActionAllow, true},
		{"-2", ActionDrop, true}, {"-3", ActionAllow, true}, {"-1", ActionNone, true}, {"drop", ActionDrop, true},
		{"allow", ActionAllow, true}, {"-2147483648", 1 << 31, true}, {"-2147483649", 0, false},
		{"4294967296", 0, false}, {"0x10", 0, false}, {"", 0, false},
	} {
		cmd, err := ParseCommand("session rule add proto tcp 1.2.3.4/32 1 5.6.7.8/32 2 action " + c.tok)
		if c.tok == "" {
			if err == nil {
				t.Errorf("action without a value accepted")
			}
			continue
		}
		if (err == nil) != c.ok || (c.ok && cmd.Rule.Action != c.want) {
			t.Errorf("action %q: %v, %v; want %v ok=%v", c.tok, cmd.Rule.Action, err, c.want, c.ok)
		}
	}
}

// TestReviewCLIErrors: what VPP's `session rule` refuses (or the documented
// sessionlab refusals) is a SyntaxError.
func TestReviewCLIErrors(t *testing.T) {
	const tuple = " 1.2.3.4/16 1 5.6.7.8/16 2 "
	for _, line := range []string{
		"session rule add proto tcp" + tuple + "action 1 tag a tag b",
		"session rule add proto tcp" + tuple + "action 1 action 2",
		"session rule add proto tcp" + tuple + "action 1 scope",
		"session rule add proto tcp" + tuple + "action 1 scope global scope local",
		"session rule add appns",
		"session rule add appns a appns b proto tcp" + tuple + "action 1",
		"session rule add del proto tcp" + tuple,
		"session rule add proto tcp" + tuple + "1.2.3.4/16 1 5.6.7.8/16 2 action 1",
		"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 65536 action 1",
		"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 +2 action 1",
		"session rule add proto tcp 1.2.3.4/-1 1 5.6.7.8/16 2 action 1",
		"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8 2 action 1",
		"session rule add proto tcp 1.2.3.4/16 1 5.6.7.8/16 2 action 1 scope 1",
		"session rule add proto udp",
		"session rule del",
	} {
		_, err := ParseCommand(line)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v, want a SyntaxError", line, err)
		}
	}
	// And what it accepts.
	for _, line := range []string{
		"session rule del proto udp" + tuple + "tag x",
		"session rule add proto TCP" + tuple + "action 0 tag " + strings.Repeat("t", MaxTagLen),
		"session rule add proto tcp ::/0 0 ::1/128 443 action allow scope all",
	} {
		if _, err := ParseCommand(line); err != nil {
			t.Errorf("%q: %v", line, err)
		}
	}
}
