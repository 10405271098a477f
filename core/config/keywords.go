package config

import (
	"fmt"
	"strings"
)

// argKind is the conversion that follows a keyword's literal words.
type argKind uint8

const (
	argNone   argKind = iota
	argInt            // %d: signed 32-bit decimal
	argMemory         // unformat_memory_size: signed 64-bit decimal + k/m/g
	argHex            // %lx: unsigned 64-bit hexadecimal
)

// keyword is one entry of the session stanza's keyword list.
type keyword struct {
	// name is how the keyword is shown (Setting.Keyword, warnings).
	name string
	// words are the literal runs of VPP's format; white space is skipped
	// before each and none is required.
	words []string
	arg   argKind
	apply func(p *sessionParser, m *match) *Error
}

// match is one successful keyword match.
type match struct {
	kw      *keyword
	at      int32  // source offset of the keyword
	argAt   int32  // source offset of the argument
	argText string // the argument as written
	end     int    // index just after the last matched element
	i32     int32
	u64     uint64
}

// keywords is VPP's list, in VPP's order: the first match wins, which
// matters because literals match as prefixes (`enable` must come after
// `enable rt-backend ...`, or it would leave `rt-backend ...` unknown).
var keywords = []keyword{
	{name: "wrk-mq-length", arg: argInt, apply: applyMqLength},
	{name: "wrk-mqs-segment-size", arg: argMemory, apply: applySegmentSize},
	{name: "preallocated-sessions", arg: argInt, apply: applyPrealloc},
	{name: V4Session.BucketsKeyword(), arg: argInt, apply: applyBuckets(V4Session)},
	{name: V4HalfOpen.BucketsKeyword(), arg: argInt, apply: applyBuckets(V4HalfOpen)},
	{name: V6Session.BucketsKeyword(), arg: argInt, apply: applyBuckets(V6Session)},
	{name: V6HalfOpen.BucketsKeyword(), arg: argInt, apply: applyBuckets(V6HalfOpen)},
	{name: V4Session.MemoryKeyword(), arg: argMemory, apply: applyMemory(V4Session)},
	{name: V4HalfOpen.MemoryKeyword(), arg: argMemory, apply: applyMemory(V4HalfOpen)},
	{name: V6Session.MemoryKeyword(), arg: argMemory, apply: applyMemory(V6Session)},
	{name: V6HalfOpen.MemoryKeyword(), arg: argMemory, apply: applyMemory(V6HalfOpen)},
	{name: LocalEndpoints.MemoryKeyword(), arg: argMemory, apply: applyMemory(LocalEndpoints)},
	{name: LocalEndpoints.BucketsKeyword(), arg: argInt, apply: applyBuckets(LocalEndpoints)},
	{name: "min-src-port", arg: argInt, apply: applyPort(func(s *Session) *Setting[uint16] { return &s.MinSrcPort })},
	{name: "max-src-port", arg: argInt, apply: applyPort(func(s *Session) *Setting[uint16] { return &s.MaxSrcPort })},
	{name: "enable rt-backend rule-table", apply: applyEngine(EngineRuleTable)},
	{name: "enable rt-backend sdl", apply: applyEngine(EngineSDL)},
	{name: "enable", apply: applyPlainEnable},
	{name: "poll-main", apply: applyFlag(func(s *Session) *Setting[bool] { return &s.PollMain })},
	{name: "use-private-rx-mqs", apply: applyFlag(func(s *Session) *Setting[bool] { return &s.UsePrivateRxMqs })},
	{name: "no-adaptive", apply: applyFlag(func(s *Session) *Setting[bool] { return &s.NoAdaptive })},
	{name: "use-dma", apply: applyFlag(func(s *Session) *Setting[bool] { return &s.UseDMA })},
	{name: "nat44-original-dst-enable", apply: applyFlag(func(s *Session) *Setting[bool] { return &s.NAT44OriginalDst })},
	{name: "no-dump-segments", apply: applyFlag(func(s *Session) *Setting[bool] { return &s.NoDumpSegments })},
	// Deprecated but still accepted by VPP.
	{name: "use-app-socket-api", apply: applyDeprecatedNoop(
		"deprecated no-op: VPP's app socket API is on by default today (only use-bapi-socket-api turns it off)")},
	{name: "use-bapi-socket-api", apply: applyBapi},
	{name: "evt_qs_memfd_seg", apply: applyDeprecatedNoop(
		"deprecated no-op: VPP always puts the worker message queues in a memfd segment today")},
	{name: "segment-baseva", words: []string{"segment-baseva", "0x"}, arg: argHex, apply: applyBaseva},
	{name: "evt_qs_seg_size", arg: argMemory, apply: applySegmentSize},
	{name: "event-queue-length", arg: argInt, apply: applyMqLength},
}

