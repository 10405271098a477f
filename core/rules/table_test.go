package rules

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }

func rule(lcl string, lport uint16, rmt string, rport uint16, a Action) Rule {
	return Rule{Lcl: pfx(lcl), LclPort: lport, Rmt: pfx(rmt), RmtPort: rport, Proto: ProtoTCP, Action: a}
}

// checked applies operations to a TransportTable and to the reference, and
// checks after each that both agree on the whole tree.
type checked struct {
	t   *testing.T
	tt  *TransportTable
	ref *refTransport
}

func newChecked(t *testing.T) *checked {
	return &checked{t: t, tt: NewTransportTable(ProtoTCP, false), ref: newRefTransport(ProtoTCP)}
}

func (c *checked) add(r Rule) {
	c.t.Helper()
	if err := c.tt.Add(r); err != nil {
		c.t.Fatalf("add %v: %v", r, err)
	}
	nr, _ := r.Normalize()
	if err := c.ref.add(nr); err != nil {
		c.t.Fatalf("reference add %v: %v", r, err)
	}
	c.same()
}

func (c *checked) del(r Rule) {
	c.t.Helper()
	if err := c.tt.Del(r); err != nil {
		c.t.Fatalf("del %v: %v", r, err)
	}
	nr, _ := r.Normalize()
	c.ref.del(nr, true)
	c.same()
}

func (c *checked) same() {
	c.t.Helper()
	h := &harness{t: c.t, tt: c.tt, ref: c.ref}
	h.checkStructure()
}

func (c *checked) lookup(lcl string, lport uint16, rmt string, rport uint16, want Action) {
	c.t.Helper()
	h := &harness{t: c.t, tt: c.tt, ref: c.ref}
	h.checkKey(ip(lcl), ip(rmt), lport, rport) // fast == tree == reference
	if got := c.tt.Lookup(ip(lcl), ip(rmt), lport, rport); got != want {
		c.t.Fatalf("lookup %s:%d <- %s:%d = %v, want %v", lcl, lport, rmt, rport, got, want)
	}
}

// TestVPPRuleTable replays session_test_rule_table of VPP's
// src/plugins/unittest/session_test.c: /16 vs /24 most specific matches,
// overwrite, wildcard ports, deletes restoring less specific actions.
func TestVPPRuleTable(t *testing.T) {
	for _, fam := range []struct {
		name string
		p    func(a string, l int) string
		a    func(a string) string
	}{
		{"ip4", func(a string, l int) string { return netip.PrefixFrom(ip(a), l).String() }, func(a string) string { return a }},
		{"ip6", func(a string, l int) string { return netip.PrefixFrom(v4in6(a), 96+l).String() }, func(a string) string { return v4in6(a).String() }},
	} {
		t.Run(fam.name, func(t *testing.T) {
			c := newChecked(t)
			p, a := fam.p, fam.a
			add := func(lcl string, ll int, lp uint16, rmt string, rl int, rp uint16, act Action) {
				c.add(rule(p(lcl, ll), lp, p(rmt, rl), rp, act))
			}
			del := func(lcl string, ll int, lp uint16, rmt string, rl int, rp uint16) {
				c.del(rule(p(lcl, ll), lp, p(rmt, rl), rp, 0))
			}
			look := func(lcl string, lp uint16, rmt string, rp uint16, want Action) {
				t.Helper()
				c.lookup(a(lcl), lp, a(rmt), rp, want)
			}
			add("1.2.3.4", 16, 1234, "5.6.7.8", 16, 4321, 1)
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 1)
			add("1.2.3.4", 24, 1234, "5.6.7.8", 16, 4321, 2)
			add("1.2.3.4", 24, 1234, "5.6.7.8", 24, 4321, 3)
			add("2.2.2.2", 24, 1234, "6.6.6.6", 16, 4321, 4)
			add("3.3.3.3", 24, 1234, "7.7.7.7", 16, 4321, 5)
			add("3.3.3.3", 24, 1234, "7.7.7.7", 16, 4321, 6) // overwrite
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 3)
			look("1.2.2.4", 1234, "5.6.7.9", 4321, 1)
			look("3.3.3.3", 1234, "7.7.7.7", 4321, 6)
			add("1.2.3.4", 24, 0, "5.6.7.8", 24, 0, 7)
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 7)
			look("1.2.3.4", 1235, "5.6.7.8", 4321, 7)
			del("1.2.3.4", 24, 0, "5.6.7.8", 24, 0)
			add("1.2.3.4", 16, 0, "5.6.7.8", 16, 0, 8)
			add("1.2.3.4", 24, 1235, "5.6.7.8", 24, 4321, 9)
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 3)
			look("1.2.3.4", 1235, "5.6.7.8", 4321, 9)
			look("1.2.3.4", 1235, "5.6.7.8", 4322, 8)
			del("1.2.0.0", 16, 1234, "5.6.0.0", 16, 4321)
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 3)
			del("1.2.0.0", 16, 0, "5.6.0.0", 16, 0)
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 3)
			del("1.2.3.4", 24, 1234, "5.6.7.8", 24, 4321)
			look("1.2.3.4", 1234, "5.6.7.8", 4321, 2)
		})
	}
}

