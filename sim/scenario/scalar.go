package scenario

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/core/config"
)

// The scalar types below decode themselves from one YAML scalar. Each gets
// the scalar's text and whether it was written as a number or a string, so
// that `duration: 10` (no unit) can be refused with a hint while `10s` is
// accepted; scalarSchema describes the accepted forms to the JSON Schema
// generator.

// scalarKind is how a YAML scalar was written.
type scalarKind uint8

const (
	kindString scalarKind = iota
	kindInt
	kindFloat
	kindBool
)

// scalarDecoder is implemented (on the pointer) by the package's scalar
// types.
type scalarDecoder interface {
	decodeScalar(text string, kind scalarKind) error
}

// Duration is a Go duration written as a string ("10s", "1m30s",
// "250ms"); 0 may be written without a unit. Negative durations are
// refused.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns the duration as Go formats it ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

func (d *Duration) decodeScalar(text string, kind scalarKind) error {
	if kind == kindInt || kind == kindFloat {
		if f, err := strconv.ParseFloat(text, 64); err == nil && f == 0 {
			*d = 0
			return nil
		}
		return fmt.Errorf("want a duration with a unit, e.g. \"%ss\" or \"%sms\", not the number %s", text, text, text)
	}
	if kind != kindString {
		return fmt.Errorf("want a duration such as \"10s\", not %s", text)
	}
	v, err := time.ParseDuration(strings.TrimSpace(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a Go duration such as \"10s\", \"250ms\", \"1m30s\")", text)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", text)
	}
	*d = Duration(v)
	return nil
}