func init() {
	for i := range keywords {
		if keywords[i].words == nil {
			keywords[i].words = strings.Fields(keywords[i].name)
		}
	}
}

// sessionParser applies the keyword list to one session stanza (or one Set).
type sessionParser struct {
	s    *Session
	file string
	pos  func(int32) Pos
	// inFile: warn when a later line overrides an earlier value (not for
	// Set, where overriding is the point).
	inFile bool
	// matches counts keyword matches; first is the first one (for Set).
	matches int
	first   *keyword
}

func (p *sessionParser) posOf(off int32) Pos {
	if p.pos == nil {
		return Pos{}
	}
	return p.pos(off)
}

func (p *sessionParser) warn(m *match, kind WarningKind, msg string) {
	p.s.Warnings = append(p.s.Warnings, Warning{
		File: p.file, Pos: p.posOf(m.at), Keyword: m.kw.name, Kind: kind, Msg: msg,
	})
}

func (p *sessionParser) errAt(off int32, txt, msg string) *Error {
	at := p.posOf(off)
	return &Error{File: p.file, Line: at.Line, Col: at.Col, Text: txt, Msg: msg}
}

// assign stores v in st, noting when a later line of the file replaces a
// different earlier value (VPP silently keeps the last one).
func assign[T comparable](p *sessionParser, st *Setting[T], v T, m *match) {
	if p.inFile && st.Set && st.Value != v {
		p.warn(m, KindIgnored, fmt.Sprintf("overrides %s %v set at %s (VPP keeps the last value)", st.Keyword, st.Value, st.Pos))
	}
	*st = Setting[T]{Value: v, Set: true, Pos: p.posOf(m.at), Keyword: m.kw.name}
}

// run parses a session stanza's text, keyword by keyword, until the end or
// the first input no keyword matches.
func (p *sessionParser) run(t *text) *Error {
	sc := &scanner{t: t}
	if len(t.buf) > 0 && len(t.buf) == skipBlank(t.buf, 0) {
		// `session { }` holds one blank: VPP tries every keyword on it, none
		// matches, and start-up fails with "unknown input `'". That is an
		// accident of the reader, so sessionlab accepts it.
		p.s.Warnings = append(p.s.Warnings, Warning{File: p.file, Pos: p.posOf(t.off[0]), Keyword: "session", Kind: KindCompat,
			Msg: "VPP aborts start-up on a session stanza holding only blanks (unknown input `'); sessionlab reads it as empty"})
		return nil
	}
	var last *match
	for sc.i < len(t.buf) {
		var m *match
		partial := ""
		for k := range keywords {
			got, why := sc.try(&keywords[k])
			if got != nil {
				m = got
				break
			}
			if partial == "" {
				partial = why
			}
		}
		if m == nil {
			return p.unknown(sc, partial, last)
		}
		p.matches++
		if p.first == nil {
			p.first = m.kw
		}
		if err := m.kw.apply(p, m); err != nil {
			return err
		}
		last = m
	}
	return nil
}