func v4in6(a string) netip.Addr {
	b := ip(a).As4()
	return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: b[0], 13: b[1], 14: b[2], 15: b[3]})
}

// TestVPPRules replays the table-level part of session_test_rules: a rule
// added with scope all lands in the global table and, with its local side
// zeroed, in the local one; a drop rule is masked by a more specific allow;
// local rules see only the remote side; tags are added, overwritten and
// deleted by tag.
func TestVPPRules(t *testing.T) {
	global, local := NewGroup(false), NewGroup(true)
	addBoth := func(r Rule) {
		t.Helper()
		if r.Scope.Global() {
			if err := global.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		if r.Scope.Local() {
			if err := local.Add(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	delBoth := func(r Rule) {
		t.Helper()
		if r.Scope.Global() {
			if err := global.Del(r); err != nil {
				t.Fatal(err)
			}
		}
		if r.Scope.Local() {
			if err := local.Del(r); err != nil {
				t.Fatal(err)
			}
		}
	}
	const server = Action(7)
	g := func(lp uint16) Action { return global.Lookup(ProtoTCP, ip("1.2.3.4"), ip("5.6.7.8"), lp, 4321) }
	l := func(rmt string) Action { return local.Lookup(ProtoTCP, ip("0.0.0.0"), ip(rmt), 0, 4321) }
	expect := func(what string, got, want Action) {
		t.Helper()
		if got != want {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}

	r1 := rule("1.2.3.4/16", 1234, "5.6.7.8/16", 4321, server)
	addBoth(r1)
	expect("global 1234", g(1234), server)
	expect("global 1235", g(1235), ActionNone)
	expect("local (global-only rule)", l("5.6.7.8"), ActionNone)

	r2 := rule("1.2.3.4/16", 0, "5.6.7.8/16", 4321, server)
	r2.Scope = ScopeAll
	addBoth(r2)
	expect("global 1235", g(1235), server)
	expect("local (lcl zeroed)", l("5.6.7.8"), server)

	deny := rule("1.2.3.4/30", 1234, "5.6.7.8/30", 4321, ActionDrop)
	deny.Scope = ScopeAll
	addBoth(deny)
	expect("global deny", g(1234), ActionDrop)
	expect("local deny", l("5.6.7.8"), ActionDrop)
	expect("global 1235 past deny", g(1235), server)

	allow := rule("1.2.3.4/32", 1234, "5.6.7.8/32", 4321, ActionAllow)
	allow.Scope = ScopeAll
	addBoth(allow)
	expect("global allow masks deny", g(1234), ActionAllow)
	expect("local allow masks deny", l("5.6.7.8"), ActionAllow)
	expect("local deny next door", l("5.6.7.9"), ActionDrop)
	delBoth(allow)

	none := rule("0.0.0.0/0", 0, "5.6.7.8/16", 4321, ActionNone)
	none.Scope = ScopeLocal
	addBoth(none)
	// Same match as r2's local form: replaces its action with none.
	expect("local: none-action rule passed over", l("5.6.7.8"), ActionDrop)
	delBoth(deny)
	expect("local after deny deleted", l("5.6.7.8"), ActionNone)
	delBoth(none)
	delBoth(r2)
	expect("local after all deleted", l("5.6.7.8"), ActionNone)
	delBoth(r1)
	expect("global after all deleted", g(1234), ActionNone)

	// Tags: add, overwrite (new tag), delete by tag with another 5-tuple.
	tagged := rule("1.2.3.4/16", 1234, "5.6.7.8/16", 4321, server)
	tagged.Tag = "test_rule"
	addBoth(tagged)
	expect("tagged rule", g(1234), server)
	tagged.Tag = "test_rule_overwrite"
	addBoth(tagged)
	tt := global.Transport(ProtoTCP)
	if ri := tt.Table(true).Rules(); len(ri) != 2 || ri[1].Rule.Tag != "test_rule_overwrite" {
		t.Fatalf("after overwrite: %v", ri)
	}
	bytag := tagged
	bytag.LclPort++
	delBoth(bytag)
	expect("deleted by tag", g(1234), ActionNone)
	if n := tt.Len(); n != 0 {
		t.Fatalf("%d rules left", n)
	}
	// The old tag is free again.
	tagged.Tag = "test_rule"
	addBoth(tagged)
}

// TestSemantics covers spec §4 with the fixes of modelling-decisions.md.
func TestSemantics(t *testing.T) {
	t.Run("normalised", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("10.1.2.3/8", 0, "192.168.7.7/16", 0, 1))
		ri := c.tt.Table(true).Rules()[1]
		if ri.Rule.Lcl != pfx("10.0.0.0/8") || ri.Rule.Rmt != pfx("192.168.0.0/16") {
			t.Fatalf("not normalised: %v", ri.Rule)
		}
		c.add(rule("10.0.0.0/8", 0, "192.168.0.0/16", 0, 2)) // same match: replace
		if n := c.tt.Len(); n != 1 {
			t.Fatalf("%d rules after replace", n)
		}
		c.lookup("10.9.9.9", 1, "192.168.1.1", 2, 2)
	})
	t.Run("containment on whole range", func(t *testing.T) {
		// VPP would nest the /8 under the /24 (its base 10.0.0.0 is inside
		// the /24); here it becomes the /24's parent.
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "10.0.0.0/24", 0, 1))
		c.add(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 2))
		tab := c.tt.Table(true)
		root := tab.Rules()[0]
		if len(root.Children) != 1 || root.Children[0] != 2 {
			t.Fatalf("root children %v, want [2]", root.Children)
		}
		c.lookup("1.1.1.1", 1, "10.5.5.5", 2, 2) // outside the /24: VPP would answer none
		c.lookup("1.1.1.1", 1, "10.0.0.5", 2, 1)
	})
	t.Run("sibling order and adoption", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("1.0.0.0/8", 0, "20.0.0.0/8", 0, 1))
		c.add(rule("1.0.0.0/8", 0, "10.0.0.0/8", 0, 2)) // sorts before the first
		c.add(rule("0.0.0.0/0", 0, "0.0.0.0/1", 80, 3)) // sorts last
		c.add(rule("0.0.0.0/0", 0, "0.0.0.0/1", 0, 4))  // contains all three: adopts them
		root := c.tt.Table(true).Rules()[0]
		if len(root.Children) != 1 || root.Children[0] != 4 {
			t.Fatalf("root children %v, want [4]", root.Children)
		}
		kids := c.tt.Table(true).Rules()[4].Children
		if len(kids) != 3 || kids[0] != 2 || kids[1] != 1 || kids[2] != 3 {
			t.Fatalf("adopted children %v, want [2 1 3]", kids)
		}
		c.lookup("1.1.1.1", 5, "20.1.1.1", 80, 1)
		c.lookup("9.9.9.9", 5, "20.1.1.1", 80, 3)
		c.lookup("9.9.9.9", 5, "20.1.1.1", 81, 4)
	})
	t.Run("none passed over", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, ActionDrop))
		c.add(rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, ActionNone))
		c.lookup("1.1.1.1", 1, "10.1.1.1", 2, ActionDrop)
		c.add(rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, ActionAllow)) // replace none
		c.lookup("1.1.1.1", 1, "10.1.1.1", 2, ActionAllow)
		c.add(rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, ActionNone)) // and back
		c.lookup("1.1.1.1", 1, "10.1.1.1", 2, ActionDrop)
	})
	t.Run("delete splices and restores", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 1))
		c.add(rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, 2))
		c.add(rule("0.0.0.0/0", 0, "10.1.1.0/24", 0, 3))
		c.add(rule("0.0.0.0/0", 0, "10.2.0.0/16", 0, 4))
		c.del(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 0))
		root := c.tt.Table(true).Rules()[0]
		if len(root.Children) != 2 || root.Children[0] != 2 || root.Children[1] != 4 {
			t.Fatalf("root children %v, want [2 4]", root.Children)
		}
		c.lookup("1.1.1.1", 1, "10.1.1.1", 2, 3)
		c.lookup("1.1.1.1", 1, "10.1.2.1", 2, 2)
		c.lookup("1.1.1.1", 1, "10.3.2.1", 2, ActionNone)
		c.del(rule("0.0.0.0/0", 0, "10.9.0.0/16", 0, 0)) // missing: success
		// The freed index is reused last-in first-out, like VPP's pool.
		c.add(rule("0.0.0.0/0", 0, "11.0.0.0/8", 0, 5))
		if _, ok := c.tt.Table(true).Rule(1); !ok {
			t.Fatal("index 1 not reused")
		}
	})
	t.Run("root", func(t *testing.T) {
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "0.0.0.0/0", 0, ActionDrop)) // replaces the root's action
		if n := c.tt.Len(); n != 0 {
			t.Fatalf("%d rules", n)
		}
		c.lookup("1.1.1.1", 1, "2.2.2.2", 2, ActionDrop)
		c.del(rule("0.0.0.0/0", 0, "0.0.0.0/0", 0, 0)) // resets the root
		c.lookup("1.1.1.1", 1, "2.2.2.2", 2, ActionNone)
		if _, ok := c.tt.Table(true).Rule(0); !ok {
			t.Fatal("root gone")
		}
	})
	t.Run("upper bounds", func(t *testing.T) {
		// IPv4 /0 covers everything (VPP's shift by 32 made it the base);
		// IPv6 /65-/128 keep their high half (VPP left it 0).
		c := newChecked(t)
		c.add(rule("0.0.0.0/0", 0, "0.0.0.0/0", 80, 1))
		c.add(rule("0.0.0.0/0", 0, "255.255.254.0/24", 0, 2))
		if kids := c.tt.Table(true).Rules()[0].Children; kids[0] != 2 {
			t.Fatalf("order %v: the /24 ends below 255.255.255.255, so it sorts first", kids)
		}
		c.add(rule("::/0", 0, "2001:db8::/65", 0, 3))
		c.add(rule("::/0", 0, "2001:db7::/64", 0, 4))
		if kids := c.tt.Table(false).Rules()[0].Children; kids[0] != 2 || kids[1] != 1 {
			t.Fatalf("v6 order %v: 2001:db7::/64 ends below 2001:db8::/65", kids)
		}
	})
	t.Run("tags", func(t *testing.T) {
		c := newChecked(t)
		a := rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 1)
		a.Tag = "x"
		c.add(a)
		if err := c.tt.Add(a); !errors.Is(err, ErrTagInUse) || !errors.Is(err, ErrInvalid) {
			t.Fatalf("re-add with own tag: %v", err)
		}
		b6 := rule("::/0", 0, "2001:db8::/32", 0, 2)
		b6.Tag = "x"
		if err := c.tt.Add(b6); !errors.Is(err, ErrTagInUse) {
			t.Fatalf("tag unique across families: %v", err)
		}
		// Delete by 5-tuple frees the tag (VPP kept it reserved).
		c.del(rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 0))
		c.add(b6)
		// IPv6 tag replacement frees the old tag (VPP left it dangling).
		b6.Tag = "y"
		c.add(b6)
		a.Tag = "x"
		c.add(a)
		// Delete by tag whatever the family of the command.
		if err := c.tt.Del(Rule{Proto: ProtoTCP, Tag: "y"}); err != nil {
			t.Fatal(err)
		}
		c.ref.del(Rule{Tag: "y"}, false)
		c.same()
		if c.tt.Table(false).Len() != 0 {
			t.Fatal("v6 rule not deleted by tag")
		}
		if err := c.tt.Del(Rule{Proto: ProtoTCP, Tag: "nope"}); err != nil {
			t.Fatalf("unknown tag: %v", err)
		}
		long := a
		long.Tag = strings.Repeat("t", MaxTagLen+1)
		if err := c.tt.Add(long); !errors.Is(err, ErrTagTooLong) {
			t.Fatalf("long tag: %v", err)
		}
		long.Tag = strings.Repeat("t", MaxTagLen)
		c.add(long) // replaces a's tag "x" with the 64-byte one
	})
	t.Run("errors", func(t *testing.T) {
		tab := NewTable(ProtoTCP, true)
		for _, r := range []Rule{
			{Lcl: pfx("1.0.0.0/8"), Rmt: pfx("::/0"), Proto: ProtoTCP},
			{Lcl: pfx("::/0"), Rmt: pfx("::/0"), Proto: ProtoTCP},
			{Lcl: pfx("1.0.0.0/8"), Rmt: pfx("2.0.0.0/8"), Proto: ProtoUDP},
			{Lcl: pfx("1.0.0.0/8"), Rmt: pfx("2.0.0.0/8"), Proto: 7},
			{Lcl: pfx("1.0.0.0/8"), Rmt: pfx("2.0.0.0/8"), Proto: ProtoTCP, Scope: 4},
			{Rmt: pfx("2.0.0.0/8"), Proto: ProtoTCP},
		} {
			if err := tab.Add(r); !errors.Is(err, ErrInvalid) {
				t.Errorf("Add(%v) = %v, want an ErrInvalid", r, err)
			}
		}
		if err := NewGroup(false).Add(Rule{Proto: 9}); !errors.Is(err, ErrProto) {
			t.Errorf("group add: %v", err)
		}
	})
	t.Run("wrong family keys", func(t *testing.T) {
		tab := NewTable(ProtoTCP, true)
		if err := tab.Add(rule("0.0.0.0/0", 0, "0.0.0.0/0", 0, ActionDrop)); err != nil {
			t.Fatal(err)
		}
		if a := tab.Lookup(ip("::1"), ip("::2"), 1, 2); a != ActionNone {
			t.Fatalf("v6 key in v4 table: %v", a)
		}
		if a := tab.Lookup(ip("1.1.1.1"), ip("2.2.2.2"), 1, 2); a != ActionDrop {
			t.Fatalf("v4 key: %v", a)
		}
		t6 := NewTable(ProtoTCP, false)
		if a := t6.Lookup4(1, 2, 3, 4); a != ActionNone {
			t.Fatalf("Lookup4 on v6 table: %v", a)
		}
	})
}

