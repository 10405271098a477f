package config

import (
	"fmt"
	"strings"
)

// Error is a configuration VPP would refuse to start with (or, where noted in
// docs/vpp-compatibility.md, one sessionlab refuses because VPP would silently
// misread it). It names the file, the position of the offending text and the
// text itself.
type Error struct {
	// File is the name given to Parse or ParseFile; empty for errors of
	// [Session.Set].
	File string
	// Line and Col locate Text in the original file (1-based; Col counts
	// bytes). Line is 0 when the error has no position (Session.Set).
	Line, Col int
	// Text is the offending input as VPP shows it: for unknown input, up to
	// 30 bytes of the rest of the stanza, with "..." when more follows. One
	// difference: right after a stanza's opening brace VPP's text starts
	// with the blank that follows the brace (`session { foo }` shows
	// "` foo'"); Text starts at the word.
	Text string
	// Msg is the complete message, e.g. "unknown input `k'".
	Msg string
}

// Error returns "file:line:col: msg".
func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.File != "":
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	}
	return e.Msg
}

// WarningKind classifies a [Warning].
type WarningKind uint8

const (
	// KindDeprecated: a keyword VPP still accepts but that is an alias or a
	// no-op today; the message says what VPP does with it.
	KindDeprecated WarningKind = iota + 1
	// KindIgnored: a value VPP reads and then ignores or replaces (a queue
	// length under 2048, a table size of 0 meaning "default", a value that a
	// later line overrides).
	KindIgnored
	// KindCompat: a compatibility note: sessionlab models something
	// differently from today's VPP, or VPP reads the value in a surprising
	// way (a negative count read as unsigned, a port truncated to 16 bits).
	KindCompat
)

// String returns "deprecated", "ignored" or "compat".
func (k WarningKind) String() string {
	switch k {
	case KindDeprecated:
		return "deprecated"
	case KindIgnored:
		return "ignored"
	case KindCompat:
		return "compat"
	}
	return fmt.Sprintf("WarningKind(%d)", uint8(k))
}

// MarshalText encodes the kind as its name (used by the JSON output).
func (k WarningKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Warning is something the user should know about a configuration that VPP
// (and sessionlab) nevertheless accepts.
type Warning struct {
	// File is the configuration file; empty for warnings of [Session.Set].
	File string
	// Pos is where the keyword starts (zero for Session.Set).
	Pos Pos
	// Keyword is the keyword (or stanza name) the warning is about.
	Keyword string
	Kind    WarningKind
	// Msg says what VPP does, and what sessionlab does where that differs.
	Msg string
}

// String returns "file:line:col: kind: keyword: msg".
func (w Warning) String() string {
	var b strings.Builder
	if w.File != "" {
		b.WriteString(w.File)
		b.WriteString(":")
	}
	if w.Pos.IsValid() {
		fmt.Fprintf(&b, "%d:%d:", w.Pos.Line, w.Pos.Col)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "%s: %s: %s", w.Kind, w.Keyword, w.Msg)
	return b.String()
}

// errorText renders the rest of an input from i the way VPP's
// format_unformat_error does: at most 30 bytes, "..." when more follows,
// trailing spaces dropped otherwise. Control bytes are escaped so that a
// message never garbles a terminal.
func errorText(buf []byte, i int) string {
	const max = 30
	if i >= len(buf) {
		return ""
	}
	rest := buf[i:]
	more := len(rest) > max
	if more {
		rest = rest[:max]
	} else {
		for len(rest) > 0 && isSpace(rest[len(rest)-1]) {
			rest = rest[:len(rest)-1]
		}
	}
	var b strings.Builder
	for _, c := range rest {
		if c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, `\x%02x`, c)
			continue
		}
		b.WriteByte(c)
	}
	if more {
		b.WriteString("...")
	}
	return b.String()
}