// try matches keyword k at the cursor. On failure the cursor is unchanged
// and why explains an argument that did not scan after the keyword's words
// did match (used to make the error message more helpful than VPP's).
func (sc *scanner) try(k *keyword) (m *match, why string) {
	start := sc.i
	sc.skipSpace()
	if sc.i >= len(sc.t.buf) {
		sc.i = start
		return nil, ""
	}
	at := sc.t.off[sc.i]
	for _, w := range k.words {
		sc.skipSpace()
		if !sc.literal(w) {
			sc.i = start
			return nil, ""
		}
	}
	m = &match{kw: k, at: at}
	if k.arg != argNone {
		sc.skipSpace()
		argStart := sc.i
		var st numStatus
		switch k.arg {
		case argInt:
			m.i32, st = sc.int32()
		case argMemory:
			m.u64, st = sc.memorySize()
		case argHex:
			m.u64, st = sc.hex64()
		}
		if st != numOK {
			why = argProblem(k, st, sc.t.buf, argStart)
			sc.i = start
			return nil, why
		}
		m.argAt = sc.t.off[argStart]
		m.argText = string(sc.t.buf[argStart:sc.i])
	}
	m.end = sc.i
	sc.skipSpace()
	return m, ""
}

// argDescription says what a keyword's argument must look like.
func argDescription(k *keyword) string {
	switch k.arg {
	case argInt:
		return "a signed 32-bit decimal number"
	case argMemory:
		return "a memory size: a decimal number with an optional k, m or g suffix"
	case argHex:
		return "a hexadecimal address after 0x"
	}
	return "no value"
}

func argProblem(k *keyword, st numStatus, buf []byte, i int) string {
	word := buf[i:skipWord(buf, i)]
	if st == numRange {
		return fmt.Sprintf("%s takes %s; `%s' is out of range", k.name, argDescription(k), word)
	}
	if len(word) == 0 {
		return fmt.Sprintf("%s takes %s, and none follows", k.name, argDescription(k))
	}
	return fmt.Sprintf("%s takes %s, not `%s'", k.name, argDescription(k), word)
}

func skipWord(buf []byte, i int) int {
	for i < len(buf) && !isSpace(buf[i]) {
		i++
	}
	return i
}

// unknown builds VPP's fatal "unknown input" error at the cursor, with a hint
// when the reason is likely to puzzle a user.
func (p *sessionParser) unknown(sc *scanner, partial string, last *match) *Error {
	sc.skipSpace()
	buf := sc.t.buf
	txt := errorText(buf, sc.i)
	msg := fmt.Sprintf("unknown input `%s'", txt)
	hint := partial
	if hint == "" && last != nil && last.end == sc.i {
		// The previous keyword's match ended right here, with no blank in
		// between: the user most likely wrote one word VPP split in two.
		next := string(buf[sc.i:skipWord(buf, sc.i)])
		switch last.kw.arg {
		case argInt:
			hint = fmt.Sprintf("%s read the number %s and stopped at `%s': VPP numbers are plain decimal, with no suffix and no hex",
				last.kw.name, last.argText, next)
		case argMemory:
			hint = fmt.Sprintf("%s read the size %s and stopped at `%s': a memory size takes one optional suffix k, m or g (no B, no MB)",
				last.kw.name, last.argText, next)
		case argHex:
			hint = fmt.Sprintf("%s read 0x%s and stopped at `%s'", last.kw.name, last.argText, next)
		default:
			hint = fmt.Sprintf("VPP matched the keyword %s as a prefix and reads `%s' as the next keyword", last.kw.name, next)
		}
	}
	if hint != "" {
		msg += " (" + hint + ")"
	}
	return p.errAt(sc.t.off[sc.i], txt, msg)
}