func TestLocalTable(t *testing.T) {
	g := NewGroup(true)
	if !g.Local() {
		t.Fatal("not local")
	}
	r := rule("1.2.3.4/32", 1234, "5.6.7.0/24", 80, ActionDrop)
	if err := g.Add(r); err != nil {
		t.Fatal(err)
	}
	tab := g.Transport(ProtoTCP).Table(true)
	got := tab.Rules()[1].Rule
	want := r.ForLocalTable()
	if !got.SameMatch(want) || got.Scope != ScopeLocal || got.Lcl != pfx("0.0.0.0/0") || got.LclPort != 0 {
		t.Fatalf("local rule %v, want %v", got, want)
	}
	if a := g.Lookup(ProtoTCP, ip("0.0.0.0"), ip("5.6.7.9"), 0, 80); a != ActionDrop {
		t.Fatalf("lookup: %v", a)
	}
	// Deleting by the original 5-tuple finds the stored (zeroed) rule.
	if err := g.Del(r); err != nil || tab.Len() != 0 {
		t.Fatalf("del: %v, %d left", err, tab.Len())
	}
	if g.Transport(9) != nil || g.Lookup(9, ip("1.1.1.1"), ip("1.1.1.1"), 1, 1) != ActionNone {
		t.Fatal("bad proto")
	}
	r6 := rule("::1/128", 1, "2001:db8::/32", 2, 3).ForLocalTable()
	if r6.Lcl != pfx("::/0") {
		t.Fatalf("v6 local %v", r6.Lcl)
	}
}

