package cli

import (
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/sessionlab/sessionlab/core/rules"
	"github.com/sessionlab/sessionlab/core/session"
)

// scanner walks the words of one command line. Each command's parser reads
// its arguments with it in a loop, as VPP's unformat loops do: keywords in
// any order, each followed by its value. Every parse error names the word
// it is about.
type scanner struct {
	line string
	toks []token
	i    int
	end  int // column just past the line, for "missing ..." errors
}

func (s *scanner) done() bool { return s.i >= len(s.toks) }

// peek returns the next word without consuming it ("" at the end).
func (s *scanner) peek() string {
	if s.i < len(s.toks) {
		return s.toks[s.i].text
	}
	return ""
}

// cur returns the next token (zero token at the end).
func (s *scanner) cur() token {
	if s.i < len(s.toks) {
		return s.toks[s.i]
	}
	return token{col: s.end}
}

// accept consumes the next word if it equals kw.
func (s *scanner) accept(kw string) bool {
	if s.i < len(s.toks) && s.toks[s.i].text == kw {
		s.i++
		return true
	}
	return false
}

// next consumes and returns the next token, or a "missing what" error.
func (s *scanner) next(what string) (token, *Error) {
	if s.i >= len(s.toks) {
		return token{}, errMissing(s.end, what)
	}
	t := s.toks[s.i]
	s.i++
	return t, nil
}

// unknown reports the next word as unknown input.
func (s *scanner) unknown() *Error { return errUnknown(s.cur()) }

// expectEnd fails with "unknown input" if words remain.
func (s *scanner) expectEnd() *Error {
	if !s.done() {
		return s.unknown()
	}
	return nil
}

// oneOf consumes the next word, which must be one of the choices.
func (s *scanner) oneOf(what string, choices ...string) (string, *Error) {
	t, err := s.next(what)
	if err != nil {
		return "", err
	}
	for _, c := range choices {
		if t.text == c {
			return c, nil
		}
	}
	return "", errValue(t, "expected %s (%s), got `%s'", what, strings.Join(choices, "|"), t.text)
}

// u32 reads a decimal (or 0x hex) unsigned 32-bit number.
func (s *scanner) u32(what string) (uint32, *Error) {
	t, err := s.next(what)
	if err != nil {
		return 0, err
	}
	return parseU32(t, what)
}

func parseU32(t token, what string) (uint32, *Error) {
	v, err := strconv.ParseUint(t.text, 0, 64)
	if err != nil {
		if isDigits(t.text) {
			return 0, errValue(t, "%s %s above %d", what, t.text, uint64(math.MaxUint32))
		}
		return 0, errValue(t, "expected %s (a number), got `%s'", what, t.text)
	}
	if v > math.MaxUint32 {
		return 0, errValue(t, "%s %s above %d", what, t.text, uint64(math.MaxUint32))
	}
	return uint32(v), nil
}