func applyMqLength(p *sessionParser, m *match) *Error {
	n := m.i32
	u := uint32(n)
	alias := ""
	if m.kw.name == "event-queue-length" {
		alias = "deprecated alias of wrk-mq-length (renamed in VPP 22.02); "
	}
	switch {
	case u >= MinWrkMqLength:
		if alias != "" {
			p.warn(m, KindDeprecated, alias+"the value is applied")
		}
		if n < 0 {
			p.warn(m, KindCompat, fmt.Sprintf("VPP checks the length as an unsigned number, so %d is accepted as %d entries", n, u))
		}
		assign(p, &p.s.WrkMqLength, u, m)
	case p.s.Options.AllowSmallQueues:
		if u == 0 {
			return p.errAt(m.argAt, m.argText, fmt.Sprintf("%s 0: a message queue needs at least one entry", m.kw.name))
		}
		if alias != "" {
			p.warn(m, KindDeprecated, alias+"the value is applied")
		}
		p.warn(m, KindCompat, fmt.Sprintf("%d is below VPP's minimum of %d and accepted only because VPP limits are off (vpp_limits: false); results are outside VPP's range", n, MinWrkMqLength))
		assign(p, &p.s.WrkMqLength, u, m)
	default:
		if alias != "" {
			p.warn(m, KindDeprecated, alias+"the same minimum of 2048 applies")
		}
		p.warn(m, KindIgnored, fmt.Sprintf("event queue length %d too small, ignored (VPP's minimum is %d; the length stays %d)",
			n, MinWrkMqLength, p.s.WrkMqLength.Value))
	}
	return nil
}

func applySegmentSize(p *sessionParser, m *match) *Error {
	if m.kw.name == "evt_qs_seg_size" {
		p.warn(m, KindDeprecated, "deprecated alias of wrk-mqs-segment-size (renamed in VPP 23.02); the value is applied")
	}
	if int64(m.u64) < 0 {
		p.warn(m, KindCompat, fmt.Sprintf("VPP reads %s as the unsigned size %d bytes", m.argText, m.u64))
	}
	assign(p, &p.s.WrkMqsSegmentSize, m.u64, m)
	return nil
}

func applyPrealloc(p *sessionParser, m *match) *Error {
	u := uint32(m.i32)
	if m.i32 < 0 {
		p.warn(m, KindCompat, fmt.Sprintf("VPP reads %d as the unsigned count %d", m.i32, u))
	}
	assign(p, &p.s.PreallocatedSessions, u, m)
	return nil
}

func applyBuckets(t Table) func(*sessionParser, *match) *Error {
	return func(p *sessionParser, m *match) *Error {
		u := uint32(m.i32)
		switch {
		case m.i32 < 0:
			msg := fmt.Sprintf("VPP reads %d as the unsigned count %d (%d buckets after rounding up to a power of two)",
				m.i32, u, RoundBuckets(u))
			if RoundBuckets(u) > 1<<31 {
				msg += fmt.Sprintf(", which overflows its u32; sessionlab builds %d", uint32(1<<31))
			}
			p.warn(m, KindCompat, msg)
		case u == 0:
			p.warn(m, KindIgnored, fmt.Sprintf("0 means VPP's default, %d buckets (%d after rounding)", t.DefaultBuckets(), RoundBuckets(t.DefaultBuckets())))
		}
		assign(p, p.s.buckets(t), u, m)
		return nil
	}
}

func applyMemory(t Table) func(*sessionParser, *match) *Error {
	return func(p *sessionParser, m *match) *Error {
		v := m.u64
		if v >= MaxTableMemory {
			return p.errAt(m.argAt, m.argText, fmt.Sprintf("%s %s: memory size %x (%d) too large (VPP requires less than 4 GiB)",
				m.kw.name, m.argText, v, int64(v)))
		}
		if v == 0 {
			p.warn(m, KindIgnored, fmt.Sprintf("0 means VPP's default, %s", HumanBytes(t.DefaultMemory())))
		} else {
			p.warn(m, KindCompat, fmt.Sprintf("sessionlab honours this size: the table's memory arena is exactly %s and an insert that needs more fails (counted as table-full); VPP since 21.01 ignores %s apart from the < 4 GiB check (its tables grow on the heap)",
				HumanBytes(v), m.kw.name))
		}
		assign(p, p.s.memory(t), v, m)
		return nil
	}
}

func applyPort(field func(*Session) *Setting[uint16]) func(*sessionParser, *match) *Error {
	return func(p *sessionParser, m *match) *Error {
		v := uint16(m.i32)
		if int32(v) != m.i32 {
			p.warn(m, KindCompat, fmt.Sprintf("VPP stores the port in 16 bits: %d becomes %d", m.i32, v))
		}
		assign(p, field(p.s), v, m)
		return nil
	}
}