func TestTypes(t *testing.T) {
	for a, want := range map[Action]string{ActionDrop: "drop", ActionAllow: "allow", ActionNone: "none", 5: "app:5"} {
		if a.String() != want {
			t.Errorf("%d: %q, want %q", uint32(a), a.String(), want)
		}
	}
	if i, ok := Action(5).AppIndex(); !ok || i != 5 {
		t.Error("AppIndex(5)")
	}
	if _, ok := ActionDrop.AppIndex(); ok {
		t.Error("AppIndex(drop)")
	}
	if !ActionInvalid.IsNone() || ActionDrop.IsNone() {
		t.Error("IsNone")
	}
	for s, want := range map[Scope][3]string{0: {"default", "g"}, ScopeGlobal: {"global", "g"}, ScopeLocal: {"local", "l"}, ScopeAll: {"all", "gl"}, 9: {"scope(9)", "g"}} {
		gl := ""
		if s.Global() {
			gl += "g"
		}
		if s.Local() {
			gl += "l"
		}
		if s.String() != want[0] || (s.Valid() && gl != want[1]) || s.Valid() != (s <= 3) {
			t.Errorf("scope %d: %q %q", s, s.String(), gl)
		}
	}
	if ProtoTCP.String() != "tcp" || ProtoUDP.String() != "udp" || Proto(4).String() != "proto(4)" || Proto(4).Valid() {
		t.Error("proto names")
	}
	r := rule("10.0.0.0/8", 0, "1.2.3.4/32", 80, ActionDrop)
	r.Tag, r.Scope = "t", ScopeAll
	if s := r.String(); s != "proto tcp 10.0.0.0/8 0 1.2.3.4/32 80 action 4294967294 tag t scope all" {
		t.Errorf("Rule.String %q", s)
	}
	if !r.Is4() || !r.Matches(ip("10.1.1.1"), ip("1.2.3.4"), 5, 80) || r.Matches(ip("10.1.1.1"), ip("1.2.3.4"), 5, 81) {
		t.Error("Matches")
	}
	wide := rule("10.0.0.0/8", 0, "1.2.3.0/24", 0, 0)
	if !wide.Contains(r) || r.Contains(wide) || !r.Contains(r) {
		t.Error("Contains")
	}
}