// u64 reads an unsigned 64-bit number (namespace secrets are u64).
func (s *scanner) u64(what string) (uint64, *Error) {
	t, err := s.next(what)
	if err != nil {
		return 0, err
	}
	v, perr := strconv.ParseUint(t.text, 0, 64)
	if perr != nil {
		if isDigits(t.text) {
			return 0, errValue(t, "%s %s above %d", what, t.text, uint64(math.MaxUint64))
		}
		return 0, errValue(t, "expected %s (a number), got `%s'", what, t.text)
	}
	return v, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// port reads a port number (0..65535).
func (s *scanner) port(what string) (uint16, *Error) {
	t, err := s.next(what)
	if err != nil {
		return 0, err
	}
	return parsePort(t, t.text, what)
}

// parsePort parses text (a part of token t) as a port.
func parsePort(t token, text, what string) (uint16, *Error) {
	if !isDigits(text) {
		return 0, errValue(t, "expected %s (0-65535), got `%s'", what, text)
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil || v > math.MaxUint16 {
		return 0, errValue(t, "port %s above 65535", text)
	}
	return uint16(v), nil
}

// addr reads an IPv4 or IPv6 address.
func (s *scanner) addr(what string) (netip.Addr, *Error) {
	t, err := s.next(what)
	if err != nil {
		return netip.Addr{}, err
	}
	return parseAddr(t, t.text, what)
}

func parseAddr(t token, text, what string) (netip.Addr, *Error) {
	a, err := netip.ParseAddr(text)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, errValue(t, "expected %s (an IPv4 or IPv6 address), got `%s'", what, text)
	}
	return a.Unmap(), nil
}

// prefix reads an address with a prefix length (a.b.c.d/len or x::y/len).
// Host bits may be set (VPP normalises them away), as in `1.2.3.4/16`.
func (s *scanner) prefix(what string) (netip.Prefix, *Error) {
	t, err := s.next(what)
	if err != nil {
		return netip.Prefix{}, err
	}
	return parsePrefix(t, what)
}

func parsePrefix(t token, what string) (netip.Prefix, *Error) {
	slash := strings.IndexByte(t.text, '/')
	if slash < 0 {
		return netip.Prefix{}, errValue(t, "expected %s (address/length), got `%s'", what, t.text)
	}
	a, perr := parseAddr(t, t.text[:slash], what)
	if perr != nil {
		return netip.Prefix{}, perr
	}
	lenText := t.text[slash+1:]
	if !isDigits(lenText) {
		return netip.Prefix{}, errValue(t, "expected a prefix length after '/' in `%s'", t.text)
	}
	n, err := strconv.Atoi(lenText)
	if err != nil || n > a.BitLen() {
		fam := "IPv4"
		if a.Is6() {
			fam = "IPv6"
		}
		return netip.Prefix{}, errValue(t, "prefix length %s out of range for %s", lenText, fam)
	}
	return netip.PrefixFrom(a, n), nil
}

// addrPort reads ip:port, with IPv6 addresses in brackets ([::1]:80).
func (s *scanner) addrPort(what string) (netip.AddrPort, *Error) {
	t, err := s.next(what)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return parseAddrPort(t, what)
}

func parseAddrPort(t token, what string) (netip.AddrPort, *Error) {
	text := t.text
	colon := strings.LastIndexByte(text, ':')
	if colon < 0 {
		return netip.AddrPort{}, errValue(t, "expected %s (ip:port), got `%s'", what, text)
	}
	host, port := text[:colon], text[colon+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	} else if strings.IndexByte(host, ':') >= 0 {
		return netip.AddrPort{}, errValue(t, "expected %s (ip:port; write IPv6 as [addr]:port), got `%s'", what, text)
	}
	a, perr := parseAddr(t, host, what)
	if perr != nil {
		return netip.AddrPort{}, perr
	}
	p, perr := parsePort(t, port, what+" port")
	if perr != nil {
		return netip.AddrPort{}, perr
	}
	return netip.AddrPortFrom(a, p), nil
}

// proto reads tcp or udp.
func (s *scanner) proto() (session.Proto, *Error) {
	t, err := s.next("transport protocol (tcp|udp)")
	if err != nil {
		return 0, err
	}
	return parseProto(t)
}

func parseProto(t token) (session.Proto, *Error) {
	switch t.text {
	case "tcp":
		return session.ProtoTCP, nil
	case "udp":
		return session.ProtoUDP, nil
	}
	return 0, errValue(t, "expected a transport protocol (tcp|udp), got `%s'", t.text)
}

// tag reads a rule tag (at most 64 bytes, VPP's SESSION_RULE_TAG_MAX_LEN).
func (s *scanner) tag() (string, *Error) {
	t, err := s.next("tag")
	if err != nil {
		return "", err
	}
	if len(t.text) > rules.MaxTagLen {
		return "", errValue(t, "tag longer than %d bytes (%d)", rules.MaxTagLen, len(t.text))
	}
	return t.text, nil
}

// handle reads a session handle: hex (0x100000002, as the CLI prints
// them), decimal, or thread:index ([1:2] or 1:2, as `show session` prints
// connections).
func (s *scanner) handle(what string) (session.Handle, *Error) {
	t, err := s.next(what)
	if err != nil {
		return 0, err
	}
	return parseHandle(t, what)
}

func parseHandle(t token, what string) (session.Handle, *Error) {
	text := strings.TrimSuffix(strings.TrimPrefix(t.text, "["), "]")
	if th, idx, ok := strings.Cut(text, ":"); ok {
		a, err1 := strconv.ParseUint(th, 10, 32)
		b, err2 := strconv.ParseUint(idx, 10, 32)
		if err1 != nil || err2 != nil {
			return 0, errValue(t, "expected %s (0x<hex>, <n> or <thread>:<index>), got `%s'", what, t.text)
		}
		return session.MakeHandle(uint32(a), uint32(b)), nil
	}
	v, err := strconv.ParseUint(text, 0, 64)
	if err != nil {
		return 0, errValue(t, "expected %s (0x<hex>, <n> or <thread>:<index>), got `%s'", what, t.text)
	}
	return session.Handle(v), nil
}

// fiveTuple reads VPP's rule 5-tuple: <lcl-ip/plen> <lcl-port>
// <rmt-ip/plen> <rmt-port>, both prefixes of one family.
func (s *scanner) fiveTuple() (lcl netip.Prefix, lport uint16, rmt netip.Prefix, rport uint16, err *Error) {
	lt := s.cur()
	if lcl, err = s.prefix("local prefix"); err != nil {
		return
	}
	if lport, err = s.port("local port"); err != nil {
		return
	}
	rt := s.cur()
	if rmt, err = s.prefix("remote prefix"); err != nil {
		return
	}
	if rport, err = s.port("remote port"); err != nil {
		return
	}
	if lcl.Addr().Is4() != rmt.Addr().Is4() {
		err = errValue(rt, "remote prefix `%s' is not of the local prefix's family (`%s')", rt.text, lt.text)
	}
	return
}

// looksLikePrefix reports whether the next word starts a 5-tuple.
func (s *scanner) looksLikePrefix() bool {
	w := s.peek()
	return strings.IndexByte(w, '/') > 0 && (strings.IndexByte(w, '.') >= 0 || strings.IndexByte(w, ':') >= 0)
}
