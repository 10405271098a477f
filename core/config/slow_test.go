package config

import (
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// This file holds slow, obviously right reference implementations of the
// reader's flattening and of unformat's number conversions, and checks the
// real ones against them on random inputs.

// slowFlatten flattens line by line: cut each line at its first `#`, turn
// CR and TAB into spaces, join the lines with spaces, and re-join the fields.
func slowFlatten(src string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if j := strings.IndexByte(l, '#'); j >= 0 {
			l = l[:j]
		}
		lines[i] = strings.NewReplacer("\r", " ", "\t", " ").Replace(l)
	}
	return strings.Join(strings.Fields(strings.Join(lines, " ")), " ")
}

func randomText(r *rand.Rand, alphabet string, max int) string {
	n := r.Intn(max + 1)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return string(b)
}

func TestFlattenMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		src := randomText(r, "ab{}\\# \t\r\n\n", 40)
		rd := &reader{src: []byte(src)}
		got, err := rd.flatten()
		if err != nil {
			t.Fatalf("flatten(%q): %v", src, err)
		}
		if want := slowFlatten(src); string(got.buf) != want {
			t.Fatalf("flatten(%q) = %q, want %q", src, got.buf, want)
		}
		// Every byte points back at where it came from: the same byte, or,
		// for a space, a blank or the start of a comment.
		for j, c := range got.buf {
			o := got.off[j]
			if c != ' ' && src[o] != c {
				t.Fatalf("flatten(%q): byte %d %q from offset %d %q", src, j, c, o, src[o])
			}
			if c == ' ' && !isSpace(src[o]) && src[o] != '#' {
				t.Fatalf("flatten(%q): space %d from offset %d %q", src, j, o, src[o])
			}
		}
	}
}

var (
	refSigned   = regexp.MustCompile(`^[+-]?[0-9]+`)
	refUnsigned = regexp.MustCompile(`^\+?[0-9a-fA-F]+`)
)

// slowInt32 is %d by regexp and strconv: sign, digits, then range.
func slowInt32(s string) (int32, int, numStatus) {
	m := refSigned.FindString(s)
	if m == "" {
		return 0, 0, numNoDigits
	}
	v, err := strconv.ParseInt(m, 10, 32)
	if err != nil {
		return 0, 0, numRange
	}
	return int32(v), len(m), numOK
}

// slowMemory is unformat_memory_size by regexp and strconv.
func slowMemory(s string) (uint64, int, numStatus) {
	m := refSigned.FindString(s)
	if m == "" {
		return 0, 0, numNoDigits
	}
	v, err := strconv.ParseInt(m, 10, 64)
	if err != nil {
		return 0, 0, numRange
	}
	n, shift := len(m), 0
	if n < len(s) {
		if k := strings.IndexByte("kKmMgG", s[n]); k >= 0 {
			shift = []int{10, 10, 20, 20, 30, 30}[k]
			n++
		}
	}
	return uint64(v) << shift, n, numOK
}

// slowHex is %lx by regexp and strconv.
func slowHex(s string) (uint64, int, numStatus) {
	m := refUnsigned.FindString(s)
	if m == "" {
		return 0, 0, numNoDigits
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(m, "+"), 16, 64)
	if err != nil {
		return 0, 0, numRange
	}
	return v, len(m), numOK
}

func TestNumbersMatchReference(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	edge := []string{"2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615",
		"18446744073709551616", "ffffffffffffffff", "10000000000000000", "0", "-0", "+0"}
	for i := 0; i < 50000; i++ {
		var s string
		if i < len(edge)*4 {
			s = edge[i/4] + randomText(r, "0kMgx -", 2)
		} else {
			s = randomText(r, "0123456789+-kKmMgGaAfFxX/? ", 24)
		}
		check := func(name string, got, want uint64, gotN, wantN int, gotSt, wantSt numStatus) {
			t.Helper()
			if gotSt != wantSt || (wantSt == numOK && (got != want || gotN != wantN)) {
				t.Fatalf("%s(%q) = %d, %d bytes, status %d; want %d, %d bytes, status %d", name, s, got, gotN, gotSt, want, wantN, wantSt)
			}
		}
		sc := &scanner{t: &text{buf: []byte(s)}}
		v, st := sc.int32()
		wv, wn, wst := slowInt32(s)
		check("int32", uint64(v), uint64(wv), sc.i, wn, st, wst)

		sc = &scanner{t: &text{buf: []byte(s)}}
		m, st := sc.memorySize()
		wm, wn, wst := slowMemory(s)
		check("memorySize", m, wm, sc.i, wn, st, wst)

		sc = &scanner{t: &text{buf: []byte(s)}}
		h, st := sc.hex64()
		wh, wn, wst := slowHex(s)
		check("hex64", h, wh, sc.i, wn, st, wst)
		if st != numOK && sc.i != 0 {
			t.Fatalf("hex64(%q) failed but moved the cursor", s)
		}
	}
}