func TestCounters(t *testing.T) {
	tab := NewTable(ProtoTCP, true)
	for _, r := range []Rule{
		rule("0.0.0.0/0", 0, "10.0.0.0/8", 0, 1),
		rule("0.0.0.0/0", 0, "10.1.0.0/16", 0, 2),
		rule("0.0.0.0/0", 0, "10.1.1.0/24", 0, 3),
		rule("0.0.0.0/0", 0, "11.0.0.0/8", 0, 4),
	} {
		if err := tab.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		tab.Lookup(ip("1.1.1.1"), ip("10.1.1.1"), 1, 2)
	}
	tab.Lookup4(0x01010101, 0x0A020202, 1, 2) // 10.2.2.2 -> rule 1
	tab.Lookup(ip("1.1.1.1"), ip("12.1.1.1"), 1, 2)
	s := tab.Stats()
	if s.Rules != 4 || s.Lookups != 5 || s.Depth != 3 || s.Classes != 3 {
		t.Fatalf("stats %+v", s)
	}
	if h := tab.Hits(3); h != 3 {
		t.Fatalf("hits of rule 3: %d", h)
	}
	if h := tab.Hits(1); h != 1 {
		t.Fatalf("hits of rule 1: %d", h)
	}
	// Hits survive the rule leaving the fast engine (action none).
	if err := tab.Add(rule("0.0.0.0/0", 0, "10.1.1.0/24", 0, ActionNone)); err != nil {
		t.Fatal(err)
	}
	if h := tab.Hits(3); h != 3 {
		t.Fatalf("hits of rule 3 after none: %d", h)
	}
	if h := tab.Hits(99); h != 0 {
		t.Fatal("hits of a free index")
	}
	if _, ok := tab.Rule(99); ok {
		t.Fatal("Rule(99)")
	}
	if r, idx, ok := tab.Match(ip("1.1.1.1"), ip("10.1.1.1"), 1, 2); !ok || idx != 2 || r.Action != 2 {
		t.Fatalf("Match: %v %d %v", r, idx, ok)
	}
	if _, _, ok := tab.Match(ip("::1"), ip("10.1.1.1"), 1, 2); ok {
		t.Fatal("Match with a v6 address")
	}
	if ri := tab.ShowMatch(ip("1.1.1.1"), ip("10.1.1.1"), 1, 2); ri.Index != 3 {
		t.Fatalf("ShowMatch %d, want 3 (matches, action none)", ri.Index)
	}
	if ri := tab.ShowMatch(ip("::1"), ip("::1"), 1, 2); ri.Index != 0 {
		t.Fatalf("ShowMatch wrong family %d", ri.Index)
	}
}

