// Package rules implements VPP's session rules: the match-mask-action tables
// that the session layer consults to drop, allow or redirect connections
// (spec §4, with the quirks fixed that docs/vpp-compatibility.md lists).
//
// # Data model
//
// A [Rule] names a local and a remote prefix, a local and a remote port
// (0 = any), a transport protocol, an [Action] (drop, allow, redirect to an
// application index, or none), an optional tag and a [Scope]. Rules live in a
// [Table], one per (protocol, address family). A [TransportTable] holds the
// IPv4 and IPv6 tables of one protocol and keeps tags unique across both; a
// [Group] holds the TCP and UDP transport tables and is what a session table
// attaches when its first rule is added. Local (per namespace) tables only
// ever see rules passed through [Rule.ForLocalTable]; the namespace-level
// logic (scope split, namespaces, FIBs) belongs to core/session.
//
// # Semantics
//
// Every table is VPP's match-mask-action tree: the root is the all-wildcard
// rule with action none; a rule is the child of the deepest rule that
// contains its whole range (the first containing child at each level,
// in sibling order); siblings are kept in VPP's order (by upper bounds: remote
// ip, local ip, remote port, local port, wildcard port = 65535, with VPP's
// placement rule when a new rule adopts existing children); a lookup is a
// depth-first first match that passes over rules whose action is none;
// deleting a rule splices its children into its place.
//
// # How a lookup is fast
//
// Because every child lies inside its parent, a key that matches a rule also
// matches all its ancestors, and the depth-first walk returns the first
// matching rule (action not none) in the tree's post-order. The tree keeps an
// order-maintenance label per rule that increases along the post-order, so a
// lookup only has to find, among all matching rules, the one with the smallest
// label. The fast engine (engine*.go) is a decision tree of cuts (address
// bits, prefix hashes, exact ports) whose rules never get copied: a rule goes
// to the kid holding its whole range or to the node's "stay". A lookup reads
// the key's kid entry in every cut of the root's chain of stays (independent
// loads), then searches those kids, skipping any whose entry's label bound
// cannot beat the best match; leaves are label-sorted runs of packed rules,
// one cache line per IPv4 rule holding its action and hit counter too, so
// the winner costs no extra miss. The cost is set by how many cuts the
// chain has (one per class of rules: about 4 at 1k rules, 6 to 8 at 10k and
// 100k) and, once the tables outgrow the caches, by the misses of the kid
// entries and the leaves they name (see engine.go). The tree itself (also used for listings and `show session
// rules <5-tuple>`) is walked only on updates and by [Table.LookupTree].
//
// # Data flow
//
// core/session calls [Group.Add]/[Group.Del] (or the per-table methods) when
// `session rule add|del` or the API adds rules, and [Table.Lookup] (or
// [Table.Lookup4]) on every packet lookup that reaches the rules step (§3.3)
// and every connect through a local table (§3.5). The CLI package parses
// commands with [ParseCommand]/[ParseShowCommand] and prints listings with
// [FormatRule] and [TransportTable.WriteListing].
//
// # SDL
//
// [SDL] models VPP's other rules engine, the session deny list
// (session_sdl.c, spec §4.9), as a table type of its own for the global
// session tables: rules are remote prefixes only (with an action and an
// optional tag, unique across both families), held as routes of a private
// FIB, and a lookup is a longest-prefix match on the remote address
// ([SDL.Lookup], [SDL.Lookup4]) that answers the rule's action or
// ActionNone. An add of a prefix that has a route fails ([ErrSDLIPInUse];
// it never replaces), and so does any add or delete of the routes every VPP
// FIB table starts with (0/0 and the other specials); a delete of an unknown
// tag or prefix fails with [ErrSDLNoRoute]. Lookups probe one hash table
// per prefix length in use, longest first.
//
// # Concurrency
//
// Lookups may run concurrently with each other (counters are atomic), but not
// with Add or Del: like VPP, which changes rules with the workers stopped, the
// caller serialises updates against lookups.
package rules