func applyEngine(e Engine) func(*sessionParser, *match) *Error {
	return func(p *sessionParser, m *match) *Error {
		assign(p, &p.s.Engine, e, m)
		return nil
	}
}

func applyPlainEnable(p *sessionParser, m *match) *Error {
	p.warn(m, KindCompat, "sessionlab enables the session layer with the rule-table engine (the original design); VPP since 24.10 enables it with no rules engine, so session rules fail there with NOSUPPORT; write `enable rt-backend rule-table' to get the same in VPP")
	assign(p, &p.s.Engine, EngineRuleTable, m)
	return nil
}

func applyFlag(field func(*Session) *Setting[bool]) func(*sessionParser, *match) *Error {
	return func(p *sessionParser, m *match) *Error {
		assign(p, field(p.s), true, m)
		return nil
	}
}

func applyDeprecatedNoop(msg string) func(*sessionParser, *match) *Error {
	return func(p *sessionParser, m *match) *Error {
		p.warn(m, KindDeprecated, msg)
		return nil
	}
}

func applyBapi(p *sessionParser, m *match) *Error {
	p.warn(m, KindDeprecated, "App attachment using binary-api is deprecated in favor of socket api. Support for bapi may be removed in the future. (VPP's warning; the app socket API is now off)")
	assign(p, &p.s.AppSocketAPI, false, m)
	return nil
}

func applyBaseva(p *sessionParser, m *match) *Error {
	p.warn(m, KindDeprecated, "deprecated: VPP parses segment-baseva and ignores it (segments are mapped where the kernel places them)")
	assign(p, &p.s.SegmentBaseva, m.u64, m)
	return nil
}

// checkPortRange notes an empty ephemeral port range once the whole stanza
// is read (a check per keyword would fire between min and max lines).
func (p *sessionParser) checkPortRange() {
	lo, hi := p.s.MinSrcPort, p.s.MaxSrcPort
	if lo.Value < hi.Value {
		return
	}
	at := hi
	if !at.Set {
		at = lo
	}
	p.s.Warnings = append(p.s.Warnings, Warning{File: p.file, Pos: at.Pos, Keyword: at.Keyword, Kind: KindCompat,
		Msg: fmt.Sprintf("the ephemeral port range [%d, %d) is empty (max-src-port is exclusive); VPP does not check this and its port allocator has no port to choose", lo.Value, hi.Value)})
}

// Set applies one session keyword with its value, exactly as a line of the
// session stanza would be applied: same matching, number rules, limits and
// warnings (appended to s.Warnings). The simulator's sweeps use it, e.g.
// Set("wrk-mq-length", "4096") or Set("enable", "rt-backend sdl"); flags
// take an empty value. On error s is unchanged.
func (s *Session) Set(keyword, value string) error {
	known := false
	for i := range keywords {
		if keywords[i].words[0] == keyword {
			known = true
			break
		}
	}
	in := keyword
	if v := strings.TrimSpace(value); v != "" {
		in += " " + v
	}
	if !known {
		return &Error{Text: keyword, Msg: fmt.Sprintf("%s: unknown session keyword `%s'", in, keyword)}
	}
	r := &reader{src: []byte(in)}
	t, err := r.flatten()
	if err != nil {
		err.Line, err.Col, err.Msg = 0, 0, in+": "+err.Msg
		return err
	}
	cp := *s
	cp.Warnings = append([]Warning(nil), s.Warnings...)
	p := &sessionParser{s: &cp}
	if err := p.run(t); err != nil {
		err.Line, err.Col, err.Msg = 0, 0, in+": "+err.Msg
		return err
	}
	if p.matches != 1 || p.first.words[0] != keyword {
		return &Error{Text: value, Msg: fmt.Sprintf("%s: the value must hold exactly one %s setting", in, keyword)}
	}
	*s = cp
	return nil
}