func (Duration) scalarSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$|^0$`}
}

// Size is a byte count written as a number or with VPP's suffixes k, m, g
// (powers of two: 64k = 65536), as startup.conf writes memory sizes.
type Size uint64

// String writes the size the way it is read back ("64k", "1m", "1000").
func (s Size) String() string { return config.FormatSize(uint64(s)) }

func (s *Size) decodeScalar(text string, kind scalarKind) error {
	if kind == kindBool || kind == kindFloat {
		return fmt.Errorf("want a byte size such as 65536 or \"64k\", not %s", text)
	}
	v, err := parseSize(text)
	if err != nil {
		return err
	}
	*s = Size(v)
	return nil
}

func (Size) scalarSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "integer", "minimum": 0},
		map[string]any{"type": "string", "pattern": `^[0-9]+[kKmMgG]?$`},
	}}
}

// parseSize reads a decimal byte count with an optional k, m or g suffix.
func parseSize(text string) (uint64, error) {
	t := strings.TrimSpace(text)
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
		if shift != 0 {
			t = t[:n-1]
		}
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil || v > math.MaxUint64>>shift {
		return 0, fmt.Errorf("invalid byte size %q (want a number with an optional k, m or g suffix, e.g. \"64k\")", text)
	}
	return v << shift, nil
}

// Ratio is a fraction in [0, 1], written as a number (0.005) or a
// percentage string ("0.5%").
type Ratio float64

// F returns r as a float64.
func (r Ratio) F() float64 { return float64(r) }

func (r *Ratio) decodeScalar(text string, kind scalarKind) error {
	if kind == kindBool {
		return fmt.Errorf("want a ratio in [0, 1] or a percentage, not %s", text)
	}
	t := strings.TrimSpace(text)
	scale := 1.0
	if strings.HasSuffix(t, "%") {
		t, scale = strings.TrimSpace(t[:len(t)-1]), 100
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return fmt.Errorf("invalid ratio %q (want a number in [0, 1] or a percentage such as \"0.5%%\")", text)
	}
	v /= scale
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("ratio %s is outside [0, 1]", text)
	}
	*r = Ratio(v)
	return nil
}

func (Ratio) scalarSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "number", "minimum": 0, "maximum": 1},
		map[string]any{"type": "string", "pattern": `^[0-9]+(\.[0-9]*)?%$`},
	}}
}

// Number is a number that keeps how it was written: a plain number or one
// with a k, m or g suffix (powers of two), so a generated sweep value can
// be written the same way ("16m", "32m", ...).
type Number struct {
	// Value is the number (16m = 16777216).
	Value float64
	// Suffixed reports that it was written with a k, m or g suffix.
	Suffixed bool
}

// String writes the number back in its style.
func (n Number) String() string { return formatNumber(n.Value, n.Suffixed) }

func formatNumber(v float64, suffixed bool) string {
	if suffixed && v >= 0 && v == math.Trunc(v) && v < 1<<63 {
		return config.FormatSize(uint64(v))
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (n *Number) decodeScalar(text string, kind scalarKind) error {
	if kind == kindBool {
		return fmt.Errorf("want a number, not %s", text)
	}
	if v, err := strconv.ParseFloat(strings.TrimSpace(text), 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
		*n = Number{Value: v}
		return nil
	}
	v, err := parseSize(text)
	if err != nil {
		return fmt.Errorf("invalid number %q (want a number, optionally with a k, m or g suffix)", text)
	}
	*n = Number{Value: float64(v), Suffixed: true}
	return nil
}

func (Number) scalarSchema() map[string]any {
	return map[string]any{"oneOf": []any{
		map[string]any{"type": "number"},
		map[string]any{"type": "string", "pattern": `^[0-9]+[kKmMgG]$`},
	}}
}

// Scalar is a sweep value as written: its text and whether YAML read it as
// a string, a number or a boolean. It is applied to its parameter by
// decoding it as that parameter's type, so "64m" can sweep a size and
// "100ms" a duration.
type Scalar struct {
	Text string
	kind scalarKind
}

// String returns the value's text.
func (s Scalar) String() string { return s.Text }

func (s *Scalar) decodeScalar(text string, kind scalarKind) error {
	*s = Scalar{Text: text, kind: kind}
	return nil
}

func (Scalar) scalarSchema() map[string]any {
	return map[string]any{"type": []any{"string", "number", "integer", "boolean"}}
}

// Endpoint is a transport endpoint written as a URI: "tcp://10.0.0.1:80",
// "udp://[fd00::1]:53", "tcp://0.0.0.0:8080" (any address).
type Endpoint struct {
	// Proto is "tcp" or "udp".
	Proto string
	// Addr is the address and port.
	Addr netip.AddrPort
}

// String returns the URI form.
func (e Endpoint) String() string {
	if e.Proto == "" && !e.Addr.IsValid() {
		return ""
	}
	return e.Proto + "://" + e.Addr.String()
}

// ParseEndpoint parses "proto://addr:port".
func ParseEndpoint(s string) (Endpoint, error) {
	proto, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Endpoint{}, fmt.Errorf("invalid endpoint %q (want proto://addr:port, e.g. \"tcp://10.0.0.1:80\")", s)
	}
	if proto != "tcp" && proto != "udp" {
		return Endpoint{}, fmt.Errorf("endpoint %q: protocol %q is not tcp or udp", s, proto)
	}
	ap, err := netip.ParseAddrPort(rest)
	if err != nil {
		return Endpoint{}, fmt.Errorf("endpoint %q: %q is not addr:port (IPv6 in brackets: \"[fd00::1]:80\")", s, rest)
	}
	return Endpoint{Proto: proto, Addr: ap}, nil
}

func (e *Endpoint) decodeScalar(text string, kind scalarKind) error {
	if kind != kindString {
		return fmt.Errorf("want an endpoint such as \"tcp://10.0.0.1:80\", not %s", text)
	}
	v, err := ParseEndpoint(strings.TrimSpace(text))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

func (Endpoint) scalarSchema() map[string]any {
	return map[string]any{"type": "string", "pattern": `^(tcp|udp)://(\[[0-9A-Fa-f:.]+\]|[0-9.]+):[0-9]+$`}
}
