// Package config reads VPP startup.conf files the way VPP does and turns the
// `session { }` stanza into a typed [Session] that the rest of sessionlab
// (tables, queues, pools, rules, the simulator) is built from.
//
// Data flows through three stages, each a faithful model of one step of VPP's
// start-up:
//
//  1. Flattening (VPP's file reader): `#` starts a comment that runs to the end
//     of the line, even in the middle of a word; CR, LF and TAB become spaces;
//     runs of spaces collapse to one. The flattened text keeps, for every byte,
//     its offset in the original file, so every error and warning names the
//     line and column the user wrote, not a position in the flattened text.
//  2. Stanzas (vlib's config dispatcher): the text is a sequence of
//     `<name> <value>` pairs where the value is one word or a balanced braced
//     block (nesting counted, backslash escapes the next byte, outer braces
//     stripped). Stanzas of the same name are concatenated with one space.
//     Every stanza is kept ([File.Stanzas]); `cpu` is read for the worker
//     count ([File.Workers]).
//  3. The session stanza (VPP's session config function): keywords are tried
//     in VPP's order with unformat's matching rules — literal text matches as
//     a prefix (so `poll-mainXYZ` matches `poll-main` and leaves `XYZ`), `%d`
//     is a signed 32-bit decimal that stops at the first non-digit, memory
//     sizes are signed 64-bit decimals with an optional k/m/g suffix — and the
//     first input no keyword matches is fatal, reported as
//     file:line:col: unknown input `text'.
//
// The result keeps, for every parameter, its value, whether it was set or is
// VPP's default, and where it was set ([Setting]); warnings are structured
// ([Warning]) and say what VPP does with deprecated keywords, ignored values
// and the places where sessionlab deliberately differs from VPP
// (docs/vpp-compatibility.md). [Session.Set] applies one keyword with exactly
// the same parsing and checks (the simulator's sweeps use it) and
// [Session.Stanza] renders the effective stanza back as VPP text.
//
// Parsing runs once per configuration, so the package favours clarity over
// speed; nothing here is on a packet path.
package config