// TestLookupCount checks that the lookup count, derived from the rules' hits
// and the undecided lookups, is the number of calls whatever happened to the
// rules in between: deletes (by match and by tag), an index reused, a rule
// set to action none, the root deciding, lookups of the wrong family.
func TestLookupCount(t *testing.T) {
	for _, is4 := range []bool{true, false} {
		tab := NewTable(ProtoTCP, is4)
		pfx := func(v4, v6 string) string {
			if is4 {
				return v4
			}
			return v6
		}
		a := func(v4, v6 string) netip.Addr { return ip(pfx(v4, v6)) }
		calls := uint64(0)
		look := func(rmt netip.Addr) {
			tab.Lookup(a("1.1.1.1", "2001:db8::1"), rmt, 1, 2)
			calls++
		}
		wide := rule(pfx("0.0.0.0/0", "::/0"), 0, pfx("10.0.0.0/8", "2001:db8:a::/48"), 0, 1)
		narrow := rule(pfx("0.0.0.0/0", "::/0"), 0, pfx("10.1.0.0/16", "2001:db8:a:1::/64"), 0, 2)
		narrow.Tag = "n"
		in := a("10.1.1.1", "2001:db8:a:1::1")
		for _, r := range []Rule{wide, narrow} {
			if err := tab.Add(r); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			look(in)
		}
		look(a("12.0.0.1", "2001:db8:b::1")) // no rule: undecided
		look(a("::1", "10.0.0.1"))           // wrong family
		if !tab.DelTag("n") {
			t.Fatal("DelTag")
		}
		look(in) // now the wide rule
		if err := tab.Del(wide); err != nil {
			t.Fatal(err)
		}
		again := narrow
		again.Tag = ""
		if err := tab.Add(again); err != nil { // reuses a freed index
			t.Fatal(err)
		}
		look(in)
		if err := tab.Add(rule(pfx("0.0.0.0/0", "::/0"), 0, pfx("0.0.0.0/0", "::/0"), 0, ActionDrop)); err != nil {
			t.Fatal(err) // the root's action
		}
		look(a("12.0.0.1", "2001:db8:b::1"))
		if got := tab.Stats().Lookups; got != calls {
			t.Errorf("is4=%v: %d lookups counted, %d made", is4, got, calls)
		}
	}
}

