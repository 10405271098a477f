package config

import "math"

// This file models the parts of VPP's unformat that the session stanza
// uses. The rules, all observable from a startup.conf:
//
//   - Input white space is skipped before every element of a format (each
//     literal word, each conversion) and once more when the format ends. So
//     white space between a keyword and its value is optional
//     (`wrk-mq-length4096` matches) and none is required after a match.
//   - A literal matches byte for byte, case-sensitively, and needs no word
//     boundary after it: `poll-main` matches the start of `poll-mainXYZ` and
//     leaves `XYZ` for the next keyword, which then fails as unknown input.
//   - A failed format rewinds the input, so keywords are simply tried in
//     order and the first match wins.
//   - Numbers: an optional sign only at the very start (`+` always, `-` only
//     for signed conversions), then digits of the base; the first byte that
//     is not such a digit ends the number and is left for what follows.

// scanner is a cursor over one stanza's bytes.
type scanner struct {
	t *text
	i int
}

func (s *scanner) skipSpace() {
	for s.i < len(s.t.buf) && isSpace(s.t.buf[s.i]) {
		s.i++
	}
}

// literal consumes w if the input continues with exactly w.
func (s *scanner) literal(w string) bool {
	b := s.t.buf
	if len(b)-s.i < len(w) || string(b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// numStatus says why a number did not scan.
type numStatus uint8

const (
	numOK       numStatus = iota
	numNoDigits           // no digit where the number should start
	numRange              // digits present, but the value does not fit
)

// digit returns the value unformat gives byte c as a digit: 0-9, then
// letters from 10 upwards (so any letter ends a decimal number), and a
// value no base reaches for everything else.
func digit(c byte) uint64 {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0')
	case c >= 'a' && c <= 'z':
		return uint64(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return uint64(c-'A') + 10
	}
	return math.MaxUint64
}

// magnitude scans [sign] digits in base (10 or 16) from the cursor without
// skipping white space. It returns the magnitude and sign. The cursor moves
// only on success. A magnitude beyond 64 bits is numRange.
func (s *scanner) magnitude(base uint64, signed bool) (mag uint64, neg bool, st numStatus) {
	b := s.t.buf
	j, n, digits := s.i, 0, 0
	overflow := false
loop:
	for ; j < len(b); j, n = j+1, n+1 {
		c := b[j]
		switch {
		case c == '-' && n == 0:
			if !signed {
				return 0, false, numNoDigits
			}
			neg = true
			continue
		case c == '+' && n == 0:
			continue
		}
		d := digit(c)
		if d >= base {
			break loop
		}
		if mag > (math.MaxUint64-d)/base {
			overflow = true
		}
		mag = mag*base + d
		digits++
	}
	if digits == 0 {
		return 0, false, numNoDigits
	}
	if overflow {
		return 0, false, numRange
	}
	s.i = j
	return mag, neg, numOK
}

// int32 scans unformat's %d: a signed decimal that must fit 32 bits.
func (s *scanner) int32() (int32, numStatus) {
	save := s.i
	mag, neg, st := s.magnitude(10, true)
	if st != numOK {
		return 0, st
	}
	switch {
	case neg && mag <= 1<<31:
		return int32(-int64(mag)), numOK
	case !neg && mag <= math.MaxInt32:
		return int32(mag), numOK
	}
	s.i = save
	return 0, numRange
}

// memorySize scans unformat_memory_size: a signed 64-bit decimal directly
// followed (no space) by an optional k/K, m/M or g/G multiplying by 2^10,
// 2^20 or 2^30. The result is VPP's: the two's-complement amount shifted in
// 64 bits, so a negative size becomes a huge unsigned one and the shift
// wraps silently.
func (s *scanner) memorySize() (uint64, numStatus) {
	save := s.i
	mag, neg, st := s.magnitude(10, true)
	if st != numOK {
		return 0, st
	}
	if (neg && mag > 1<<63) || (!neg && mag > math.MaxInt64) {
		s.i = save
		return 0, numRange
	}
	amount := mag
	if neg {
		amount = -mag
	}
	shift := 0
	if s.i < len(s.t.buf) {
		switch s.t.buf[s.i] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
		if shift != 0 {
			s.i++
		}
	}
	return amount << shift, numOK
}

// hex64 scans unformat's %lx: an unsigned hexadecimal that fits 64 bits.
func (s *scanner) hex64() (uint64, numStatus) {
	mag, _, st := s.magnitude(16, false)
	return mag, st
}