// TestLookupAllocs proves that lookups allocate nothing.
func TestLookupAllocs(t *testing.T) {
	t4, t6 := NewTable(ProtoTCP, true), NewTable(ProtoTCP, false)
	for i := range 200 {
		a4 := netip.AddrFrom4([4]byte{10, byte(i), 0, 0})
		a6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i)})
		for _, r := range []struct {
			t    *Table
			l, m netip.Prefix
		}{{t4, pfx("0.0.0.0/0"), netip.PrefixFrom(a4, 16)}, {t6, pfx("::/0"), netip.PrefixFrom(a6, 40)}} {
			if err := r.t.Add(Rule{Lcl: r.l, Rmt: r.m, RmtPort: uint16(i % 3), LclPort: 80, Proto: ProtoTCP, Action: Action(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	l4, r4, l6, r6 := ip("1.2.3.4"), ip("10.7.1.1"), ip("::1"), ip("2001:db8:7::1")
	for name, f := range map[string]func(){
		"Lookup4":  func() { sink = t4.Lookup4(0x01020304, 0x0A070101, 80, 0) },
		"Lookup":   func() { sink = t4.Lookup(l4, r4, 80, 1) },
		"Lookup6":  func() { sink = t6.Lookup(l6, r6, 80, 1) },
		"Match":    func() { _, _, _ = t4.Match(l4, r4, 80, 1) },
		"Group":    func() { sink = groupForAllocs.Lookup(ProtoUDP, l4, r4, 1, 1) },
		"LookupTr": func() { sink = t4.LookupTree(l4, r4, 80, 1) },
	} {
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %v allocations per lookup", name, n)
		}
	}
	if a := t4.Lookup(l4, r4, 80, 1); a != 7 {
		t.Fatalf("lookup = %v, want app:7", a)
	}
}

var groupForAllocs = NewGroup(false)

// TestConcurrentLookups runs lookups from several goroutines at once (as
// workers do between rule updates); under -race it proves the counters are
// safe.
func TestConcurrentLookups(t *testing.T) {
	s := genSet("acl", 2000, 3)
	tab := buildTable(s.rules)
	keys := s.keys(4096, 5)
	want := make([]Action, len(keys))
	for i, k := range keys {
		want[i] = tab.LookupTree(numAddr(k.lcl), numAddr(k.rmt), k.lp, k.rp)
	}
	done := make(chan error)
	for w := range 4 {
		go func() {
			for i := w; i < len(keys); i += 4 {
				k := keys[i]
				if a := tab.Lookup4(k.lcl, k.rmt, k.lp, k.rp); a != want[i] {
					done <- errors.New("wrong answer")
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var hits uint64
	for _, ri := range tab.Rules() {
		hits += ri.Hits
	}
	var matched uint64
	for _, a := range want {
		if a != ActionNone {
			matched++
		}
	}
	if s := tab.Stats(); s.Lookups != uint64(len(keys)) || hits != matched {
		t.Fatalf("lookups %d (want %d), hits %d (want %d)", s.Lookups, len(keys), hits, matched)
	}
}
